"""A class through HAProxy and two workers, on SQLite and on PostgreSQL: students who
follow the presenter within 3 s, a worker killed mid-class (SIGKILL) that loses no
answer and whose students carry on from the other worker, and a database that goes down
under the presenter, whose lesson goes on without the class view.

Each session speaks Streamlit's websocket protocol as a browser does and polls its
fragments on their timers (bench.classpoll.ClassSession). Loopback only; 12 students.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

import pytest

from bench.classpoll import (DOWN_WORDS, ClassSession, Postgres, open_class,
                             step_titles)
from bench.load import View
from classroom import classes, codes
from classroom.db import Database

from . import loop
from .conftest import running_cluster

STUDENTS = 12
FOLLOW_S = 3.0                 # the bound on following a step change
STEPS = step_titles()
FIRST = ["100", "1e2", "40", "10^4"]           # step 1 asks for a number (100 is right)
SECOND = [1, 0, 1, 2]                          # step 2 is a choice (1 is right)


@pytest.fixture(params=["sqlite", "postgres"])
def served_class(request, tmp_path, monkeypatch):
    """(cluster, database URL, the PostgreSQL server or None): two workers behind HAProxy
    sharing a class database of their own."""
    with Postgres() if request.param == "postgres" else contextlib.nullcontext() as pg:
        url = pg.url if pg else f"sqlite:///{tmp_path / 'layerscope.sqlite3'}"
        monkeypatch.setenv("LAYERSCOPE_DATABASE_URL", url)  # the workers inherit it
        with running_cluster(2, f"class-{request.param}") as cluster:
            yield cluster, url, pg


def _me(s: ClassSession) -> str:
    return dict(s.view.values)["me"]


async def _follow(presenter: ClassSession, students: list[ClassSession], label: str,
                  shows: str) -> list[float]:
    """The presenter presses `label`; how long each student's page took to show `shows`
    without the student doing anything (what they showed before does not count: a
    chart seen at an earlier step's reveal is forgotten first)."""
    for s in students:
        s.forget(shows)
    pressed = time.perf_counter()
    await presenter.click(label)
    return [await s.first_seen(shows, timeout=30) - pressed for s in students]


async def _join(url: str, code: str) -> list[ClassSession]:
    students = [ClassSession(url, f"s{i}") for i in range(STUDENTS)]
    await asyncio.gather(*(s.open(View("lessons", (("join", code),))) for s in students))
    return students


async def _a_class_through_a_worker_killed(cluster, db_url: str) -> None:
    presenter = ClassSession(cluster.url, "presenter")
    students: list[ClassSession] = []
    try:
        code = codes.normalize(await open_class(presenter))
        students = await _join(cluster.url, code)
        assert {s.worker for s in students} == {"w1", "w2"}        # the proxy spreads them
        assert all(f"title:{STEPS[0]}" in s.seen and not s.exceptions for s in students)
        sent = {_me(s): FIRST[i % len(FIRST)] for i, s in enumerate(students)}
        await asyncio.gather(*(s.send_answer(sent[_me(s)]) for s in students))
        assert all(any(b.startswith("Your answer") for _, b in s.alerts) for s in students)

        reveal = await _follow(presenter, students, "Reveal", "chart")
        assert max(reveal) < FOLLOW_S, reveal
        step2 = await _follow(presenter, students, "Next step", f"title:{STEPS[1]}")
        assert max(step2) < FOLLOW_S, step2

        # A worker dies (not the presenter's: the presenter's secret lives in its
        # session). Every answer is in the database already.
        victim = next(w for w in cluster.workers if w.name != presenter.worker)
        on_victim = [s for s in students if s.worker == victim.name]
        assert on_victim
        os.killpg(victim.proc.pid, signal.SIGKILL)
        db = Database(db_url)
        try:
            assert classes.tally(db, code, 0).answered == STUDENTS
            # Its students lose their websocket and reconnect as a browser does, with
            # the same link (join=…&me=…): the other worker shows them the class's step.
            await asyncio.gather(*(s.first_seen("closed", timeout=10) for s in on_victim))
            for s in on_victim:         # what the dead worker showed them does not count
                s.forget(f"title:{STEPS[1]}")
            await asyncio.gather(*(s.reconnect() for s in on_victim))
            for s in on_victim:
                await s.first_seen(f"title:{STEPS[1]}", timeout=10)
                assert s.worker != victim.name and not s.exceptions
                assert dict(s.view.values)["join"] == code
            # Everyone answers step 2; the ones who moved are still who they were.
            picks = {_me(s): SECOND[i % len(SECOND)] for i, s in enumerate(students)}
            await asyncio.gather(*(s.send_answer(picks[_me(s)]) for s in students))
            assert all(any(b.startswith("Your answer") for _, b in s.alerts)
                       for s in students), [(s.name, [k for k in s.seen if k.startswith("exception")])
                                            for s in students]
            assert classes.tally(db, code, 1).answered == STUDENTS
            for s in students:
                assert classes.mine(db, code, _me(s), 0).text == sent[_me(s)]
                assert int(classes.mine(db, code, _me(s), 1).value) == picks[_me(s)]
            presenter.forget(f"markdown:**{STUDENTS} joined · {STUDENTS} answered**")
            await presenter.first_seen(
                f"markdown:**{STUDENTS} joined · {STUDENTS} answered**", timeout=10)
        finally:
            db.close()
        step3 = await _follow(presenter, students, "Reveal", "chart")
        assert max(step3) < 3 * FOLLOW_S, step3
    finally:
        await asyncio.gather(presenter.close(), *(s.close() for s in students))


def test_a_class_follows_and_survives_a_worker_killed(served_class):
    cluster, db_url, _ = served_class
    loop.run(_a_class_through_a_worker_killed(cluster, db_url))


async def _the_database_goes_down(cluster, pg: Postgres) -> None:
    presenter = ClassSession(cluster.url, "presenter")
    students: list[ClassSession] = []
    try:
        code = codes.normalize(await open_class(presenter))
        students = await _join(cluster.url, code)
        pg.stop()
        # The presenter's live tally finds the database gone and says so, in words.
        await presenter.first_seen("database down", timeout=30)
        run = await presenter.click("Reveal")
        assert run.status == "FINISHED_SUCCESSFULLY" and not presenter.exceptions
        assert any(DOWN_WORDS in body for _, body in presenter.alerts)
        assert presenter.charts >= 1                     # the step's chart: the lesson goes on
        assert f"title:{STEPS[0]}" in presenter.seen
        assert not any(s.exceptions for s in students)
    finally:
        await asyncio.gather(presenter.close(), *(s.close() for s in students))


def test_a_database_down_leaves_the_lesson_to_the_presenter(tmp_path, monkeypatch):
    with Postgres() as pg:
        monkeypatch.setenv("LAYERSCOPE_DATABASE_URL", pg.url)
        with running_cluster(2, "class-db-down") as cluster:
            loop.run(_the_database_goes_down(cluster, pg))
