"""Where a fetch may connect: the private-address check, made on the very addresses the
connection then uses.

A check that resolves a host name and a connection that resolves it again leave a window: a
DNS answer that changes between the two (DNS rebinding) sends the request to 127.0.0.1 after
a public address passed. Here the check lives in the HTTP client's network backend
(:class:`CheckedBackend`): it resolves the name once, refuses a loopback, private,
link-local, multicast or reserved address, and connects to the address it checked (TLS still
names the host, so certificates are verified against the name).
"""

from __future__ import annotations

import ipaddress
import socket

import httpcore

from index.web.deadline import DeadlineBackend


class PrivateAddress(Exception):
    """A host resolved to an address the web app may not reach."""

    def __init__(self, host: str, address: str, kind: str):
        super().__init__(f"{host} is {kind} address ({address})")
        self.host, self.address, self.kind = host, address, kind


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052's well-known prefix: IPv4 in the last 32 bits
_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291's deprecated IPv4-compatible addresses (::a.b.c.d)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and reaches (mapped, 6to4, NAT64,
    IPv4-compatible, Teredo's client), or None."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):  # :: and ::1 are themselves
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo:
        return ip.teredo[1]
    return None


def address_kind(address: str) -> str | None:
    """None for a public unicast address, else what it is ("a loopback", "a private", ...). An
    IPv6 address that carries an IPv4 one (``[::127.0.0.1]``, ``64:ff9b::7f00:1``,
    ``2002:7f00:1::1``) is what that IPv4 address is; a site-local one (``fec0::/10``) is private."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6:
        inner = embedded_ipv4(ip)
        if inner is not None and (kind := address_kind(str(inner))) is not None:
            return kind
        if ip.is_site_local:
            return "a private"
    if ip.is_global and not ip.is_multicast:
        return None
    return ("a loopback" if ip.is_loopback else "a link-local" if ip.is_link_local
            else "a private" if ip.is_private else "a multicast" if ip.is_multicast else "a reserved")


def public_addresses(host: str, port: int | None = None) -> list[str]:
    """The addresses ``host`` resolves to, each checked: raises :class:`PrivateAddress` when any
    is not public, ``socket.gaierror`` when the name does not resolve."""
    addresses: list[str] = []
    for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = info[4][0]
        kind = address_kind(address)
        if kind is not None:
            raise PrivateAddress(host, address.split("%")[0], kind)
        if address not in addresses:
            addresses.append(address)
    return addresses


class CheckedBackend(DeadlineBackend):
    """The deadline-bound network backend, connecting only to the public addresses it checked."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = public_addresses(host, port)
        except socket.gaierror:
            raise httpcore.ConnectError(f"[Errno -2] Name or service not known: {host}") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # the next address of a host with several
                failure = exc
        raise failure or httpcore.ConnectError(f"no address for {host}")


def checked_transport(check: bool = True):
    """An httpx transport whose connections pass through :class:`CheckedBackend` (``check``)
    or, for the CLI's own urls, the deadline alone (:class:`DeadlineBackend`)."""
    import httpx

    transport = httpx.HTTPTransport()
    # httpx builds its connection pool without a way to name the network backend: give it one.
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                              network_backend=CheckedBackend() if check else DeadlineBackend())
    return transport
