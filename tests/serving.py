"""Run the real ``qa`` console script as users do: ingest, then serve on a free port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

QA = str(Path(sys.executable).with_name("qa"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(env: dict, log: Path, *args: str) -> Iterator[str]:
    """``qa serve ARGS --port P`` running until the block ends; yields its loopback url."""
    port = free_port()
    with open(log, "w") as out:
        process = subprocess.Popen([QA, "serve", *args, "--port", str(port)], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers (a login page, say)
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"qa serve exited: {log.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail("qa serve did not answer within 90 s")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
