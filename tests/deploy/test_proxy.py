"""Replicas behind HAProxy: real workers and a real proxy on loopback.

Sticky sessions with their downloads, a worker killed mid-class, hostile input through
the proxy, and the files for containers checked as far as this machine can (no Docker
here: the proxy config is validated by haproxy itself, the rest parsed).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from websockets.exceptions import ConnectionClosed

from bench import load
from bench.load import MemorySampler, Session, View
from deploy.serve import HAPROXY_CFG, check_config, free_port, haproxy_bin, healthy, workers_cfg

from .conftest import running_cluster
from . import loop

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def view(i: int) -> View:
    pages = [p.url_path for p in load.PAGES]
    return View(pages[i % len(pages)], (("depth", str(4 + i)), ("weight_var", "0.1"),
                                        ("activation", ("relu", "tanh", "gelu")[i % 3])))


# -- the files ---------------------------------------------------------------------------

def test_proxy_config_accepted_by_haproxy(tmp_path):
    local = tmp_path / "workers.cfg"
    local.write_text(workers_cfg([free_port(), free_port()]))
    check_config(local)                                # make serve's pair
    check_config(DEPLOY / "compose-workers.cfg")       # the containers' pair
    bad = tmp_path / "bad.cfg"                         # and the check does reject
    bad.write_text("backend workers\n    server w1 127.0.0.1:notaport check\n")
    with pytest.raises(RuntimeError, match="haproxy rejects"):
        check_config(bad)


def test_container_files():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    app, proxy = compose["services"]["app"], compose["services"]["proxy"]
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).is_file()
    mounts = dict(v.rsplit(":", 1)[0].split(":") for v in proxy["volumes"])
    assert {(DEPLOY / src).resolve() for src in mounts} == {
        HAPROXY_CFG.resolve(), (DEPLOY / "compose-workers.cfg").resolve()}
    assert [a for a in proxy["command"] if a.startswith("/")] == list(mounts.values())
    # The containers run the proxy version whose config check passed here.
    local = re.search(r"version (\d+\.\d+)", subprocess.run(
        [haproxy_bin(), "-v"], capture_output=True, text=True).stdout).group(1)
    assert proxy["image"].split(":")[1].startswith(local)

    docker = (REPO / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", docker, re.M).group(1)
    assert base.startswith("python:3.11") and "slim" in base
    user = re.findall(r"^USER (\S+)", docker, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n.*/_stcore/health", docker, re.M)
    assert "pip install -r requirements.txt" in docker
    for line in (REPO / "requirements.txt").read_text().splitlines():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+(\[[a-z,]+\])?==[\w.]+", line.strip()), line
    # Everything the app loads at run time is copied in: the top-level folders of every
    # module a page imports, the lesson files, the config.
    copied = set(re.findall(r"^COPY \S* ?(\S+) \./", docker, re.M))
    assert {"app.py", ".streamlit", *runtime_folders()} <= copied, copied
    # The class database's default folder (classroom.db.DATA_DIR) is the app user's.
    assert re.search(r"^RUN mkdir -p /app/data && chown layerscope\S* /app/data", docker, re.M)


def runtime_folders() -> set[str]:
    """The repository's top-level folders that a server loads from: the packages of
    every module the shell and its pages import (in a fresh interpreter), and the one
    the lessons are read from."""
    code = ("import sys, ui.shell, lessons; "
            "print(lessons.FOLDER / 'any.toml'); "
            "print(*[getattr(m, '__file__', None) or '' for m in list(sys.modules.values())], sep='\\n')")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    folders = set()
    venv = Path(sys.prefix).resolve()
    for line in filter(None, out):
        path = Path(line).resolve()
        if REPO in path.parents and path.parent != REPO and venv not in path.parents:
            folders.add(path.relative_to(REPO).parts[0])
    return folders


# -- sticky sessions -------------------------------------------------------------------------

def test_every_session_stays_on_its_worker(cluster):
    """A short class through the proxy: each session's reruns and CSV downloads (media
    kept in its worker's memory) succeed, and the class is spread over both workers."""
    rep = loop.run(load.run_class(cluster.url, 8, 15.0, interval=1.0, pids=cluster.pids))
    assert rep["errors"] == 0, (rep["error_kinds"], rep["notes"])
    assert rep["reruns"] >= 8 and rep["downloads"] >= 8, rep
    assert set(rep["sessions_per_worker"]) == {"w1", "w2"}, rep


async def _download_elsewhere(url: str) -> tuple[str, int, int]:
    s = Session(url)
    try:
        run = await s.connect(view(0))
        mine, _ = await s.get(run.downloads[0])
        own = s.worker
        s.cookies["SERVERID"] = "w2" if own == "w1" else "w1"
        other, _ = await s.get(run.downloads[0])
        return own, mine, other
    finally:
        await s.close()


def test_a_download_exists_on_its_worker_only(cluster):
    """Why stickiness is needed: the same link sent to the other worker is not found."""
    own, mine, other = loop.run(_download_elsewhere(cluster.url))
    assert own in ("w1", "w2") and (mine, other) == (200, 404)


# -- a worker dies -----------------------------------------------------------------------------

async def _kill_one(cluster) -> None:
    sessions = [Session(cluster.url, f"s{i}") for i in range(6)]
    firsts = [await s.connect(view(i)) for i, s in enumerate(sessions)]
    assert all(r.exceptions == 0 and r.fingerprint for r in firsts)
    victim = cluster.workers[0]
    on_victim = [i for i, s in enumerate(sessions) if s.worker == victim.name]
    others = [i for i in range(6) if i not in on_victim]
    assert on_victim and others, [s.worker for s in sessions]
    old_pid = victim.proc.pid
    killed = time.monotonic()
    os.killpg(old_pid, signal.SIGKILL)
    try:
        # The students on the killed worker lose their websocket at once, reconnect as
        # a browser does (same cookies, same URL), land on the live worker, and see
        # exactly the view they had: same page, same charts (every view is its URL).
        # A newcomer arriving meanwhile is sent to the live worker too.
        newcomer = Session(cluster.url, "new")
        *runs, _ = await asyncio.gather(*(_lose_and_reconnect(sessions[i]) for i in on_victim),
                                        newcomer.connect(view(1)))
        assert time.monotonic() - killed < 20
        assert newcomer.worker != victim.name
        await newcomer.close()
        # The health check has taken it out within seconds of the kill.
        await _log_says(cluster.log_dir / "haproxy.log", f"{victim.name} is DOWN", killed + 8)
        for i, run in zip(on_victim, runs):
            assert sessions[i].worker != victim.name
            assert run.exceptions == 0 and sessions[i].shows(run, view(i)) is None
            assert run.fingerprint == firsts[i].fingerprint
        # No one else notices: the others go on with a new view on the same connection.
        for i in others:
            run = await sessions[i].rerun(view(i + 6))
            assert run.exceptions == 0 and sessions[i].shows(run, view(i + 6)) is None
        # The worker is restarted on its port, and the proxy takes it back.
        deadline = time.monotonic() + 45
        while not (victim.proc.pid != old_pid and healthy(victim.url, 1)):
            assert time.monotonic() < deadline, "the killed worker was not restarted"
            await asyncio.sleep(0.5)
        await _log_says(cluster.log_dir / "haproxy.log", f"{victim.name} is UP", deadline)
        await _until_one_lands_on(cluster.url, victim.name, deadline + 15)
    finally:
        for s in sessions:
            await s.close()


async def _log_says(log: Path, text: str, deadline: float) -> None:
    while text not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"haproxy never logged {text!r}"
        await asyncio.sleep(0.2)


async def _lose_and_reconnect(s: Session) -> load.Run:
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(_until_closed(s), 10)
    return await s.reconnect()


async def _until_closed(s: Session) -> None:
    while True:                # messages sent after script_finished may still be queued
        await s.ws.recv()


async def _until_one_lands_on(url: str, worker: str, deadline: float) -> None:
    while True:
        s = Session(url, "probe")
        try:
            await s.connect(view(2))
            if s.worker == worker:
                return
        finally:
            await s.close()
        assert time.monotonic() < deadline, f"no new session reached {worker} again"
        await asyncio.sleep(1.0)


def test_a_worker_dies_mid_class():
    with running_cluster(2, "cluster-kill") as c:
        loop.run(_kill_one(c))
        assert c.workers[0].restarts == 1 and c.workers[1].restarts == 0


# -- hostile input through the proxy -----------------------------------------------------------

HOSTILE_PATHS = [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/media/..%2f..%2fetc%2fpasswd",
    "/media/nonexistent.csv", "/_stcore/stream", "/%00", "/%ff%fe%fd",
    "/variance?depth=1e309&activation=%3Cscript%3E", "/?" + "&".join(f"k{i}=v" for i in range(2000)),
    "/" + "a" * 6000, "/" + "a" * 20000,
]


def _status(url: str, path: str) -> int:
    # http.client refuses some raw bytes in a path; a socket sends what a hostile client would.
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
                     .encode("latin-1"))
        head = sock.recv(64).decode("latin-1")
    return int(head.split()[1]) if head.startswith("HTTP/") else 0


def test_hostile_urls_fare_as_on_the_direct_path(cluster):
    pids = cluster.pids()
    for path in HOSTILE_PATHS:
        direct, proxied = _status(cluster.workers[0].url, path), _status(cluster.url, path)
        assert direct < 500 and 0 < proxied < 500, (path[:60], direct, proxied)
        # The same answer, or the proxy refuses what is too big for any browser first.
        assert proxied == direct or proxied in (400, 414, 431), (path[:60], direct, proxied)
    assert cluster.pids() == pids and all(healthy(w.url) for w in cluster.workers)


HOSTILE_VIEWS = [
    View("variance", (("depth", "1e309"), ("weight_var", "-0"), ("activation", "<img src=x>"))),
    View("saturation", (("depth", "-5"), ("weight_var", "nan"), ("seed", "9" * 400))),
    View("gradients", (("activation", "relu\x00"), ("[link](http://x)", "1"), ("norm", "*" * 3000))),
]


async def _open_hostile(url: str) -> list:
    runs = []
    for i, v in enumerate(HOSTILE_VIEWS):
        s = Session(url, f"hostile{i}")
        try:
            runs.append(await s.connect(v))
        finally:
            await s.close()
    return runs


def test_hostile_links_through_the_proxy(cluster):
    for run in loop.run(_open_hostile(cluster.url)):
        assert run.status == "FINISHED_SUCCESSFULLY" and run.exceptions == 0


async def _drop(url: str, i: int) -> None:
    s = Session(url, f"drop{i}")
    try:
        await s.get("/")
        await s.get("/_stcore/health")
        await s._open_ws()
        if i % 2:                       # half of them leave in the middle of their first run
            await s.rerun(view(i), widgets=False, timeout=0.05)
    except (asyncio.TimeoutError, ConnectionClosed, OSError):
        pass
    finally:
        if s.ws is not None:
            s.ws.transport.abort()     # dropped, no closing handshake


async def _slow_client(url: str) -> tuple[float, bytes]:
    """Sends its request headers a byte every half second; how long until cut off."""
    host, port = url.split("//")[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    start = time.monotonic()
    try:
        for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            writer.write(bytes([b]))
            await writer.drain()
            try:
                got = await asyncio.wait_for(reader.read(100), 0.5)
                return time.monotonic() - start, got
            except asyncio.TimeoutError:
                continue
        return time.monotonic() - start, b""
    except ConnectionError:
        return time.monotonic() - start, b""
    finally:
        writer.close()


async def _abuse(url: str) -> tuple:
    slow = asyncio.create_task(_slow_client(url))
    sem = asyncio.Semaphore(20)

    async def one(i):
        async with sem:
            await _drop(url, i)

    await asyncio.gather(*(one(i) for i in range(100)))
    # Meanwhile a real student works normally.
    s = Session(url, "student")
    try:
        runs = [await s.connect(view(0)), await s.rerun(view(7)), await s.rerun(view(8))]
    finally:
        await s.close()
    return runs, await slow


def test_dropped_websockets_and_a_slow_client(cluster):
    """100 websockets opened and dropped, a client that sends its headers a byte at a
    time: no worker restarts, the slow client is cut off by the proxy (408, within its
    10 s request timeout), a student meanwhile works, and each worker's memory stays
    below the container limit (1 GB in deploy/compose.yaml)."""
    pids = cluster.pids()
    runs, (slow_s, slow_answer) = loop.run(_abuse(cluster.url))
    assert all(r.exceptions == 0 and r.status == "FINISHED_SUCCESSFULLY" for r in runs)
    assert slow_answer.startswith(b"HTTP/1.1 408") and slow_s < 15, (slow_s, slow_answer[:40])
    time.sleep(1)
    assert cluster.pids() == pids and all(w.restarts == 0 for w in cluster.workers)
    assert all(healthy(w.url) for w in cluster.workers)
    assert all(MemorySampler.rss_mb(p) < 1024 for p in pids), [MemorySampler.rss_mb(p) for p in pids]
