"""The numbers a lesson's answers claim, computed by the core for a step's network.

A lesson step may name one of these (`measure = "..."` in its file): the tests then
compute it for the step's network and check it against the answer the text gives, so a
lesson cannot teach a number the engine does not produce. Pure core calls, no Streamlit.

>>> from core.spec import NetworkSpec
>>> round(measure("theory_act_var_last", NetworkSpec(depth=20, width=200, weight_var=0.01,
...                                                   activation="linear")))
1048576
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from core import norms, theory
from core.experiments import batch_dependence, running_stats
from core.simulate import simulate
from core.spec import NetworkSpec

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
}


def measure(name: str, spec: NetworkSpec) -> float:
    """The named number for this network (KeyError for an unknown name)."""
    value = MEASURES[name](spec)
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite for {spec}")
    return value
