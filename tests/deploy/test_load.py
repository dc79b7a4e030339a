"""bench.load's client against a real fresh `streamlit run`: one rerun, a download, a burst.

Loopback only; each test opens at most 20 sessions and runs for seconds.
"""

from __future__ import annotations

import csv
import io

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
    settings = dict(line[2:].split("=", 1) for line in text.splitlines() if line.startswith("# "))
    assert (settings["depth"], settings["activation"], settings["weight_var"]) == ("12", "tanh", "0.01")
    rows = list(csv.reader(io.StringIO("\n".join(l for l in text.splitlines()
                                                  if not l.startswith("#")))))
    assert rows[0][0] == "layer" and [r[0] for r in rows[1:]] == [str(i) for i in range(1, 13)]


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
    """A class opens the link together on a server no one has visited (issue 8 item 6):
    20 sessions at the same moment, every one gets its page, no exception. Before app.py
    imported pandas first, Plotly's lazy import of it failed in some of them."""
    url, proc = fresh_server
    views = [View(p.url_path) for p in load.PAGES]           # every page, at the defaults
    rep = loop.run(load.run_class(url, 20, 1.0, interval=5.0, pids=[proc.pid],
                                     downloads=False, burst=True, first_views=views))
    assert rep["first_loads"] == 20, rep
    assert rep["errors"] == 0, rep
    assert rep["rss_mb"]["peak"] > 0
