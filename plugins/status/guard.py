"""The guard against server-side request forgery: which URLs and addresses ``!status`` may reach.

Which addresses are refused is the framework's policy (``bot.address_refusal``, the
one ``ctx.http`` and ``ctx.fetch_json`` apply too); this plugin adds its own
setting, reports each refusal per URL and redirect hop, and runs two gates,
because aiohttp consults a resolver only for host *names*:

- :func:`target` vets a URL before any request (the one typed, and every redirect's
  ``Location``): http(s) only, no user info, and a host written as an IP address
  (``127.0.0.1``, ``[::1]``, ``2130706433``, ``0x7f.1``) is judged by the address it means;
- :class:`GuardedResolver` vets the addresses a host *name* resolves to, at connect
  time, and hands aiohttp only the allowed ones: the address checked is the address
  connected to, so a name that re-resolves elsewhere (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import re
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot import address_refusal as refusal  # the framework's address policy, shared

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# "scheme:" not followed by a digit: "file:/x" has a scheme, "example.com:8080" has a port.
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)")


class Refused(OSError):
    """A URL or an address the guard will not let through; ``str()`` says why.

    An OSError, so that raised from the resolver it reaches us inside aiohttp's
    ClientConnectorError (as its ``os_error``), like any other failed lookup.
    """


def literal(host: str) -> IP | None:
    """The address ``host`` spells, if it is one: ``[::1]``, ``127.0.0.1``, and the legacy
    IPv4 forms the C library also accepts (``2130706433``, ``0x7f.1``, ``0177.0.0.1``)."""
    host = host.strip("[]")
    if host.endswith(".") and ":" not in host:  # "127.0.0.1." is an absolute name: same address
        host = host[:-1]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not re.fullmatch(r"[0-9a-fA-FxX.]+", host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def target(text: str, *, allow_private: bool = False) -> URL:
    """The URL to request for ``text``, or :class:`Refused`.

    Without a scheme, https is assumed (``example.com`` → ``https://example.com``);
    Discord's no-preview brackets (``<https://…>``) are dropped. A host written as an
    IP address in a legacy form is rewritten to the address, so what is checked is
    what is connected to.
    """
    text = text.strip().removeprefix("<").removesuffix(">")
    if not _SCHEME.match(text):
        text = "https://" + text
    try:
        url = URL(text)
    except ValueError as exc:
        raise Refused(f"not a valid URL ({exc})") from None
    return vet(url, allow_private=allow_private)


def vet(url: URL, *, allow_private: bool = False) -> URL:
    """``url`` if the guard lets it through (see :func:`target`), else :class:`Refused`."""
    if url.scheme not in ("http", "https"):
        scheme = url.scheme or "a relative URL"
        raise Refused(f"only http and https URLs are checked, not {scheme}")
    if "@" in (url.raw_authority or ""):
        raise Refused("URLs with a user name or password are not checked")
    host = url.host
    if not host:
        raise Refused("the URL names no host")
    ip = literal(host)
    if ip is None:
        try:
            host.encode("idna")  # what the resolver will do; a label over 63 characters fails
        except UnicodeError:
            shown = host if len(host) <= 40 else host[:39] + "…"
            raise Refused(f"{shown} is not a valid host name") from None
        return url  # a name: the resolver checks what it resolves to
    why = refusal(ip, allow_private=allow_private)
    if why is not None:
        shown = host if str(ip) == host.strip("[]") else f"{host} ({ip})"
        raise Refused(f"{shown} is {why}")
    if isinstance(ip, ipaddress.IPv4Address) and str(ip) != host:
        return url.with_host(str(ip))  # aiohttp itself refuses the legacy forms
    return url


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, minus every address :func:`refusal` objects to.

    A name whose every address is refused raises :class:`Refused`; a name with some
    public addresses connects to those only.
    """

    def __init__(self, base: AbstractResolver, *, allow_private: bool = False) -> None:
        self._base = base
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._base.resolve(host, port, family)
        kept, why = [], ""
        for entry in found:
            reason = self._refusal(entry["host"])
            if reason is None:
                kept.append(entry)
            elif not why:
                why = f"{host} resolves to {entry['host']}, {reason}"
        if not kept:
            raise Refused(why or f"{host} resolves to no address")
        return kept

    def _refusal(self, address: str) -> str | None:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return "not an address we can judge"
        return refusal(ip, allow_private=self._allow_private)

    async def close(self) -> None:
        await self._base.close()
