"""Answers read as people type them: fractions, powers, unicode signs, grouped digits,
a unit after the number; numbers past float64's range judged in log10; what cannot be
read is said so (quoted inert) and never judged; nothing a student types raises or hangs."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

import lessons
from lessons import Step, Trap, answers
from views.lessons import library

LIB = library()


@pytest.mark.parametrize("typed, value", [
    ("5/3", 5 / 3),
    ("5 / 3", 5 / 3),
    ("2^20", 2 ** 20),
    ("2**20", 2 ** 20),
    ("10**6", 1e6),
    ("1e-10", 1e-10),
    ("10^-10", 1e-10),
    ("10^(-10)", 1e-10),
    ("10⁻¹⁰", 1e-10),
    ("≈ 1.05e6", 1.05e6),
    ("~1e6", 1e6),
    ("about 1e6", 1e6),
    ("−10", -10),
    ("–2.5", -2.5),
    ("3 ×10^5", 3e5),
    ("3x10^5", 3e5),
    ("1.05 × 10⁶", 1.05e6),
    ("1,048,576", 1048576),
    ("1 048 576", 1048576),
    ("1\u2009048\u2009576", 1048576),        # thin spaces
    ("1\u202f048\u202f576.5", 1048576.5),   # narrow no-break spaces
    ("(5/3)^2", 25 / 9),
    ("-2^2", -4),                           # a sign binds looser than a power
    ("2^-9", 2 ** -9),
    ("35%", 0.35),
    (".5", 0.5),
])
def test_numbers_as_people_type_them(typed, value):
    assert lessons.read_number(typed) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("typed, reason", [
    ("1,5", "a comma groups three digits"),          # a decimal comma is not guessed at
    ("1,0000", "a comma groups three digits"),
    ("1,00,000", "a comma groups three digits"),
    ("ten", "is not part of a number"),
    ("1/0", "divides by zero"),
    ("0^-1", "divides by zero"),
    ("(-8)^(1/3)", "not a real number"),
    ("2^2^2^2^2^2", "exponent is too large"),
    ("(1", "bracket is not closed"),
    ("1)", "do not pair up"),
    ("2 3", "do not pair up"),
    ("1e", "is not part of a number"),
    ("nan", "is not part of a number"),
    ("inf", "is not part of a number"),
    ("   ", "no number in it"),
    ("1" * 81, "at most 80 characters"),
])
def test_what_cannot_be_read_says_why_and_how_to_type_it(typed, reason):
    got = answers.read(typed)
    assert isinstance(got, answers.Unreadable)
    assert reason in got.message and "try `5/3`, `2^20` or `1e-10`" in got.message
    assert lessons.read_number(typed) is None


def test_numbers_past_float64_are_held_in_log10():
    """10^450 and 1e-500 are numbers with a log10, only without a float."""
    for typed, log10 in [("10^450", 450), ("1e500", 500), ("10^-400", -400),
                         ("1e-500", -500), ("3 × 10^400", 400 + math.log10(3)),
                         ("10^400 / 10^399", 1), ("(10^200)^2", 400), ("10^-9.5", -9.5)]:
        got = answers.read(typed)
        assert got.sign == 1 and got.log10 == pytest.approx(log10, abs=1e-12), typed
    assert answers.read("10^400 / 10^399").value == pytest.approx(10)
    assert answers.read("10^450").value is None and lessons.read_number("10^450") is None


def test_a_huge_exponent_costs_what_a_small_one_does():
    start = time.perf_counter()
    for typed in ("10^99999999", "9^9^9", "10**99999999999999999999", "(10^9)^(10^9)"):
        got = answers.read(typed)
        assert got.log10 > 1e7, typed
    assert time.perf_counter() - start < 0.5


def test_an_unreadable_answer_is_quoted_inert():
    """The student's text comes back as inline code: no Markdown link, no HTML."""
    for typed in ("[click](https://evil.example)", "<img src=x>", "**1**", "a`b`c"):
        message = answers.read(typed).message
        quoted = message.split(" as a number")[0].removeprefix("I could not read ")
        assert quoted.startswith("`") and quoted.endswith("`"), message
        fence = quoted.split(" ")[0]
        assert quoted.count(fence) == 2, message          # the fence is not closed early


def _step(**kwargs) -> Step:
    return Step(**{"title": "t", "page": "variance", "values": {}, "question": "q",
                   "explain": "e", "tolerance": 0.5} | kwargs)


def test_a_power_of_ten_past_float64_is_judged_in_log10():
    """`log = true, answer = 450`: a 10^450 network."""
    step = _step(answer=450.0, log=True, traps=(Trap(225.0, 1.0, "half the exponent"),))
    for right in ("10^450", "1e450", "10⁴⁵⁰", "≈ 10^450.3", "450 powers of ten"):
        assert lessons.check(step, right).correct, right
    assert lessons.check(step, "10^225").text == "half the exponent"
    assert lessons.check(step, "1e300").text == \
        "1e+300 is 10^-150 times the answer: check how many times the factor applies."
    far = lessons.check(step, "10^99999999")
    assert not far.correct and "10^99999549 times the answer" in far.text
    assert not lessons.check(step, "1e-500").correct
    assert "positive" in lessons.check(step, "-10^450").text


def test_a_plain_answer_beside_a_number_past_float64():
    step = _step(answer=1048576.0, tolerance=60000.0)
    assert lessons.check(step, "2^20").correct and lessons.check(step, "≈ 1.05e6").correct
    verdict = lessons.check(step, "1e500")
    assert not verdict.correct and "10^494 times the answer" in verdict.text
    assert "below the answer" in lessons.check(step, "-1e500").text


def test_kaimings_tanh_gain_is_typed_as_five_thirds():
    step = next(s for s in LIB.lessons["makemore"].steps if s.measure == "gain")
    assert lessons.check(step, "5/3").correct and lessons.check(step, "5 / 3 gain").correct
    assert not lessons.check(step, "3/5").correct


def test_an_unreadable_answer_is_not_judged():
    step = LIB.lessons["variance_law"].steps[0]
    verdict = lessons.check(step, "about a hundred")
    assert not verdict.read and not verdict.correct and "could not read" in verdict.text
    assert lessons.check(step, "100").read
    choice = LIB.lessons["variance_law"].steps[1]
    assert not lessons.check(choice, 99).read and not lessons.check(choice, "1").read


def test_the_steps_unit_may_follow_the_number():
    step = next(s for s in LIB.lessons["normalization"].steps if s.unit == "numbers")
    assert lessons.check(step, f"{step.answer:g} numbers").correct
    assert lessons.check(step, f"{step.answer:g} Numbers").correct
    digit_unit = _step(answer=3.0, unit="2x")              # a unit never eats the number
    assert not lessons.check(digit_unit, "32x").read


@given(st.text(max_size=120))
def test_the_grader_never_raises_on_any_text(text):
    for step in (_step(answer=3.0), _step(answer=450.0, log=True), _step(answer=-2.0, unit="gain")):
        verdict = lessons.check(step, text)
        assert isinstance(verdict.text, str) and (verdict.read or not verdict.correct)


_FINITE = st.floats(allow_nan=False, allow_infinity=False)


@given(_FINITE)
def test_a_float_written_any_usual_way_reads_as_itself(x):
    for typed in (repr(x), f"{x:e}", f"{x:,}", repr(x).replace("-", "−")):
        got, meant = answers.read(typed), float(typed.replace(",", "").replace("−", "-"))
        assert got.as_float() == meant, typed
        if meant != 0:
            assert got.log10 == math.log10(abs(meant))


@given(st.integers(-10 ** 6, 10 ** 6), st.integers(1, 10 ** 6))
def test_a_fraction_reads_as_its_quotient(p, q):
    assert lessons.read_number(f"{p}/{q}") == pytest.approx(float(Fraction(p, q)), rel=1e-15)


@given(st.integers(1, 99), st.integers(-600, 600))
def test_a_power_agrees_with_exact_arithmetic(base, exponent):
    """The log10 agrees with the exact power's, also where float64 cannot hold it."""
    got = answers.read(f"{base}^{exponent}")
    exact = Fraction(base) ** exponent
    assert got.log10 == pytest.approx(math.log10(exact.numerator) - math.log10(exact.denominator),
                                      abs=1e-9)
    if got.value is not None and abs(exponent * math.log10(base)) < 300:
        assert got.value == pytest.approx(float(exact), rel=1e-12)
