"""A lesson run with a class: the presenter's code, QR and spread of answers, and the
students' pages that follow the presenter's step.

The class lives in the database (classroom.db), never in this process: the students of
one class may be served by different processes of `make serve`, and a student whose
process dies reconnects to another with the same link. A student's link carries the class
code and the student's anonymous id (`join=…&me=…`); the presenter's secret stays in the
presenter's session, never in a link (the screen is projected).
"""

from __future__ import annotations

import io
import math
import threading
import time
import urllib.parse
from dataclasses import dataclass

import streamlit as st

from classroom import classes, codes
from classroom.db import Database, DatabaseDown

URL_KEYS = ("join", "me")
PRESENTER = "_class_presenter"        # session state: Led, the class this browser leads
MINE = "_class_mine"                  # session state: step key -> the student's Verdict
STUDENT_POLL_S = 1.5                  # a step change reaches every student within ~2 s
PRESENTER_POLL_S = 1.0
STATE_TTL_S = 0.5                     # one process reads a class's state twice a second at most
RETRY_DOWN_S = 30.0                   # a database found down is tried again after this
DOWN_NOTE = ("The class view is off: the class database cannot be reached. The lesson "
             "goes on in this browser.")


@dataclass(frozen=True)
class Led:
    lesson: str
    code: str
    secret: str


# -- the students' timers -------------------------------------------------------------

def drop_ticks_while_running() -> None:
    """Drop a `run_every` fragment's tick that reaches a session while its run is under
    way, as far as the session's event loop knows.

    Streamlit 1.67's browser sends a fragment's tick on its own timer, running or not.
    When a class reruns at once, a worker's event loop falls seconds behind its script
    threads; a tick it reads after a run has finished on its thread, but before it has
    sent that run's last messages, starts a new ScriptRunner, and AppSession then drops
    the finished run's remaining messages as a stale runner's: its last elements, its
    end and its fragments' timers. The student's page stays half drawn and stops
    following (bench.classpoll shows it with a class of 200). The run in
    progress re-arms the timers of the fragments it draws, so a dropped tick costs
    nothing. Ticks only: a click still reaches the session as before."""
    from streamlit.runtime.app_session import AppSession, AppSessionState
    handle = AppSession._handle_rerun_script_request
    if getattr(handle, "_drops_ticks", False):
        return

    def _handle_rerun_script_request(self, client_state=None):
        if (client_state is not None and client_state.is_auto_rerun
                and self._state == AppSessionState.APP_IS_RUNNING):
            return
        handle(self, client_state)

    _handle_rerun_script_request._drops_ticks = True
    AppSession._handle_rerun_script_request = _handle_rerun_script_request


drop_ticks_while_running()


# -- the database, once per process ---------------------------------------------------

_lock = threading.Lock()
_db: Database | None = None
_down_since = -math.inf


def database() -> Database | None:
    """The class database, migrated on first use; None while it is down (tried again
    every RETRY_DOWN_S, so a database back up is found without a restart)."""
    global _db, _down_since
    with _lock:
        if _db is not None:
            return _db
        if time.monotonic() - _down_since < RETRY_DOWN_S:
            return None
        try:
            db = Database()
            db.migrate()
            classes.sweep(db)            # classes of a day ago go, as a new process starts
        except DatabaseDown:
            _down_since = time.monotonic()
            return None
        _db = db
        return _db


def _call(fn, *args, **kwargs):
    """`fn(db, …)`, or None with the database down (the note says so once)."""
    db = database()
    if db is None:
        return None
    try:
        return fn(db, *args, **kwargs)
    except DatabaseDown:
        global _db, _down_since
        with _lock:
            _db, _down_since = None, time.monotonic()
        return None


_states: dict[str, tuple[float, classes.State | None]] = {}


def class_state(code: str) -> classes.State | None:
    """The class's state, read at most every STATE_TTL_S by this process however many of
    its students poll."""
    now = time.monotonic()
    hit = _states.get(code)
    if hit is not None and now - hit[0] < STATE_TTL_S:
        return hit[1]
    state = _call(classes.state, code)
    _states[code] = (now, state)
    if len(_states) > 1000:                       # a flood of made-up codes
        _states.clear()
    return state


# -- the presenter ------------------------------------------------------------------------

def led(lesson_id: str) -> Led | None:
    held = st.session_state.get(PRESENTER)
    return held if held is not None and held.lesson == lesson_id else None


def open_for(lesson_id: str) -> None:
    opened = _call(classes.open_class, lesson_id)
    if opened is None:
        st.session_state["_class_down"] = True
        return
    st.session_state[PRESENTER] = Led(lesson_id, opened.code, opened.secret)


def end(lesson_id: str) -> None:
    held = led(lesson_id)
    if held is not None:
        _call(classes.close, held.code, held.secret)
        st.session_state.pop(PRESENTER, None)


def sync(held: Led, step_index: int, revealed: bool) -> classes.State | None:
    """Put the class on the presenter's step, revealed as the presenter's page is."""
    state = _call(classes.state, held.code)
    if state is None:
        return None
    if state.step != step_index or state.closed:
        state = _call(classes.go_to, held.code, held.secret, step_index)
    if state is not None and revealed and not state.revealed:
        state = _call(classes.reveal, held.code, held.secret)
    _states.pop(held.code, None)
    return state


def join_link(code: str) -> str:
    """The link a student opens: this app's address, the Lessons page, the code."""
    base = st.context.url or ""
    parts = urllib.parse.urlsplit(base)
    path = parts.path.rsplit("/", 1)[0] if parts.path.endswith(("/lessons", "/variance")) else (
        parts.path.rstrip("/"))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{path}/lessons",
                                    f"join={code}", ""))


@st.cache_data(max_entries=16, show_spinner=False)
def qr_png(text: str) -> bytes:
    """The join link as a QR code (PNG): drawn once per link, not on every rerun of the
    presenter's page (about 7 ms each)."""
    import segno
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def tally(held: Led, step_index: int):
    return _call(classes.tally, held.code, step_index)


def scores(held: Led):
    return _call(classes.scores, held.code)


# -- the students -----------------------------------------------------------------------

JOINED = "_class_joined"              # session state: (code, student id) once let in


def joined() -> tuple[str, str] | None:
    """(code, student id) when this page is a student's in a class."""
    code, me = st.query_params.get("join"), st.query_params.get("me")
    return (codes.normalize(code), me) if code and me else None


def follow_link() -> str | None:
    """On a `join=` link, before the lesson is resolved: let this browser into the class
    once (an anonymous id, written into the link so that a reload, or another server
    process after this one fails, keeps it), then point the link at the class's lesson
    and the step the presenter is on. A note for the page when that fails."""
    code = st.query_params.get("join")
    if code is None:
        return None
    me = st.query_params.get("me") or codes.new_student()
    if st.session_state.get(JOINED) == (codes.normalize(code), me):
        state = class_state(codes.normalize(code))
    else:
        try:
            state = _call(classes.join, code, me)
        except classes.ClassError as error:
            _leave()
            return str(error)
        if state is not None:
            st.session_state[JOINED] = (state.code, me)
    if state is None:
        _leave()
        return DOWN_NOTE
    st.query_params.update(join=state.code, me=me, lesson=state.lesson,
                           step=str(state.step + 1))
    return None


def _leave() -> None:
    for key in ("join", "me", "lesson", "step"):
        st.query_params.pop(key, None)
    st.session_state.pop(JOINED, None)


def submit(code: str, me: str, step_index: int, text: str, grade) -> str | None:
    """Send the student's answer; the refusal in words, or None when it was taken."""
    try:
        taken = _call(classes.answer, code, me, step_index, text, grade)
    except classes.ClassError as error:
        return str(error)
    return DOWN_NOTE if taken is None else None


def mine(code: str, me: str, step_index: int) -> classes.Answer | None:
    return _call(classes.mine, code, me, step_index)
