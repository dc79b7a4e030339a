"""Page 6: what each normalization fixes, what it averages, and where BatchNorm bites."""

import streamlit as st

from core import norms
from core.spec import group_count
from core.experiments import norm_lineup
from core.experiments.diagnose import diagnose
from figures import norms as nfig
from figures.style import format_power
from ui import cache, charts, controls
from ui.controls import Control, Settings
from ui.verdicts import saturation_story, trend_cell, trend_change
from ui.labels import LINEUP_LABELS, NORM_LABELS, affine_label, batch_run_label
from ui.pages import BY_PATH

from .prose import Prose

PAGE = BY_PATH["normalization"]
TEXT = Prose(PAGE.url_path)

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
    charts.describe([net])
    groups = spec.groups if spec.norm == "group" else settings.values["groups"]
    st.caption(TEXT("network", depth=spec.depth, width=spec.width, activation=spec.activation,
                    sigma_w2=net.sigma_w2, weights=TEXT("weights.bad" if bad else "weights.own")))
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
    word, rule = act.flat_word, act.flat_rule(net.saturation_threshold)
    if word:
        charts.show(nfig.fraction_figure(
            {k: r.saturated_frac for k, r in res.items()}, f"Units {word} per layer ({rule})",
            f"{word} units"), key="norm_sat_chart")
    else:
        st.caption(TEXT("no_flat_side"))
    rows, summary = [], lineup.summary()
    for row in summary:
        rows.append({
            "normalization": LINEUP_LABELS[row.norm],
            "activation variance, last layer": format_power(row.last_log10_act_var),
            "gradients, layer 1 vs last": trend_cell(row.backward)}
            | ({f"{word} ({rule}), last layer": f"{100 * row.last_saturated:.1f}%",
                "dead units (all layers)": f"{100 * row.dead:.1f}%"} if word else {}))
    st.dataframe(rows, hide_index=True, key="norm_lineup_table")
    st.markdown(TEXT("side_by_side", gradients=_gradients_here(lineup, summary)))


def _gradients_here(lineup, summary) -> str:
    """What the table's gradient column (`summary`) says, in a sentence: the variants
    grouped by their verdict (counted from the last layer back to layer 1), and why where
    it is not calm."""
    by_kind: dict[str, list[str]] = {}
    for row in summary:
        if row.norm != "none":
            b = row.backward
            change = "" if b.kind == "stable" else trend_change(b)
            by_kind.setdefault(b.kind, []).append(LINEUP_LABELS[row.norm] + change)
    says = [TEXT(f"gradients.says.{kind}") + " " + _and(names)
            for kind, names in by_kind.items()]
    text = TEXT("gradients.here", verdicts="; it ".join(says))
    batch = lineup.results.get("batch")
    if batch is not None and batch.spec.batch * batch.spec.spatial == 2 and \
            any("BatchNorm" in n for n in by_kind.get("vanishing", ())):
        text += " " + TEXT("gradients.two_values")
    story = saturation_story(diagnose(lineup.results["none"]))
    if story:
        text += " " + TEXT("gradients.without", story=story[0].lower() + story[1:])
    return text


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
    st.caption(TEXT("pictured", batch=spec.batch, width=spec.width, spatial=spec.spatial,
                    first_example=ex[0], last_example=ex[-1], channels=", ".join(map(str, ch)),
                    first_position=pos[0], last_position=pos[-1]))
    if spec.spatial == 1:
        st.info(TEXT("one_position"), icon=":material/info:")
    st.markdown(TEXT("what_is_averaged"))


def _batch_size(spec, net, groups, settings: Settings) -> None:
    """How much one example depends on its batchmates, by batch size."""
    charts.describe([net], leave_out=("batch",))           # the legends name the batches
    dep = cache.batch_dependence_runs(net, groups)
    controls.show_fixes(dep.shrunk)
    curves = {batch_run_label(r.norm, r.batch): r.sensitivity for r in dep.runs}
    left, right = st.columns(2)
    charts.show(nfig.sensitivity_figure(curves), left, key="norm_batch_chart")
    charts.show(nfig.lineup_variance_figure(
        {batch_run_label(r.norm, r.batch): r.log10_act_var for r in dep.runs},
        "Activation variance per layer"), right, key="norm_batch_var_chart")
    st.markdown(TEXT("batch_size"))


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
    st.markdown(TEXT("train_vs_eval", batch_norm=NORM_LABELS["batch"]))


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
    if act.flat_word:
        word, rule = act.flat_word, act.flat_rule(net.saturation_threshold)
        charts.show(nfig.fraction_figure(
            {k: r.saturated_frac for k, r in res.items()}, f"Units {word} per layer ({rule})",
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
    first_std = format_power(0.5 * float(plain.log10_preact_var[0]))
    st.markdown(TEXT("gamma_beta", first_std=first_std, gamma=gamma, beta=beta,
                     norm=NORM_LABELS[norm]))


TABS = {"Side by side": _side_by_side, "What is averaged": _what_is_averaged,
        "Batch size": _batch_size, "Train vs eval": _train_vs_eval, "γ and β": _gamma_beta}
