"""Page 6: what each normalization fixes, what it averages, and where BatchNorm bites."""

import math

import streamlit as st

from core import norms
from core.spec import group_count
from core.experiments import norm_lineup
from figures import norms as nfig
from figures.style import format_power
from ui import cache, charts, controls
from ui.controls import Control, Settings
from ui.verdicts import TREND_WORDS
from ui.labels import LINEUP_LABELS, NORM_LABELS, affine_label, batch_run_label
from ui.pages import BY_PATH

PAGE = BY_PATH["normalization"]

BAD = Control("norm_bad_init", "Start from a bad init: N(0, 1) weights", "toggle", True,
              help="fan_in × Var(W) = width: without normalization the signal explodes or "
                   "saturates. Off: the sidebar's own weights.")
EVAL_BATCHES = Control("norm_eval_batches", "Training batches before eval", "steps", 10,
                       options=(1, 2, 5, 10, 20, 50, 100, 200))


def page(settings: Settings) -> None:
    spec = settings.spec
    st.title("Normalization")
    bad = controls.page_control(BAD)
    net = norm_lineup.badly_initialized(spec) if bad else spec
    groups = spec.groups if spec.norm == "group" else settings.values["groups"]
    st.caption(f"The network: {spec.depth} layers of width {spec.width}, {spec.activation}, "
               f"fan_in × Var(W) = {net.sigma_w2:.3g}"
               + (" (N(0, 1) weights: a bad init on purpose)." if bad else " (the sidebar's)."))
    controls.page_tabs(PAGE.tab_key, TABS, spec, net, groups, settings)


def _side_by_side(spec, net, groups, settings: Settings) -> None:
    """Every normalization on the same network: forward, backward, saturation."""
    lineup = cache.norm_lineup_runs(net, groups)
    controls.show_fixes(lineup.fixes)
    res = {LINEUP_LABELS[n]: r for n, r in lineup.results.items()}
    left, right = st.columns(2)
    charts.show(nfig.lineup_variance_figure(
        {k: r.log10_act_var for k, r in res.items()}, "Forward: activation variance"), left,
        key="norm_act_chart")
    charts.show(nfig.lineup_variance_figure(
        {k: r.log10_grad_var for k, r in res.items()}, "Backward: gradient variance"), right,
        key="norm_grad_chart")
    act = lineup.results["none"].activation
    word = "saturated" if act.bounded else "off" if act.relu_like else None
    if word:
        charts.show(nfig.fraction_figure(
            {k: r.saturated_frac for k, r in res.items()}, f"Units {word} per layer",
            f"{word} units"), key="norm_sat_chart")
    else:
        st.caption("A linear activation neither saturates nor switches off.")
    rows = []
    for row in lineup.summary():
        back = row.backward
        rows.append({
            "normalization": LINEUP_LABELS[row.norm],
            "activation variance, last layer": format_power(row.last_log10_act_var),
            "gradients, layer 1 vs last": TREND_WORDS[back.kind] + (
                f" ({format_power(back.decades)}×)" if math.isfinite(back.decades) else ""),
            f"{word or 'saturated'}, last layer": f"{100 * row.last_saturated:.1f}%",
            "dead units (all layers)": f"{100 * row.dead:.1f}%"})
    st.dataframe(rows, hide_index=True, key="norm_lineup_table")
    st.markdown("""
**What normalization fixes.** Every variant re-centres and re-scales what enters the
activation, so the forward signal keeps its size whatever the weights: no explosion, and
far less saturation. The backward pass gets a matching division by the same standard
deviation, which is why the gradients calm down too.

**What it does not.** It cannot make a unit useful that is off (ReLU) or pinned (tanh)
for *every* example: LayerNorm, GroupNorm and RMSNorm normalize each example across its
channels, so a channel that is negative for everyone stays negative. Only BatchNorm (and
InstanceNorm) re-centre each channel, which revives such units. Try the *Dying ReLU*
demo with the bad init switched off. Normalization also does not fix a badly scaled
readout, and it adds its own problems: see *Batch size* and *Train vs eval*.
    """)


def _what_is_averaged(spec, net, groups, settings: Settings) -> None:
    """Which values share one mean and variance, for each normalization."""
    shape = (spec.batch, spec.width, spec.spatial)
    g = group_count(spec.width, spec.spatial, groups)
    ex, ch, pos = norms.picture_indices(shape, g, max_channels=12 if spec.spatial == 1 else 6)
    kinds = ("batch", "layer", "group", "instance", "rms")
    masks = cache.statistics_sets(kinds, shape, (0, 0, 0), g, tuple(ex), tuple(ch), tuple(pos))
    size = {k: norms.statistics_set_size(k, shape, g) for k in kinds}
    titles = {"batch": "BatchNorm", "layer": "LayerNorm", "group": f"GroupNorm ({g} groups)",
              "instance": "InstanceNorm", "rms": "RMSNorm"}
    charts.show(nfig.sets_figure(
        {titles[k]: masks[k] for k in kinds}, ex, ch, pos, (0, 0, 0),
        {titles[k]: f"{size[k]} value{'s' if size[k] != 1 else ''} per mean" for k in kinds}),
        key="norm_sets_chart")
    st.caption(f"Shape: batch {spec.batch} × channels {spec.width} × positions "
               f"{spec.spatial}; the picture shows examples {ex[0]}–{ex[-1]}, channels "
               f"{', '.join(map(str, ch))} (a black line marks skipped channels) and "
               f"positions {pos[0]}–{pos[-1]}. Dark: one "
               f"value (example 0, channel 0, position 0); light blue: the values whose "
               f"mean and variance normalize it.")
    if spec.spatial == 1:
        st.info("With one position, InstanceNorm would average a single value: its "
                "variance is 0 and it is undefined. Raise Advanced › Spatial positions.",
                icon=":material/info:")
    st.markdown("""
BatchNorm averages **down the batch**: one mean per channel, over every example (and
position). LayerNorm and RMSNorm average **across one example**: every channel and
position, with RMSNorm skipping the mean. GroupNorm splits the channels into groups and
averages within a group of one example: 1 group is LayerNorm, one channel per group is
InstanceNorm, which averages over the positions of a single channel of a single example.
Only BatchNorm mixes examples, so only BatchNorm depends on the batch.
    """)


def _batch_size(spec, net, groups, settings: Settings) -> None:
    """How much one example depends on its batchmates, by batch size."""
    dep = cache.batch_dependence_runs(net, groups)
    controls.show_fixes(dep.shrunk)
    curves = {batch_run_label(r.norm, r.batch): r.sensitivity for r in dep.runs}
    left, right = st.columns(2)
    charts.show(nfig.sensitivity_figure(curves), left, key="norm_batch_chart")
    charts.show(nfig.lineup_variance_figure(
        {batch_run_label(r.norm, r.batch): r.log10_act_var for r in dep.runs},
        "Activation variance per layer"), right, key="norm_batch_var_chart")
    st.markdown("""
The same weights, the same example 0, two batches that differ in every *other* example.
With BatchNorm, example 0's activations change: its normalization uses the batch's mean
and variance, which at batch 2 are little more than a coin toss. The change shrinks as the
batch grows, but never vanishes, and it compounds through depth. LayerNorm and GroupNorm
take their statistics from the example alone: the change is exactly zero at any batch size.
This is why small-batch training (detection, segmentation, large models split over devices)
reaches for GroupNorm or LayerNorm.
    """)


def _train_vs_eval(spec, net, groups, settings: Settings) -> None:
    """BatchNorm in eval mode, after k batches of running statistics."""
    k = controls.page_control(EVAL_BATCHES)
    te = cache.train_eval(net, k)
    controls.show_fixes(te.shrunk)
    c = st.columns(3)
    c[0].metric("Loss, train mode (batch statistics)", f"{te.train_loss:.4g}")
    c[1].metric("Loss, eval mode (running statistics)", f"{te.eval_loss:.4g}")
    c[2].metric("Start values still in the running stats", f"{te.start_weight:.1%}")
    left, right = st.columns(2)
    charts.show(nfig.lineup_variance_figure(
        {"batch variance (train mode divides by it)": te.log10_batch_var,
         f"running variance after {k} batches (eval mode)": te.log10_running_var},
        "What BatchNorm divides by", "mean over channels (log scale)"), left,
        key="norm_eval_var_chart")
    charts.show(nfig.mismatch_figure(te.mismatch, k), right, key="norm_eval_mismatch_chart")
    st.markdown(f"""
In training mode BatchNorm divides by the statistics of the current batch and keeps running
averages of them: momentum 0.1, starting from mean 0 and variance 1, as PyTorch does. In
eval mode (`model.eval()`) it uses those running averages. After k batches the starting
values still weigh 0.9^k, so when a layer's true variance is far from 1 the running
variance lags behind: eval mode then scales that layer wrongly, and every later layer
inherits the error. Move the slider: with more batches the running statistics catch up
and the mismatch shrinks, but never quite to zero, since one batch's statistics are not
the population's. This runs the {NORM_LABELS['batch']} version of the network in float64.
    """)


def _gamma_beta(spec, net, groups, settings: Settings) -> None:
    """The learned gamma and beta, which can undo the normalization."""
    norm = spec.norm if spec.norm != "none" else "batch"
    gamma = spec.norm_gamma if spec.norm != "none" else settings.values["norm_gamma"]
    beta = spec.norm_beta if spec.norm != "none" else settings.values["norm_beta"]
    aff = cache.affine_runs(net, norm, gamma, beta, groups)
    controls.show_fixes(aff.fixes)
    res = {affine_label(role, norm, gamma, beta): r for role, r in aff.results.items()}
    left, right = st.columns(2)
    act = next(iter(res.values())).activation
    if act.bounded or act.relu_like:
        word = "saturated" if act.bounded else "off"
        charts.show(nfig.fraction_figure(
            {k: r.saturated_frac for k, r in res.items()}, f"Units {word} per layer",
            f"{word} units"), left, key="norm_affine_sat_chart")
    else:
        charts.show(nfig.lineup_variance_figure(
            {k: r.log10_act_var for k, r in res.items()}, "Activation variance per layer"), left,
            key="norm_affine_var_chart")
    charts.show(nfig.activation_hist_figure(
        {k: (r.act_hist[-1], r.hist_edges, float(r.hist_log10_scale[-1]))
         for k, r in res.items()}, f"Activations at layer {spec.depth}",
        "activation value"), right, key="norm_affine_hist_chart")
    plain = aff.results["none"]
    st.markdown(f"""
After normalizing, each layer multiplies by a learned **γ** and adds a learned **β**:
y = γ · x̂ + β. They start at 1 and 0, and training may move them anywhere. With γ equal
to the standard deviation of what came in and β equal to its mean, y is the input again:
the network has *undone* the normalization. In this network the pre-activation of
layer 1 has standard deviation {format_power(0.5 * float(plain.log10_preact_var[0]))}
without normalization; a γ of that size would bring the saturation back.

Set γ and β in the sidebar (Advanced › Norm gamma / Norm beta; now γ = {gamma:g},
β = {beta:g} with {NORM_LABELS[norm]}). A large γ pushes tanh back into saturation;
a large β shifts every unit to one side, so ReLU units are all on (a linear network) or
all off.
    """)


TABS = {"Side by side": _side_by_side, "What is averaged": _what_is_averaged, "Batch size": _batch_size,
         "Train vs eval": _train_vs_eval, "γ and β": _gamma_beta}
