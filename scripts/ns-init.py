#!/usr/bin/python3
"""pid 1 of the private PID + network namespace the live tests run in (scripts/run-tests.mjs
starts `unshare --pid --fork --mount-proc --net --kill-child /usr/bin/python3 ns-init.py CMD…`).

Everything the tests start, kill or clean lives in this namespace, so no test can end a process
of the machine it runs on; when CMD exits, this init exits and the kernel ends whatever is left
(pid_namespaces(7)). Like a real init it leads its own session, brings loopback up (the tests
talk to 127.0.0.1 and ::1 only), reaps every orphan re-parented to it, and passes SIGINT/SIGTERM
on to CMD. Exit status: CMD's.
"""

import fcntl
import os
import signal
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


def main():
    cmd = sys.argv[1:]
    if not cmd or os.getpid() != 1:
        sys.stderr.write("ns-init.py: must be pid 1 of a new PID namespace, with a command to run\n")
        return 2
    os.setsid()
    loopback_up()
    child = os.fork()
    if child == 0:
        # The tests' own session, as a terminal's would be: not init's.
        os.setsid()
        os.execvp(cmd[0], cmd)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: os.kill(child, s))
    code = 1
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code
            break
    return code


if __name__ == "__main__":
    sys.exit(main())
