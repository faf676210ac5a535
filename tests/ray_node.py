"""``ray start ARGS`` for a second node of a cluster kept on 127.0.0.1 (used by test_cluster).

With RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray keeps its processes on 127.0.0.1 instead of
the machine's network address, but then refuses to start a second node ("multi-node
clusters are not supported on Windows and OSX"). This lifts that one refusal and keeps a
given loopback address as it is, so that both nodes of the tests' cluster stay on loopback.
"""

import sys

import ray._private.ray_constants as constants
import ray._private.services as services
from ray.scripts.scripts import main

if __name__ == "__main__":
    constants.ENABLE_RAY_CLUSTER = True
    services.resolve_ip_for_localhost = lambda host: host
    sys.argv = ["ray", "start", *sys.argv[1:]]
    sys.exit(main())
