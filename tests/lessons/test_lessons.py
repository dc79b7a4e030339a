"""Lesson files: every one loads, every claimed number is what the core computes, every
answer is judged as its text says, and a broken file is refused with a clear message."""

from __future__ import annotations

import math
import textwrap

import pytest

import lessons
from core import theory
from core.simulate import simulate
from lessons import measure
from ui.controls import BY_KEY, to_spec
from ui.lesson_state import full_values, vocabulary
from views.lessons import PAGE_TABS, library

TABS = {page: titles for page, (_, titles) in PAGE_TABS.items()}
VOCAB = vocabulary(TABS)
LIB = library()
STEPS = [(lesson.id, n, step) for lesson in LIB.lessons.values()
         for n, step in enumerate(lesson.steps, start=1)]
IDS = [f"{lid}-{n}" for lid, n, _ in STEPS]
SEEDS = (0, 1, 2)


def _spec(step):
    """The network a step shows."""
    return to_spec(full_values(step)).spec


def test_every_lesson_file_loads():
    assert not LIB.errors
    assert list(LIB.lessons) == ["variance_law", "makemore", "normalization", "edge_of_chaos"]
    assert all(len(lesson.steps) >= 5 for lesson in LIB.lessons.values())


@pytest.mark.parametrize("lid, n, step", STEPS, ids=IDS)
def test_claimed_numbers_are_what_the_core_computes(lid, n, step):
    """The right answer's number lies within the tolerance of the core's value for the
    step's network, over several seeds; every wrong choice's number lies outside it."""
    if step.measure is None:
        pytest.skip("this step claims no number")
    for seed in SEEDS:
        spec = to_spec(full_values(step) | {"seed": seed}).spec
        got = measure(step.measure, spec)
        assert abs(got - step.claimed()) <= step.tolerance, (seed, got, step.claimed())
        for choice in step.choices:
            if not choice.correct and choice.value is not None:
                assert abs(got - choice.value) > step.tolerance, (seed, choice.text)


def test_the_variance_law_quiz_numbers_come_from_the_engine():
    """The lesson's numbers, from closed forms beside the engine: 100^10 = 10^20,
    0.1^10 = 10^-10, 2^20 = 1,048,576; ReLU halves per layer."""
    law = LIB.lessons["variance_law"].steps
    assert law[1].claimed() == pytest.approx(math.log10(100 ** 10))
    assert law[2].claimed() == pytest.approx(math.log10(0.1 ** 10))
    assert law[4].claimed() == 2 ** 20
    assert law[5].claimed() == pytest.approx(9 * math.log10(0.5), abs=0.01)
    assert simulate(_spec(law[1])).log10_act_var[-1] == pytest.approx(20, abs=0.5)
    assert 10 ** theory.predict(_spec(law[4])).log10_act_var[-1] == pytest.approx(2 ** 20)


def test_makemore_uniform_loss_is_ln_27():
    step = LIB.lessons["makemore"].steps[0]
    assert step.claimed() == pytest.approx(math.log(27), abs=step.tolerance)
    assert simulate(_spec(step)).loss_uniform == pytest.approx(3.2958, abs=1e-4)


@pytest.mark.parametrize("lid, n, step", STEPS, ids=IDS)
def test_answers_are_judged_as_the_text_says(lid, n, step):
    if step.is_number:
        assert lessons.check(step, step.as_typed(step.answer)).correct
        assert lessons.check(step, step.as_typed(step.answer + step.tolerance * 1.01 + 1e-9)).correct is False
        for trap in step.traps:
            verdict = lessons.check(step, step.as_typed(trap.value))
            assert not verdict.correct and verdict.text == trap.why
        unread = lessons.check(step, "many")
        assert not unread.read and "could not read ` many ` as a number" in unread.text
    else:
        for i, choice in enumerate(step.choices):
            verdict = lessons.check(step, i)
            assert verdict.correct == choice.correct
            assert choice.correct or len(verdict.text) > 20        # a real explanation


@pytest.mark.parametrize("lid, n, step", STEPS, ids=IDS)
def test_every_step_is_legal_and_its_text_fills(lid, n, step):
    assert all(key in BY_KEY for key in step.values) and set(step.hide) <= set(BY_KEY)
    res = simulate(_spec(step))
    facts = lessons.facts(res)
    for text in (step.explain, step.look_at):
        filled = lessons.fill(text, facts)
        assert "{" not in filled and "nan" not in filled.lower() and "inf" not in filled


def test_numbers_as_students_type_them():
    assert lessons.read_number("1e6") == 1e6
    assert lessons.read_number("1 048 576") == 1048576
    assert lessons.read_number("10^20") == 1e20
    assert lessons.read_number("−10") == -10
    assert lessons.read_number("2**20") == 2 ** 20
    assert lessons.read_number("3 × 10^2") == 300
    for bad in ("", "nan", "inf", "1e999", "10^^2", "<b>1</b>"):
        assert lessons.read_number(bad) is None, bad


GOOD = """
title = "T"
summary = "S"
[[steps]]
title = "One"
page = "variance"
values = { depth = 10 }
question = "Q?"
explain = "Layer {depth}."
answer = 1
tolerance = 0.5
"""


def _write(tmp_path, text, name="broken.toml"):
    (tmp_path / name).write_text(textwrap.dedent(text))
    return lessons.load_all(tmp_path, VOCAB)


def test_a_good_file_loads(tmp_path):
    lib = _write(tmp_path, GOOD, "good.toml")
    assert not lib.errors and lib.lessons["good"].steps[0].values == {"depth": 10}


@pytest.mark.parametrize("change, message", [
    (("depth = 10", "depth = 5000"), "depth = 5000 is not a value of that control"),
    (("depth = 10", "depht = 10"), "'depht' is not a control"),
    (("depth = 10", 'activation = "swish"'), "activation = 'swish' is not a value"),
    (("depth = 10", "depth = 10.5"), "depth = 10.5 is not a value"),
    (('page = "variance"', 'page = "nowhere"'), "page 'nowhere' is not a page"),
    (('page = "variance"', 'page = "normalization"\ntab = "Nope"'), "tab 'Nope' is not a tab"),
    (("{depth}", "{depht}"), "explain names an unknown fact, '{depht}'"),
    (("answer = 1", 'measure = "magic"\nanswer = 1'), "measure 'magic' is unknown"),
    (("answer = 1", "answer = 1\nhide = ['widht']"), "hide must list controls"),
    (("tolerance = 0.5", "tolerance = 0.5\n[[steps.traps]]\nvalue = 1.2\nwhy = 'w'"),
     "a trap lies within"),
    (("answer = 1", "answer = 1\nfoo = 2"), "unknown field(s) 'foo'"),
    (('question = "Q?"', ""), "question must be text and is required"),
    (("answer = 1\ntolerance = 0.5", '[[steps.choices]]\ntext = "a"\ncorrect = true\n'
      '[[steps.choices]]\ntext = "b"'), "every wrong choice needs a why"),
    (("answer = 1\ntolerance = 0.5", '[[steps.choices]]\ntext = "a"\ncorrect = true\n'
      '[[steps.choices]]\ntext = "b"\ncorrect = true'), "exactly one with correct = true"),
    (("tolerance = 0.5", "tolerance = 0.5\n[[steps.choices]]\ntext = 'a'\ncorrect = true"),
     "either for a number"),
    (('title = "T"', 'title = "T'), "not valid TOML"),
])
def test_a_broken_file_is_refused_with_a_clear_message(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    lib = _write(tmp_path, GOOD.replace(old, new, 1))
    assert not lib.lessons
    (error,) = lib.errors
    assert error.startswith("broken.toml: ") and message in error, error


def test_a_bad_file_name_and_an_empty_lesson(tmp_path):
    lib = _write(tmp_path, GOOD, "Bad Name.toml")
    assert "file name must be lowercase" in lib.errors[0]
    lib = _write(tmp_path, 'title = "T"\nsummary = "S"\n', "empty.toml")
    assert any("at least one [[steps]]" in e for e in lib.errors)


def test_a_power_of_ten_is_typed_as_the_number():
    """`log = true`: the student types the variance (1e-10, 10^-10); judged in decades."""
    step = LIB.lessons["variance_law"].steps[2]
    assert step.log and lessons.answer_text(step) == "10⁻¹⁰"
    assert lessons.check(step, "1e-10").correct and lessons.check(step, "10^-9.5").correct
    assert "positive" in lessons.check(step, "-10").text
    assert lessons.check(step, "1e-30").text == step.traps[0].why
    assert lessons.check(step, "0.001").text == step.traps[1].why
    assert "10^5 times the answer" in lessons.check(step, "1e-5").text
