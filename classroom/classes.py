"""A class running a lesson together: the presenter leads, students answer each step.

Only the presenter (who holds the secret the class was opened with) moves the class to a
step, reveals it or closes it. Students are anonymous ids, one answer each per step, which
they may change until the reveal. A class closes itself after `IDLE_HOURS` without a
presenter action or an answer, and is deleted with its answers `KEEP_HOURS` after it was
last active. Every function takes `now` (seconds) so tests can move the clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from . import codes
from .db import Database

IDLE_HOURS = 3.0
KEEP_HOURS = 24.0
MAX_ANSWER_CHARS = 40
FAILED_JOINS_PER_MINUTE = 60      # across the server: guessing a code stays hopeless
FAILED_JOINS_PER_STUDENT = 8      # in ten minutes, for one browser
MAX_STUDENTS = 1000               # a class larger than a lecture hall is a flood

Grade = Callable[[str], "tuple[float | None, bool | None]"]   # raises ValueError if unreadable


class ClassError(Exception):
    """Something a user did that the class refuses; the message is for them."""


@dataclass(frozen=True)
class Opened:
    code: str
    secret: str


@dataclass(frozen=True)
class State:
    code: str
    lesson: str
    step: int
    revealed: bool
    closed: bool


@dataclass(frozen=True)
class Answer:
    text: str
    value: float | None
    correct: bool | None


@dataclass(frozen=True)
class Tally:
    joined: int
    answers: tuple[Answer, ...]

    @property
    def answered(self) -> int:
        return len(self.answers)

    @property
    def right(self) -> int:
        return sum(1 for a in self.answers if a.correct)


def _now(now: float | None) -> float:
    return time.time() if now is None else float(now)


def open_class(db: Database, lesson: str, now: float | None = None) -> Opened:
    """A new class at the lesson's first step, with a fresh code and secret."""
    now = _now(now)
    sweep(db, now)
    secret = codes.new_secret()
    with db.transaction() as cur:
        while True:
            code = codes.new_code()
            if not cur.one("SELECT 1 FROM classes WHERE code = ?", (code,)):
                break
        cur.run("INSERT INTO classes (code, secret_hash, lesson, step, revealed, closed, "
                "created, active) VALUES (?, ?, ?, 0, 0, 0, ?, ?)",
                (code, codes.digest(secret), str(lesson)[:80], now, now))
    return Opened(code, secret)


def state(db: Database, code: str, now: float | None = None) -> State | None:
    """The class's step and whether it is revealed; None for no such class."""
    code = codes.normalize(code)
    with db.transaction(write=False) as cur:
        row = cur.one("SELECT code, lesson, step, revealed, closed, active FROM classes "
                      "WHERE code = ?", (code,))
    if row is None:
        return None
    idle = _now(now) - row[5] > IDLE_HOURS * 3600
    return State(row[0], row[1], int(row[2]), bool(row[3]), bool(row[4]) or idle)


def join(db: Database, typed_code: str, student: str, now: float | None = None) -> State:
    """Let `student` into the class `typed_code` names; wrong codes are counted, and
    too many of them, from this browser or in all, pause joining for a while."""
    now, code, student = _now(now), codes.normalize(typed_code), str(student)[:40]
    full = False
    with db.transaction() as cur:
        _refuse_guessing(cur, student, now)
        row = cur.one("SELECT closed, active FROM classes WHERE code = ?", (code,)) if (
            codes.is_wellformed(code)) else None
        found = row is not None and not row[0] and now - row[1] <= IDLE_HOURS * 3600
        if not found:        # counted here, refused once the count is committed
            cur.run("INSERT INTO failed_joins (student, at) VALUES (?, ?)", (student, now))
        elif not cur.one("SELECT 1 FROM students WHERE code = ? AND student = ?",
                         (code, student)):
            full = cur.one("SELECT COUNT(*) FROM students WHERE code = ?",
                           (code,))[0] >= MAX_STUDENTS
            if not full:
                cur.run("INSERT INTO students (code, student, joined) VALUES (?, ?, ?) "
                        "ON CONFLICT (code, student) DO NOTHING", (code, student, now))
    if not found:
        _no_class(typed_code)
    if full:
        raise ClassError("This class is full.")
    return state(db, code, now)


def _no_class(typed_code: str) -> None:
    shown = "".join(ch for ch in str(typed_code) if ch.isalnum() or ch == "-")[:20]
    raise ClassError(f"No open class has the code {shown!r}: check it on the presenter's "
                     "screen.")


def _refuse_guessing(cur, student: str, now: float) -> None:
    in_all = cur.one("SELECT COUNT(*) FROM failed_joins WHERE at > ?", (now - 60,))[0]
    mine = cur.one("SELECT COUNT(*) FROM failed_joins WHERE student = ? AND at > ?",
                   (student[:40], now - 600))[0]
    if mine >= FAILED_JOINS_PER_STUDENT or in_all >= FAILED_JOINS_PER_MINUTE:
        raise ClassError("Too many wrong codes: wait a minute, then check the code on "
                         "the presenter's screen.")


def answer(db: Database, code: str, student: str, step: int, text: str, grade: Grade,
           now: float | None = None) -> Answer:
    """Record (or change) `student`'s answer to `step`, read by the lesson's `grade`,
    while that step is open: the class is on it and has not revealed it."""
    text = "".join(ch for ch in str(text) if ch.isprintable()).strip()
    if not text:
        raise ClassError("Type an answer first.")
    if len(text) > MAX_ANSWER_CHARS:
        raise ClassError(f"An answer has at most {MAX_ANSWER_CHARS} characters.")
    try:
        value, correct = grade(text)
    except ValueError as error:
        raise ClassError(str(error)) from None
    now, code = _now(now), codes.normalize(code)
    with db.transaction() as cur:
        row = cur.one("SELECT step, revealed, closed FROM classes WHERE code = ?", (code,))
        if row is None or row[2]:
            raise ClassError("This class has ended.")
        if int(row[0]) != step or row[1]:
            raise ClassError("This question is closed: the class has moved on.")
        if not cur.one("SELECT 1 FROM students WHERE code = ? AND student = ?",
                       (code, student[:40])):
            raise ClassError("Join the class first.")
        flag = None if correct is None else int(bool(correct))
        cur.run("INSERT INTO answers (code, student, step, text, value, correct, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, student, step) DO UPDATE "
                "SET text = excluded.text, value = excluded.value, "
                "correct = excluded.correct, at = excluded.at",
                (code, student[:40], step, text, value, flag, now))
        cur.run("UPDATE classes SET active = ? WHERE code = ?", (now, code))
    return Answer(text, value, correct)


def _lead(db: Database, code: str, secret: str, sql: str, params: tuple, now) -> State:
    now, code = _now(now), codes.normalize(code)
    with db.transaction() as cur:
        row = cur.one("SELECT secret_hash FROM classes WHERE code = ?", (code,))
        if row is None or not codes.matches(secret, row[0]):
            raise PermissionError("Only the presenter who opened this class can lead it.")
        cur.run(sql, params + (now, code))
    return state(db, code, now)


def go_to(db: Database, code: str, secret: str, step: int, now: float | None = None) -> State:
    """The presenter moves the class to `step` (its question open, nothing revealed)."""
    return _lead(db, code, secret, "UPDATE classes SET step = ?, revealed = 0, closed = 0, "
                 "active = ? WHERE code = ?", (int(step),), now)


def reveal(db: Database, code: str, secret: str, now: float | None = None) -> State:
    return _lead(db, code, secret, "UPDATE classes SET revealed = 1, active = ? "
                 "WHERE code = ?", (), now)


def close(db: Database, code: str, secret: str, now: float | None = None) -> State:
    return _lead(db, code, secret, "UPDATE classes SET closed = 1, active = ? "
                 "WHERE code = ?", (), now)


def mine(db: Database, code: str, student: str, step: int) -> Answer | None:
    """`student`'s answer to `step`, if any."""
    with db.transaction(write=False) as cur:
        row = cur.one("SELECT text, value, correct FROM answers WHERE code = ? AND "
                      "student = ? AND step = ?", (codes.normalize(code), str(student)[:40],
                                                   int(step)))
    return None if row is None else Answer(row[0], row[1], None if row[2] is None else
                                           bool(row[2]))


def tally(db: Database, code: str, step: int) -> Tally:
    """Who has joined, and every answer to `step`."""
    code = codes.normalize(code)
    with db.transaction(write=False) as cur:
        joined = cur.one("SELECT COUNT(*) FROM students WHERE code = ?", (code,))[0]
        rows = cur.all("SELECT text, value, correct FROM answers WHERE code = ? AND step = ?",
                       (code, int(step)))
    return Tally(int(joined), tuple(
        Answer(t, v, None if c is None else bool(c)) for t, v, c in rows))


def scores(db: Database, code: str) -> dict[int, tuple[int, int]]:
    """Per step: (answers, right answers)."""
    with db.transaction(write=False) as cur:
        rows = cur.all("SELECT step, COUNT(*), SUM(COALESCE(correct, 0)) FROM answers "
                       "WHERE code = ? GROUP BY step ORDER BY step", (codes.normalize(code),))
    return {int(s): (int(n), int(r or 0)) for s, n, r in rows}


def sweep(db: Database, now: float | None = None) -> int:
    """Delete classes (with students and answers) last active over KEEP_HOURS ago, and
    forget wrong codes older than ten minutes. Returns the classes deleted."""
    cutoff = _now(now) - KEEP_HOURS * 3600
    with db.transaction() as cur:
        old = [r[0] for r in cur.all("SELECT code FROM classes WHERE active < ?", (cutoff,))]
        for table in ("answers", "students", "classes"):
            cur.run(f"DELETE FROM {table} WHERE code IN "
                    "(SELECT code FROM classes WHERE active < ?)", (cutoff,))
        cur.run("DELETE FROM failed_joins WHERE at < ?", (_now(now) - 600,))
    return len(old)
