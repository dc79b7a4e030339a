"""Fixtures for tests against real processes: `streamlit run` workers and HAProxy.

- ``fresh_server`` (function): URL and process of a `streamlit run app.py` no request
  has reached yet, on a free loopback port.
- ``cluster`` (module): deploy.serve.Cluster, two workers behind HAProxy on loopback.
- ``boxed_server(box)``: the app as `make run` starts it, in a bench.box cgroup box
  (MEM_MB, CPUS) or none; the test is skipped, with the reason printed, where no box
  can be made.

Every test here is marked ``served`` (deselect with -m "not served"); they need haproxy
(`make test` installs it). Logs go to tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from bench import load
from bench.box import BoxUnavailable
from deploy.serve import Cluster, free_port, start_streamlit, stop, wait_healthy

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parents[1] / "tests" / "artifacts"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.served)


@pytest.fixture
def fresh_server():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = ARTIFACTS / f"load-fresh-server-{port}.log"
    proc = start_streamlit(port, log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, [proc], log=log)
        yield url, proc
    finally:
        stop(proc)


@contextlib.contextmanager
def running_cluster(n: int, name: str):
    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
        pytest.fail("haproxy missing: run `make serve-deps`", pytrace=False)
    with Cluster(n, log_dir=ARTIFACTS / name) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def cluster():
    with running_cluster(2, "cluster") as c:
        yield c


@contextlib.contextmanager
def boxed_server(box=None):
    """(url, pids, state) of a fresh server started as `make run` does, in `box`
    (bench.load.fresh_server); stopped, and its box removed, at the end."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = load.fresh_server(ARTIFACTS, box)
    try:
        servers, state = server.__enter__()
    except BoxUnavailable as exc:
        print(f"no cgroup box here: {exc}")
        pytest.skip(f"no cgroup box here: {exc}")
    try:
        url, pids = servers[1]
        yield url, pids, state
    finally:
        server.__exit__(None, None, None)
