"""Page 5: every init scheme on the same network, PyTorch's gains, and the loss at init."""

import streamlit as st

from core.experiments import init_lineup
from core.experiments.diagnose import diagnose
from core.experiments.readout import SWEEP_SCALES
from figures import init as ifig
from figures.style import format_power
from ui import cache, charts, controls
from ui.controls import Control, Settings
from ui.verdicts import TREND_WORDS
from ui.labels import GAIN_FORMULAS, INIT_LABELS, NO_TORCH_GAIN, SCHEME_FORMULAS
from ui.pages import BY_PATH

PAGE = BY_PATH["initialization"]

QUANTITY = Control("init_quantity", "Show per layer", "select", "preact",
                   options=("preact", "act", "grad"),
                   labels={"preact": "pre-activation variance (forward)",
                           "act": "activation variance (forward)",
                           "grad": "gradient variance (backward)"})
FIELDS = {"preact": "log10_preact_var", "act": "log10_act_var", "grad": "log10_grad_var"}


def page(settings: Settings) -> None:
    st.title("Initialization")
    controls.page_tabs(PAGE.tab_key, TABS, settings.spec)


def _every_scheme(spec) -> None:
    """Every init scheme on the same network, with the Var(W) each one draws from."""
    runs, shrunk = cache.schemes(spec)
    controls.show_fixes(shrunk)
    quantity = controls.page_control(QUANTITY)
    rows = {r.scheme: r for r in init_lineup.scheme_rows(spec)}
    diags = {s: diagnose(r) for s, r in runs.items()}
    forward = {s: d.forward for s, d in diags.items()}
    backward = {s: d.backward for s, d in diags.items()}
    shown = forward if quantity != "grad" else backward
    fig = ifig.schemes_figure(
        {INIT_LABELS[s]: getattr(r, FIELDS[quantity]) for s, r in runs.items()},
        {INIT_LABELS[s]: shown[s].kind for s in runs},
        {INIT_LABELS[s]: ifig.verdict_subtitle(rows[s].sigma_w2)
         for s in runs}, QUANTITY.labels[quantity].split(" (")[0])
    charts.show(fig, key="init_schemes_chart")
    st.caption("Green, solid: steady (within a factor of 100 end to end, or within the "
               "spread another seed of this width would give). Red, dashed: explodes. Blue, "
               "dotted: vanishes; each panel's title says it in words too. "
               "Every panel is the same network (same seed) with "
               "weights drawn by a different scheme; float16/32 values past overflow "
               "are left out. In the table, ▶ marks the sidebar's scheme and χ₁ is the "
               "theory's gradient factor per layer at the fixed point.")

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
            "forward": TREND_WORDS[forward[s].kind],
            "gradients": TREND_WORDS[backward[s].kind]})
    st.dataframe(table, hide_index=True, key="init_scheme_table")
    crit = critical.critical_sigma_w2
    crit_text = (f"about **{crit:.3g}**" if crit == crit else "not reached for σ_b² ≤ 1")
    st.markdown(f"""
**Why.** Each layer multiplies the signal's variance by about fan_in × Var(W) times what
the activation keeps. The schemes differ only in that first number. For **{spec.activation}**
at bias variance {spec.bias_var:g}, mean-field theory puts the edge between vanishing and
exploding gradients (χ₁ = 1) at fan_in × Var(W) {crit_text}. Schemes far below it vanish,
far above it explode.

All layers here are square (fan_in = fan_out = {spec.width}), so Xavier's
2 / (fan_in + fan_out) equals Kaiming's 1 / fan_in and the fan_in and fan_out variants
coincide: they draw the very same weights. What separates them in practice is the
**gain**. LeCun and PyTorch's nn.Linear default ignore it: LeCun keeps fan_in × Var(W) = 1,
which suits linear and SELU; the nn.Linear default, U(±1/√fan_in), gives only 1/3, so a
deep plain network starts with a vanishing signal.
""")
    st.subheader("PyTorch's gains (calculate_gain)")
    gain_md = ["| activation | gain | value |", "|---|---|---|"]
    for g in init_lineup.gain_rows(spec.activation):
        formula = GAIN_FORMULAS[g.activation] if g.in_pytorch else NO_TORCH_GAIN
        cells = [g.activation, formula, f"{g.gain:.4f}"]
        if g.current:
            cells = [f"**▶ {c}**" for c in cells]
        gain_md.append("| " + " | ".join(cells) + " |")
    st.markdown("\n".join(gain_md))
    st.caption("The gain makes up for what the activation takes away: ReLU zeroes half of "
               "its inputs, so √2 restores the variance; tanh squashes, and 5/3 more than "
               "makes up for it near zero, so the signal settles at a healthy spread "
               "instead of shrinking. Choose a scheme and a gain in the sidebar.")


def _confidently_wrong(spec) -> None:
    """The loss at init against the readout scale, and one example's softmax."""
    example_control = Control("init_example", "Example shown", "int", 0, lo=0,
                              hi=min(31, spec.batch - 1))
    sweep = cache.readout_sweep(spec, SWEEP_SCALES)
    scale = spec.readout_scale
    current = cache.readout_sweep(spec, (scale,))
    if not current.defined:
        st.warning(f"In {spec.dtype} the forward pass overflowed before the last layer, so "
                   f"the logits are inf or NaN and there is no loss to show. Pick float64 "
                   f"in the sidebar's Advanced section, or smaller weights.",
                   icon=":material/warning:")
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
    st.markdown(f"""
Example {example}'s true class is **{int(current.labels[example])}**; the network gives it
probability **{current.probs(example, scale)[int(current.labels[example])]:.3g}**, so this
example's loss is −log p = **{format_power(current.example_log10_loss(example, scale), 4)}**.

**Why a big last layer starts the loss high** (Karpathy's makemore network started near
27; this one, at readout scale 1, starts at
{format_power(float(sweep.log10_loss[SWEEP_SCALES.index(1.0)]), 4)}). At init the network knows nothing, so
the honest prediction is 1/{spec.classes} for every class: loss log {spec.classes} =
{sweep.loss_uniform:.4f}. The logits are the readout scale times a sum of random numbers:
when they are large, softmax turns small random differences into near-certainty, and
the certainty is about a random class. The loss is then roughly the gap between the
largest logit and the true class's, which grows with the scale. Scaling the last layer
by 0.01 (Karpathy's fix) makes the logits tiny and the start honest; change the
readout scale in the sidebar's Advanced section.
""")


TABS = {"Every scheme": _every_scheme, "Confidently wrong at init": _confidently_wrong}
