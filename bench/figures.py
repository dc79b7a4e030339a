"""Build time of every figure the pages draw, on the inputs the pages give them.

    python -m bench.figures --depth 60

The inputs come from the core once (a few networks: the default tanh one, a ReLU one in
float16 that overflows, GELU's per-layer gradient curves, the init and normalization
comparisons), then every builder is timed: median of `--repeats` builds, in ms.
`cases(depth)` is also what tests/figures/test_every_figure.py builds and validates.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from core import NetworkSpec, norms, phase, simulate, theory, train
from core.activations import local_gradient_curve
from core.experiments import (batch_dependence, depth_scales, init_lineup, norm_lineup,
                              readout, running_stats)
from core.experiments.diagnose import diagnose
from core.stats import spread_layers
from ui import capacity
from ui.labels import INIT_LABELS, LINEUP_LABELS, batch_run_label


@dataclass
class Case:
    """One figure: figures.<module>.<function>(*args, **kwargs)."""
    name: str
    module: str
    function: str
    args: tuple
    kwargs: dict = field(default_factory=dict)

    def build(self, package: str = "figures"):
        mod = importlib.import_module(f"{package}.{self.module}")
        return getattr(mod, self.function)(*self.args, **self.kwargs)


def _single_network(tag: str, res, spec: NetworkSpec) -> list[Case]:
    """The variance, gradients, saturation and dead-neuron pages' charts for one run."""
    depth = spec.depth
    valid = depth if res.overflow_layer is None else res.overflow_layer
    pred = theory.predict(spec, float(res.log10_grad_var[-1]))
    act = res.activation
    shown = spread_layers(1, max(valid, 1), 5)
    theory_curves = ({} if res.overflow_layer is not None else
                     {"theory: pre-activation": pred.log10_preact_var,
                      "theory: activation": pred.log10_act_var})
    lo, hi = float(res.hist_edges[0]), float(res.hist_edges[-1])
    if act.bounded is not None:
        grads = [("local gradient 1 − t²", *local_gradient_curve(act, lo, hi))]
        shade = [(lo, lo + 0.03), (hi - 0.03, hi)]
    elif act.homogeneous:
        grads, shade = [("local gradient φ′", *local_gradient_curve(act, lo, hi))], [(lo, 0.0)]
    else:
        grads = [("local gradient φ′ (one per layer)",
                  *local_gradient_curve(act, lo, hi, res.hist_log10_scale[k - 1])) for k in shown]
        shade = [(lo, 0.0)]
    fracs = res.saturated_frac_at(0.97)
    layers0 = [k - 1 for k in shown]
    point = phase.phase_point(spec.activation, spec.sigma_w2, spec.bias_var, theory.input_q0(spec))
    line = phase.critical_line(spec.activation, max(1.0, spec.bias_var))
    panels = spread_layers(1, depth, 6)
    return [
        Case(f"{tag} variance", "variance", "variance_figure",
             ({"pre-activation h": res.log10_preact_var, "activation φ(·)": res.log10_act_var},
              theory_curves, res.overflow_layer),
             dict(underflow_layer=res.underflow_layer,
                  band={"other seeds": np.stack([res.log10_preact_var - 0.3,
                                                 res.log10_preact_var + 0.2])})),
        Case(f"{tag} flow", "gradients", "flow_figure",
             (res.log10_act_var, res.log10_grad_var,
              None if res.overflow_layer is not None else pred.log10_grad_var,
              res.overflow_layer, res.underflow_layer)),
        Case(f"{tag} phase", "gradients", "phase_figure",
             (line[0], line[1], spec.bias_var, spec.sigma_w2, point.chi1, spec.activation)),
        Case(f"{tag} gradient histograms", "gradients", "histogram_figure",
             (res.grad_hist, res.grad_hist_edges, layers0,
              [f"layer {i + 1}" for i in layers0], "Activation gradients dL/dh", "dL/dh")),
        Case(f"{tag} activation histograms", "histograms", "activation_histograms",
             (res.hist_edges, res.act_hist, shown, res.act_mean, res.log10_act_var, fracs,
              "saturated", grads, shade, "activation value")),
        Case(f"{tag} density map", "histograms", "layer_density_map",
             (res.hist_edges, res.act_hist, valid, (0.97,) if act.bounded else (),
              "activation value")),
        Case(f"{tag} saturated per layer", "histograms", "percent_by_layer",
             ({"saturated": fracs}, valid, shown)),
        Case(f"{tag} dead map", "heatmaps", "dead_map_figure",
             (res.dead_map(0), res.dead_units[0], 1, "saturated")),
        Case(f"{tag} dead per layer", "histograms", "percent_by_layer",
             ({"dead units": res.dead_frac, "saturated values": fracs}, valid, [1]),
             dict(mark_name="drawn above", title="Dead units, layer by layer", y_title="%",
                  colors=("#7f3b08", "#3a3a3a"))),
        Case(f"{tag} small multiples", "heatmaps", "small_multiples",
             ([(k, res.dead_map(k - 1) if k <= valid else None, res.dead_units[k - 1])
               for k in panels], "saturated")),
    ]


def _init_page(spec: NetworkSpec) -> list[Case]:
    runs, _ = init_lineup.run_schemes_within_budget(spec, limits=capacity.VIEW)
    rows = {r.scheme: r for r in init_lineup.scheme_rows(spec)}
    scales = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
    sweep = readout.readout_sweep(spec, scales)
    current = readout.readout_sweep(spec, (1.0,))
    label = int(current.labels[0])
    return [
        Case("init schemes", "init", "schemes_figure",
             ({INIT_LABELS[s]: r.log10_act_var for s, r in runs.items()},
              {INIT_LABELS[s]: diagnose(r).forward.kind for s, r in runs.items()},
              {INIT_LABELS[s]: f"fan_in × Var(W) = {rows[s].sigma_w2:.3g}" for s in runs},
              "activation variance")),
        Case("init loss", "init", "loss_figure",
             (sweep.scales, sweep.log10_loss, sweep.loss_uniform, 1.0,
              float(current.log10_loss[0]), spec.classes)),
        Case("init softmax", "init", "softmax_figure",
             (current.probs(0, 1.0), label, 1.0, current.probs(0, 0.01), 0.01, 0)),
    ]


def _norm_page(spec: NetworkSpec) -> list[Case]:
    net = norm_lineup.badly_initialized(spec)
    lineup = norm_lineup.run_lineup(net, 4, limits=capacity.VIEW)
    res = {LINEUP_LABELS[n]: r for n, r in lineup.results.items()}
    shape = (spec.batch, spec.width, 4)
    ex, ch, pos = norms.picture_indices(shape, 4, max_channels=6)
    kinds = ("batch", "layer", "group", "instance", "rms")
    masks = {k: norms.statistics_set(k, shape, (0, 0, 0), 4 if k == "group" else 1, ex, ch, pos)
             for k in kinds}
    dep = batch_dependence.batch_dependence(net, groups=4, limits=capacity.FORWARD_VIEW)
    te = running_stats.train_eval_within_budget(net, 5, limits=capacity.FORWARD_VIEW)
    aff = norm_lineup.run_affine(net, "batch", 2.0, 0.5, 4, limits=capacity.VIEW)
    return [
        Case("norm forward", "norms", "lineup_variance_figure",
             ({k: r.log10_act_var for k, r in res.items()}, "Forward: activation variance")),
        Case("norm saturated", "norms", "fraction_figure",
             ({k: r.saturated_frac for k, r in res.items()}, "Units saturated per layer",
              "saturated units")),
        Case("norm sets", "norms", "sets_figure",
             ({k: masks[k] for k in kinds}, ex, ch, pos, (0, 0, 0), {k: "12 values" for k in kinds})),
        Case("norm batchmates", "norms", "sensitivity_figure",
             ({batch_run_label(r.norm, r.batch): r.sensitivity for r in dep.runs},)),
        Case("norm eval mismatch", "norms", "mismatch_figure", (te.mismatch, 5)),
        Case("norm affine histograms", "norms", "activation_hist_figure",
             ({role: (r.act_hist[-1], r.hist_edges, float(r.hist_log10_scale[-1]))
               for role, r in aff.results.items()}, "Activations at the last layer",
              "activation value")),
    ]


def _training_page(depth: int, width: int, steps: int) -> list[Case]:
    """The Training page's charts after `steps` steps of its default config: the tanh
    network as set and with BatchNorm (its train/eval losses and small batches)."""
    config = train.TrainConfig(steps=steps, record_every=train.record_every_for(steps))
    tanh = NetworkSpec(depth=depth, width=width)
    logs = {"as set": train.train(tanh, config),
            "with BatchNorm": train.train(tanh.replace(norm="batch"), config)}
    log, bn = logs["as set"], logs["with BatchNorm"]
    curves = {label: dict(steps=np.arange(len(g.loss)), loss=g.loss, eval_steps=g.eval_steps,
                          valid_loss=g.valid_loss) for label, g in logs.items()}
    layers = spread_layers(1, depth, 6)
    sizes = (2, 3, 4, 8, 32)
    shift = {f"{label}: h = xW + b": dict(steps=g.record_steps, mean=g.preact_mean[:, 1],
                                          std=g.preact_std[:, 1]) for label, g in logs.items()}
    shift["with BatchNorm: h normalized"] = dict(steps=bn.record_steps, mean=bn.seen_mean[:, 1],
                                                 std=bn.seen_std[:, 1])
    modes = {"eval mode": curves["with BatchNorm"],
             "train mode": dict(steps=np.zeros(0), loss=np.zeros(0), eval_steps=bn.eval_steps,
                                valid_loss=bn.valid_loss_batch_stats)}
    return [
        Case("training loss", "training", "loss_figure", (curves, log.uniform_loss)),
        Case("training loss, live", "training", "loss_figure", (curves, log.uniform_loss),
             dict(max_points=400)),
        Case("training density", "training", "density_over_steps",
             (log.record_steps, log.act_hist, log.hist_edges, layers)),
        Case("training saturated", "training", "layers_over_steps",
             (log.record_steps, log.saturated, layers, "Share saturated", "% of values"),
             dict(percent=True)),
        Case("training update:data", "training", "layers_over_steps",
             (log.record_steps, log.update_ratio, layers, "Update:data", "std(update) / std(W)"),
             dict(guide=(-3.0, "10⁻³"), log10_values=True)),
        Case("training shift", "training", "shift_figure", (shift, 2)),
        Case("training BatchNorm modes", "training", "loss_figure",
             (modes, bn.uniform_loss, "validation loss in eval mode and in train mode")),
        Case("training BatchNorm batches", "training", "batch_size_figure",
             (sizes, [train.valid_loss(bn, b) for b in sizes], train.valid_loss(bn),
              bn.uniform_loss)),
    ]


def _depth_scales_page(depth: int, width: int) -> list[Case]:
    """The Depth scales page's charts: a critical tanh network's pairs, the isometry of a
    ReLU network (exact zeros) beside a linear one's (orthogonal: all at 1), He ReLU's
    spread over draws with its law, a trainability grid with a live column, and where
    training stops against the step count (a step count with no column on a side)."""
    tanh = NetworkSpec(depth=depth, width=width, activation="tanh", weight_var=1.76 / width,
                       bias_var=0.05)
    corr = depth_scales.correlations(tanh)
    relu = NetworkSpec(depth=depth, width=min(width, 32), activation="relu",
                       init="kaiming_normal")
    linear = relu.replace(activation="linear", init="custom", weight_var=1 / relu.width)
    fw = depth_scales.finite_width(relu)
    sigma_w2 = (0.5, 1.0, 1.76, 2.5, 4.0)
    depths = (5, 10, 20, 40)
    fine = np.linspace(0.5, 4.0, 30)
    xi = depth_scales.xi_c_curve("tanh", 0.05, fine)
    loss = np.array([[2.4, 2.35, 2.34, 2.35, 2.37], [2.82, 2.4, 2.35, 2.4, 2.5],
                     [2.82, 2.82, 2.36, 2.6, np.inf], [2.82, 2.82, 2.4, 2.82, 2.83]]) - 2.81
    cases = [Case("depth correlation", "depth_scales", "correlation_figure",
                  (corr.mean, corr.low, corr.high, corr.predicted, corr.scales.c_star, corr.c0)),
             Case("depth trainability", "depth_scales", "trainability_figure",
                  (depths, sigma_w2, loss, {"ξ_c": (fine, xi), "6 ξ_c": (fine, 6 * xi)},
                   (1.78, 30), (2.0, (5, 20), np.array([-0.4, 0.1])), 1.76)),
             Case("depth finite width", "depth_scales", "finite_width_figure",
                  (fw.finite, (fw.law.mean, fw.law.variance))),
             Case("depth boundary", "depth_scales", "boundary_figure",
                  ((250, 1000, 4000), {"ordered": [np.array([4.2, 5.4]), np.array([8.7]),
                                                   np.array([12.6, 10.8])],
                                       "chaotic": [np.array([3.2]), np.array([]),
                                                   np.array([4.1, 2.0])]}, 1000))]
    for tag, spec in (("relu", relu), ("linear", linear)):
        iso = depth_scales.isometry(spec)
        cases.append(Case(f"depth isometry {tag}", "depth_scales", "isometry_figure",
                          (iso.depths, {k: v.log10_sv2 for k, v in iso.spectra.items()})))
    return cases


def cases(depth: int = 60, width: int = 100, batch: int = 256,
          train_steps: int = 2000) -> list[Case]:
    """Every figure the pages draw, on networks of this depth (the comparisons are shrunk
    to ui.capacity's limits just as on the pages; the Training page's at depth 10 at most,
    its default, and `train_steps` steps)."""
    tanh = NetworkSpec(depth=depth, width=width, batch=batch, init="xavier_normal", gain=5 / 3)
    blowup = NetworkSpec(depth=depth, width=width, batch=batch, activation="relu",
                         weight_var=30 / width, dtype="float16")
    gelu = NetworkSpec(depth=depth, width=width, batch=batch, activation="gelu", init="kaiming_normal")
    out = []
    for tag, spec in (("tanh", tanh), ("relu float16", blowup), ("gelu", gelu)):
        out += _single_network(tag, simulate(spec), spec)
    fading = NetworkSpec(depth=depth, width=width, batch=batch, weight_var=0.01 / width,
                         dtype="float16")
    out += _single_network("tanh float16 vanishing", simulate(fading), fading)[:2]
    return (out + _init_page(tanh) + _norm_page(tanh)
            + _training_page(min(depth, 10), width, train_steps)
            + _depth_scales_page(depth, width))


def time_builds(case: Case, repeats: int, package: str = "figures") -> float:
    """Median ms of `repeats` builds (after one warm-up build)."""
    case.build(package)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        case.build(package)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--depth", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--train-steps", type=int, default=2000)
    args = ap.parse_args()
    total = 0.0
    print(f"| figure (depth {args.depth}) | build ms |\n|---|---|")
    for case in cases(args.depth, train_steps=args.train_steps):
        ms = time_builds(case, args.repeats)
        total += ms
        print(f"| {case.name} | {ms:.2f} |")
    print(f"| total | {total:.1f} |")


if __name__ == "__main__":
    main()
