"""The statistics recorder: what a run keeps of every layer while it trains.

Each recorded step, every layer's statistics are taken as it passes forward (`layer`,
no tensor copied), and completed after the update with the sizes of the update and of
the gradient against the weights (`row`). The histogram layers' edges are fixed at the
first record, so a run's histograms compare across steps.
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations, stats
from ..propagate import LayerForward
from ..scaled import true_units
from ..spec import NetworkSpec
from .log import LAYER_STATS, STAT_NAMES

HIST_LAYERS = 6                     # layers whose activation histograms a log keeps



class Recorder:
    """The rows of per-layer statistics of one run of `spec` (`rows`), and the layers
    whose histograms it keeps (`hist_layers`, spread over the depth)."""

    def __init__(self, spec: NetworkSpec):
        self.spec = spec
        self.act = activations.get(spec.activation)
        self.hist_layers = tuple(stats.spread_layers(1, spec.depth, HIST_LAYERS))
        self.edges: dict[int, np.ndarray] = {}
        self.rows: list[dict] = []

    def layer(self, t: LayerForward) -> dict:
        """One layer's statistics as it passes (true units; the engine may rescale its
        arrays in place afterwards): means and stds, the share saturated or off, and
        for the histogram layers their counts on edges fixed at the first record."""
        x, h = true_units(t.x, t.x_scale), true_units(t.preact, t.preact_scale)
        u, a = true_units(t.u, t.u_scale), true_units(t.act, t.act_scale)
        row = {"saturated": self._saturated(u, a)}
        for name, arr in (("input", x), ("preact", h), ("seen", u)):
            row[f"{name}_mean"], row[f"{name}_std"] = float(arr.mean()), float(arr.std())
        layer = t.index + 1
        if layer in self.hist_layers:
            if layer not in self.edges:
                self.edges[layer] = self._edges(a)
            counts = stats.histogram(a, self.edges[layer])
            row["hist"] = counts / max(counts.sum(), 1)
        return row

    def row(self, k: int, seen: list, weights: list, weight_grads: list,
            update_std: list[float]) -> None:
        """Keep step k's row: the layers' statistics `seen`, and per layer log10 of the
        update's std and of dL/dW's std over std(W) (W after the update)."""
        depth = self.spec.depth
        row = {"step": k, "hist": np.array([seen[n - 1]["hist"] for n in self.hist_layers],
                                           dtype=np.float32)}
        for name in LAYER_STATS:
            row[name] = np.array([s[name] for s in seen])
        row["update_ratio"], row["grad_ratio"] = np.zeros(depth), np.zeros(depth)
        for i in range(depth):
            w_std = float(weights[i].std())
            row["update_ratio"][i] = _log10_ratio(update_std[i], w_std)
            row["grad_ratio"][i] = _log10_ratio(float(weight_grads[i].std()), w_std)
        self.rows.append(row)

    def arrays(self) -> dict:
        """The rows as TrainLog's fields: steps, histograms, their edges, and each
        statistic as a (records, depth) array."""
        rows, depth, bins = self.rows, self.spec.depth, stats.BINS
        stacked = {name: np.array([r[name] for r in rows]).reshape(len(rows), depth)
                   for name in STAT_NAMES}
        edges = [self.edges.get(layer, np.zeros(bins + 1)) for layer in self.hist_layers]
        return dict(
            record_steps=np.array([r["step"] for r in rows], dtype=int),
            hist_layers=self.hist_layers,
            act_hist=np.array([r["hist"] for r in rows], dtype=np.float32).reshape(
                len(rows), len(self.hist_layers), bins),
            hist_edges=np.array(edges), **stacked)

    def _edges(self, act_values: np.ndarray) -> np.ndarray:
        """Histogram edges fixed for the whole run: a bounded activation's range, or
        +-4 times the layer's rms at step 0 (from just below 0 when the values are
        nearly all >= 0, as relu's are)."""
        if self.act.bounded is not None:
            return stats.fixed_edges(*self.act.bounded)
        rms = float(np.sqrt(np.mean(np.square(act_values, dtype=np.float64))))
        span = 4 * rms if rms > 0 and math.isfinite(rms) else 1.0
        lo = -0.25 * span if np.mean(act_values < 0) < 0.05 else -span
        return stats.fixed_edges(lo, span)

    def _saturated(self, u: np.ndarray, a: np.ndarray) -> float:
        act = self.act
        level = act.to_level(a) if act.bounded is not None else None
        frac, _, _ = stats.saturation(act, level, u, self.spec.saturation_threshold,
                                      self.spec.dead_threshold)
        return float(frac)


def _log10_ratio(num: float, den: float) -> float:
    return math.log10(num / den) if num > 0 and den > 0 and math.isfinite(num / den) else math.nan
