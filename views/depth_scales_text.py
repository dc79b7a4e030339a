"""The Depth scales page's sentences and table rows: which words (views/text/
depth_scales.toml) its numbers call for, filled with them (views/depth_scales.py draws
them beside its charts)."""

from __future__ import annotations

import math

import numpy as np

from core.experiments import depth_scales as ds
from core.experiments import trainability
from figures.numbers import format_layers
from figures.style import format_power
from lessons.measures import correlation_text
from ui import cache

from .prose import Prose

TEXT = Prose("depth_scales")
# A spectrum whose squared singular values have variance / mean^2 within this is close to
# dynamical isometry: every direction stretched within about a third of the mean.
ISOMETRY_VAR = 0.1
TEN = math.log(10.0)              # a factor of ten, in ln: the finite-width verdict's line


def correlation_sentence(spec, corr: ds.Correlations) -> str:
    last = corr.mean[-1]
    if not math.isfinite(last):
        return TEXT("order.undefined", dtype=spec.dtype)
    fields = dict(depth=spec.depth, pairs=corr.measured.shape[1], c0=corr.c0, c_last=last,
                  low=corr.low[-1], high=corr.high[-1])
    if corr.predicted is None:
        return TEXT("order.measured_only", **fields)
    return TEXT("order.measured", predicted=f"{corr.predicted[-1]:.3f}", **fields)


def settling_sentence(spec, s) -> str:
    if not math.isfinite(s.xi_c):
        return TEXT("order.no_scale", c_star=correlation_text(s.c_star))
    ratio = spec.depth / s.xi_c if s.xi_c > 0 else math.inf
    verdict = TEXT("order.forgets") if ratio > 6 else TEXT("order.remembers")
    key = "order.collapse" if s.c_star >= 1.0 else "order.decorrelate"
    return TEXT(key, c_star=correlation_text(s.c_star), xi_c=format_layers(s.xi_c),
                depth=spec.depth, ratio=_times(ratio), verdict=verdict)


def _times(ratio: float) -> str:
    return "∞ ×" if not math.isfinite(ratio) else f"{ratio:.2g} ×"

def rule_sentence(spec) -> str:
    s = cache.depth_scales_of(spec)
    fields = dict(activation=spec.activation, sigma_w2=spec.sigma_w2, sigma_b2=spec.bias_var)
    if not math.isfinite(s.xi_c):
        return TEXT("train.rule_no_scale", **fields)
    ratio = spec.depth / s.xi_c if s.xi_c > 0 else math.inf
    key = "train.rule_within" if ratio <= 6 else "train.rule_beyond"
    return TEXT(key, xi_c=format_layers(s.xi_c), depth=spec.depth, ratio=_times(ratio),
                six_xi_c=format_layers(6 * s.xi_c), **fields)


def nearest_sentence(spec, grid) -> str:
    """The stored cell nearest the sidebar's sigma_w2 and depth, and how it ended."""
    j = int(np.argmin(np.abs(np.asarray(grid.sigma_w2) - spec.sigma_w2)))
    i = int(np.argmin(np.abs(np.asarray(grid.depths) - spec.depth)))
    return TEXT("train.nearest", sigma_w2=grid.sigma_w2[j], depth=grid.depths[i],
                words=_loss_words(grid.valid_loss[i, j] - grid.unigram_entropy))


def _loss_words(above: float) -> str:
    if not math.isfinite(above):
        return TEXT("train.diverged")
    if above <= -trainability.TRAINED_BELOW:
        return TEXT("train.learned", nats=-above)
    if above < 0:
        return TEXT("train.learned_little", nats=-above, threshold=trainability.TRAINED_BELOW)
    return TEXT("train.learned_nothing", nats=above)


def grid_phrases(setup, steps: str, which: str = "the stored grid") -> list[str]:
    """What the stored grids' networks are, for their charts' settings lines (`steps`:
    how long they trained, as words)."""
    return [f"{which}: {setup.activation}", f"width {setup.width}",
            f"bias Var {setup.sigma_b2:g}", f"{setup.optimizer.upper()}, lr {setup.lr:g}, "
            f"batch {setup.batch}, {steps}", f"{len(setup.seeds)} seeds a cell", "float32"]


ORDERED, CHAOTIC = "ordered side (σ_w² below critical)", "chaotic side (σ_w² above critical)"
MOVES = (1.1, 1.5)    # factors a boundary moved by to have moved a little, and much


def _side(multiples: np.ndarray) -> str:
    if multiples.size == 0:
        return TEXT("train.side_none")
    if multiples.size == 1:
        return TEXT("train.side_one", median=float(multiples[0]))
    return TEXT("train.side", median=float(np.median(multiples)), columns=multiples.size,
                low=float(multiples.min()), high=float(multiples.max()))


def boundary_sentence(b: ds.Boundary) -> str:
    """Where the grid of `b.steps` steps stopped training, in xi_c, on each side."""
    if b.ordered.size == 0 and b.chaotic.size == 0:
        return TEXT("train.no_multiple")
    return TEXT("train.multiple", steps=b.steps, ordered=_side(b.ordered),
                chaotic=_side(b.chaotic))


def steps_sentence(bounds: tuple[ds.Boundary, ...]) -> str:
    """How each side's boundary moved from the shortest to the longest training stored
    (medians), and, where the two sides moved apart, why."""
    ok = [b for b in bounds if b.ordered.size and b.chaotic.size]
    if len(ok) < 2:
        return TEXT("train.steps_unknown")
    first, last = ok[0], ok[-1]
    o = (float(np.median(first.ordered)), float(np.median(last.ordered)))
    c = (float(np.median(first.chaotic)), float(np.median(last.chaotic)))
    moves = [_move(a, b) for a, b in (o, c)]
    said = TEXT("train.steps", first=first.steps, last=last.steps, o_first=o[0],
                o_last=o[1], c_first=c[0], c_last=c[1],
                ordered_move=TEXT(f"train.move.{moves[0]}"),
                chaotic_move=TEXT(f"train.move.{moves[1]}"))
    if moves[0] == "much_deeper" and moves[1] != "much_deeper":
        said += " " + TEXT("train.steps_ordered_gains")
    return said


def _move(before: float, after: float) -> str:
    """How far a boundary moved, in words: much or a little deeper or shallower, or not."""
    ratio = after / before
    if ratio >= MOVES[1]:
        return "much_deeper"
    if ratio >= MOVES[0]:
        return "deeper"
    if ratio * MOVES[1] <= 1.0:
        return "much_shallower"
    if ratio * MOVES[0] <= 1.0:
        return "shallower"
    return "stays"


def depth_list(depths) -> str:
    """"depth 5", "depths 5 and 60", "depths 5, 25 and 60"."""
    if len(depths) == 1:
        return f"depth {depths[0]}"
    return "depths " + ", ".join(map(str, depths[:-1])) + f" and {depths[-1]}"


def isometry_rows(iso: ds.Isometry) -> list[dict]:
    """One row per depth and weight draw: the measured and predicted mean and variance /
    mean^2 of the squared singular values."""
    rows = []
    for i, depth in enumerate(iso.depths):
        for label, spectrum in iso.spectra.items():
            mean, rel = spectrum.measured(i)
            pred = spectrum.predicted[i]
            rows.append({"depth": depth, "weights": label,
                         "mean (measured)": format_power(mean),
                         "mean (predicted)": "—" if pred is None else format_power(
                             pred.log10_mean),
                         "variance / mean² (measured)": _number(rel),
                         "variance / mean² (predicted)": "—" if pred is None
                         else _number(pred.rel_var)})
    return rows


ROUNDING = 1e-9        # a variance / mean^2 below it is float64's rounding of an exact 0


def _number(x: float) -> str:
    if math.isinf(x):
        return "∞"
    return "—" if math.isnan(x) else "0" if abs(x) < ROUNDING else f"{x:.3g}"


def _decades(log10_sv2: np.ndarray) -> str:
    """How many powers of ten the nonzero squared singular values span."""
    finite = log10_sv2[np.isfinite(log10_sv2)]
    return f"{float(finite.max() - finite.min()):.1f}" if finite.size else "0"


def spread_sentence(iso: ds.Isometry) -> str:
    i = len(iso.depths) - 1
    gauss, orth = iso.spectra["Gaussian"], iso.spectra["orthogonal"]
    (_, g_var), (_, o_var) = gauss.measured(i), orth.measured(i)
    g_pred, o_pred = gauss.predicted[i], orth.predicted[i]
    text = TEXT("iso.spread", depth=iso.depths[i], gauss_decades=_decades(gauss.log10_sv2[i]),
                orth_decades=_decades(orth.log10_sv2[i]), gauss_var=_number(g_var),
                orth_var=_number(o_var),
                gauss_pred="—" if g_pred is None else _number(g_pred.rel_var),
                orth_pred="—" if o_pred is None else _number(o_pred.rel_var))
    if g_var <= ISOMETRY_VAR:
        verdict = TEXT("iso.gaussian_isometric")
    elif o_var <= ISOMETRY_VAR:
        verdict = TEXT("iso.isometric")
    else:
        verdict = TEXT("iso.not_isometric", limit=ISOMETRY_VAR)
    return f"{text} {verdict}"


def spread_sentences(fw, depth: int) -> list[str]:
    """The finite-width tab's words: the measured spread of ln(|x_L|^2 / |x_0|^2) over
    draws, the law's beside it, and whether the spread passes a factor of ten."""
    values, law = fw.finite, fw.law
    if values.size < 2:
        return []
    draws, examples = fw.log_ratios.shape
    var = float(np.var(values, ddof=1))
    out = [TEXT("width.measured", draws=draws, examples=examples,
                mean=float(np.mean(values)), var=var, factor=f"{math.exp(math.sqrt(var)):.3g}")]
    if law is not None:
        out.append(TEXT("width.law", law_var=law.variance, law_mean=law.mean, kappa=fw.kappa,
                        depth=depth, width=fw.width,
                        ratio=var / law.variance if law.variance > 0 else math.nan))
    out.append(TEXT("width.narrow") if math.sqrt(var) > TEN else TEXT("width.wide"))
    return out
