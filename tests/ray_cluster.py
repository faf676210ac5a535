"""A Ray cluster of several nodes on 127.0.0.1, for the tests and bench/cluster.py.

Each node is a ``ray start --block`` process (one CPU, no dashboard), stopped when the
block ends. With RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray keeps its processes on
127.0.0.1 instead of the machine's network address, but then refuses a second node
("multi-node clusters are not supported on Windows and OSX"): the second and later nodes
start through this file run as a script, which lifts that one refusal and keeps the
loopback address as given. Every Ray process of the cluster listens on loopback only.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOOPBACK_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # read by Ray when first imported: set before that
    "RAY_USAGE_STATS_ENABLED": "0",
    # the cluster's own token, whatever ~/.ray/auth_token holds (a local `ray.init()` writes one,
    # and a head that finds it turns token auth on for clients that never read it)
    "RAY_AUTH_MODE": "token",
    "RAY_AUTH_TOKEN": secrets.token_hex(32),
    "PYTHONPATH": str(Path(__file__).resolve().parent.parent),  # workers unpickle tests.fakes
}
RAY = str(Path(sys.executable).with_name("ray"))


@contextmanager
def loopback_cluster(folder: Path, port: int, nodes: int = 2, cpus: int = 1) -> Iterator[str]:
    """The head's address (127.0.0.1:PORT) of ``nodes`` nodes of ``cpus`` CPUs each."""
    env = {**os.environ, **LOOPBACK_ENV}
    address = f"127.0.0.1:{port}"
    common = ["--block", "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}", "--disable-usage-stats"]
    started: list[subprocess.Popen] = []

    def start(command: list[str], log: str) -> None:
        with open(folder / log, "w") as out:
            started.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=out,
                                            start_new_session=True))

    try:
        start([RAY, "start", "--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={folder}",
               *common], "head.log")
        _wait_for(address, started, cpus)
        for n in range(1, nodes):
            start([sys.executable, __file__, f"--address={address}", *common], f"node-{n}.log")
            _wait_for(address, started, cpus * (n + 1))
        yield address
    finally:
        for node in reversed(started):  # ray start --block stops its node's processes on SIGTERM
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGTERM)
            node.wait(timeout=60)


def _wait_for(address: str, nodes: list[subprocess.Popen], cpus: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = subprocess.run([RAY, "status", f"--address={address}"], capture_output=True, text=True,
                                env={**os.environ, **LOOPBACK_ENV})
        if f"/{cpus}.0 CPU" in status.stdout:
            return
        if any(node.poll() is not None for node in nodes):
            raise RuntimeError(f"a Ray node exited: {status.stdout} {status.stderr}")
        time.sleep(1)
    raise RuntimeError(f"the Ray cluster at {address} did not reach {cpus} CPUs in 120 s")


if __name__ == "__main__":  # `ray start ARGS` for a node kept on loopback
    import ray._private.ray_constants as constants
    import ray._private.services as services
    from ray.scripts.scripts import main

    constants.ENABLE_RAY_CLUSTER = True
    services.resolve_ip_for_localhost = lambda host: host
    sys.argv = ["ray", "start", *sys.argv[1:]]
    sys.exit(main())
