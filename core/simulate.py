"""`simulate(spec)`: run one network and collect what a student needs to see, per layer.

>>> from core import NetworkSpec, simulate
>>> res = simulate(NetworkSpec(depth=10, width=100, activation="linear", weight_var=1.0))
>>> round(float(res.log10_preact_var[-1]))     # (100 * 1) ** 10 = 1e20
20
>>> res.overflow_layer is None                 # float64 runs never overflow
True

A page that draws only some things asks for those groups (STAT_GROUPS); the others'
fields are None:

>>> part = simulate(NetworkSpec(depth=3, width=20, batch=16), stats=("histograms",))
>>> part.act_hist.shape, part.grad_hist is None, part.map_values is None
((3, 61), True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import activations, stats
from .propagate import (LayerBackward, LayerForward, Params, constant_readout, forward_backward,
                        make_params)
from .scaled import unscale
from .spec import NetworkSpec, check_memory


@dataclass(frozen=True)
class Overflow:
    """Where a float32/16 run first passed the format's largest number: the pass
    ("forward"; "readout", the logits and the loss; "backward") and the layer, 0-based as
    the forward pass counts (the readout's: the last layer). Going back, `layer` is where
    dL/dh did (None if it never did) and `weight_layer` where dL/dW did before it (a
    sum over the batch, it can pass the limit while dL/dh does not), else None."""
    where: str
    layer: int | None
    weight_layer: int | None = None


class PerLayer:
    """What every per-layer record derives from its spec and its edge fields."""
    spec: NetworkSpec
    overflow_layer: int | None
    readout_overflow: bool
    grad_overflow_layer: int | None
    weight_grad_overflow_layer: int | None

    @property
    def depth(self) -> int:
        return self.spec.depth

    @property
    def activation(self) -> activations.Activation:
        return activations.get(self.spec.activation)

    @property
    def first_overflow(self) -> Overflow | None:
        """The first place the run left the format's range, going forward, then back (the
        infs and NaNs of a later pass start there), or None."""
        if self.overflow_layer is not None:
            return Overflow("forward", self.overflow_layer)
        if self.readout_overflow:
            return Overflow("readout", self.depth - 1)
        grad, weight = self.grad_overflow_layer, self.weight_grad_overflow_layer
        if grad is None and weight is None:
            return None
        first_weight = weight if grad is None or (weight is not None and weight > grad) else None
        return Overflow("backward", grad, first_weight)


@dataclass
class Result(PerLayer):
    spec: NetworkSpec
    # -- forward, arrays of shape (depth,); the log10 fields are always exact in float64
    preact_mean: np.ndarray
    preact_var: np.ndarray
    log10_preact_var: np.ndarray
    act_mean: np.ndarray
    act_var: np.ndarray
    log10_act_var: np.ndarray
    log10_u_var: np.ndarray            # what the activation sees: h, or h normalized (norm before)
    log10_out_var: np.ndarray          # the layer's output: differs from act with norm-after/residual
    saturated_frac: np.ndarray         # bounded: |a| > threshold; relu-like: off (input <= 0)
    dead_frac: np.ndarray              # units saturated or off on every example
    # -- backward
    grad_var: np.ndarray               # Var(dL/dh)
    log10_grad_var: np.ndarray
    weight_grad_ratio: np.ndarray      # std(dL/dW) / std(W)
    log10_weight_grad_ratio: np.ndarray
    # -- scalars
    loss: float
    log10_loss: float
    loss_uniform: float                # log(classes): the loss of a network that knows nothing
    overflow_layer: int | None         # first layer with inf/NaN going forward (float32/16 only)
    underflow_layer: int | None        # first layer whose spread the format rounded away
    grad_underflow_layer: int | None   # first layer (going back) whose dL/dh it rounded to 0
    # -- histograms: counts (depth, bins) on edges (bins + 1,)
    act_hist: np.ndarray
    hist_edges: np.ndarray
    hist_log10_scale: np.ndarray       # true edges = hist_edges * 10**scale[layer] (0 if bounded)
    grad_hist: np.ndarray              # dL/dh in units of its rms
    weight_grad_hist: np.ndarray       # dL/dW in units of its rms
    grad_hist_edges: np.ndarray
    # -- heatmaps and dead units
    dead_units: np.ndarray             # (depth, width) bool, over the full batch
    map_values: np.ndarray = field(repr=False)   # (depth, rows, units) float16
    tensors: dict | None = field(default=None, repr=False)
    # -- bounded activations: saturated_frac at every threshold of stats.SATURATION_GRID,
    #    (depth, len(grid)); None for unbounded ones, whose "off" has no threshold
    saturated_frac_grid: np.ndarray | None = field(default=None, repr=False)
    # -- the backward pass's edges (`backward_edges`)
    readout_overflow: bool = False     # the logits or the loss are inf/NaN (float32/16 only)
    grad_overflow_layer: int | None = None   # first layer going back with inf/NaN in dL/dh
    weight_grad_overflow_layer: int | None = None    # ... in dL/dW (float32/16 only)
    grad_zero_layer: int | None = None       # first layer going back whose dL/dh is exactly 0
    grad_zero_cause: str | None = None       # by construction: "off", "norm", "readout"

    def saturation_map(self, layer: int, threshold: float | None = None) -> np.ndarray:
        """(rows, units) bool: saturated (bounded) or off (relu-like) at this layer."""
        threshold = self.spec.saturation_threshold if threshold is None else threshold
        vals = self.map_values[layer].astype(np.float64)    # not in float16: exact
        act = self.activation
        if act.bounded is not None:
            return np.abs(vals) > threshold
        if act.relu_like:
            return vals <= 0
        return np.zeros(vals.shape, dtype=bool)

    def saturated_frac_at(self, threshold: float | None = None) -> np.ndarray:
        """(depth,) fraction saturated at `threshold`, without re-simulating.

        Exact at the spec's threshold and at every threshold of stats.SATURATION_GRID;
        in between, interpolated linearly. Relu-like: the off fraction (no threshold);
        linear: zeros.

        >>> from core import NetworkSpec, simulate
        >>> res = simulate(NetworkSpec(depth=3, width=20, batch=32, weight_var=0.2))
        >>> bool((res.saturated_frac_at(0.97) == res.saturated_frac).all())
        True
        >>> bool((res.saturated_frac_at(0.5) >= res.saturated_frac_at(0.99)).all())
        True
        """
        if threshold is None or threshold == self.spec.saturation_threshold \
                or self.saturated_frac_grid is None:
            return self.saturated_frac.copy()
        grid = np.asarray(stats.SATURATION_GRID)
        hit = np.flatnonzero(np.isclose(grid, threshold, rtol=0, atol=1e-12))
        if hit.size:
            return self.saturated_frac_grid[:, hit[0]].copy()
        if not grid[0] <= threshold <= grid[-1]:
            raise ValueError(f"threshold={threshold} is outside {grid[0]} to {grid[-1]}")
        return np.array([np.interp(threshold, grid, row) for row in self.saturated_frac_grid])

    def dead_map(self, layer: int) -> np.ndarray:
        """The examples x units map at the dead-neuron criterion (|u| > 0.99, or off)."""
        return self.saturation_map(layer, self.spec.dead_threshold)

    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


# What `simulate(stats=...)` can leave out; the per-layer curves are always computed.
STAT_GROUPS = (
    "histograms",        # act_hist (hist_log10_scale)
    "grad_histograms",   # grad_hist, and weight_grad_hist with "weight_grads"
    "heatmaps",          # map_values (saturation_map, dead_map)
    "threshold_grid",    # saturated_frac_grid (saturated_frac_at off the spec's threshold)
    "weight_grads",      # weight_grad_ratio, log10_weight_grad_ratio, weight_grad_hist
)


def _groups(stats_: tuple[str, ...] | None) -> frozenset:
    chosen = frozenset(STAT_GROUPS if stats_ is None else stats_)
    unknown = chosen - set(STAT_GROUPS)
    if unknown:
        raise ValueError(f"stats={sorted(unknown)} not among {list(STAT_GROUPS)}")
    return chosen


class Collector:
    """Observer that turns each layer's tensors into its statistics as they are made."""

    def __init__(self, spec: NetworkSpec, keep: bool = False, light: bool = False,
                 groups: tuple[str, ...] | None = None):
        # light: the per-layer curves only (groups=()), for comparisons that run many
        # networks and draw only curves
        self.spec, self.keep, self.light = spec, keep, light
        self.groups = frozenset() if light else _groups(groups)
        self.act = activations.get(spec.activation)
        self.rows: dict[str, list] = {}
        self.tensors: dict[str, list] | None = {} if keep else None
        self.overflow_layer: int | None = None
        self.underflow_layer: int | None = None
        self.last_out_lv = 0.0               # the previous layer's output (the input: finite)
        self.grad_underflow_layer: int | None = None
        self.grad_overflow_layer: int | None = None
        self.weight_grad_overflow_layer: int | None = None
        self.grad_zero: tuple[int, str] | None = None      # (layer, cause) by construction
        bounded = self.act.bounded
        self.hist_edges = stats.fixed_edges(*bounded) if bounded else stats.standard_edges()
        self.grad_edges = stats.standard_edges()

    def put(self, **values):
        for k, v in values.items():
            self.rows.setdefault(k, []).append(v)

    def keep_tensor(self, name, arr, scale):
        if self.tensors is not None:
            self.tensors.setdefault(name, []).append(arr.copy())
            self.tensors.setdefault(name + "_log10_scale", []).append(scale)

    def forward(self, t: LayerForward):
        spec, act = self.spec, self.act
        if (spec.dtype != "float64" and self.overflow_layer is None
                and not (np.isfinite(t.preact).all() and np.isfinite(t.out).all())):
            self.overflow_layer = t.index
        pm, plv = stats.moments(t.preact, t.preact_scale)
        # the same array (no norm after, no residual) is measured once
        am, alv = (pm, plv) if t.act is t.preact else stats.moments(t.act, t.act_scale)
        ulv = plv if t.u is t.preact else stats.moments(t.u, t.u_scale)[1]
        olv = alv if t.out is t.act else stats.moments(t.out, t.out_scale)[1]
        if self.underflow_layer is None and self._spread_lost(t, plv, ulv, alv):
            self.underflow_layer = t.index
        self.last_out_lv = olv
        level = stats.saturation_levels(act, t.act, t.act_scale) if act.bounded else None
        sat, dead, at_grid = stats.saturation(act, level, t.u, spec.saturation_threshold,
                                              spec.dead_threshold,
                                              grid="threshold_grid" in self.groups)
        self.put(preact_mean=pm, log10_preact_var=plv, act_mean=am, log10_act_var=alv,
                 log10_u_var=ulv, log10_out_var=olv, saturated_frac=sat,
                 dead_frac=np.count_nonzero(dead) / dead.size)
        if self.light:
            return
        self.put(dead_units=dead)
        if "histograms" in self.groups:
            self.put(**self._act_hist(t, level))
        if at_grid is not None:
            self.put(saturated_frac_grid=at_grid)
        if "heatmaps" in self.groups:
            self.put(map_values=stats.map_values(act, level, t.u, (spec.saturation_threshold,
                                                                  spec.dead_threshold)))
        for name in ("preact", "act", "out"):
            self.keep_tensor(name, getattr(t, name), getattr(t, name + "_scale"))

    def _past_range(self, log10_var: float) -> bool:
        """A variance that is NaN or +inf means inf or NaN among the values (float32/16:
        a finite array's variance, taken in float64, is finite)."""
        return self.spec.dtype != "float64" and (math.isnan(log10_var) or log10_var == math.inf)

    def backward_edges(self, out, last_log10_grad_var: float) -> dict:
        """The Result's fields on where the backward pass left the format's range or
        became exactly zero, and why. A readout that is constant by construction
        (`constant_readout`) makes the last layer's zero its doing, not the format's."""
        zero = self.grad_zero
        rounded = self.grad_underflow_layer
        if last_log10_grad_var == -math.inf and constant_readout(self.spec):
            zero, rounded = (self.spec.depth - 1, "readout"), None
        low = self.spec.dtype != "float64"
        return dict(readout_overflow=low and not (np.isfinite(out.logits).all()
                                                  and math.isfinite(out.loss)),
                    grad_overflow_layer=self.grad_overflow_layer,
                    weight_grad_overflow_layer=self.weight_grad_overflow_layer,
                    grad_underflow_layer=rounded,
                    grad_zero_layer=None if zero is None else zero[0],
                    grad_zero_cause=None if zero is None else zero[1])

    def _spread_lost(self, t: LayerForward, plv: float, ulv: float, alv: float) -> bool:
        """Whether the format, not the network, made this layer's values all equal: h
        has no spread though its input has, u (the normalized h) none though h has, or
        phi(u) none though u has (and phi is not relu switching every unit off, an
        exact zero)."""
        if plv == -math.inf and self.last_out_lv > -math.inf:
            return True
        if ulv == -math.inf and plv > -math.inf:         # the norm's gamma, beta rounded it
            return True
        if alv == -math.inf and ulv > -math.inf:
            return not self.act.exact_zero_side or bool((t.u > 0).any())
        return False

    def _act_hist(self, t: LayerForward, level) -> dict:
        if level is not None:                         # bounded: fixed edges in true units
            a_true = t.act * 10.0**t.act_scale if t.act_scale else t.act
            return dict(act_hist=stats.histogram(a_true, self.hist_edges), hist_log10_scale=0.0)
        z, hscale = stats.standardized(t.act)
        return dict(act_hist=stats.histogram(z, self.hist_edges),
                    hist_log10_scale=hscale + t.act_scale)   # the rms of the true values

    def arrays(self) -> dict[str, np.ndarray]:
        """Every row as an array over the layers, first layer first (the backward pass
        put its rows in last layer first)."""
        r = {k: np.asarray(v) for k, v in self.rows.items()}
        for k in ("log10_grad_var", "log10_weight_grad_ratio", "grad_hist", "weight_grad_hist"):
            if k in r:
                r[k] = r[k][::-1]
        return r

    def kept_tensors(self, params: Params, out) -> dict:
        """The run's inputs and every layer's kept tensors, first layer first."""
        tensors = dict(self.tensors)
        tensors.update(x0=params.x0, weights=params.weights, biases=params.biases,
                       w_out=params.w_out, labels=params.labels)
        for k in ("grad_preact", "grad_weight", "grad_preact_log10_scale",
                  "grad_weight_log10_scale"):
            tensors[k] = tensors[k][::-1]
        tensors["grad_input"] = (out.grad_input, out.grad_input_scale)
        return tensors

    def backward(self, t: LayerBackward, weight_log10_std: float = 0.0):
        if t.underflow and self.grad_underflow_layer is None:
            self.grad_underflow_layer = t.index
        if t.zero_cause is not None and self.grad_zero is None:
            self.grad_zero = (t.index, t.zero_cause)
        _, glv = stats.moments(t.grad_preact, t.grad_preact_scale)
        self.put(log10_grad_var=glv)
        if self.grad_overflow_layer is None and self._past_range(glv):
            self.grad_overflow_layer = t.index
        hists, weights = "grad_histograms" in self.groups, "weight_grads" in self.groups
        if hists:
            z, _ = stats.standardized(t.grad_preact)
            self.put(grad_hist=stats.histogram(z, self.grad_edges))
        if weights:
            _, wglv = stats.moments(t.grad_weight, t.grad_weight_scale)
            self.put(log10_weight_grad_ratio=0.5 * wglv - weight_log10_std)
            if self.weight_grad_overflow_layer is None and self._past_range(wglv):
                self.weight_grad_overflow_layer = t.index
        if weights and hists:
            zw, _ = stats.standardized(t.grad_weight)
            self.put(weight_grad_hist=stats.histogram(zw, self.grad_edges))
        if self.tensors is not None:               # (grad_weight is computed on access)
            self.keep_tensor("grad_preact", t.grad_preact, t.grad_preact_scale)
            self.keep_tensor("grad_weight", t.grad_weight, t.grad_weight_scale)


def simulate(spec: NetworkSpec, keep_tensors: bool = False,
             params: Params | None = None, stats: tuple[str, ...] | None = None) -> Result:
    """Simulate `spec` (or re-run it on given `params`) and return its per-layer statistics.

    With keep_tensors=True, `Result.tensors` holds the run's inputs (x0, weights, biases,
    w_out, labels) and every layer's stored tensors with their log10 scales
    (true value = stored * 10**scale), so the run can be repeated elsewhere.
    `stats` names the STAT_GROUPS to compute (default: all); the others' fields are None.
    Kept tensors weigh on the memory guard too: over it, ValueError before anything is drawn."""
    if keep_tensors:
        check_memory(vars(spec), keep_tensors=True)
    params = make_params(spec) if params is None else params
    col = Collector(spec, keep_tensors, groups=stats)
    w_log_std = ([0.5 * _log10_var(w) for w in params.weights]
                 if "weight_grads" in col.groups else [0.0] * spec.depth)
    out = forward_backward(spec, params, col.forward,
                           lambda t: col.backward(t, w_log_std[t.index]))
    r = col.arrays()
    lin = np.vectorize(unscale, otypes=[float])
    wgr = r.get("log10_weight_grad_ratio")
    tensors = col.kept_tensors(params, out) if keep_tensors else None
    return Result(
        spec=spec,
        preact_mean=r["preact_mean"], preact_var=lin(r["log10_preact_var"]),
        log10_preact_var=r["log10_preact_var"],
        act_mean=r["act_mean"], act_var=lin(r["log10_act_var"]),
        log10_act_var=r["log10_act_var"], log10_u_var=r["log10_u_var"],
        log10_out_var=r["log10_out_var"],
        saturated_frac=r["saturated_frac"], dead_frac=r["dead_frac"],
        grad_var=lin(r["log10_grad_var"]), log10_grad_var=r["log10_grad_var"],
        weight_grad_ratio=None if wgr is None else lin(wgr), log10_weight_grad_ratio=wgr,
        loss=out.loss, log10_loss=out.log10_loss, loss_uniform=math.log(spec.classes),
        overflow_layer=col.overflow_layer if spec.dtype != "float64" else None,
        underflow_layer=col.underflow_layer,
        **col.backward_edges(out, float(r["log10_grad_var"][-1])),
        act_hist=r.get("act_hist"), hist_edges=col.hist_edges,
        hist_log10_scale=r.get("hist_log10_scale"), grad_hist=r.get("grad_hist"),
        weight_grad_hist=r.get("weight_grad_hist"), grad_hist_edges=col.grad_edges,
        dead_units=r["dead_units"], map_values=r.get("map_values"), tensors=tensors,
        saturated_frac_grid=r.get("saturated_frac_grid"),
    )


def _log10_var(w: np.ndarray) -> float:
    """log10 Var(w) in two passes and no temporary (np.var makes a centred copy)."""
    return stats.moments(w, 0.0)[1]
