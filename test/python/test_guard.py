"""Unit tests of python/rerun_doctor_guard (issue 15), run by test/python-guard/unittest.test.ts
with `python3 -m unittest`. The macOS path (select.kqueue, KQ_FILTER_PROC / KQ_NOTE_EXIT) runs
here against a fake select module that behaves as kqueue(2) documents it: EV_ADD of a pid that
no longer exists fails with ESRCH; a NOTE_EXIT event arrives once when the process exits. It is
not a Mac: what the fake cannot show is in docs/prevention.md, Limits."""

import importlib.util
import os
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUARD = os.path.join(ROOT, "python", "rerun_doctor_guard", "__init__.py")
SITE = os.path.join(ROOT, "python", "sitecustomize")


def load_guard():
    spec = importlib.util.spec_from_file_location("rerun_doctor_guard_under_test", GUARD)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


g = load_guard()


class KEvent:
    def __init__(self, ident, filter=0, flags=0, fflags=0):
        self.ident, self.filter, self.flags, self.fflags = ident, filter, flags, fflags


class FakeKqueue:
    def __init__(self, sel):
        self.sel = sel
        self.registered = []

    def fileno(self):
        return -1

    def control(self, changes, max_events, timeout=None):
        for ev in changes or []:
            if ev.filter == self.sel.KQ_FILTER_PROC and ev.ident in self.sel.vanished:
                raise ProcessLookupError(3, "No such process")
            self.registered.append(ev)
        if changes:
            return []
        self.sel.polls += 1
        if self.sel.script:
            return self.sel.script.pop(0)
        return []


class FakeSelect:
    """What select exposes on macOS, as far as the guard uses it."""

    KQ_FILTER_READ = -1
    KQ_FILTER_PROC = -5
    KQ_EV_ADD = 0x1
    KQ_EV_ONESHOT = 0x10
    KQ_NOTE_EXIT = 0x80000000

    def __init__(self, script=(), vanished=()):
        self.script = list(script)
        self.vanished = set(vanished)
        self.polls = 0
        self.queues = []
        self.kevent = KEvent

    def kqueue(self):
        q = FakeKqueue(self)
        self.queues.append(q)
        return q


class KqueuePath(unittest.TestCase):
    def setUp(self):
        self.r, self.w = os.pipe()

    def tearDown(self):
        os.close(self.r)
        os.close(self.w)

    def watch(self, sel, watched):
        w = g._Watch(os.getppid(), watched, select_mod=sel, platform="darwin")
        w.setup(self.r)
        return w

    def test_registers_note_exit_for_every_watched_pid_and_the_wake_pipe(self):
        sel = FakeSelect()
        me = os.getpid()
        w = self.watch(sel, [(os.getppid(), ""), (me, "")])
        self.assertEqual(w.mechanism, "kqueue")
        self.assertIsNone(w.gone)
        regs = sel.queues[0].registered
        self.assertEqual([(e.ident, e.filter) for e in regs], [(self.r, sel.KQ_FILTER_READ), (os.getppid(), sel.KQ_FILTER_PROC), (me, sel.KQ_FILTER_PROC)])
        for e in regs[1:]:
            self.assertEqual(e.fflags, sel.KQ_NOTE_EXIT)
            self.assertEqual(e.flags, sel.KQ_EV_ADD | sel.KQ_EV_ONESHOT)

    def test_note_exit_of_a_watched_process_ends_the_wait(self):
        pid = os.getpid()  # alive, so the checks after registering pass; the fake says it exited
        sel = FakeSelect(script=[[], [KEvent(pid, FakeSelect.KQ_FILTER_PROC, fflags=FakeSelect.KQ_NOTE_EXIT)]])
        w = self.watch(sel, [(pid, "")])
        self.assertEqual(w.wait(), (pid, "exited"))
        self.assertEqual(sel.polls, 2)

    def test_a_wake_up_alone_is_drained_and_the_wait_goes_on(self):
        # PR_SET_PDEATHSIG's signal (or a parent *thread* dying) only wakes the watcher up.
        pid = os.getpid()
        os.write(self.w, b"p")
        sel = FakeSelect(script=[[KEvent(self.r, FakeSelect.KQ_FILTER_READ)], [KEvent(pid, FakeSelect.KQ_FILTER_PROC)]])
        w = self.watch(sel, [(pid, "")])
        self.assertEqual(w.wait(), (pid, "exited"))
        os.set_blocking(self.r, False)
        with self.assertRaises(BlockingIOError):
            os.read(self.r, 1)  # the wake byte was read

    def test_a_pid_already_gone_when_registered_is_gone_at_once(self):
        sel = FakeSelect(vanished={4242})
        w = self.watch(sel, [(4242, "")])
        self.assertEqual(w.gone, (4242, "had exited before the guard started"))
        self.assertEqual(w.wait(), (4242, "had exited before the guard started"))
        self.assertEqual(sel.polls, 0)

    def test_a_parent_change_ends_the_wait_without_an_event(self):
        # Re-parented (to launchd) between two waits: os.getppid() differs from the recorded parent.
        sel = FakeSelect(script=[[]])
        w = g._Watch(os.getppid() + 100000, [(os.getpid(), "")], select_mod=sel, platform="darwin")
        w.setup(self.r)
        self.assertEqual(w.wait()[0], os.getppid() + 100000)


class Parsing(unittest.TestCase):
    def test_grace(self):
        self.assertEqual(g.parse_grace("1"), 1.0)
        self.assertEqual(g.parse_grace("500ms"), 0.5)
        self.assertEqual(g.parse_grace("2s"), 2.0)
        self.assertEqual(g.parse_grace("0"), 0.0)
        for bad in ("", "x", "-1", "61", "1h"):
            self.assertIsNone(g.parse_grace(bad), bad)

    def test_chain(self):
        self.assertEqual(g.parse_chain("12:345,13:,x:1,1:2"), [(12, "345"), (13, "")])
        chain = [(i + 2, str(i)) for i in range(20)]
        self.assertEqual(g.parse_chain(g.format_chain(chain)), chain[-g.MAX_CHAIN:])

    def test_start_key_is_stat_field_22(self):
        if not sys.platform.startswith("linux"):
            self.skipTest("Linux")
        with open("/proc/self/stat") as f:
            stat = f.read()
        self.assertEqual(g.start_key(os.getpid()), stat[stat.rindex(")") + 2:].split()[19])
        self.assertIsNone(g.start_key(2 ** 22 + 7))


def python(code, env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("RERUN_DOCTOR_") and k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, timeout=60)


PROBE = "import json, signal, sys, threading; print(json.dumps({'guard': 'rerun_doctor_guard' in sys.modules, 'site': getattr(sys.modules.get('sitecustomize'), '__file__', None), 'term': signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, 'threads': threading.active_count(), 'chain': __import__('os').environ.get('RERUN_DOCTOR_GUARD_CHAIN')}))"


class Sitecustomize(unittest.TestCase):
    def test_without_the_marker_nothing_is_loaded_and_the_hidden_sitecustomize_still_runs(self):
        import json
        import tempfile

        with tempfile.TemporaryDirectory() as user:
            with open(os.path.join(user, "sitecustomize.py"), "w") as f:
                f.write("import os\nos.environ['USER_SITE_RAN'] = '1'\n")
            for marker in ({}, {"RERUN_DOCTOR_GUARD": "0"}, {"RERUN_DOCTOR_GUARD": ""}):
                r = python(PROBE + "; import os; print(os.environ.get('USER_SITE_RAN'))", {"PYTHONPATH": SITE + os.pathsep + user, **marker})
                self.assertEqual(r.stderr, "")
                out, ran = r.stdout.splitlines()
                d = json.loads(out)
                self.assertEqual(d, {"guard": False, "site": os.path.join(user, "sitecustomize.py"), "term": True, "threads": 1, "chain": None}, marker)
                self.assertEqual(ran, "1", "the user's sitecustomize ran")
            # With the marker: the guard too, and still the user's sitecustomize.
            r = python(PROBE + "; import os; print(os.environ.get('USER_SITE_RAN'))", {"PYTHONPATH": SITE + os.pathsep + user, "RERUN_DOCTOR_GUARD": "1"})
            out, ran = r.stdout.splitlines()
            d = json.loads(out)
            self.assertEqual((d["guard"], d["site"], d["term"], ran), (True, os.path.join(user, "sitecustomize.py"), False, "1"))
            self.assertRegex(d["chain"], r"^\d+:\d+$", "the main records itself (pid:start) for its children")

    def test_the_interpreters_own_sitecustomize_is_found_after_ours(self):
        # Without ours on the path, which one does Python load (Debian's, a venv's, or none)?
        plain = python("import sys; print(getattr(sys.modules.get('sitecustomize'), '__file__', None))", {}).stdout.strip()
        ours = python("import sys; print(getattr(sys.modules.get('sitecustomize'), '__file__', None))", {"PYTHONPATH": SITE, "RERUN_DOCTOR_GUARD": "1"}).stdout.strip()
        if plain == "None":
            self.assertEqual(ours, os.path.join(SITE, "sitecustomize.py"))
        else:
            self.assertEqual(ours, plain)

    def test_a_child_records_its_parent_and_a_broken_grace_is_said_once(self):
        import json

        code = "import json, os, subprocess, sys; print(subprocess.run([sys.executable, '-c', \"import json, os, rerun_doctor_guard as g; print(json.dumps([g.state['role'], g.state['watching'], g.state['grace'], os.getppid()]))\"], capture_output=True, text=True).stdout, end='')"
        r = python(code, {"PYTHONPATH": SITE, "RERUN_DOCTOR_GUARD": "1", "RERUN_DOCTOR_GUARD_GRACE": "soon"})
        role, watching, grace, ppid = json.loads(r.stdout)
        self.assertEqual(role, "child")
        self.assertEqual(watching[0][0], ppid)
        self.assertEqual(grace, g.DEFAULT_GRACE)
        self.assertIn("ignores RERUN_DOCTOR_GUARD_GRACE='soon'", r.stderr)

    def test_a_child_uses_pidfd_where_it_can_and_pr_set_pdeathsig_where_it_cannot(self):
        import json
        import signal

        inner = "import json, os, time, rerun_doctor_guard as g; time.sleep(0.2); print(json.dumps([g.state['mechanism'], g.state['pdeathsig']]))"
        code = "import subprocess, sys; print(subprocess.run([sys.executable, '-c', %r], capture_output=True, text=True).stdout, end='')" % inner
        if not sys.platform.startswith("linux"):
            self.skipTest("Linux")
        with_pidfd = json.loads(python(code, {"PYTHONPATH": SITE, "RERUN_DOCTOR_GUARD": "1"}).stdout)
        without = json.loads(python(code, {"PYTHONPATH": SITE, "RERUN_DOCTOR_GUARD": "1", "RERUN_DOCTOR_GUARD_NO_PIDFD": "1"}).stdout)
        self.assertEqual(with_pidfd, ["pidfd" if hasattr(os, "pidfd_open") else "poll", None if hasattr(os, "pidfd_open") else signal.SIGRTMAX - 2])
        self.assertEqual(without, ["poll", signal.SIGRTMAX - 2])


if __name__ == "__main__":
    unittest.main()
