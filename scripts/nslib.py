"""What every private namespace of the tests does before pid 1 belongs to its command: loopback up
and a /dev/shm of its own. Shared by scripts/ns-init.py (the live group's init) and
test/fixtures/bin/sandbox/boot.py (each sandbox scenario's first program). Neither forks: a child
would take pid 2, which a scenario's server may need.
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
