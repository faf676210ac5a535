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


class PrivateAddress(Exception):
    """A host resolved to an address the web app may not reach."""

    def __init__(self, host: str, address: str, kind: str):
        super().__init__(f"{host} is {kind} address ({address})")
        self.host, self.address, self.kind = host, address, kind


def address_kind(address: str) -> str | None:
    """None for a public unicast address, else what it is ("a loopback", "a private", ...)."""
    ip = ipaddress.ip_address(address.split("%")[0])
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


class CheckedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to the public addresses it checked."""

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


def checked_transport():
    """An httpx transport whose connections pass through :class:`CheckedBackend`."""
    import httpx

    transport = httpx.HTTPTransport()
    # httpx builds its connection pool without a way to name the network backend: give it one.
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                              network_backend=CheckedBackend())
    return transport
