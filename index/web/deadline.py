"""One wall-clock deadline over a whole HTTP exchange: connect, TLS, status line, headers, body.

httpx's timeouts are per operation: a server that sends one byte of its status line every 10 s
never trips a 15 s read timeout, and httpcore accepts 100 KiB of headers (days at that rate).
Here every socket operation of a connection waits at most what is left of the deadline the
calling thread set with :func:`within` (and never longer than its own timeout); once it has
passed, the next operation raises httpcore's timeout, which the fetcher reports as "took longer
than N s in all". Connections taken from the pool are covered too: the deadline is read at each
operation, not when the connection was made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore

_local = threading.local()


@contextmanager
def within(deadline: float) -> Iterator[None]:
    """Socket operations of this thread must end by ``deadline`` (``time.monotonic()``)."""
    before = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = before


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the deadline for the whole exchange has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> DeadlineStream:
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                    _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.SyncBackend):
    """httpcore's network backend, its connections bounded by the thread's deadline."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return DeadlineStream(super().connect_tcp(host, port, _left(timeout, httpcore.ConnectTimeout),
                                                  local_address, socket_options))
