"""bench.load's visits: a given link opened in its own session counts as done only once
its page ran in full to its end (no progress bar left, a light run followed to its
catch-up), and says why not otherwise. On made-up server messages; the real heavy
Training link against a real server is in test_ceiling.py.
"""

from __future__ import annotations

import asyncio

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench import load
from bench.load import Run, Session, View, Visit

from . import loop

FINISHED = ForwardMsg.ScriptFinishedStatus


def element(path: list[int], kind: str, **fields) -> bytes:
    fm = ForwardMsg()
    fm.metadata.delta_path[:] = path
    el = fm.delta.new_element
    getattr(el, kind).SetInParent()
    for name, value in fields.items():
        setattr(getattr(el, kind), name, value)
    return fm.SerializeToString()


def finished(status=FINISHED.FINISHED_SUCCESSFULLY) -> bytes:
    fm = ForwardMsg()
    fm.script_finished = status
    return fm.SerializeToString()


def auto_rerun() -> bytes:
    fm = ForwardMsg()
    fm.auto_rerun.interval = 3
    return fm.SerializeToString()


def read(messages: list[bytes]) -> Run:
    s = Session("http://127.0.0.1:1")
    runs = [r for r in map(s._take, messages) if r is not None]
    assert len(runs) == 1
    return runs[0]


BAR = [0, 7, 1]


def test_a_progress_bar_emptied_at_its_place_is_gone():
    run = read([element(BAR, "progress", value=0, text="Starting…"),
                element(BAR, "progress", value=40, text="Step 4 of 10"),
                element(BAR, "empty"), finished()])
    assert run.progress_bars == set() and run.progress_text == "Step 4 of 10"


def test_a_progress_bar_still_shown_at_the_end_is_kept():
    run = read([element(BAR, "progress", value=40, text="Step 4 of 10"),
                element([0, 8], "empty"), finished()])
    assert run.progress_bars == {tuple(BAR)} and run.progress == 0.4


def test_a_timer_marks_the_run_light_and_a_busy_note_is_counted():
    run = read([element([0, 1], "alert", body="The server is busy with many visitors: …"),
                auto_rerun(), finished()])
    assert run.light and run.busy_notes == 1


class Scripted:
    """A session whose runs are given: the first is the one it connects with."""

    def __init__(self, runs: list[Run]):
        self.runs = list(runs)

    async def connect(self, view, timeout):
        return self.runs.pop(0)

    async def _read_run(self):
        if not self.runs:
            await asyncio.sleep(60)
        return self.runs.pop(0)


VIEW = View("training", (("seed", "1"),))
OK = "FINISHED_SUCCESSFULLY"


def test_a_light_run_is_followed_to_its_catch_up():
    runs = [Run(status=OK, light=True, busy_notes=1), Run(status=OK, progress=0.1)]
    v = loop.run(load.visit(Scripted(runs), VIEW, timeout=5))
    assert v.done and v.light_runs == 1 and v.busy_notes == 1
    assert "1 light run(s) caught up" in load.visit_line(v)


def test_a_catch_up_that_never_comes_is_reported_as_not_done():
    v = loop.run(load.visit(Scripted([Run(status=OK, light=True)]), VIEW, timeout=0.3))
    assert not v.done and v.error == "not done within 0.3 s"
    assert load.visit_line(v).startswith("NOT DONE")


@pytest.mark.parametrize("run", [Run(status=OK, progress_bars={(0, 7, 1)}),
                                 Run(status=OK, exceptions=1),
                                 Run(status="FINISHED_WITH_COMPILE_ERROR")])
def test_a_run_left_unfinished_or_failing_is_not_done(run):
    v = loop.run(load.visit(Scripted([run]), VIEW, timeout=5))
    assert not v.done, v


def test_a_visit_that_could_not_connect_says_why():
    v = loop.run(load.visit(Session("http://127.0.0.1:1"), VIEW, timeout=5))
    assert not v.done and "Error" in v.error


def test_visit_links_name_a_page():
    assert load.View.from_link("http://127.0.0.1:8501/training?depth=3").page == "training"
    with pytest.raises(ValueError, match="no page"):
        load.View.from_link("/admin")
    heavy = dict(load.heavy_training(2)[1].values)
    assert heavy["seed"] == "2" and heavy["train_steps"] == "20000"


def test_a_visit_not_done_counts_as_an_error():
    rep = load.report(load.Tally(), 1, 1.0, [], [Visit("/training", error="x"),
                                                 Visit("/training", 1, 1, OK)])
    assert rep["errors"] == 1 and rep["error_kinds"]["visits_not_done"] == 1
    assert [v["done"] for v in rep["visits"]] == [False, True]


def transient(path: list[int], *texts: str) -> bytes:
    fm = ForwardMsg()
    fm.metadata.delta_path[:] = path
    fm.delta.new_transient.SetInParent()
    for text in texts:
        fm.delta.new_transient.elements.add().spinner.text = text
    return fm.SerializeToString()


def test_a_busy_spinner_is_counted_once_and_seen_to_go():
    busy = "The server is busy with other visitors' settings: …"
    run = read([transient([0, 3], "Running the network…"),
                transient([0, 3], "Running the network…", busy),
                transient([0, 3], "Running the network…", busy),
                transient([0, 3], "Running the network…"), transient([0, 3]), finished()])
    assert run.busy_notes == 1 and run.busy_left == set()
    run = read([transient([0, 3], busy), finished()])
    assert run.busy_notes == 1 and run.busy_left == {(0, 3)}
