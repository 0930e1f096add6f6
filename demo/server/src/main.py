"""A small stand-in for our users' inference server (standard library only).

`python -m src.main` starts one main process and N model-instance workers, the way a gRPC
inference server with multiprocessing workers does: the main serves Prometheus-style metrics
over HTTP, and each worker binds the gRPC port with SO_REUSEPORT (the pattern of grpc's
multiprocessing example). The rerun-doctor demo and the live tests run it.

Options:
  --workers N              model-instance workers (default 2)
  --start-method M         spawn | forkserver | fork (default spawn)
  --port P                 a port the MAIN process listens on (repeatable)
  --metrics-port P         the main serves GET /metrics on this port
  --worker-port P          every worker binds P with SO_REUSEPORT (repeatable)
  --reuseport              the main binds its --port sockets with SO_REUSEPORT
  --host H                 address to bind (default 127.0.0.1; "::" for dual-stack)
  --inherit                bind --port before starting workers (fork start method): the
                           workers inherit the listening socket
  --handle-sigterm         shut down cleanly on SIGTERM (by default SIGTERM kills the main
                           without cleanup, as with a server that installs no handler)
  --ignore-sigterm         workers ignore SIGTERM (as a worker stuck in native code does)

When ready it prints one JSON line: {"ready": true, "main": pid, "workers": [...],
"tracker": pid|null, "forkserver": pid|null, "ports": {...}}.
SIGINT (Ctrl-C) shuts down cleanly: workers are terminated and joined.
"""

import argparse
import json
import multiprocessing as mp
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def bind(host, port, reuseport):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((host, port))
    s.listen(16)
    return s


def worker(index, host, worker_ports, inherited, ignore_sigterm=False):
    # A model instance: holds its share of the gRPC port and waits for work.
    if ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    held = [bind(host, p, True) for p in worker_ports]
    held.extend(inherited or [])
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for s in held:
            s.close()


class Metrics(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (
            "# HELP requests_total Requests served.\n"
            "# TYPE requests_total counter\n"
            "requests_total 0\n"
        ).encode()
        self.send_response(200 if self.path.startswith("/metrics") else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser(prog="python -m src.main")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--start-method", default="spawn", choices=["spawn", "forkserver", "fork"])
    ap.add_argument("--port", type=int, action="append", default=[])
    ap.add_argument("--metrics-port", type=int)
    ap.add_argument("--worker-port", type=int, action="append", default=[])
    ap.add_argument("--reuseport", action="store_true")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--inherit", action="store_true")
    ap.add_argument("--handle-sigterm", action="store_true")
    ap.add_argument("--ignore-sigterm", action="store_true")
    args = ap.parse_args()

    ctx = mp.get_context(args.start_method)
    # Set by the SIGTERM handler. A plain list, not a threading.Event: Event.set() in a handler can
    # deadlock when the signal lands while wait() holds the Event's lock.
    stopping = []

    if args.handle_sigterm:
        signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))

    main_sockets = []
    if args.inherit:
        main_sockets = [bind(args.host, p, args.reuseport) for p in args.port]

    procs = []
    for i in range(args.workers):
        p = ctx.Process(
            target=worker,
            args=(i, args.host, args.worker_port, main_sockets if args.inherit else None, args.ignore_sigterm),
            name=f"model-instance-{i}",
        )
        p.start()
        procs.append(p)

    if not args.inherit:
        main_sockets = [bind(args.host, p, args.reuseport) for p in args.port]

    httpd = None
    if args.metrics_port is not None:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        ThreadingHTTPServer.address_family = family
        httpd = ThreadingHTTPServer((args.host, args.metrics_port), Metrics)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()

    tracker = None
    try:
        from multiprocessing import resource_tracker

        tracker = resource_tracker._resource_tracker._pid
    except Exception:
        pass
    forkserver = None
    if args.start_method == "forkserver":
        try:
            from multiprocessing import forkserver as fs

            forkserver = fs._forkserver._forkserver_pid
        except Exception:
            pass

    ports = {"main": args.port, "worker": args.worker_port, "metrics": args.metrics_port}
    print(json.dumps({"ready": True, "main": os.getpid(), "workers": [p.pid for p in procs],
                      "tracker": tracker, "forkserver": forkserver, "ports": ports}), flush=True)

    try:
        while not stopping:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    # Clean shutdown: what the fix recipes teach (terminate, join with a timeout, then kill).
    if httpd is not None:
        httpd.shutdown()
    for s in main_sockets:
        s.close()
    for p in procs:
        p.terminate()
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
