"""rerun-doctor's parent-death guard for Python processes (standard library only).

Loaded into every Python process of a server by the ``sitecustomize`` beside this package
(``python/sitecustomize/``, put first on ``PYTHONPATH`` by ``rerun-doctor run --python-guard`` or
by the lines ``rerun-doctor python-guard --env`` prints), and only where the environment carries
``RERUN_DOCTOR_GUARD=1``: a process without it is never touched. See docs/prevention.md.

- The **main** process (no guarded ancestor: it was started by a shell, an IDE, ``make``,
  ``rerun-doctor run``) gets a SIGTERM handler if SIGTERM is at its default (killed without
  cleanup), and a SIGINT handler if SIGINT has Python's default handler; a handler the server
  installs later replaces ours. SIGTERM: multiprocessing's children are terminated, SystemExit
  is raised (``finally`` blocks and ``atexit`` run), and the process exits at the latest
  ``grace`` later. SIGINT: KeyboardInterrupt as always; if the interpreter then shuts down, it
  exits at the latest ``grace`` after the shutdown began (multiprocessing's exit handler joins
  non-daemon workers, which can hang).
- Every **child** (spawn and forkserver workers, the forkserver itself, ``subprocess`` children
  that run Python, and fork children through ``os.register_at_fork``) watches the guarded
  processes it descends from: its parent and every guarded ancestor, recorded at start as
  ``pid:start-time`` in ``RERUN_DOCTOR_GUARD_CHAIN`` (so a forkserver's workers follow the main,
  not only the forkserver). When one of them is gone it waits ``grace`` (a shutdown already
  under way can finish) and then exits with ``os._exit(1)``, saying so in one line on stderr.
  Linux: ``pidfd_open`` + ``poll`` (no polling interval); where pidfd_open is missing (kernel
  before 5.3, Python before 3.9, a seccomp filter) ``PR_SET_PDEATHSIG`` as the wake-up and
  ``os.getppid()`` polled; macOS: ``select.kqueue`` with ``KQ_FILTER_PROC`` /
  ``KQ_NOTE_EXIT``; elsewhere, polling.
- multiprocessing's **resource tracker** is not made to exit: it exits by itself once every
  process holding its pipe is gone, and unlinks the shared memory and semaphores they leaked;
  ending it first would leak them into /dev/shm.

``RERUN_DOCTOR_GUARD_GRACE``: the grace, in seconds (``1``, ``0.5``) or with a unit
(``500ms``, ``2s``); default 1 s, at most 60 s.
"""

import os
import select
import sys
import time

ENABLE_VAR = "RERUN_DOCTOR_GUARD"
CHAIN_VAR = "RERUN_DOCTOR_GUARD_CHAIN"
GRACE_VAR = "RERUN_DOCTOR_GUARD_GRACE"
DEFAULT_GRACE = 1.0
MAX_GRACE = 60.0
# Guarded ancestors watched at most (nearest first): a deeper tree still follows its parent.
MAX_CHAIN = 8
# The exit status of a process the guard ends.
EXIT_STATUS = 1
# PR_SET_PDEATHSIG (linux/prctl.h). The signal only wakes the watcher, which then checks: the
# kernel sends it when the parent *thread* exits (a worker started from a short-lived thread),
# not only when the parent process does (prctl(2)).
PR_SET_PDEATHSIG = 1
# Without pidfd_open or kqueue (old kernel, other systems): how often the parent is checked.
POLL_SECONDS = 0.1

# What the guard did in this process, for tests and for a curious user:
# {"role": "main"|"child"|"tracker"|None, "watching": [(pid, start)], "mechanism": ...}.
state = {"role": None, "pid": None, "watching": [], "mechanism": None, "grace": None, "pdeathsig": None}

_wake_w = None
_stop_signal = None


def _note(text):
    try:
        os.write(2, ("rerun-doctor guard: pid %d %s\n" % (os.getpid(), text)).encode())
    except OSError:
        pass


def parse_grace(text):
    """Seconds from '1', '0.5', '500ms', '2s'; None when it is not a duration of 0..60 s."""
    t = (text or "").strip().lower()
    scale = 1.0
    if t.endswith("ms"):
        t, scale = t[:-2], 0.001
    elif t.endswith("s"):
        t = t[:-1]
    try:
        v = float(t) * scale
    except ValueError:
        return None
    if not (0.0 <= v <= MAX_GRACE):
        return None
    return v


def _grace():
    raw = os.environ.get(GRACE_VAR)
    if raw is None or raw == "":
        return DEFAULT_GRACE
    v = parse_grace(raw)
    if v is None:
        _note("ignores %s=%r (expected seconds from 0 to 60, e.g. 1, 500ms, 2s); using %gs" % (GRACE_VAR, raw, DEFAULT_GRACE))
        return DEFAULT_GRACE
    return v


def start_key(pid):
    """Linux: the start time of pid (field 22 of /proc/PID/stat, clock ticks since boot), which
    tells a pid handed out again from the process we recorded; "" elsewhere; None when gone."""
    if not sys.platform.startswith("linux"):
        return ""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            s = f.read()
    except OSError:
        return None
    # comm may hold spaces and ')': the fields start after the last ')'.
    fields = s[s.rindex(b")") + 2:].split()
    if fields[0] == b"Z":
        return None
    return fields[19].decode()


def parse_chain(text):
    out = []
    for part in (text or "").split(","):
        pid, _, start = part.partition(":")
        if pid.isdigit() and int(pid) > 1:
            out.append((int(pid), start))
    return out


def format_chain(chain):
    return ",".join("%d:%s" % (p, s) for p, s in chain[-MAX_CHAIN:])


def _is_tracker():
    # sys.orig_argv (3.10+) holds -c's code; before that, /proc/self/cmdline where there is one.
    argv = getattr(sys, "orig_argv", None)
    if argv is None:
        try:
            with open("/proc/self/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            argv = sys.argv
    return any("multiprocessing.resource_tracker import main" in a or "multiprocessing.semaphore_tracker import main" in a for a in argv)


# --- the watcher (children) ----------------------------------------------------------------------


class _Watch:
    """Waits until one of the watched processes is gone. One backend per platform."""

    def __init__(self, parent, watched, select_mod=None, platform=None, pidfd=True):
        self.select = select_mod or select
        self.pidfd = pidfd and hasattr(os, "pidfd_open")
        self.platform = platform or sys.platform
        self.parent = parent  # os.getppid() at start
        self.watched = watched  # [(pid, start)], nearest first
        self.gone = None  # (pid, why) once one is gone
        self.mechanism = None
        self._kq = None
        self._poll = None
        self._fds = {}
        self._wake = None

    def _dead_now(self, pid, start):
        """Whether (pid, start) is already gone (or the pid is someone else's now)."""
        if start:
            return start_key(pid) != start
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def close(self):
        for fd in list(self._fds) + ([self._kq.fileno()] if self._kq is not None else []):
            try:
                os.close(fd)
            except OSError:
                pass

    def _drain(self):
        try:
            os.read(self._wake, 64)
        except OSError:
            pass

    def setup(self, wake_r):
        sel = self.select
        self._wake = wake_r
        if hasattr(sel, "kqueue") and hasattr(sel, "KQ_FILTER_PROC"):
            self._kq = sel.kqueue()
            events = [sel.kevent(wake_r, filter=sel.KQ_FILTER_READ, flags=sel.KQ_EV_ADD)]
            for pid, _ in self.watched:
                events.append(sel.kevent(pid, filter=sel.KQ_FILTER_PROC, flags=sel.KQ_EV_ADD | sel.KQ_EV_ONESHOT, fflags=sel.KQ_NOTE_EXIT))
            for ev in events:
                try:
                    self._kq.control([ev], 0, 0)
                except ProcessLookupError:
                    # ESRCH: it exited before we could watch it.
                    self.gone = (ev.ident, "had exited before the guard started")
                    return
                except OSError:
                    pass
            self.mechanism = "kqueue"
        elif self.pidfd and hasattr(sel, "poll"):
            self._poll = sel.poll()
            self._poll.register(wake_r, sel.POLLIN)
            for pid, _ in self.watched:
                try:
                    fd = os.pidfd_open(pid)
                except ProcessLookupError:
                    self.gone = (pid, "had exited before the guard started")
                    return
                except OSError:
                    continue  # ENOSYS (old kernel), EPERM (seccomp): polled instead
                self._fds[fd] = pid
                self._poll.register(fd, sel.POLLIN)
            self.mechanism = "pidfd" if self._fds else "poll"
        else:
            self.mechanism = "poll"
        # The pidfds and knotes watch whatever holds the pid now: check it is still ours.
        for pid, start in self.watched:
            if self._dead_now(pid, start):
                self.gone = (pid, "had exited before the guard started")
                return
        if os.getppid() != self.parent:
            self.gone = (self.parent, "exited")

    def wait(self):
        """Blocks until a watched process is gone; returns (pid, why)."""
        timeout = POLL_SECONDS if self.mechanism == "poll" else 1.0
        while self.gone is None:
            if self._kq is not None:
                for ev in self._kq.control(None, 8, timeout):
                    if ev.filter == self.select.KQ_FILTER_PROC:
                        self.gone = (ev.ident, "exited")
                    elif ev.ident == self._wake:
                        self._drain()
            elif self._poll is not None:
                for fd, _ in self._poll.poll(timeout * 1000):
                    if fd in self._fds:
                        self.gone = (self._fds[fd], "exited")
                    elif fd == self._wake:
                        self._drain()
            else:
                time.sleep(timeout)
            if self.gone is None and os.getppid() != self.parent:
                self.gone = (self.parent, "exited")
            if self.gone is None and self.mechanism == "poll":
                for pid, start in self.watched:
                    if self._dead_now(pid, start):
                        self.gone = (pid, "exited")
                        break
        return self.gone


def _arm_pdeathsig(sig):
    """PR_SET_PDEATHSIG through libc's prctl; False where it cannot be set."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0
    except Exception:
        return False


def _watcher(w, wake_r, grace):
    # Runs in its own thread: nothing here may import (an import racing with the interpreter's
    # shutdown, when a short-lived process exits at once, is not safe), so w was built before.
    parent = w.parent
    try:
        w.setup(wake_r)
        state["mechanism"] = w.mechanism
        pid, why = w.wait()
    except Exception as e:  # never let the guard break the program: say so, stop guarding
        _note("stops guarding: %s: %s" % (type(e).__name__, e))
        return
    if grace > 0:
        time.sleep(grace)
    _note("exits: %s %d %s (rerun-doctor python guard, %gs grace)" % ("its parent" if pid == parent else "its guarded ancestor", pid, why, grace))
    os._exit(EXIT_STATUS)


def _pdeath_signal():
    import _signal

    rt = getattr(_signal, "SIGRTMAX", None)
    return rt - 2 if rt else None


def _on_pdeath(signum, frame):
    # Only a wake-up: the watcher checks whether the parent process is really gone.
    try:
        if _wake_w is not None:
            os.write(_wake_w, b"p")
    except OSError:
        pass


def _start_child(chain, grace):
    """Watches the guarded ancestors in chain (nearest last) and the parent, in a daemon thread."""
    global _wake_w
    import _signal
    import _thread

    parent = os.getppid()
    watched = list(reversed(chain[-MAX_CHAIN:]))
    if parent > 1 and all(p != parent for p, _ in watched):
        watched.insert(0, (parent, start_key(parent) or ""))
    for old in _current:
        old.close()
    del _current[:]
    if _wake_w is not None:
        for fd in _wake_pipe:
            try:
                os.close(fd)
            except OSError:
                pass
    r, w = os.pipe()
    _wake_pipe[:] = [r, w]
    _wake_w = w
    # RERUN_DOCTOR_GUARD_NO_PIDFD=1 (for tests): the path of a system without pidfd_open.
    w = _Watch(parent, watched, pidfd=os.environ.get("RERUN_DOCTOR_GUARD_NO_PIDFD") != "1")
    _current[:] = [w]
    if sys.platform.startswith("linux") and not w.pidfd:
        # No pidfd: the kernel's parent-death signal wakes the watcher (and only wakes it).
        sig = _pdeath_signal()
        if sig:
            try:
                _signal.signal(sig, _on_pdeath)
                if _arm_pdeathsig(sig):
                    state["pdeathsig"] = sig
            except (ValueError, OSError):
                pass  # not the main thread
    state.update(role="child", watching=watched, grace=grace)
    _thread.start_new_thread(_watcher, (w, r, grace))


_wake_pipe = []
# The watch of this process, so that a fork child closes its descriptors.
_current = []


# --- the main process ----------------------------------------------------------------------------


def _deadline(status, grace, why):
    time.sleep(grace)
    _note("exits: still running %gs after %s (rerun-doctor python guard)" % (grace, why))
    os._exit(status)


def _arm_deadline(status, why):
    import _thread

    _thread.start_new_thread(_deadline, (status, state["grace"] or 0.0, why))


def _on_term(signum, frame):
    global _stop_signal
    if _stop_signal == "SIGTERM":
        os._exit(128 + signum)
    _stop_signal = "SIGTERM"
    _arm_deadline(128 + signum, "SIGTERM")
    mp = sys.modules.get("multiprocessing")
    if mp is not None:
        try:
            for p in mp.active_children():
                p.terminate()
        except Exception:
            pass
    raise SystemExit(128 + signum)


def _on_int(signum, frame):
    global _stop_signal
    if _stop_signal is None:
        _stop_signal = "SIGINT"
        try:
            import threading

            # Runs when the interpreter starts to shut down, before atexit (where
            # multiprocessing joins non-daemon workers).
            threading._register_atexit(_arm_deadline, 128 + signum, "SIGINT")
        except Exception:
            pass
    raise KeyboardInterrupt


def _start_main(grace):
    import _signal

    installed = []
    if _signal.getsignal(_signal.SIGTERM) == _signal.SIG_DFL:
        _signal.signal(_signal.SIGTERM, _on_term)
        installed.append("SIGTERM")
    if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        _signal.signal(_signal.SIGINT, _on_int)
        installed.append("SIGINT")
    state.update(role="main", watching=[], grace=grace, handlers=installed)


# --- installing ----------------------------------------------------------------------------------


def _self_entry():
    return (os.getpid(), start_key(os.getpid()) or "")


def _after_fork_child():
    """A fork child: sitecustomize does not run again, so the guard starts here."""
    global _stop_signal
    try:
        import _signal

        # The main's handlers are not the child's: it dies on SIGTERM as an unguarded one would.
        if _signal.getsignal(_signal.SIGTERM) is _on_term:
            _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
        if _signal.getsignal(_signal.SIGINT) is _on_int:
            _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        _stop_signal = None
        state["pdeathsig"] = None  # cleared by fork(2)
        chain = parse_chain(os.environ.get(CHAIN_VAR))
        grace = state["grace"] if state["grace"] is not None else _grace()
        os.environ[CHAIN_VAR] = format_chain(chain + [_self_entry()])
        state["pid"] = os.getpid()
        _start_child(chain, grace)
    except Exception as e:
        _note("stops guarding after fork: %s: %s" % (type(e).__name__, e))


def install(environ=None):
    """Starts the guard in this process if its environment asks for it; returns its role or None."""
    env = os.environ if environ is None else environ
    if env.get(ENABLE_VAR) != "1":
        return None
    if state["pid"] == os.getpid():
        return state["role"]
    chain = parse_chain(env.get(CHAIN_VAR))
    if chain and chain[-1][0] == os.getpid():
        chain = chain[:-1]  # this process exec'd itself (a reloader): it is not its own parent
    grace = _grace()
    state["pid"] = os.getpid()
    os.environ[CHAIN_VAR] = format_chain(chain + [_self_entry()])
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_child)
    if not chain:
        _start_main(grace)
    elif _is_tracker():
        # It exits by itself when the last holder of its pipe is gone, after unlinking what they leaked.
        state.update(role="tracker", watching=[], grace=grace)
    else:
        _start_child(chain, grace)
    return state["role"]
