"""The app sets its own threads: started as `make run` starts it (bench.load's
--start-server), the server and each compute process run with the BLAS threads and the
number of processes the usable CPUs imply (ui.cpus), with no thread variable set; in a
1-CPU cgroup (tests/deploy/test_box.py) with one of each.

The processes report what is in force through LAYERSCOPE_THREADS_REPORT; the compute
processes are also found from outside, as the server's children in /proc.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path

import pytest

from bench import load
from bench.load import View
from deploy import serve
from ui import cpus

from . import loop
from .conftest import ARTIFACTS, boxed_server

REPO = Path(__file__).resolve().parents[2]
# Heavy new settings on every page: a burst of them keeps every compute process busy.
HEAVY = [View(p.url_path, (("depth", str(40 + i)), ("weight_var", "0.1"),
                           ("activation", "gelu")))
         for i, p in enumerate(load.PAGES)]


def expected(n_cpus: int) -> tuple[int, int]:
    """(compute processes, BLAS threads each) on n_cpus, by the rule ui.cpus states:
    min(CPUs, 2) processes, max(1, min(4, CPUs // processes)) threads."""
    processes = min(n_cpus, 2)
    return processes, max(1, min(4, n_cpus // processes))


@contextlib.contextmanager
def started(name: str, box=None):
    """The app as `make run` starts it (bench.load.fresh_server), reporting its threads
    to a fresh folder; this environment untouched but for that folder and the
    variables that would override the app's own plan."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    folder = ARTIFACTS / f"threads-{name}-{os.getpid()}"
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as mp:        # only while the server starts
            for var in (*cpus.THREAD_VARS, "LAYERSCOPE_COMPUTE_PROCESSES", "LAYERSCOPE_CPUS"):
                mp.delenv(var, raising=False)
            mp.setenv(cpus.REPORT_VAR, str(folder))
            url, pids, state = stack.enter_context(boxed_server(box))
        yield url, pids()[0], state, folder


def compute_pids(server: int) -> set[int]:
    """The server's compute processes, from /proc: its children started by
    multiprocessing's spawn (the resource tracker is not one)."""
    out = set()
    for pid in load.MemorySampler.family(server):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmd:
            out.add(pid)
    return out


def reports(folder: Path) -> dict[int, dict]:
    return {int(p.stem): json.loads(p.read_text()) for p in folder.glob("*.json")}


def blas_threads(report: dict) -> list[int]:
    return [p["num_threads"] for p in report["threadpools"] if p["user_api"] == "blas"]


def busy_class(url: str) -> dict:
    """Every page at once with a heavy new setting, twice over: both slots compute."""
    rep = loop.run(load.run_class(url, 2 * len(HEAVY), 1.0, interval=5.0, downloads=False,
                                  burst=True, first_views=HEAVY))
    assert rep["errors"] == 0, rep
    return rep


def check_threads(url: str, server: int, folder: Path, n_cpus: int) -> None:
    processes, threads = expected(n_cpus)
    busy_class(url)
    found = reports(folder)
    assert found[server]["role"] == "server"
    assert blas_threads(found[server]) == [threads]
    assert found[server]["plan"]["processes"] == processes
    compute = {pid: r for pid, r in found.items() if r["role"] == "compute"}
    assert set(compute) == compute_pids(server)            # the live ones, seen from outside
    assert len(compute) == processes
    for pid, r in compute.items():
        assert r["ppid"] == server and blas_threads(r) == [threads], (pid, r)


def check_started_as_make_run(url: str, server: int) -> None:
    port = int(url.rsplit(":", 1)[1])
    cmdline = Path(f"/proc/{server}/cmdline").read_bytes().split(b"\0")[:-1]
    assert [a.decode() for a in cmdline] == serve.make_run_cmd(port)
    environ = Path(f"/proc/{server}/environ").read_bytes().split(b"\0")
    names = {e.split(b"=", 1)[0].decode() for e in environ if e}
    assert not names & set(cpus.THREAD_VARS), names


def test_started_as_make_run_the_app_sets_its_own_threads():
    if cpus.quota_cpus() is not None:
        pytest.skip("this process's own cgroup sets a CPU quota")
    n_cpus = len(os.sched_getaffinity(0))
    with started("plain") as (url, server, _, folder):
        check_started_as_make_run(url, server)
        check_threads(url, server, folder, n_cpus)


def test_in_a_one_cpu_box_one_process_one_thread():
    with started("box", box=(1024, 1)) as (url, server, state, folder):
        mine = Path(f"/proc/{server}/cgroup").read_text()
        assert re.search(r"^\d+:[^:]*\bcpu\b[^:]*:.*/layerscope-box-", mine, re.M), mine
        check_started_as_make_run(url, server)
        check_threads(url, server, folder, 1)
        assert state()["server_alive"]


# -- the command lines ----------------------------------------------------------------------

def test_make_run_cmd_is_the_makefiles_run_recipe():
    text = (REPO / "Makefile").read_text()
    recipe = re.search(r"^run: .*\n\t(.+)$", text, re.M).group(1)
    words = recipe.replace("$(BIN)/python", "PY").replace("$(PORT)", "8501").split()
    assert serve.make_run_cmd(8501) == [serve.sys.executable, *words[1:]]
    assert words[0] == "PY"


def test_workers_get_a_cpu_share_and_no_thread_variables(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(serve, "launch", lambda cmd, log, env=None: seen.update(env=env))
    monkeypatch.setattr(cpus, "usable_cpus", lambda *a, **k: 8)
    for var in (*cpus.THREAD_VARS, "LAYERSCOPE_CPUS", "LAYERSCOPE_COMPUTE_PROCESSES"):
        monkeypatch.delenv(var, raising=False)
    serve.start_streamlit(1, tmp_path / "log", workers=4)
    assert seen["env"]["LAYERSCOPE_CPUS"] == "2"
    assert not set(seen["env"]) & {*cpus.THREAD_VARS, "LAYERSCOPE_COMPUTE_PROCESSES"}
    serve.start_streamlit(1, tmp_path / "log", workers=1)
    assert "LAYERSCOPE_CPUS" not in seen["env"]            # one worker: its own reckoning


def test_no_benchmark_command_sets_a_thread_variable():
    texts = {p.name: p.read_text() for p in (REPO / "bench").glob("*.py")}
    offenders = {name for name, text in texts.items()
                 if any(re.search(rf"\b{v}=", text) for v in cpus.THREAD_VARS)}
    assert not offenders


def test_fresh_server_reports_a_server_that_exits_at_once(monkeypatch):
    """Its exit code and log are raised at once, not waited out to the timeout."""
    monkeypatch.setattr(serve, "make_run_cmd", lambda port: ["python3", "-c", "exit(3)"])
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="exited with 3"):
        with load.fresh_server(ARTIFACTS):
            pass
    assert time.monotonic() - t0 < 10
