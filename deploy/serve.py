"""Serve a class on every core: N `streamlit run` workers behind one HAProxy port.

    python -m deploy.serve --workers 2 --port 8501      # or: make serve WORKERS=2 PORT=8501

Starts the workers on free loopback ports, writes the list of workers HAProxy reads after
deploy/haproxy.cfg (the config shared with the containers), starts HAProxy on the public
port once every worker answers /_stcore/health, and restarts a worker that dies (HAProxy
sends its students elsewhere meanwhile). Ctrl-C or SIGTERM stops everything it started.

The same pieces run the tests and the load benchmark: `Cluster` is a context manager.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ui import cpus

REPO = Path(__file__).resolve().parent.parent
HAPROXY_CFG = REPO / "deploy" / "haproxy.cfg"
STARTUP_TIMEOUT = 60.0
# A worker that keeps dying is left dead; the class runs on the others.
MAX_RESTARTS = 5
# A dead worker is restarted after this pause, so that a crash loop cannot eat the cores
# its students, now on the other workers, need.
RESTART_DELAY = 3.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether `url` answers Streamlit's health check (directly or through the proxy)."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as resp:
            return resp.read().decode().strip() == "ok"
    except OSError:
        return False


def wait_healthy(url: str, procs: list[subprocess.Popen], timeout: float = STARTUP_TIMEOUT,
                 what: str = "server", log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(url):
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{what} exited with {dead[0].returncode} before it was "
                               f"healthy at {url}; log: {log}\n{log_tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not healthy at {url} after {timeout:.0f} s; "
                               f"log: {log}\n{log_tail(log)}")
        time.sleep(0.2)


def log_tail(path: Path | None, lines: int = 30) -> str:
    """The last lines of a log, for an error message."""
    if path is None:
        return ""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def stop(proc: subprocess.Popen | None) -> None:
    """End a process started in its own session, with its children: TERM, then KILL."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def make_run_cmd(port: int) -> list[str]:
    """`make run`'s command line (the Makefile's run target) on `port`: how a user starts
    the app, every interface, its own threads (ui.cpus)."""
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
            "--server.headless", "true"]


def launch(cmd: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    """`cmd` in the repository, in its own session, its output in `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def start_as_make_run(port: int, log: Path, prefix: list[str] = ()) -> subprocess.Popen:
    """The app as `make run` starts it, on `port`, with this environment untouched;
    `prefix` runs first and then execs it (bench.box's way into a cgroup)."""
    return launch([*prefix, *make_run_cmd(port)], log)


def start_streamlit(port: int, log: Path, host: str = "127.0.0.1",
                    workers: int = 1) -> subprocess.Popen:
    """One `streamlit run app.py` on host:port, its output in `log`, one of `workers`.

    Each of N workers counts 1/N of the CPUs as its own (LAYERSCOPE_CPUS, unless the
    caller set it): its compute processes and their BLAS threads follow from that share
    (ui.cpus), so that N workers together start no more threads than the CPUs."""
    env = os.environ.copy()
    if workers > 1:
        env.setdefault("LAYERSCOPE_CPUS", str(max(1, cpus.usable_cpus() // workers)))
    cmd = [*make_run_cmd(port), "--server.address", host,
           "--browser.gatherUsageStats", "false"]
    return launch(cmd, log, env)


def workers_cfg(ports: list[int]) -> str:
    """The list of workers HAProxy reads after deploy/haproxy.cfg; w1, w2, ... are
    both the servers' names and their stickiness cookies.

    >>> print(workers_cfg([9001, 9002]))
    backend workers
        server w1 127.0.0.1:9001 cookie w1 check
        server w2 127.0.0.1:9002 cookie w2 check
    <BLANKLINE>
    """
    lines = ["backend workers"]
    lines += [f"    server w{i} 127.0.0.1:{p} cookie w{i} check" for i, p in enumerate(ports, 1)]
    return "\n".join(lines) + "\n"


def haproxy_bin() -> str:
    path = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy",
                                                                       os.X_OK) else None)
    if path is None:
        raise RuntimeError("haproxy is not installed: `make serve` installs it "
                           "(apt-get install haproxy)")
    return path


def check_config(workers_file: Path, env: dict | None = None) -> None:
    """`haproxy -c` on the shared config and a workers file; raises with its message."""
    res = subprocess.run([haproxy_bin(), "-c", "-q", "-f", str(HAPROXY_CFG),
                          "-f", str(workers_file)], capture_output=True, text=True,
                         env=env, timeout=30)
    if res.returncode != 0:
        raise RuntimeError(f"haproxy rejects the config:\n{res.stdout}{res.stderr}")


@dataclass
class Worker:
    name: str
    port: int
    log: Path
    proc: subprocess.Popen | None = None
    restarts: int = 0
    died_at: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    workers: int = 1                 # in the cluster: the cores' share it gets

    def start(self) -> None:
        self.proc = start_streamlit(self.port, self.log, workers=self.workers)


@dataclass
class Cluster:
    """N workers and HAProxy in front of them; `with Cluster(2) as c: c.url ...`."""
    n_workers: int
    port: int = 0                              # 0: a free loopback port (tests, benchmark)
    host: str = "127.0.0.1"
    log_dir: Path | None = None
    supervise: bool = True
    workers: list[Worker] = field(default_factory=list)
    proxy: subprocess.Popen | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _supervisor: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        if self.n_workers < 1:
            raise ValueError("at least one worker")
        self.log_dir = Path(self.log_dir or tempfile.mkdtemp(prefix="layerscope-serve-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.workers = [Worker(f"w{i}", free_port(), self.log_dir / f"worker-w{i}.log",
                               workers=self.n_workers)
                        for i in range(1, self.n_workers + 1)]
        for w in self.workers:               # all start at once: they load in parallel
            w.start()
        for w in self.workers:
            wait_healthy(w.url, [w.proc], what=f"worker {w.name}", log=w.log)
        cfg = self.log_dir / "haproxy-workers.cfg"
        cfg.write_text(workers_cfg([w.port for w in self.workers]))
        env = os.environ | {"LAYERSCOPE_BIND": f"{self.host}:{self.port}"}
        check_config(cfg, env)
        proxy_log = self.log_dir / "haproxy.log"
        with open(proxy_log, "ab") as out:
            self.proxy = subprocess.Popen(
                [haproxy_bin(), "-db", "-f", str(HAPROXY_CFG), "-f", str(cfg)], env=env,
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        wait_healthy(self.url, [self.proxy], what="haproxy", log=proxy_log)
        if self.supervise:
            self._supervisor = threading.Thread(target=self._supervise, daemon=True,
                                                name="serve-supervisor")
            self._supervisor.start()

    def _supervise(self) -> None:
        """Restart a worker that died, on its own port: HAProxy's health check takes it
        back once it answers. Its students have meanwhile reconnected to the others."""
        while not self._stopping.wait(0.5):
            for w in self.workers:
                if w.proc is None or w.proc.poll() is None or w.restarts >= MAX_RESTARTS:
                    continue
                if w.died_at is None:
                    w.died_at = time.monotonic()
                    print(f"worker {w.name} (port {w.port}) exited with {w.proc.returncode}; "
                          f"restarting it in {RESTART_DELAY:g} s", file=sys.stderr, flush=True)
                elif time.monotonic() - w.died_at >= RESTART_DELAY:
                    w.restarts += 1
                    w.died_at = None
                    w.start()

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers if w.proc is not None and w.proc.poll() is None]

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:       # no restart after this point
            self._supervisor.join()
        stop(self.proxy)
        for w in self.workers:
            stop(w.proc)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=cpus.usable_cpus(),
                    help="streamlit processes (default: one per usable CPU: ui.cpus)")
    ap.add_argument("--port", type=int, default=8501, help="the one public port")
    ap.add_argument("--host", default="",
                    help="address to serve on (default: every interface, as `make run`)")
    ap.add_argument("--log-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    cluster = Cluster(args.workers, args.port, args.host, args.log_dir)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(cluster)
        except RuntimeError as exc:
            sys.exit(f"serve: {exc}")
        print(f"Layerscope: {args.workers} worker(s) behind http://"
              f"{args.host or 'localhost'}:{cluster.port} (logs in {cluster.log_dir}); "
              f"Ctrl-C stops all.", flush=True)
        while not done.wait(1.0):
            if cluster.proxy.poll() is not None:
                sys.exit(f"serve: haproxy exited with {cluster.proxy.returncode}; "
                         f"log: {cluster.log_dir / 'haproxy.log'}")
        print("stopping...", flush=True)


if __name__ == "__main__":
    main()
