"""A class of N students answering one lesson step together, through `make serve`.

    python -m bench.classpoll                                # 200 students, SQLite
    python -m bench.classpoll --students 50 --database postgres
    python -m bench.classpoll --database-url postgresql://user@127.0.0.1:5432/db

Starts the app as `make serve` does (deploy.serve: 2 workers behind HAProxy; --workers),
with a class database of its own: SQLite in a fresh data folder, or PostgreSQL (a
throwaway server started here, or --database-url). Every session speaks Streamlit's
websocket protocol as a browser does (bench.load's Session), and keeps polling its page's
`st.fragment(run_every=…)` as the browser does: the server sends `auto_rerun` with the
fragment's id and interval, the browser then sends `rerun_script` with that fragment id
and is_auto_rerun every interval, until a full run starts (which sends them again).

1. The presenter opens the lesson in presenter mode and presses "Run with a class"; the
   code is read from the page ("**Code XXXX-XXXX**").
2. N students open `/lessons?join=CODE`, their starts spread over --join-window seconds.
3. Each answers step 1 (the text box and the form's submit button, as the browser sends
   a form: the box's value and the submit button's trigger), spread over --answer-window.
4. The presenter's tally fragment is watched until it says "N joined · N answered".
5. Everyone polls for --poll-seconds: the server's CPU time (workers, their compute
   processes and HAProxy, from /proc) per student per minute.
6. The presenter presses Reveal, then Next step; each student's page is watched until it
   shows the chart, then the next step's title.

Reported against the issue's targets: all join within 10 s, all answer within 10 s, the
tally within 2 s of the last answer, every student on the next step within 3 s. Loopback
only, at most MAX_STUDENTS students and MAX_SECONDS of polling.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench import load
from bench.load import MemorySampler, Session, View

LESSON = "variance_law"
MAX_STUDENTS = 400
MAX_SECONDS = 600
WAIT_S = 60.0                  # longer than this for a page or a step counts as an error
CODE = re.compile(r"\*\*Code ([0-9A-Z]{4}-[0-9A-Z]{4})\*\*")
# Step 1 asks for the variance after one layer (100); what a class types, right and not.
ANSWERS = ("100", "100", "1e2", "10^2", "40", "40", "10^4", "1")
TARGETS_S = dict(join_all=10.0, answer_all=10.0, tally_after_last=2.0, follow_max=3.0)
ALERTS = {1: "error", 2: "warning", 3: "info", 4: "success"}
DOWN_WORDS = "class database cannot be reached"     # ui.classroom.DOWN_NOTE
TRACE = None                   # --trace: a file every session's messages are listed in


# -- a browser tab that keeps its fragments polling ---------------------------------------

class ClassSession(Session):
    """A Session whose messages are read by one task for good once the page is open
    (`listen`), that polls the page's fragments as the browser does, and that notes when
    what the page shows first appeared (`seen`): a title, a chart, a tally's words."""

    def __init__(self, base: str, name: str = ""):
        super().__init__(base, name)
        self.seen: dict[str, float] = {}
        self._waiting: dict[str, asyncio.Event] = {}
        self.buttons: dict[str, str] = {}          # label -> widget id (the first drawn)
        self.text_inputs: list[str] = []
        self.radios: list[tuple[str, list[str]]] = []      # (id, the options' words)
        self.charts = 0                            # charts drawn by the last full run
        self.alerts: list[tuple[str, str]] = []    # (kind, body) of the last full run
        self.markdown: list[str] = []
        self.polls = 0
        self.answer_sent = False
        self.exceptions = 0
        self.full_runs = 0
        self._full_run_done = asyncio.Event()
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._reader: asyncio.Task | None = None

    # -- what the page shows

    def mark(self, key: str) -> None:
        if key not in self.seen:
            self.seen[key] = time.perf_counter()
            if key in self._waiting:
                self._waiting[key].set()

    def forget(self, key: str) -> None:
        """As if the page had never shown `key`: the next `first_seen` waits for it anew."""
        self.seen.pop(key, None)
        self._waiting.pop(key, None)

    async def first_seen(self, key: str, timeout: float = WAIT_S) -> float:
        """When the page first showed `key` (perf_counter), waiting for it if need be."""
        if key not in self.seen:
            event = self._waiting.setdefault(key, asyncio.Event())
            await asyncio.wait_for(event.wait(), timeout)
        return self.seen[key]

    def _take(self, raw: bytes):
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        kind = fm.WhichOneof("type")
        if TRACE is not None:
            TRACE.write(f"{time.perf_counter():.3f} {self.name} {describe(fm)}\n")
        if kind == "new_session" and not fm.metadata.run.fragment_ids:
            self._new_full_run()
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            self._shown(fm.delta.new_element)
        elif kind == "auto_rerun":
            self._start_timer(fm.auto_rerun.fragment_id, fm.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment in fm.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment)
        elif kind == "page_info_changed":     # the app wrote the URL: the tab's address
            self.view = View(self.view.page, tuple(urllib.parse.parse_qsl(
                fm.page_info_changed.query_string)))
        run = super()._take(raw)
        if run is not None:
            self.last = run
            self.full_runs += 1
            self._full_run_done.set()
        return run

    def _new_full_run(self) -> None:
        # The browser drops every fragment's timer as a full run starts; the run sends
        # those it still has again (App.tsx, cleanupAutoReruns).
        for fragment in list(self._timers):
            self._stop_timer(fragment)
        self.buttons, self.text_inputs, self.radios = {}, [], []
        self.alerts, self.markdown, self.charts = [], [], 0

    def _shown(self, el) -> None:
        kind = el.WhichOneof("type")
        if kind == "heading":
            self.mark(f"title:{el.heading.body}")
        elif kind == "markdown":
            self.markdown.append(el.markdown.body)
            self.mark(f"markdown:{el.markdown.body}")
        elif kind == "button":
            self.buttons.setdefault(el.button.label, el.button.id)
        elif kind == "text_input":
            self.text_inputs.append(el.text_input.id)
        elif kind == "radio":
            self.radios.append((el.radio.id, list(el.radio.options)))
        elif kind == "alert":
            self.alerts.append((ALERTS.get(el.alert.format, "?"), el.alert.body))
            if DOWN_WORDS in el.alert.body:
                self.mark("database down")
        elif kind == "plotly_chart":
            self.charts += 1
            self.mark("chart")
        elif kind == "exception":
            self.exceptions += 1
            self.mark(f"exception:{el.exception.type}: {el.exception.message[:200]}")

    # -- the fragments' timers, as the browser keeps them

    def _start_timer(self, fragment: str, interval: float) -> None:
        if fragment in self._timers and self._timers[fragment][0] == interval:
            return
        self._stop_timer(fragment)
        self._timers[fragment] = (interval, asyncio.create_task(self._poll(fragment, interval)))

    def _stop_timer(self, fragment: str) -> None:
        held = self._timers.pop(fragment, None)
        if held is not None:
            held[1].cancel()

    async def _poll(self, fragment: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.polls += 1
            with contextlib.suppress(ConnectionClosed):
                await self._send(fragment_id=fragment, auto=True)

    async def _send(self, states=(), fragment_id: str = "", auto: bool = False) -> None:
        if TRACE is not None:
            TRACE.write(f"{time.perf_counter():.3f} {self.name} SEND fragment={fragment_id[:8]} "
                        f"auto={auto} {[w.id[-24:] for w in states]}\n")
        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string = self.view.query
        rs.page_script_hash = self.view.page_hash
        rs.fragment_id = fragment_id
        rs.is_auto_rerun = auto
        rs.widget_states.CopyFrom(WidgetStates(widgets=list(states)))
        await self.ws.send(msg.SerializeToString())

    # -- opening, listening, acting

    async def open(self, view: View, timeout: float = WAIT_S) -> load.Run:
        """Open the page (bench.load's way), then read its messages for good."""
        run = await self.connect(view, timeout=timeout)
        self.listen()
        return run

    def listen(self) -> None:
        self._reader = asyncio.create_task(self._read_forever())

    async def _read_forever(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                self._take(await self.ws.recv())
        self.mark("closed")

    async def act(self, states: list[WidgetState], timeout: float = WAIT_S) -> load.Run:
        """Send widget states (a click, a form) and wait for the full run they start."""
        self._full_run_done.clear()
        before = self.full_runs
        await self._send(states)
        while self.full_runs == before:
            await asyncio.wait_for(self._full_run_done.wait(), timeout)
            self._full_run_done.clear()
        return self.last

    async def click(self, label: str, timeout: float = WAIT_S) -> load.Run:
        if label not in self.buttons:
            raise LookupError(f"{self.name}: no button {label!r} (has {list(self.buttons)})")
        return await self.act([WidgetState(id=self.buttons[label], trigger_value=True)],
                              timeout)

    async def send_answer(self, answer: str | int, timeout: float = WAIT_S) -> load.Run:
        """Type `answer` in the step's box (or pick choice number `answer`) and press the
        form's "Send my answer"."""
        field = self.radios if isinstance(answer, int) else self.text_inputs
        if not field or "Send my answer" not in self.buttons:
            raise LookupError(f"{self.name}: no answer form for {answer!r} on the page")
        # a radio's state is the chosen option's words, as the browser sends it
        box = (WidgetState(id=field[0][0], string_value=field[0][1][answer])
               if isinstance(answer, int) else WidgetState(id=field[0], string_value=answer))
        submit = WidgetState(id=self.buttons["Send my answer"], trigger_value=True)
        self.answer_sent = True
        return await self.act([box, submit], timeout)

    async def reconnect(self) -> load.Run:
        """After a lost connection, as the browser does: the same cookies and URL (the
        class's join= and me=), a new websocket; then read and poll as before."""
        await self.stop_listening()
        run = await super().reconnect()
        self.listen()
        return run

    async def stop_listening(self) -> None:
        for fragment in list(self._timers):
            self._stop_timer(fragment)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
            self._reader = None

    async def close(self) -> None:
        await self.stop_listening()
        await super().close()


def describe(fm: ForwardMsg) -> str:
    """A message in a few words, for --trace."""
    kind = fm.WhichOneof("type")
    if kind == "new_session":
        return f"new_session fragments={[f[:8] for f in fm.metadata.run.fragment_ids]}"
    if kind == "script_finished":
        return f"script_finished {ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)}"
    if kind == "auto_rerun":
        return f"auto_rerun {fm.auto_rerun.fragment_id[:8]} {fm.auto_rerun.interval:g}"
    if kind == "delta":
        el = fm.delta.new_element
        what = el.WhichOneof("type") if fm.delta.WhichOneof("type") == "new_element" else (
            fm.delta.WhichOneof("type"))
        text = el.heading.body if what == "heading" else el.markdown.body[:40] if (
            what == "markdown") else el.alert.body[:60] if what == "alert" else ""
        return f"delta {what} {text}"
    return kind or "?"


# -- a throwaway PostgreSQL server ----------------------------------------------------------

def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or (
        [shutil.which(name)] if shutil.which(name) else [])
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `make db-deps` installs Debian's "
                           "postgresql")
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the Debian package brings a `postgres` user.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class Postgres:
    """A PostgreSQL server of its own on a free loopback port, in a temporary folder;
    `with Postgres() as pg: pg.url`. `stop()` and `start()` take it down and up again
    (a database that is down, for a test)."""

    def __init__(self):
        from deploy.serve import free_port
        self.root = Path(tempfile.mkdtemp(prefix="layerscope-pg-"))
        self.data, self.port = self.root / "data", free_port()
        self.url = f"postgresql://layerscope@127.0.0.1:{self.port}/postgres"

    def __enter__(self) -> Postgres:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        subprocess.run(_as_postgres([pg_bin("initdb"), "-D", str(self.data), "-A", "trust",
                                     "-U", "layerscope", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)
        self.start()
        return self

    def start(self) -> None:
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.root} -c max_connections=200")
        subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-o", opts,
                                     "-w", "-l", str(self.root / "log"), "start"]),
                       check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-m",
                                     "immediate", "stop"]), capture_output=True, timeout=60)

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def class_database(kind: str, url: str | None = None):
    """The URL of an empty class database for the workers: SQLite in a fresh data folder
    (the app's default file in it), a throwaway PostgreSQL, or the one given."""
    if url:
        yield url
    elif kind == "postgres":
        with Postgres() as pg:
            yield pg.url
    else:
        folder = Path(tempfile.mkdtemp(prefix="layerscope-class-"))
        try:
            yield f"sqlite:///{folder / 'layerscope.sqlite3'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def environment(**values: str):
    """os.environ with `values` set (workers started meanwhile inherit them)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# -- the class ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    students: int = 0
    joined: int = 0
    answered: int = 0
    stored: int | None = None             # answers the database holds at the end
    join_all_s: float | None = None       # from the join window's start to the last page open
    join_p95_s: float | None = None
    answer_all_s: float | None = None     # from the answer window's start to the last taken
    answer_p95_s: float | None = None
    tally_after_last_s: float | None = None
    polls: int = 0
    poll_seconds: float = 0.0
    cpu_s: float = 0.0                    # workers' + HAProxy's CPU while polling
    cpu_ms_per_student_minute: float | None = None
    reveal_p50_s: float | None = None
    reveal_p95_s: float | None = None
    reveal_max_s: float | None = None
    follow_p50_s: float | None = None
    follow_p95_s: float | None = None
    follow_max_s: float | None = None
    presenter_next_s: float | None = None  # the presenter's own rerun after Next
    # the server's CPU per student in each phase (ms): its page runs and its polls
    # during the phase (cpu_ms_per_student_minute is the polls alone)
    cpu_ms_per_student: dict = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    client_cpu_s: float = 0.0             # this benchmark's own CPU time, all phases
    loadavg_1min: list = field(default_factory=list)

    def error(self, kind: str, note: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
        if len(self.notes) < 20:
            self.notes.append(note)


def _pct(xs: list[float], q: float) -> float | None:
    return load._pct(xs, q)


def server_cpu_s(pids: list[int]) -> float:
    """CPU seconds used so far by these processes and their descendants."""
    return sum(MemorySampler.cpu_s(p) for pid in pids for p in MemorySampler.family(pid))


async def run_class(url: str, students: int, pids, database_url: str | None = None,
                    join_window: float = 5.0, answer_window: float = 5.0,
                    poll_seconds: float = 30.0, seed: int = 0) -> Outcome:
    """The whole class once (see the module's docstring); its Outcome."""
    load.check_loopback(url)
    if not 1 <= students <= MAX_STUDENTS or not 0 <= poll_seconds <= MAX_SECONDS:
        raise ValueError(f"students 1..{MAX_STUDENTS}, poll seconds up to {MAX_SECONDS}")
    out, rng = Outcome(students=students), random.Random(seed)
    client_cpu = time.process_time()
    out.loadavg_1min.append(round(os.getloadavg()[0], 1))
    presenter = ClassSession(url, "presenter")
    class_ = [ClassSession(url, f"s{i}") for i in range(students)]
    cpu = lambda: server_cpu_s(pids())                                # noqa: E731

    async def costed(phase: str, work):
        before = cpu()
        result = await work
        out.cpu_ms_per_student[phase] = round((cpu() - before) * 1e3 / students, 1)
        return result

    try:
        code = await open_class(presenter)
        steps = step_titles()
        await costed("join", join_all(class_, code, steps[0], join_window, rng, out))
        last = await costed("answer", answer_all(class_, answer_window, rng, out))
        sent = sum(1 for s in class_ if s.answer_sent)
        await watch_tally(presenter, len(class_), sent, last, out)
        await poll_quietly(class_, pids, poll_seconds, out)
        await costed("reveal", move_on(presenter, class_, "Reveal", "chart", out, "reveal"))
        await costed("follow", move_on(presenter, class_, "Next step", f"title:{steps[1]}",
                                       out, "follow"))
        if database_url:
            out.stored = stored_answers(database_url, code, 0)
            if out.stored < sent:
                out.error("lost", f"{sent} answers sent, {out.stored} stored")
    finally:
        await asyncio.gather(presenter.close(), *(s.close() for s in class_))
        out.client_cpu_s = round(time.process_time() - client_cpu, 1)
        out.loadavg_1min.append(round(os.getloadavg()[0], 1))
    for s in [presenter, *class_]:
        if "database down" in s.seen:
            out.error("database down", f"{s.name}: the page said the class database is down")
        if s.exceptions:
            out.error("exception", f"{s.name}: {s.exceptions} exception element(s)")
    return out


def step_titles() -> list[str]:
    """The lesson's step titles, from its file (no Streamlit here)."""
    import tomllib
    from deploy.serve import REPO
    data = tomllib.loads((REPO / "lessons" / f"{LESSON}.toml").read_text(encoding="utf-8"))
    return [step["title"] for step in data["steps"]]


async def open_class(presenter: ClassSession) -> str:
    view = View("lessons", (("lesson", LESSON), ("step", "1"), ("present", "1")))
    await presenter.open(view)
    await presenter.click("Run with a class")
    found = [m for text in presenter.markdown for m in CODE.findall(text)]
    if not found:
        raise RuntimeError(f"no class code on the presenter's page: {presenter.markdown}")
    return found[0]


async def staggered(sessions: list, window: float, rng: random.Random, act) -> tuple:
    """`act(s)` for every session, each started at a random moment of `window` seconds,
    as a class does it; act returns True when it worked. (each one's time, when each
    ended on perf_counter's clock, the start)."""
    starts = [rng.uniform(0, window) for _ in sessions]
    t0 = time.perf_counter()
    took: list[float] = []
    done: list[float] = []

    async def one(s, at: float) -> None:
        await asyncio.sleep(at)
        sent = time.perf_counter()
        if await act(s):
            took.append(time.perf_counter() - sent)
            done.append(time.perf_counter())

    await asyncio.gather(*(one(s, at) for s, at in zip(sessions, starts)))
    return took, done, t0


async def join_all(class_: list[ClassSession], code: str, title: str, window: float,
                   rng: random.Random, out: Outcome) -> None:
    async def join(s: ClassSession) -> bool:
        try:
            run = await s.open(View("lessons", (("join", code),)))
        except (OSError, InvalidHandshake, ConnectionClosed, asyncio.TimeoutError) as exc:
            out.error("join", f"{s.name}: join: {exc!r}")
            return False
        if run.status != "FINISHED_SUCCESSFULLY" or f"title:{title}" not in s.seen or (
                "Send my answer" not in s.buttons):
            out.error("join", f"{s.name}: the page after joining is not step 1's question "
                      f"({run.status}; alerts {s.alerts[:2]})")
            return False
        return True

    took, done, t0 = await staggered(class_, window, rng, join)
    out.joined = len(done)
    out.join_all_s = _r(max(done) - t0) if done else None
    out.join_p95_s = _r(_pct(took, 0.95))


async def answer_all(class_: list[ClassSession], window: float, rng: random.Random,
                     out: Outcome) -> float:
    """Every joined student answers step 1; when the last answer was taken."""
    async def answer(s: ClassSession) -> bool:
        try:
            await s.send_answer(rng.choice(ANSWERS))
        except (LookupError, ConnectionClosed, asyncio.TimeoutError) as exc:
            out.error("answer", f"{s.name}: answer: {exc!r}")
            return False
        if not any(kind == "success" and body.startswith("Your answer")
                   for kind, body in s.alerts):
            out.error("answer", f"{s.name}: answer not taken: {s.alerts[:2]}")
            return False
        return True

    joined = [s for s in class_ if "Send my answer" in s.buttons]
    took, done, t0 = await staggered(joined, window, rng, answer)
    out.answered = len(done)
    out.answer_all_s = _r(max(done, default=t0) - t0) if done else None
    out.answer_p95_s = _r(_pct(took, 0.95))
    return max(done, default=t0)


async def watch_tally(presenter: ClassSession, n: int, sent: int, last: float,
                      out: Outcome) -> None:
    """The presenter's own fragment run says all `sent` answers are in: how long after
    the last answer was taken."""
    words = f"markdown:**{n} joined · {sent} answered**"
    try:
        seen = await presenter.first_seen(words, timeout=WAIT_S)
    except asyncio.TimeoutError:
        out.error("tally", f"the presenter's tally never said {words!r}")
        return
    out.tally_after_last_s = _r(max(0.0, seen - last))


async def poll_quietly(class_: list[ClassSession], pids, seconds: float,
                       out: Outcome) -> None:
    """Everyone on the page, polling, for `seconds`: the server's CPU meanwhile."""
    polls = sum(s.polls for s in class_)
    before, t0 = server_cpu_s(pids()), time.perf_counter()
    await asyncio.sleep(seconds)
    out.cpu_s = round(server_cpu_s(pids()) - before, 2)
    out.poll_seconds = round(time.perf_counter() - t0, 1)
    out.polls = sum(s.polls for s in class_) - polls
    if seconds and class_:
        out.cpu_ms_per_student_minute = round(
            out.cpu_s * 1e3 / len(class_) / (out.poll_seconds / 60), 1)


async def move_on(presenter: ClassSession, class_: list[ClassSession], label: str,
                  shows: str, out: Outcome, name: str) -> None:
    """The presenter presses `label`; each student's page is watched until it `shows`
    (a `seen` key) without the student doing anything. Delays from the press."""
    pressed = time.perf_counter()
    try:
        run = await presenter.click(label)
    except asyncio.TimeoutError:
        out.error("presenter", f"presenter: {label}: the page never finished its run")
        return
    if name == "follow":
        out.presenter_next_s = _r(time.perf_counter() - pressed)
    if run.exceptions:
        out.error("presenter", f"presenter: {label}: an exception")
    joined = [s for s in class_ if s._reader is not None]

    async def one(s: ClassSession) -> float | None:
        try:
            return await s.first_seen(shows, timeout=WAIT_S) - pressed
        except asyncio.TimeoutError:
            out.error("follow", f"{s.name}: never showed {shows!r} after {label}")
            return None

    delays = [d for d in await asyncio.gather(*(one(s) for s in joined)) if d is not None]
    setattr(out, f"{name}_p50_s", _r(_pct(delays, 0.5)))
    setattr(out, f"{name}_p95_s", _r(_pct(delays, 0.95)))
    setattr(out, f"{name}_max_s", _r(max(delays, default=None)))


def stored_answers(database_url: str, code: str, step: int) -> int:
    from classroom import classes
    from classroom.db import Database
    db = Database(database_url)
    try:
        return classes.tally(db, code, step).answered
    finally:
        db.close()


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


# -- command line ---------------------------------------------------------------------------

def missed(out: Outcome) -> list[str]:
    """The issue's targets this run missed, in words.

    >>> missed(Outcome(join_all_s=4.0, answer_all_s=12.5, tally_after_last_s=1.0,
    ...                follow_max_s=None))
    ['answer_all 12.5 s > 10 s', 'follow_max not measured']
    """
    words = []
    for key, limit in TARGETS_S.items():
        got = getattr(out, f"{key}_s")
        if got is None:
            words.append(f"{key} not measured")
        elif got > limit:
            words.append(f"{key} {got:g} s > {limit:g} s")
    return words


def table(rows: list[dict]) -> str:
    head = ("| database | workers | students | joined | answered / stored | all joined "
            "| all answered | tally after last | reveal p50 / p95 / max | next step p50 / "
            "p95 / max | server CPU ms / student / min | errors |")
    lines = [head, "|" + "---|" * 12]
    s = lambda x: "–" if x is None else f"{x:g} s"                    # noqa: E731
    for r in rows:
        lines.append(
            f"| {r['database']} | {r['workers']} | {r['students']} | {r['joined']} | "
            f"{r['answered']} / {r['stored']} | {s(r['join_all_s'])} | "
            f"{s(r['answer_all_s'])} | {s(r['tally_after_last_s'])} | "
            f"{s(r['reveal_p50_s'])} / {s(r['reveal_p95_s'])} / {s(r['reveal_max_s'])} | "
            f"{s(r['follow_p50_s'])} / {s(r['follow_p95_s'])} / {s(r['follow_max_s'])} | "
            f"{r['cpu_ms_per_student_minute']} | {r['errors']} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2,
                    help="streamlit processes behind HAProxy (deploy.serve), as make serve")
    ap.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--database-url", default=None,
                    help="a class database to use instead (its classes are left in it)")
    ap.add_argument("--join-window", type=float, default=5.0,
                    help="seconds over which the students open the link")
    ap.add_argument("--answer-window", type=float, default=5.0,
                    help="seconds over which they send their answers")
    ap.add_argument("--poll-seconds", type=float, default=30.0,
                    help="seconds of everyone polling, for the server's CPU")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--log-dir", type=Path, default=None)
    ap.add_argument("--trace", type=Path, default=None,
                    help="list every message every session sent and got in this file")
    args = ap.parse_args(argv)
    if not 1 <= args.students <= MAX_STUDENTS:
        ap.error(f"--students takes 1..{MAX_STUDENTS}")
    if not 0 <= args.poll_seconds <= MAX_SECONDS:
        ap.error(f"--poll-seconds takes 0..{MAX_SECONDS}")
    if not (0 <= args.join_window <= 60 and 0 <= args.answer_window <= 60):
        ap.error("the windows take 0..60 seconds")
    if (args.database_url or "").startswith(("postgresql://", "postgres://")):
        try:
            load.check_loopback(args.database_url)
        except ValueError as exc:
            ap.error(str(exc))
    kind = "postgres" if (args.database == "postgres" or (args.database_url or "").startswith(
        "postgres")) else "sqlite"
    from deploy.serve import Cluster
    global TRACE
    with contextlib.ExitStack() as stack:
        if args.trace:
            TRACE = stack.enter_context(open(args.trace, "w"))
        db_url = stack.enter_context(class_database(kind, args.database_url))
        stack.enter_context(environment(LAYERSCOPE_DATABASE_URL=db_url))
        try:
            cluster = stack.enter_context(Cluster(args.workers, log_dir=args.log_dir))
        except RuntimeError as exc:
            sys.exit(f"classpoll: {exc}")
        pids = lambda: cluster.pids() + [cluster.proxy.pid]          # noqa: E731
        print(f"classpoll: {args.workers} worker(s) behind HAProxy, {kind}; "
              f"{args.students} students (logs in {cluster.log_dir})", flush=True)
        warm_up(cluster)
        out = asyncio.run(run_class(cluster.url, args.students, pids, db_url,
                                    args.join_window, args.answer_window,
                                    args.poll_seconds, args.seed))
    row = dict(database=kind, workers=args.workers) | asdict(out)
    print(table([row]))
    print(f"polls while quiet: {out.polls} in {out.poll_seconds:g} s, server CPU "
          f"{out.cpu_s:g} s; the benchmark's own CPU {out.client_cpu_s:g} s; presenter's "
          f"Next run {out.presenter_next_s} s; load average {out.loadavg_1min}")
    print(f"server CPU ms per student, by phase: {out.cpu_ms_per_student}")
    for note in out.notes:
        print(f"  note: {note}")
    misses = missed(out)
    print("targets: " + ("all met" if not misses else "MISSED " + "; ".join(misses)))
    print(json.dumps(row))
    if args.json:
        args.json.write_text(json.dumps(row, indent=2))
    if out.errors or misses:
        sys.exit(1)


def warm_up(cluster) -> None:
    """Each worker opens the lesson once, on its own port: a worker's first run pays
    for imports, which a class meets once (the presenter's rehearsal), not per student."""
    async def one(url: str) -> None:
        s = Session(url)
        try:
            await s.connect(View("lessons", (("lesson", LESSON), ("step", "1"))))
        finally:
            await s.close()
    for w in cluster.workers:
        asyncio.run(one(w.url))


if __name__ == "__main__":
    main()
