"""The guard against server-side request forgery: which URLs and addresses ``!status`` may reach.

Two gates, because aiohttp consults a resolver only for host *names*:

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

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata endpoints hand out credentials: refused even when private addresses
# are allowed. AWS/GCP/Azure 169.254.169.254, AWS IPv6 fd00:ec2::254, AWS ECS task
# metadata 169.254.170.2, Alibaba 100.100.100.200, Oracle 192.0.0.192.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200", "192.0.0.192")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 embedded in the low 32 bits (RFC 6052)
# "scheme:" not followed by a digit: "file:/x" has a scheme, "example.com:8080" has a port.
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)")


class Refused(OSError):
    """A URL or an address the guard will not let through; ``str()`` says why.

    An OSError, so that raised from the resolver it reaches us inside aiohttp's
    ClientConnectorError (as its ``os_error``), like any other failed lookup.
    """


def refusal(ip: IP, *, allow_private: bool = False) -> str | None:
    """Why ``ip`` must not be reached (``"a loopback address"``), or None if it may."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        why = refusal(embedded, allow_private=allow_private)
        return None if why is None else f"{why} ({embedded} inside IPv6)"
    if ip in METADATA:
        return "a cloud metadata address"
    if allow_private:
        return None
    for test, what in (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_multicast, "a multicast address"),
        (ip in _SHARED, "a shared (carrier-grade NAT) address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return what
    return None


def _embedded_ipv4(ip: IP) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped ``::ffff:a.b.c.d``, 6to4, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


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
