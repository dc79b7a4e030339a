"""Numbers about a network, computed by the core: the measures a step's answer claims,
and the facts a text quotes.

A lesson step may name a measure (`measure = "..."` in its file): the tests then
compute it for the step's network and check it against the answer the text gives, so a
lesson cannot teach a number the engine does not produce.

The facts are the numbers, as text, that a lesson's explanation (its {name} fields) and
a classroom demo's note (ui.presets) state about the run on screen.

>>> from core.spec import NetworkSpec
>>> round(measure("theory_act_var_last", NetworkSpec(depth=20, width=200, weight_var=0.01,
...                                                   activation="linear")))
1048576
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import numpy as np

from core import norms, phase, theory
from core.experiments import batch_dependence, depth_scales, running_stats
from core.simulate import Result, simulate
from core.spec import NetworkSpec
from core.theory import Prediction
from figures.numbers import format_layers, format_power

EVAL_BATCHES = 10           # training batches before eval in the train-vs-eval question


def _log10_act_var_last(spec: NetworkSpec) -> float:
    return float(simulate(spec).log10_act_var[-1])


def theory_log10_act_var_last(spec: NetworkSpec) -> float:
    return float(theory.predict(spec).log10_act_var[-1])


def _power(log10_measure: Callable[[NetworkSpec], float]) -> Callable[[NetworkSpec], float]:
    """A measure kept in log10 by the core, as the number itself: inf past float64's
    range (which `measure` refuses), never an OverflowError."""
    def value(spec: NetworkSpec) -> float:
        try:
            return 10.0 ** log10_measure(spec)
        except OverflowError:
            return math.inf
    return value


def _log10_act_change(spec: NetworkSpec) -> float:
    """How many powers of ten the activation variance moves from layer 1 to the last."""
    res = simulate(spec)
    return float(res.log10_act_var[-1] - res.log10_act_var[0])


def _theory_log10_act_change(spec: NetworkSpec) -> float:
    pred = theory.predict(spec)
    return float(pred.log10_act_var[-1] - pred.log10_act_var[0])


def _stat_set_size(spec: NetworkSpec) -> float:
    return float(norms.statistics_set_size(spec.norm, (spec.batch, spec.width, spec.spatial),
                                           spec.groups))


def _batchmate_change(spec: NetworkSpec) -> float:
    """Relative change of example 0's last-layer output when its batchmates are swapped."""
    run = batch_dependence.batchmate_sensitivity(spec, spec.norm, spec.batch, spec.groups)
    return float(run.sensitivity[-1])


def _start_share(spec: NetworkSpec) -> float:
    """How much of its starting value BatchNorm's running variance still holds."""
    return float(running_stats.train_eval(spec.replace(depth=1), EVAL_BATCHES).start_weight)


def _bn_pair_abs(spec: NetworkSpec) -> float:
    """|x_hat| of BatchNorm over a batch of two: the mean |value| after normalizing."""
    x = np.random.default_rng(spec.seed).standard_normal((2, 1, spec.width))  # (batch, positions, channels)
    stored, log10_scale, _ = norms.normalize(x, 0.0, "batch")
    return float(np.mean(np.abs(stored)) * 10.0 ** log10_scale)


def _chi1(spec: NetworkSpec) -> float:
    """chi1 at the fixed point the input reaches: the phase diagram's (core.phase)."""
    return phase_point(spec).chi1


def phase_point(spec: NetworkSpec) -> phase.PhasePoint:
    return phase.phase_point(spec.activation, spec.sigma_w2, spec.bias_var,
                             theory.input_q0(spec))


def _correlation_last(spec: NetworkSpec) -> float:
    """Pairs of inputs at the Depth scales page's default c0: their mean correlation at
    the last layer."""
    return float(depth_scales.correlations(spec).mean[-1])


MEASURES: dict[str, Callable[[NetworkSpec], float]] = {
    "act_var_last": _power(_log10_act_var_last),
    "log10_act_var_last": _log10_act_var_last,
    "theory_act_var_last": _power(theory_log10_act_var_last),
    "log10_act_change": _log10_act_change,
    "theory_log10_act_change": _theory_log10_act_change,
    "sigma_w2": lambda s: s.sigma_w2,
    "effective_weight_var": lambda s: s.effective_weight_var,
    "gain": lambda s: s.effective_gain,
    "loss_init": lambda s: simulate(s).loss,
    "loss_uniform": lambda s: simulate(s).loss_uniform,
    "saturated_last": lambda s: float(simulate(s).saturated_frac[-1]),
    "stat_set_size": _stat_set_size,
    "batchmate_change": _batchmate_change,
    "running_start_share": _start_share,
    "bn_pair_abs": _bn_pair_abs,
    "chi1": _chi1,
    "c_star": lambda s: depth_scales.scales(s).c_star,
    "xi_c": lambda s: depth_scales.scales(s).xi_c,
    "log10_xi_c": lambda s: math.log10(depth_scales.scales(s).xi_c),
    "six_xi_c": lambda s: 6 * depth_scales.scales(s).xi_c,
    "correlation_last": _correlation_last,
}


def measure(name: str, spec: NetworkSpec) -> float:
    """The named number for this network (KeyError for an unknown name)."""
    value = MEASURES[name](spec)
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite for {spec}")
    return value


# -- facts: what a text states about the run shown ----------------------------------------

def facts(res: Result, pred: Prediction | None = None) -> dict[str, str]:
    """The numbers a lesson's or a demo's text may quote about the run `res`, as text.
    `pred` is theory.predict(res.spec), computed here unless given (the app gives its
    cached one: ui.cache.facts)."""
    pred = theory.predict(res.spec) if pred is None else pred
    return _of_run(res) | _of_spec(res.spec, pred)


def _of_run(res: Result) -> dict[str, str]:
    """Measured on the run, up to the layer where it overflowed, if it did."""
    valid = res.depth if res.overflow_layer is None else res.overflow_layer
    return {
        "depth": str(res.depth),
        "sigma_w2": f"{res.spec.sigma_w2:.3g}",
        "first_act_var": format_power(float(res.log10_act_var[0])),
        "last_act_var": format_power(float(res.log10_act_var[valid - 1])),
        "last_preact_std": format_power(float(res.log10_preact_var[valid - 1]) / 2, digits=2),
        "decades": _decades(res.log10_preact_var[:valid]),
        "sat_first": f"{res.saturated_frac[0]:.0%}",
        "sat_last": f"{res.saturated_frac[valid - 1]:.0%}",
        "dead": f"{float(np.mean(res.dead_frac[:valid])):.0%}",
        "overflow_layer": str(valid + 1),
        "float16_max": f"{float(np.finfo(np.float16).max):g}",
        "loss": f"{res.loss:.3g}" if math.isfinite(res.loss) else "overflow",
        "loss_uniform": f"{res.loss_uniform:.4f}",
        "loss_times": f"{res.loss / res.loss_uniform:.2g}" if math.isfinite(res.loss) else "many",
    }


def _of_spec(spec: NetworkSpec, pred: Prediction) -> dict[str, str]:
    """The settings, and what theory predicts for them."""
    return {
        "width": str(spec.width),
        "batch": str(spec.batch),
        "weight_var": f"{spec.effective_weight_var:.3g}",
        "gain": f"{spec.effective_gain:.4g}",
        # the saturation cutoff t, and tanh's slope there, 1 - t^2: the share of the
        # gradient a unit beyond it passes back at most
        "cutoff": f"{spec.saturation_threshold:g}",
        "cutoff_slope": f"{1 - spec.saturation_threshold**2:.2g}",
        "cutoff_share": f"{1 - spec.saturation_threshold**2:.0%}",
        # from log10 to the text: 10^600 is a number to show, not an overflow
        "theory_last_act_var": format_power(float(pred.log10_act_var[-1])),
        "set_size": (f"{measure('stat_set_size', spec):.0f}" if spec.norm != "none"
                     else "(no normalization)"),
    } | _of_depth_scales(spec)


def _of_depth_scales(spec: NetworkSpec) -> dict[str, str]:
    """The phase (as the phase diagram states it) and the correlation map's c* and xi_c
    for the spec's activation, sigma_w2 and sigma_b2."""
    point, s = phase_point(spec), depth_scales.scales(spec)
    chi1 = format_power(math.log10(point.chi1), digits=4) if point.chi1 > 0 else "0"
    return {"phase": point.phase, "chi1": chi1, "c_star": correlation_text(s.c_star),
            "xi_c": format_layers(s.xi_c), "six_xi_c": format_layers(6 * s.xi_c)}


def correlation_text(c: float) -> str:
    """A correlation to three decimals: c* = 1e-34 (an odd activation's 0) is 0.

    >>> correlation_text(1.31e-34), correlation_text(-1e-17), correlation_text(0.27329)
    ('0', '0', '0.273')
    """
    return f"{round(c, 3) + 0.0:.3g}"


def _decades(log10_var: np.ndarray) -> str:
    """How many powers of ten the variance moves from layer 1 to the last; where a low
    precision underflows to 0 on the way, at least the move up to there."""
    zero = np.flatnonzero(~np.isfinite(log10_var))
    if len(zero) == 0:
        return f"{abs(float(log10_var[-1] - log10_var[0])):.1f}"
    if zero[0] == 0:
        return "(underflow to 0 from layer 1)"
    return f"more than {abs(float(log10_var[zero[0] - 1] - log10_var[0])):.1f}"


@lru_cache(maxsize=1)
def fact_names() -> tuple[str, ...]:
    """The names `facts` gives, found by computing them once on a tiny network."""
    return tuple(sorted(facts(simulate(NetworkSpec(depth=1, width=2, batch=2)))))
