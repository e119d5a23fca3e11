"""Where a webhook may be sent: public addresses only, unless a setting names the network.

A tenant's endpoint URL is a request the server makes on the tenant's behalf, so it must not
reach inside: loopback, private, link-local (cloud metadata), shared, multicast, reserved
and unspecified addresses are refused, IPv4-mapped IPv6 included, unless
WEBHOOK_ALLOWED_NETWORKS names them (tests and local receivers). The host is resolved when the
endpoint is registered and again for every delivery, and the delivery connects to the very
address it checked, so a name that later resolves inward (DNS rebinding) is caught. Redirects
are never followed: http.client does not follow them.
"""

import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# What an endpoint URL may look like, checked before anything is resolved, and published as
# the API field's pattern: http(s); a host name or IPv4 address in labels of 1 to 63 letters,
# digits and inner hyphens (an IPv6 endpoint by its name, not in brackets); an optional port
# from 1 to 65535; then printable ASCII.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
URL_PATTERN = rf"^https?://(?:{_LABEL}\.)*{_LABEL}(?::{_PORT})?(?:[/?#][!-~]*)?$"
URL_MAX_LENGTH = 500


class Refused(ValueError):
    """The endpoint may not be reached; the message says why, for the tenant to read, and
    `code` what kind of refusal it is: "invalid" (not a URL we send to), "does_not_exist" (the
    host does not resolve) or "forbidden_target" (an address or scheme this server refuses)."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses (tests replace this with a stub: no name is looked up for real)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


@cache
def _allowed_networks(
    spec: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in spec)


def allowed_by_setting(address: Address) -> bool:
    networks = _allowed_networks(tuple(settings.WEBHOOK_ALLOWED_NETWORKS))
    return any(address in network for network in networks)


def public(address: Address) -> bool:
    """Reachable on the internet: not loopback, private, link-local, shared, reserved,
    unspecified or multicast (an IPv4-mapped IPv6 address counts as its IPv4 one)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    """An endpoint checked for sending: its URL's parts and the one address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def target(url: str) -> Target:
    """Check `url` and resolve its host; raises Refused with the reason. Every address the
    name has must be allowed, so a name cannot hide an inside address among public ones."""
    if len(url) > URL_MAX_LENGTH or not re.fullmatch(URL_PATTERN, url):
        raise Refused(
            "Webhook endpoints must be https:// URLs with a host name or address, an optional "
            f"port, and no spaces, at most {URL_MAX_LENGTH} characters."
        )
    parts = urlsplit(url)
    host = parts.hostname or ""  # the pattern has made sure of a host and a port in range
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        names = [ipaddress.ip_address(host).compressed]
    except ValueError:
        try:
            names = resolve(host, port)
        except (OSError, UnicodeError) as error:
            raise Refused(f"{host} cannot be resolved.", "does_not_exist") from error
    if not names:
        raise Refused(f"{host} cannot be resolved.", "does_not_exist")
    addresses = [ipaddress.ip_address(name.split("%")[0]) for name in names]
    inside = [a for a in addresses if not public(a) and not allowed_by_setting(a)]
    if inside:
        raise Refused(
            f"{host} points to {inside[0]}, an address inside a private network: "
            "webhooks are sent to public addresses only.",
            "forbidden_target",
        )
    if parts.scheme == "http" and not all(allowed_by_setting(a) for a in addresses):
        raise Refused("Webhook endpoints must use https://.", "forbidden_target")
    path = parts.path or "/"
    return Target(
        parts.scheme, host, port, f"{path}?{parts.query}" if parts.query else path, names[0]
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, address: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate verified for the URL's host."""

    def __init__(self, address: str, *args, **kwargs):
        self.tls = ssl.create_default_context()
        super().__init__(*args, context=self.tls, **kwargs)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str  # the start of the body, at most RESPONSE_EXCERPT characters


RESPONSE_EXCERPT = 500


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST once to the checked address; a redirect is an answer like any other."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target.address, target.host, target.port, timeout=timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT).decode(errors="replace")[:RESPONSE_EXCERPT]
        return Answer(response.status, excerpt)
    finally:
        connection.close()
