"""The rules of a class, on SQLite and on a real PostgreSQL server alike."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from classroom import classes as C
from classroom import codes
from classroom.db import VERSION, Database, DatabaseDown
from deploy.serve import free_port

T0 = 1_800_000_000.0          # a fixed clock: every call passes `now`


def number(text):              # a grader like a lesson's: a number, right if it is 40
    value = float(text)
    return value, value == 40


@pytest.fixture
def lesson(database):
    opened = C.open_class(database, "variance_law", now=T0)
    return database, opened


def test_the_presenter_leads_and_students_follow(lesson):
    db, opened = lesson
    C.join(db, codes.shown(opened.code).lower(), "ann", now=T0)   # typed as shown, any case
    C.answer(db, opened.code, "ann", 0, "40", number, now=T0 + 1)
    assert C.reveal(db, opened.code, opened.secret, now=T0 + 2).revealed
    moved = C.go_to(db, opened.code, opened.secret, 3, now=T0 + 3)
    assert (moved.step, moved.revealed, moved.closed) == (3, False, False)
    assert C.close(db, opened.code, opened.secret, now=T0 + 4).closed


@pytest.mark.parametrize("secret", ["", "guess", "x" * 64])
def test_only_the_presenters_secret_advances_reveals_or_closes(lesson, secret):
    db, opened = lesson
    C.join(db, opened.code, "mallory", now=T0)
    for act in (lambda: C.go_to(db, opened.code, secret, 2, now=T0),
                lambda: C.reveal(db, opened.code, secret, now=T0),
                lambda: C.close(db, opened.code, secret, now=T0)):
        with pytest.raises(PermissionError):
            act()
    assert C.state(db, opened.code, now=T0) == C.State(opened.code, "variance_law", 0,
                                                       False, False)


def test_one_answer_per_student_per_step_changeable_until_the_reveal(lesson):
    db, opened = lesson
    for student in ("ann", "bob"):
        C.join(db, opened.code, student, now=T0)
    C.answer(db, opened.code, "ann", 0, "41", number, now=T0)
    C.answer(db, opened.code, "ann", 0, "40", number, now=T0 + 1)     # changed her mind
    C.answer(db, opened.code, "bob", 0, "1e6", number, now=T0 + 1)
    tally = C.tally(db, opened.code, 0)
    assert (tally.joined, tally.answered, tally.right) == (2, 2, 1)
    assert sorted(a.text for a in tally.answers) == ["1e6", "40"]
    C.reveal(db, opened.code, opened.secret, now=T0 + 2)
    with pytest.raises(C.ClassError, match="closed"):
        C.answer(db, opened.code, "bob", 0, "40", number, now=T0 + 3)
    assert C.scores(db, opened.code) == {0: (2, 1)}


def test_answers_go_only_to_the_open_step_of_a_class_one_joined(lesson):
    db, opened = lesson
    with pytest.raises(C.ClassError, match="Join"):
        C.answer(db, opened.code, "stranger", 0, "40", number, now=T0)
    C.join(db, opened.code, "ann", now=T0)
    with pytest.raises(C.ClassError, match="moved on"):
        C.answer(db, opened.code, "ann", 1, "40", number, now=T0)
    assert C.tally(db, opened.code, 1).answered == 0


@pytest.mark.parametrize("text, message", [
    ("", "Type an answer"), ("   ", "Type an answer"),
    ("4" * (C.MAX_ANSWER_CHARS + 1), "at most"), ("forty", "could not convert")])
def test_an_answer_is_bounded_and_read_as_the_lessons_kind(lesson, text, message):
    db, opened = lesson
    C.join(db, opened.code, "ann", now=T0)
    with pytest.raises(C.ClassError, match=message):
        C.answer(db, opened.code, "ann", 0, text, number, now=T0)
    assert C.tally(db, opened.code, 0).answered == 0


def test_answer_text_is_kept_verbatim_minus_control_characters(lesson):
    db, opened = lesson
    C.join(db, opened.code, "ann", now=T0)
    C.answer(db, opened.code, "ann", 0, "<b>**B**</b>\x00\n", lambda t: (None, False), now=T0)
    assert C.tally(db, opened.code, 0).answers[0].text == "<b>**B**</b>"


def test_wrong_codes_from_one_browser_pause_its_joining(lesson):
    db, opened = lesson
    for i in range(C.FAILED_JOINS_PER_STUDENT):
        with pytest.raises(C.ClassError, match="No open class"):
            C.join(db, "ZZZZ-ZZZ" + str(i % 10), "guesser", now=T0 + i)
    with pytest.raises(C.ClassError, match="Too many"):       # even the right code now
        C.join(db, opened.code, "guesser", now=T0 + 20)
    C.join(db, opened.code, "ann", now=T0 + 20)                # others are not held up
    assert C.join(db, opened.code, "guesser", now=T0 + 20 + 601).code == opened.code


def test_a_flood_of_wrong_codes_from_many_browsers_is_limited(lesson):
    db, opened = lesson
    refused = 0
    for i in range(C.FAILED_JOINS_PER_MINUTE + 10):
        try:
            C.join(db, codes.new_code(), f"bot{i}", now=T0 + i * 0.1)
        except C.ClassError as error:
            refused += "Too many" in str(error)
    assert refused == 10
    assert C.join(db, opened.code, "ann", now=T0 + 70).code == opened.code


def test_an_idle_class_closes_and_is_deleted_with_its_answers_after_a_day(lesson):
    db, opened = lesson
    C.join(db, opened.code, "ann", now=T0)
    C.answer(db, opened.code, "ann", 0, "40", number, now=T0)
    assert not C.state(db, opened.code, now=T0 + C.IDLE_HOURS * 3600 - 1).closed
    assert C.state(db, opened.code, now=T0 + C.IDLE_HOURS * 3600 + 1).closed
    with pytest.raises(C.ClassError, match="No open class"):
        C.join(db, opened.code, "bob", now=T0 + C.IDLE_HOURS * 3600 + 1)
    assert C.sweep(db, now=T0 + C.KEEP_HOURS * 3600 - 1) == 0
    assert C.sweep(db, now=T0 + C.KEEP_HOURS * 3600 + 1) == 1
    with db.transaction() as cur:
        left = [cur.one(f"SELECT COUNT(*) FROM {t}")[0] for t in ("classes", "students",
                                                                  "answers")]
    assert left == [0, 0, 0]


def test_a_flood_of_joins_at_once_lets_every_student_in_once(lesson):
    db, opened = lesson
    errors = []

    def student(i):
        try:
            C.join(db, opened.code, f"s{i}", now=T0)
            C.join(db, opened.code, f"s{i}", now=T0)                  # a reload
            C.answer(db, opened.code, f"s{i}", 0, str(i % 3 + 39), number, now=T0)
        except Exception as error:              # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=student, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    tally = C.tally(db, opened.code, 0)
    assert errors == [] and (tally.joined, tally.answered, tally.right) == (60, 60, 20)


def test_codes_have_forty_bits_from_a_uniform_alphabet():
    assert len(codes.ALPHABET) ** codes.LENGTH >= 2 ** 40
    counts = Counter("".join(codes.new_code() for _ in range(4000)))   # 32 000 symbols
    expected = 4000 * codes.LENGTH / len(codes.ALPHABET)
    chi2 = sum((counts[s] - expected) ** 2 / expected for s in codes.ALPHABET)
    assert set(counts) <= set(codes.ALPHABET) and chi2 < 70      # 31 dof: p ≈ 1e-4


def test_the_schema_migrates_from_empty_and_again_without_change(empty_database):
    assert empty_database.version() == 0
    assert empty_database.migrate() == VERSION == empty_database.version()
    assert empty_database.migrate() == VERSION


def test_a_version_one_database_keeps_its_classes_through_the_migration(empty_database):
    db = empty_database
    db.migrate(to=1)
    with db.transaction() as cur:
        cur.run("INSERT INTO classes VALUES ('ABCDEFGH', ?, 'makemore', 2, 0, 0, ?, ?)",
                (codes.digest("s3cret"), T0, T0))
    db.migrate()
    assert db.version() == VERSION
    assert C.state(db, "abcd-efgh", now=T0).step == 2
    assert C.go_to(db, "ABCDEFGH", "s3cret", 3, now=T0).step == 3


def test_an_unreachable_database_says_so():
    with pytest.raises(DatabaseDown):
        Database(f"postgresql://nobody@127.0.0.1:{free_port()}/none").migrate()
    with pytest.raises(DatabaseDown):
        Database("sqlite:////proc/no/such/dir/x.sqlite3").migrate()
