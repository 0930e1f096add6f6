#!/usr/bin/python3
"""pid 1 of the private PID + network namespace the live tests run in (scripts/run-tests.mjs
starts `unshare --pid --fork --mount-proc --net --kill-child /usr/bin/python3 ns-init.py CMD…`).

Everything the tests start, kill or clean lives in this namespace, so no test can end a process
of the machine it runs on; when CMD exits, this init exits and the kernel ends whatever is left
(pid_namespaces(7)). Like a real init it leads its own session, brings loopback up (the tests
talk to 127.0.0.1 and ::1 only), reaps every orphan re-parented to it, and passes SIGINT/SIGTERM
on to CMD. Exit status: CMD's.

After the setup it execs bash (ns-init.sh), so that pid 1 is not a Python process, as on a real
machine (systemd) or in the sandbox (test/fixtures/bin/sandbox/init.sh): an orphan re-parented to
a Python init would look as if Python had started it.
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nslib import loopback_up, private_shm  # noqa: E402


def main():
    cmd = sys.argv[1:]
    if not cmd or os.getpid() != 1:
        sys.stderr.write("ns-init.py: must be pid 1 of a new PID namespace, with a command to run\n")
        return 2
    os.setsid()
    loopback_up()
    private_shm()
    here = os.path.dirname(os.path.abspath(__file__))
    os.execv("/bin/bash", ["ns-init", os.path.join(here, "ns-init.sh"), *cmd])


if __name__ == "__main__":
    sys.exit(main())
