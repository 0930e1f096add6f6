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

import ctypes
import fcntl
import os
import socket
import struct
import sys

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def loopback_up():
    # The ioctl `ip link set lo up` makes (netdevice(7)); the kernel gives lo 127.0.0.1 and ::1.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifreq = struct.pack("16sh14x", b"lo", 0)
        flags = struct.unpack("16sh14x", fcntl.ioctl(s, SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh14x", b"lo", flags | IFF_UP))
    finally:
        s.close()


def private_shm():
    # A tmpfs of its own over /dev/shm, in the namespace's own mount namespace (unshare --mount-proc
    # made one; --ipc an IPC namespace): the multiprocessing semaphores and segments of the runs the
    # tests SIGKILL (which nothing can unlink) go with the namespace, never into the machine's
    # /dev/shm. Only when the caller named the machine's mount namespace and this one differs.
    host = os.environ.get("RD_HOST_MNT_NS")
    if not host:
        return
    if os.readlink("/proc/self/ns/mnt") == host:
        raise SystemExit("%s: in the machine's mount namespace: not mounting over /dev/shm" % sys.argv[0])
    # mount(2) itself, not /bin/mount: a child would take pid 2, which a scenario's server may need.
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"rd-test-shm", b"/dev/shm", b"tmpfs", 0, b"size=512m,mode=1777") != 0:
        raise SystemExit("%s: cannot mount a tmpfs over /dev/shm: %s" % (sys.argv[0], os.strerror(ctypes.get_errno())))


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
