"""bench.load's client against a real fresh `streamlit run`: one rerun, a download, a burst.

Loopback only; each test opens at most 20 sessions and runs for seconds.
"""

from __future__ import annotations

import asyncio
import csv
import io

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench import load
from bench.load import Session, View
from . import loop

VIEW = View("variance", (("depth", "7"), ("weight_var", "0.1"), ("activation", "relu")))
NEXT = View("saturation", (("depth", "12"), ("weight_var", "0.01"), ("activation", "tanh")))


async def _open_rerun_download(url: str):
    s = Session(url)
    try:
        first = await s.connect(VIEW)
        second = await s.rerun(NEXT)               # the sliders moved, another page
        status, body = await s.get(second.downloads[0])
        return s, first, second, status, body.decode()
    finally:
        await s.close()


def test_one_rerun_and_its_download(fresh_server):
    url, _ = fresh_server
    s, first, second, status, text = loop.run(_open_rerun_download(url))
    assert s.session_id and first.status == "FINISHED_SUCCESSFULLY"
    assert first.exceptions == 0 and second.exceptions == 0
    assert s.shows(first, VIEW) is None
    # The server ran the page asked for, with the widgets' new states (the download
    # below names them), and wrote no other URL back.
    assert s.shows(second, NEXT) is None, second.query
    assert second.page_hash == NEXT.page_hash != first.page_hash
    assert second.fingerprint != first.fingerprint
    assert {"depth", "weight_var", "activation"} <= set(s.widgets)
    # The CSV button's media URL, fetched over plain HTTP with the session's cookies:
    # the settings it names are the new view's, one row per layer.
    assert status == 200
    settings = dict(line[2:].split("=", 1) for line in text.splitlines()
                    if line.startswith("# ") and "=" in line)
    assert (settings["depth"], settings["activation"], settings["weight_var"]) == ("12", "tanh", "0.01")
    rows = list(csv.reader(io.StringIO("\n".join(l for l in text.splitlines()
                                                  if not l.startswith("#")))))
    assert rows[0][0] == "layer" and [r[0] for r in rows[1:]] == [str(i) for i in range(1, 13)]


def test_the_server_computes_in_its_compute_processes(fresh_server):
    """A real server's new settings are computed by ui.compute's processes: they are its
    children, and the CPU time they spend grows with a new setting."""
    url, proc = fresh_server
    loop.run(_open_rerun_download(url))                 # the first run starts them
    family = load.MemorySampler.family(proc.pid)
    children = [p for p in family if p != proc.pid]
    assert len(children) >= 2, family          # two compute processes (+ their tracker)
    before = sum(load.MemorySampler.cpu_s(p) for p in children)
    loop.run(_rerun_to(url, View("variance", (("depth", "60"), ("activation", "gelu"),
                                              ("weight_var", "0.03")))))
    assert sum(load.MemorySampler.cpu_s(p) for p in children) > before + 0.02


async def _rerun_to(url: str, view: View):
    s = Session(url)
    try:
        run = await s.connect(view)
        assert run.status == "FINISHED_SUCCESSFULLY" and run.exceptions == 0
    finally:
        await s.close()


def test_wrong_view_is_noticed():
    """The check the benchmark counts 'wrong views' with can fail."""
    run = load.Run(status="FINISHED_SUCCESSFULLY", query="depth=8&activation=relu",
                   page_hash=VIEW.page_hash)
    assert "depth" in Session("http://127.0.0.1:1").shows(run, VIEW)
    run.query = "depth=7&weight_var=0.1&activation=relu"
    assert Session("http://127.0.0.1:1").shows(run, VIEW) is None
    run.query = "depth=7&weight_var=0.1"                       # tanh is the default: left out
    assert "activation" in Session("http://127.0.0.1:1").shows(run, VIEW)


def test_fresh_server_burst(fresh_server):
    """A class opens the link together on a server no one has visited: 20 sessions at
    the same moment, every one gets its page, no exception (Plotly imports pandas lazily,
    which sessions racing to their first figure can meet half-imported: app.py imports
    it first)."""
    url, proc = fresh_server
    views = [View(p.url_path) for p in load.PAGES]           # every page, at the defaults
    rep = loop.run(load.run_class(url, 20, 1.0, interval=5.0, pids=[proc.pid],
                                     downloads=False, burst=True, first_views=views))
    assert rep["first_loads"] == 20, rep
    assert rep["errors"] == 0, rep
    assert rep["rss_mb"]["peak"] > 0


class _Socket:
    """A websocket whose server has already sent `messages` (recv waits when empty)."""

    def __init__(self, messages):
        self.messages = list(messages)

    async def recv(self):
        if not self.messages:
            await asyncio.sleep(3600)
        return self.messages.pop(0)


def _download_element(url: str) -> bytes:
    fm = ForwardMsg()
    fm.delta.new_element.download_button.url = url
    return fm.SerializeToString()


def _finished(status) -> bytes:
    fm = ForwardMsg()
    fm.script_finished = status
    return fm.SerializeToString()


def test_a_catch_up_rerun_replaces_the_download_link():
    """ui.shell reruns a view run light once the server is less busy; that run's new
    download link replaces the old one (which then answers 404), as in a browser. The
    catch-up's timer (a fragment run) is not a page run."""
    s = Session("http://127.0.0.1:1")
    s.last = load.Run(status="FINISHED_SUCCESSFULLY", downloads=["/media/old.csv"])
    s.ws = _Socket([_finished(load.FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)])
    loop.run(s.drain())
    assert s.last.downloads == ["/media/old.csv"]              # the timer alone: no change
    s.ws = _Socket([_download_element("/media/new.csv"),
                    _finished(load.FINISHED.FINISHED_SUCCESSFULLY)])
    loop.run(s.drain())
    assert s.last.downloads == ["/media/new.csv"] and s.last.status == "FINISHED_SUCCESSFULLY"


def test_a_run_read_in_two_parts_loses_nothing():
    """drain may stop between two messages of a catch-up still running: the rest is read
    with the next rerun's wait, and the run asked for is the one after it."""
    s = Session("http://127.0.0.1:1")
    s.ws = _Socket([_download_element("/media/a.csv")])
    loop.run(s.drain())                                        # half a run: kept aside
    s.ws.messages += [_finished(load.FINISHED.FINISHED_SUCCESSFULLY),
                      _download_element("/media/b.csv"),
                      _finished(load.FINISHED.FINISHED_SUCCESSFULLY)]
    assert loop.run(s._read_run()).downloads == ["/media/a.csv"]
    assert loop.run(s._read_run()).downloads == ["/media/b.csv"]


def test_bench_server_sees_the_server_work_and_cached_reruns_cost_less(fresh_server):
    """bench.server's measure on a real server: every rerun costs the server and its
    compute processes some CPU, and a rerun whose results are cached (depth 10 <-> 12,
    twice each) costs less than the median new setting, which computes."""
    from bench import server
    url, proc = fresh_server
    fresh, cached, faults = loop.run(server.page_costs(url, proc.pid, "variance", new=3,
                                                       repeats=2))
    assert len(fresh) == 3 and len(cached) == 2 and len(faults) == 3
    assert min(fresh) > 0 and min(cached) > 0
    assert max(cached) < sorted(fresh)[1], (fresh, cached)
