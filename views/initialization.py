"""Page 5: every init scheme on the same network, PyTorch's gains, and the loss at init."""

import streamlit as st

from core.experiments import init_lineup
from core.experiments.diagnose import diagnose
from core.experiments.readout import SWEEP_SCALES
from figures import init as ifig
from figures.style import format_power
from ui import cache, charts, controls
from ui.controls import Control, Settings
from ui.verdicts import trend_cell
from ui.labels import GAIN_FORMULAS, INIT_LABELS, NO_TORCH_GAIN, SCHEME_FORMULAS
from ui.pages import BY_PATH

from .prose import Prose

PAGE = BY_PATH["initialization"]
TEXT = Prose(PAGE.url_path)

QUANTITY = Control("init_quantity", "Show per layer", "select", "preact",
                   options=("preact", "act", "grad"),
                   labels={"preact": "pre-activation variance (forward)",
                           "act": "activation variance (forward)",
                           "grad": "gradient variance (backward)"})
FIELDS = {"preact": "log10_preact_var", "act": "log10_act_var", "grad": "log10_grad_var"}


def page(settings: Settings) -> None:
    st.title("Initialization")
    controls.page_tabs(PAGE.tab_key, TABS, settings.spec)


def _own_at_full_size(spec, runs: dict) -> dict:
    """The lineup ran smaller than the sidebar's network: the sidebar's own scheme, and
    every scheme that draws the same weights, from the network itself (the run the other
    pages show), so that this page's words about it are theirs."""
    own, key = cache.result(spec), init_lineup.draw_key(spec)
    return {s: own if init_lineup.draw_key(spec.replace(init=s)) == key else r
            for s, r in runs.items()}


def _every_scheme(spec) -> None:
    """Every init scheme on the same network, with the Var(W) each one draws from."""
    runs, shrunk = cache.schemes(spec)
    controls.show_fixes(shrunk)
    if shrunk:
        runs = _own_at_full_size(spec, runs)
        st.caption(TEXT("own_full_size", batch=spec.batch, width=spec.width))
    quantity = controls.page_control(QUANTITY)
    rows = {r.scheme: r for r in init_lineup.scheme_rows(spec)}
    diags = {s: diagnose(r) for s, r in runs.items()}
    forward = {s: d.forward for s, d in diags.items()}
    backward = {s: d.backward for s, d in diags.items()}
    shown = forward if quantity != "grad" else backward
    act = next(iter(runs.values())).activation
    # A level variance can hide saturated units: the panel says both.
    saturated = {INIT_LABELS[s]: f"{d.saturated:.0%} saturated" for s, d in diags.items()
                 if d.saturating}
    fig = ifig.schemes_figure(
        {INIT_LABELS[s]: getattr(r, FIELDS[quantity]) for s, r in runs.items()},
        {INIT_LABELS[s]: shown[s].kind for s in runs},
        {INIT_LABELS[s]: ifig.verdict_subtitle(rows[s].sigma_w2)
         for s in runs}, QUANTITY.labels[quantity].split(" (")[0], notes=saturated)
    charts.show(fig, key="init_schemes_chart")
    st.caption(TEXT("schemes", saturated=TEXT(
        "saturated_note", rule=act.flat_rule(spec.saturation_threshold))
        if act.flat_word == "saturated" else ""))

    critical = cache.phase_point(spec)
    table = []
    for s in runs:
        row = rows[s]
        chi = cache.phase_point(spec, row.sigma_w2).chi1
        table.append({
            "scheme": ("▶ " if s == spec.init else "") + INIT_LABELS[s],
            "Var(W) formula": SCHEME_FORMULAS[s],
            "gain": "—" if row.gain is None else f"{row.gain:.4g}",
            f"Var(W), width {spec.width}": f"{row.weight_var:.4g}",
            "fan_in×Var(W)": f"{row.sigma_w2:.4g}",
            "χ₁": f"{chi:.3g}",
            "forward": trend_cell(forward[s]),
            "gradients": trend_cell(backward[s])}
            | _flat_cell(act, spec, diags[s]))
    st.dataframe(table, hide_index=True, key="init_scheme_table")
    crit = critical.critical_sigma_w2
    crit_text = (TEXT("critical.at", sigma_w2=crit) if crit == crit else TEXT("critical.none"))
    st.markdown(TEXT("why", activation=spec.activation, bias_var=spec.bias_var,
                     critical=crit_text, width=spec.width))
    st.subheader("PyTorch's gains (calculate_gain)")
    gain_md = ["| activation | gain | value |", "|---|---|---|"]
    for g in init_lineup.gain_rows(spec.activation):
        formula = GAIN_FORMULAS[g.activation] if g.in_pytorch else NO_TORCH_GAIN
        cells = [g.activation, formula, f"{g.gain:.4f}"]
        if g.current:
            cells = [f"**▶ {c}**" for c in cells]
        gain_md.append("| " + " | ".join(cells) + " |")
    st.markdown("\n".join(gain_md))
    st.caption(TEXT("gains"))


def _flat_cell(act, spec, diag) -> dict[str, str]:
    """The table's share of the last layer saturated (off), with its cutoff in the header."""
    if act.flat_word is None:
        return {}
    rule = act.flat_rule(spec.saturation_threshold)
    return {f"{act.flat_word} ({rule}), last layer": f"{diag.saturated:.0%}"}


def _confidently_wrong(spec) -> None:
    """The loss at init against the readout scale, and one example's softmax."""
    example_control = Control("init_example", "Example shown", "int", 0, lo=0,
                              hi=min(31, spec.batch - 1))
    sweep = cache.readout_sweep(spec, SWEEP_SCALES)
    scale = spec.readout_scale
    current = cache.readout_sweep(spec, (scale,))
    if not current.defined:
        st.warning(TEXT("wrong.overflow", dtype=spec.dtype), icon=":material/warning:")
        return
    c = st.columns(3)
    c[0].metric("Initial loss at this readout scale",
                format_power(float(current.log10_loss[0]), 4))
    c[1].metric(f"log {spec.classes}: a network that knows nothing",
                f"{sweep.loss_uniform:.4f}")
    above = sweep.first_scale_above(27.0)
    c[2].metric("Loss reaches 27 from readout scale",
                "beyond 100" if above is None else f"{above:.3g}")
    charts.show(ifig.loss_figure(sweep.scales, sweep.log10_loss, sweep.loss_uniform,
                                     scale, float(current.log10_loss[0]), spec.classes),
                    key="init_loss_chart")
    example = controls.page_control(example_control)
    reference = 0.01 if scale != 0.01 else None
    charts.show(ifig.softmax_figure(
        current.probs(example, scale), int(current.labels[example]), scale,
        None if reference is None else current.probs(example, reference), reference,
        example), key="init_softmax_chart")
    label = int(current.labels[example])
    st.markdown(TEXT(
        "wrong.example", example=example, label=label, p=current.probs(example, scale)[label],
        loss=format_power(current.example_log10_loss(example, scale), 4),
        loss_at_1=format_power(float(sweep.log10_loss[SWEEP_SCALES.index(1.0)]), 4),
        classes=spec.classes, loss_uniform=sweep.loss_uniform))


TABS = {"Every scheme": _every_scheme, "Confidently wrong at init": _confidently_wrong}
