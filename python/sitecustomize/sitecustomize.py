# rerun-doctor's sitecustomize (docs/prevention.md): on PYTHONPATH only where rerun-doctor was
# asked to guard a server (`rerun-doctor run --python-guard`, `rerun-doctor python-guard --env`).
# It starts the parent-death guard (../rerun_doctor_guard) only in a process whose environment
# carries RERUN_DOCTOR_GUARD=1, then runs the sitecustomize it hides (the next one on sys.path:
# a virtualenv's, the user's, Debian's apport hook), so that one still runs. Nothing here may
# break the interpreter: every failure is one line on stderr.
import os
import sys


# The import system's own modules, loaded before site runs: importing importlib.util instead would
# cost every process about a millisecond (bench/python-guard.bench.mjs).
_bootstrap = sys.modules["_frozen_importlib"]
_external = sys.modules["_frozen_importlib_external"]


def _guard():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(os.path.dirname(here), "rerun_doctor_guard", "__init__.py")
    spec = _external.spec_from_file_location("rerun_doctor_guard", path)
    mod = _bootstrap.module_from_spec(spec)
    sys.modules["rerun_doctor_guard"] = mod
    spec.loader.exec_module(mod)
    mod.install()


def _chain():
    """Runs the next sitecustomize on sys.path after this one's directory, as Python would have."""
    here = os.path.dirname(os.path.abspath(__file__))
    later = []
    seen = False
    for entry in sys.path:
        if seen:
            later.append(entry)
        elif os.path.abspath(entry or os.curdir) == here:
            seen = True
    if not later:
        return
    spec = _external.PathFinder.find_spec("sitecustomize", later)
    if spec is None or spec.loader is None:
        return
    mod = _bootstrap.module_from_spec(spec)
    # `import sitecustomize` elsewhere finds the one it hid, as without rerun-doctor.
    sys.modules["sitecustomize"] = mod
    spec.loader.exec_module(mod)


if os.environ.get("RERUN_DOCTOR_GUARD") == "1":
    try:
        _guard()
    except Exception as _e:
        sys.stderr.write("rerun-doctor guard: not started: %s: %s\n" % (type(_e).__name__, _e))

try:
    _chain()
except Exception as _e:
    # What site.py does when a sitecustomize fails: say it, go on.
    sys.stderr.write("Error in sitecustomize; set PYTHONVERBOSE for traceback:\n%s: %s\n" % (type(_e).__name__, _e))
