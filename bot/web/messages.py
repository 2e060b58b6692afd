"""What a plugin webhook receives and answers: a request read whole (within the
body limit) and a small response, so a handler is testable without a server."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.errors import UserError


@dataclass(frozen=True, slots=True)
class WebRequest:
    """An HTTP request to a plugin webhook; ``body`` is read before the handler runs."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    remote: str | None = None

    def text(self) -> str:
        """The body as text (UTF-8; undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON; a malformed body raises UserError (answered 400)."""
        try:
            return json.loads(self.body)
        except ValueError:
            raise UserError("the request body is not JSON") from None


@dataclass(frozen=True, slots=True)
class WebResponse:
    """What a webhook answers. ``json`` wins over ``text`` when both are given."""

    status: int = 200
    text: str = ""
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


def signature_valid(
    secret: str | bytes,
    body: bytes,
    signature: str | None,
    *,
    algorithm: str = "sha256",
    prefix: str = "sha256=",
) -> bool:
    """Whether ``signature`` is the HMAC of ``body`` under ``secret``, in constant time.

    The default fits GitHub's ``X-Hub-Signature-256: sha256=<hex>``; a missing
    header is simply invalid::

        if not signature_valid(secret, request.body, request.headers.get("X-Hub-Signature-256")):
            return WebResponse(401, "bad signature")
    """
    if not signature or not signature.startswith(prefix):
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    expected = prefix + hmac.new(key, body, getattr(hashlib, algorithm)).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode())
