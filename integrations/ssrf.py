"""Outbound URLs we may call for integrators, and the ones we must refuse (SSRF).

In `production` a webhook URL must be http(s) and every address its host name
resolves to must be public: no loopback, private (RFC 1918, unique-local),
link-local, shared (CGNAT), multicast, reserved or unspecified address, and
none of the cloud metadata addresses. The check runs when an endpoint is saved
and again before every delivery (a name may be re-pointed after it was saved).
In `development` and `test` local receivers are allowed.

Residual risk, stated: the delivery resolves the name again when it connects, so
a name whose answers change within those milliseconds (DNS rebinding) could
still reach a private address; redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200")})


class UnsafeURLError(ValueError):
    """The URL is malformed, or points somewhere we must not call."""


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (address in METADATA or address.is_loopback or address.is_private or address.is_link_local
                or address.is_multicast or address.is_reserved or address.is_unspecified
                or address in ipaddress.ip_network("100.64.0.0/10") or not address.is_global)


def check_url(url: str, environment: str, resolve=socket.getaddrinfo) -> str:  # noqa: ANN001
    """The URL, if we may deliver to it in this environment; UnsafeURLError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURLError("a webhook URL is http:// or https:// with a host")
    if parts.username or parts.password:
        raise UnsafeURLError("a webhook URL carries no credentials")
    if environment != "production":
        return url
    try:
        answers = resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                          type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURLError(f"{parts.hostname} does not resolve: {exc}") from None
    for *_, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if not is_public(address):
            raise UnsafeURLError(f"{parts.hostname} resolves to {address}, which is not a public address")
    return url
