"""A step's facts (the numbers its explanation quotes) for whatever network the student
drags the sliders to: numbers past float64's range are formatted from their log10, and
no fact is ever NaN or inf."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

import lessons
from core.activations import ACTIVATIONS
from core.simulate import simulate
from figures.style import format_power
from lessons import measure
from ui.controls import BY_KEY, WEIGHT_VARS, to_spec
from ui.lesson_state import full_values
from views.lessons import library

LIB = library()
STEPS = [step for lesson in LIB.lessons.values() for step in lesson.steps]
NOT_A_NUMBER = re.compile(r"nan|inf", re.IGNORECASE)


def _facts(step, **values) -> dict[str, str]:
    return lessons.facts(simulate(to_spec(full_values(step) | values).spec))


@pytest.mark.parametrize("weight_var, decades", [(10.0, 600), (0.0001, -400)])
def test_the_variance_law_at_depth_200_states_its_powers_of_ten(weight_var, decades):
    """Linear layers of width 100 multiply the variance by 100·Var(W) a layer: 1000 or
    0.01, so 200 layers give 10^600 or 10^-400, past float64 both ways."""
    step = LIB.lessons["variance_law"].steps[1]
    facts = _facts(step, depth=200, weight_var=weight_var, batch=2)
    assert facts["theory_last_act_var"] == format_power(decades) == \
        f"1.00 × 10{str(decades).translate(str.maketrans('-0123456789', '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'))}"
    assert facts["last_preact_std"].startswith(("1", "2", "3", "4", "5", "6", "7", "8", "9"))
    filled = lessons.fill(step.explain, facts)
    assert "{" not in filled and not NOT_A_NUMBER.search(filled)


def test_a_variance_that_underflows_moves_more_than_its_last_finite_layer_says():
    """float16 holds nothing below 6e-8: 200 linear layers of width 100 with Var(W) 0.0001
    shrink the variance 100-fold a layer, so it reaches 0 within a few layers; the move
    stated is the one measured before that, as a lower bound."""
    step = LIB.lessons["variance_law"].steps[1]
    res = simulate(to_spec(full_values(step) | dict(depth=200, weight_var=0.0001,
                                                     dtype="float16", batch=2)).spec)
    zero = list(res.log10_preact_var).index(-float("inf"))
    assert 2 <= zero <= 10
    stated = lessons.facts(res)["decades"]
    assert stated.startswith("more than ")
    # two decades a layer (100 x 0.0001 = 1/100) between layer 1 and the last finite one
    assert float(stated.removeprefix("more than ")) == pytest.approx(2 * (zero - 1), abs=0.5)


def test_a_measure_past_float64_is_refused_not_overflowed():
    step = LIB.lessons["variance_law"].steps[1]
    spec = to_spec(full_values(step) | dict(depth=200, weight_var=10.0, batch=2)).spec
    with pytest.raises(ValueError, match="not finite"):
        measure("theory_act_var_last", spec)


EDGES = dict(
    depth=st.sampled_from([BY_KEY["depth"].lo, BY_KEY["depth"].hi]),
    width=st.sampled_from([BY_KEY["width"].lo, BY_KEY["width"].hi]),
    weight_var=st.sampled_from([WEIGHT_VARS[0], WEIGHT_VARS[-1]]),
    activation=st.sampled_from(list(ACTIVATIONS)),
    gain=st.sampled_from(["auto", BY_KEY["gain"].options[1], BY_KEY["gain"].options[-1]]),
    dtype=st.sampled_from(BY_KEY["dtype"].options),
)


@settings(max_examples=25)
@given(st.sampled_from(STEPS), st.fixed_dictionaries(EDGES), st.booleans())
def test_every_step_reveals_at_the_sliders_edges(step, edges, custom):
    """Every shipped step's text fills for the sliders at their ends (depth, Var(W),
    width, gain, every activation and precision; the smallest batch keeps it quick),
    without NaN or inf."""
    values = edges | {"init": "custom" if custom else "kaiming_normal", "batch": 2}
    facts = _facts(step, **values)
    assert not [v for v in facts.values() if NOT_A_NUMBER.search(v)], facts
    for text in (step.explain, step.look_at):
        assert "{" not in lessons.fill(text, facts)
