"""The guard against server-side request forgery on the plugins' shared HTTP session.

A plugin that fetches a URL a user typed must not become a way into the bot's own
network: loopback, private, link-local and other non-public addresses are refused
(unless ``BOT_HTTP_ALLOW_PRIVATE`` says this bot lives on such a network), and
cloud metadata addresses always. The check runs on the address actually connected
to, for names and IP literals alike and for every redirect hop, because it sits
where aiohttp turns a host into addresses (:class:`GuardedConnector`).
"""

from __future__ import annotations

import ipaddress
from typing import Any

import aiohttp

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


class Refused(OSError):
    """An address the guard will not connect to; ``str()`` says why.

    An OSError, so that raised while connecting it reaches the caller inside
    aiohttp's ClientConnectorError (as its ``os_error``), like a failed lookup.
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


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that connects only to addresses :func:`refusal` allows.

    It filters what ``_resolve_host`` gives (aiohttp's one step from a host, name
    or IP literal, to addresses, before every new connection, redirects included):
    the address checked is the address connected to, so DNS rebinding gains nothing.
    """

    def __init__(self, *, allow_private: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.allow_private = allow_private

    async def _resolve_host(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        found = await super()._resolve_host(host, port, *args, **kwargs)
        kept, why = [], ""
        for entry in found:
            reason = refusal(ipaddress.ip_address(entry["host"]), allow_private=self.allow_private)
            if reason is None:
                kept.append(entry)
            elif not why:
                why = (
                    f"{host} is {reason}"
                    if host == entry["host"]
                    else (f"{host} resolves to {entry['host']}, {reason}")
                )
        if not kept:
            raise Refused(why or f"{host} resolves to no address")
        return kept
