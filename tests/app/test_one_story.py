"""One story per network: every page, every classroom demo and every lesson step, opened
in AppTest, says the same thing about a network, and every verdict word agrees with the
number printed beside it.

What a page says is read back from what it shows (markdown, captions, notes, metrics,
tables) as statements: (network, quantity, the verdicts the words allow, the number).
Quantities: the forward signal and the gradient (a change in powers of ten), the share
saturated and the share dead. The rules, with the thresholds of issue 25 (not the code's):

- monotone: "stable"/"steady"/"level" beside at most one power of ten; "drifting" beside
  more, up to two (or up to the seed spread the statement prints); "exploding"/"vanishing"
  beside more than two, in their direction;
- counted as drawn: a change in powers of ten names the layers it is counted between, and
  equals the change between those layers of the curve the core computes;
- one story: the statements about one network and quantity leave at least one verdict
  that all of them allow, and it is the core's (`diagnose`) verdict;
- where another seed could change the word (three seed spreads past two powers of ten), a
  stable or drifting verdict states the spread;
- every share saturated names its cutoff and is the core's share at that cutoff and layer;
  a network the core finds saturated is not called steady on a page that never says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import pytest

from core.experiments import diagnose as dg, init_lineup
from core.experiments.norm_lineup import badly_initialized, run_lineup
from core.simulate import simulate
from ui import capacity, controls, lesson_state, presets, verdicts
from ui.controls import to_spec
from ui.labels import INIT_LABELS, LINEUP_LABELS
from views.lessons import library

from .helpers import no_exceptions, open_page, spec_for

STABLE, DRIFT, SEVERE = 1.0, 2.0, 3.0       # powers of ten: issue 25's bands
SPREAD_SIGMAS = 3.0                          # a seed spread "matters" past DRIFT at 3 sigma
ROUND = 0.05                                 # one printed decimal

# The networks of issue 25, and a few that make each band appear.
NETWORKS = {
    "tanh gain 1, depth 50": dict(activation="tanh", depth=50, width=100,
                                  init="kaiming_normal", gain="1"),
    "tanh saturated by big weights": dict(activation="tanh", depth=10, width=100,
                                          weight_var=0.1),
    "tanh, LeCun": dict(activation="tanh", depth=10, width=100, init="lecun_normal"),
    "makemore: tanh stuck at 1": dict(activation="tanh", depth=5, width=100, weight_var=1.0,
                                      readout_scale=0.01),
    "linear, N(0, 1)": dict(activation="linear", depth=10, width=100, weight_var=1.0),
    "the 2^20 quiz": dict(activation="linear", depth=20, width=200, weight_var=0.01),
    "ReLU, He, depth 50": dict(activation="relu", depth=50, width=100,
                               init="kaiming_normal", gain="auto"),
    "tanh at batch 2": dict(activation="tanh", depth=10, width=100, weight_var=0.1, batch=2),
}
PAGES = ("variance", "saturation", "dead_neurons", "gradients", "initialization",
         "normalization")
SHORT = dict(train_steps=200)                # a short training run: its text is the same
OFF = -1.0                                   # the cutoff of "off" (input <= 0): none


# -- statements --------------------------------------------------------------------------

@dataclass
class Said:
    network: object                # a NetworkSpec
    quantity: str                  # "forward", "gradient", "saturated", "dead"
    kinds: frozenset               # the verdicts its words allow ("forward"/"gradient")
    number: float | None           # a change in powers of ten, or a share in %
    text: str
    spread: float | None = None    # a seed spread it prints, in powers of ten
    span: tuple[int, int] | None = None      # the layers a change is counted between
    cutoff: float | None = None    # a share's |value| cutoff (None: not named)
    layer: int | None = None       # a share's layer (None: the last)
    block: str = ""                # the whole text it was read from
    ends: tuple | None = None      # the values printed at the span's ends (log10)
    verdict: bool = False          # a page's verdict on the network (a titled sentence)


ANY = frozenset({"stable", "drifting", "exploding", "vanishing"})
TITLES = {"Stable": {"stable"}, "Drifting": {"drifting"}, "Drifting gradients": {"drifting"},
          "Exploding": {"exploding"}, "Exploding gradients": {"exploding"},
          "Vanishing": {"vanishing"}, "Vanishing gradients": {"vanishing"}}
# Words and phrases, and the verdicts they allow (first match wins).
WORDS = [
    (r"no longer drifts?|stays? level|level curve|steady spread|variance is steady"
     r"|stays? within a factor of ten|\bsteady\b|\bstable\b", {"stable"}),
    (r"no trend|no factor compounds|only wanders|calms? down", {"stable", "drifting"}),
    (r"\bdrift(s|ing)?\b", {"drifting"}),
    (r"\bexplod\w*|still grows|gradient grows", {"exploding"}),
    (r"\bvanish\w*|shrink layer after layer", {"vanishing"}),
    # the gradient as a whole, said to be (nearly) gone
    (r"and so the gradient, is nearly zero|passes almost no gradient"
     r"|gradient coming back is cut", {"vanishing"}),
]
POWERS = re.compile(r"([+−-]?\d+(?:\.\d+)?)(?: ± \d+(?:\.\d+)?)? powers of ten")
SPREAD = re.compile(r"± ?(\d+(?:\.\d+)?) (?:powers of ten|decades)")
SPAN = re.compile(r"from layer (\d+)(?: \(([^)]*)\))?( back)? to layer (\d+)(?: \(([^)]*)\))?",
                  re.IGNORECASE)
SHARE = re.compile(
    r"(\d+(?:\.\d+)?)% of (?:the last layer's|layer (\d+)'s) values (?:(?:are|sit) )?"
    r"(?:saturated(?: \(\|value\| > (0\.\d+)\))?|(?:pinned )?beyond [|±](0\.\d+))")
DEAD = re.compile(r"(\d+(?:\.\d+)?)% of the units are dead")
METRIC = re.compile(r"(?:Saturated|Off)(?: values)? \((?:\|value\| > (0\.\d+)|(input ≤ 0))\)"
                    r" at layer (\d+): (\d+(?:\.\d+)?)%")
CELL = re.compile(r"^(\w+) \(([+−-]?\d+(?:\.\d+)?)(?: ± \d+(?:\.\d+)?)? powers of ten\)$"
                  r"|^(\w+) \((.+)×\)$|^(\w+)$")
CELL_WORDS = {"steady": "stable", "drifts": "drifting", "explodes": "exploding",
              "vanishes": "vanishing"}


def plain(markdown: str) -> str:
    """The words a reader sees: colours, bold and icons dropped, whitespace single."""
    text = re.sub(r":\w+\[(.*?)\]", r"\1", markdown)
    text = re.sub(r":material/\w+:", "", text).replace("**", "").replace("*", "")
    return " ".join(text.split())


def power(text: str) -> float | None:
    """log10 of a number the app printed with figures.style.format_power (or plainly)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?) × 10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", text.strip())
    if m:
        exp = m.group(2).translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
        return math.log10(float(m.group(1))) + int(exp)
    try:
        return math.log10(float(text))
    except ValueError:
        return None


def quantity(clause: str) -> str | None:
    """What a clause is about: a gradient per unit (its local slope, what one unit passes
    back) is not the gradient of the network."""
    if "gradient" in clause:
        per_unit = re.search(r"local gradient|pass(es|ing)? back|each of those units", clause)
        whole = re.search(r"as a whole|gradient grows|still grows", clause)
        return "gradient" if whole or not per_unit else None
    if re.search(r"variance|signal|activations|curve|spread", clause):
        return "forward"
    return None


def words(clause: str) -> frozenset | None:
    for pattern, kinds in WORDS:
        if re.search(pattern, clause, re.IGNORECASE):
            return frozenset(kinds)
    return None


def from_text(markdown: str, network, words_too: bool = True) -> list[Said]:
    """Statements in one block of text about one network: its shares and changes, and
    (`words_too`) the verdicts its words give."""
    text = plain(markdown)
    found = _shares(text, network)
    title = re.match(r"(Stable|Drifting(?: gradients)?|Exploding(?: gradients)?"
                     r"|Vanishing(?: gradients)?)\. (.*)", text)
    if title:                          # a verdict: the title decides, the body has the number
        body = title.group(2)
        q = "gradient" if "gradient" in title.group(1) or body.startswith("The gradient") \
            else "forward"
        said = _said(network, q, frozenset(TITLES[title.group(1)]), body, text)
        return found + [replace(said, verdict=True)]
    for clause in re.split(r"(?<=[.;])\s+(?=[A-Z(a-z0-9])", text):
        kinds, q = words(clause) if words_too else None, quantity(clause)
        if kinds and q:
            found.append(_said(network, q, kinds, clause, text))
        elif POWERS.search(clause):    # a number with no verdict: still counted as drawn
            found.append(_said(network, q or "forward", ANY, clause, text))
    return found


def _said(network, q, kinds, text, block) -> Said:
    number = POWERS.search(text)
    spread = SPREAD.search(block)
    span = SPAN.search(text)
    ends = span and span.group(2) and span.group(5) and (power(span.group(2)),
                                                         power(span.group(5)))
    return Said(network, q, kinds,
                None if number is None else float(number.group(1).replace("−", "-")), text,
                None if spread is None else float(spread.group(1)),
                None if span is None else (int(span.group(1)), int(span.group(4))),
                block=block, ends=ends or None)


def _shares(text: str, network) -> list[Said]:
    found = []
    for m in SHARE.finditer(text):
        cut = m.group(3) or m.group(4)
        found.append(Said(network, "saturated", ANY, float(m.group(1)), m.group(0),
                          cutoff=None if cut is None else float(cut),
                          layer=None if m.group(2) is None else int(m.group(2))))
    for m in DEAD.finditer(text):
        found.append(Said(network, "dead", ANY, float(m.group(1)), m.group(0)))
    for m in METRIC.finditer(text):
        found.append(Said(network, "saturated", ANY, float(m.group(4)), m.group(0),
                          cutoff=float(m.group(1)) if m.group(1) else OFF,
                          layer=int(m.group(3))))
    for sentence in re.split(r"(?<=\.)\s+", text):     # any other share saturated
        share = re.search(r"saturated.*?(\d+(?:\.\d+)?)%", sentence)
        if share and not SHARE.search(sentence) and not METRIC.search(sentence) \
                and "went from" not in sentence:       # Training: a mean over time
            found.append(Said(network, "saturated", ANY, float(share.group(1)), sentence))
    return found


def from_cell(header: str, cell: str, network) -> list[Said]:
    """A table cell: a verdict word with its change, or a share under a header that
    names (or fails to name) its cutoff."""
    if "%" in cell and ("saturated" in header or "off" in header):
        cut = re.search(r"\|value\| > (0\.\d+)", header)
        return [Said(network, "saturated", ANY, float(cell.rstrip("%")), f"{header}: {cell}",
                     cutoff=float(cut.group(1)) if cut else None)] \
            if "saturated" in header else []
    if header not in ("forward", "gradients", "gradients, layer 1 vs last"):
        return []
    m = CELL.match(cell.strip())
    if not m:
        return []
    word = m.group(1) or m.group(3) or m.group(5)
    if word not in CELL_WORDS:
        return []
    number = (float(m.group(2).replace("−", "-")) if m.group(2) else
              power(m.group(4)) if m.group(4) else None)
    q = "forward" if header == "forward" else "gradient"
    spread = SPREAD.search(cell)
    return [Said(network, q, frozenset({CELL_WORDS[word]}), number, f"{header}: {cell}",
                 None if spread is None else float(spread.group(1)),
                 span=(0, 0), block=cell)]      # a table's change runs over its whole network


# -- what a page says, and about which network ---------------------------------------------

# Text about no network in particular: the pages' explanations in the classroom's words,
# and the mean-field phase, a statement about the limit of infinite depth.
GENERAL = re.compile(r"^(#|Why\.|Ordered phase|Chaotic phase|At the edge of chaos"
                     r"|What it does not)")


def statements(at, page: str, spec, values: dict) -> list[Said]:
    """What a page says, and about which network: the sidebar's, a table row's, or (on
    the Normalization page) the variants its sentences name. Captions and metrics are
    read for their numbers only: they label and measure, they do not judge."""
    said = []
    texts = [m.value for m in [*at.markdown, *at.info, *at.warning]]
    texts = [t for t in texts if not GENERAL.match(plain(t))]
    if page == "normalization":
        variants = _lineup(spec, values)
        said += _rows(at, "normalization", lambda label: variants[_norm(label)].spec)
        prose = [t for t in texts if plain(t).startswith("What normalization fixes")]
        said += [s for t in prose for s in _norm_prose(t, variants)]
        texts = [t for t in texts if t not in prose]
    if page == "initialization":
        runs, shrunk = init_lineup.run_schemes_within_budget(spec, limits=capacity.VIEW)
        own = init_lineup.draw_key(spec)

        def network_of(label):      # the page draws the sidebar's own weights at full size
            scheme = _scheme(label)
            same = init_lineup.draw_key(spec.replace(init=scheme)) == own
            return spec if shrunk and same else runs[scheme].spec
        said += _rows(at, "scheme", network_of)
    labels = [m.value for m in at.caption] + [f"{m.label}: {m.value}" for m in at.metric]
    return (said + [s for t in texts for s in from_text(t, spec)]
            + [s for t in labels for s in from_text(t, spec, words_too=False)])


def _rows(at, key: str, network_of) -> list[Said]:
    found = []
    for table in at.dataframe:
        records = table.value.to_dict("records")
        if not records or key not in records[0]:
            continue
        for row in records:
            net = network_of(row[key])
            for header, cell in row.items():
                found += from_cell(header, str(cell), net)
    return found


def _scheme(label: str) -> str:
    return {v: k for k, v in INIT_LABELS.items()}[label.lstrip("▶ ")]


def _norm(label: str) -> str:
    return {v: k for k, v in LINEUP_LABELS.items()}[label]


def _lineup(spec, values):
    bad = values.get("norm_bad_init", True)
    net = badly_initialized(spec) if bad else spec
    groups = spec.groups if spec.norm == "group" else controls.defaults()["groups"]
    return run_lineup(net, groups, limits=capacity.VIEW).results     # as the page runs it


def _norm_prose(text: str, variants) -> list[Said]:
    """The Normalization page's sentences about its variants: a clause naming variants is
    about them; a claim that names none (and is not about the forward signal) is about
    every normalized variant; "without normalization" is about the plain one."""
    found = []
    names = {LINEUP_LABELS[n]: n for n in variants if n != "none"}
    for sentence in re.split(r"(?<=\.)\s+(?=[A-Z])", plain(text)):
        if sentence.startswith("Without normalization"):
            found += from_text(sentence, variants["none"].spec)
            continue
        for clause in sentence.split(";"):
            kinds = words(clause)
            if not kinds or "gradient" not in sentence:
                continue
            named = [n for label, n in names.items() if label in clause] or list(names.values())
            for n in named:
                number = re.search(re.escape(LINEUP_LABELS[n]) + r" \(" + POWERS.pattern,
                                   clause)
                spread = number and SPREAD.search(number.group(0))
                found.append(Said(variants[n].spec, "gradient", kinds,
                                  None if number is None else
                                  float(number.group(1).replace("−", "-")), clause,
                                  float(spread.group(1)) if spread else None,
                                  span=(0, 0) if number else None, block=sentence))
    return found


# -- the core's verdicts ------------------------------------------------------------------

_RUNS: dict = {}


def core(spec):
    if spec not in _RUNS:
        _RUNS[spec] = simulate(spec)
    return _RUNS[spec]


def verdict(spec, q: str) -> tuple[str, float, float]:
    """(the verdict by issue 25's bands, the change in powers of ten, the seed spread) of
    the core's curve for a quantity: the change as core.experiments.diagnose counts it."""
    res = core(spec)
    d = dg.diagnose(res)
    trend = d.forward if q == "forward" else d.backward
    spread = dg.seed_spread(curve(res, q))
    change = abs(trend.decades)
    if trend.kind not in ("stable", "drifting", "exploding", "vanishing"):
        return trend.kind, trend.decades, spread
    if change <= STABLE:
        return "stable", trend.decades, spread
    if change <= max(DRIFT, min(SEVERE, SPREAD_SIGMAS * spread)):
        return "drifting", trend.decades, spread
    return ("exploding" if trend.decades > 0 else "vanishing"), trend.decades, spread


def curve(res, q: str):
    return res.log10_preact_var if q == "forward" else res.log10_grad_var


# -- the rules ----------------------------------------------------------------------------

def check(said: list[Said]) -> list[str]:
    wrong = []
    for s in said:
        if s.quantity in ("forward", "gradient"):
            wrong += _monotone(s) + _counted_as_drawn(s)
        else:
            wrong += _share(s)
    wrong += _one_story(said) + _saturation_said(said)
    return wrong


def _monotone(s: Said) -> list[str]:
    if s.number is None or s.kinds == ANY:
        return []
    d = abs(s.number)
    way = ("up" if re.search(r"\bgrows?\b|\+", s.text) else
           "down" if re.search(r"\bshrinks?\b|−|-\d", s.text) else None)
    ok = {"stable": d <= STABLE + ROUND,
          "drifting": STABLE - ROUND < d <= max(DRIFT, s.spread or 0.0) + ROUND,
          "exploding": d > DRIFT - ROUND and way != "down",
          "vanishing": d > DRIFT - ROUND and way != "up"}
    if not any(ok[k] for k in s.kinds):
        return [f"{'/'.join(sorted(s.kinds))} beside {s.number:g} powers of ten: {s.text}"]
    return []


def _counted_as_drawn(s: Said) -> list[str]:
    if s.number is None:
        return []
    if s.span is None:
        return [f"a change that does not say between which layers it is counted: {s.text}"]
    res = core(s.network)
    c = curve(res, s.quantity)
    if s.verdict and s.ends is None:
        return [f"a verdict that does not show the values it counts between: {s.text}"]
    if s.ends:                                 # the points of the chart it names
        a, b = s.span
        drawn = (float(c[a - 1]), float(c[b - 1]))
        if any(e is None or abs(e - d) > 0.01 for e, d in zip(s.ends, drawn)):
            return [f"ends {s.ends} where the chart has {drawn}: {s.text}"]
    if s.span == (0, 0):                       # a table: the verdict's own change
        _, decades, _ = verdict(s.network, s.quantity)
    else:
        a, b = s.span
        if max(a, b) > len(c) or not (math.isfinite(c[a - 1]) and math.isfinite(c[b - 1])):
            return []
        decades = float(c[b - 1] - c[a - 1])
    if abs(abs(s.number) - abs(decades)) > ROUND + 1e-9:
        return [f"{s.number:g} powers of ten where the chart moves {decades:.2f}: {s.text}"]
    return []


def _share(s: Said) -> list[str]:
    res = core(s.network)
    if s.quantity == "dead":
        valid = res.depth if res.overflow_layer is None else res.overflow_layer
        share = 100 * float(res.dead_frac[:valid].mean())
    elif s.cutoff is None:
        return [f"a share saturated without its cutoff: {s.text}"]
    else:
        layer = s.layer or (res.depth if res.overflow_layer is None else res.overflow_layer)
        share = 100 * float(res.saturated_frac_at(None if s.cutoff == OFF else s.cutoff)
                            [layer - 1])
    digits = len(f"{s.number:g}".partition(".")[2])
    if abs(s.number - share) > 0.5 * 10 ** -digits + 1e-9:
        return [f"{s.number:g}% where the core counts {share:.2f}%: {s.text}"]
    return []


def _one_story(said: list[Said]) -> list[str]:
    wrong = []
    groups: dict = {}
    for s in said:
        if s.quantity in ("forward", "gradient") and s.kinds != ANY:
            groups.setdefault((s.network, s.quantity), []).append(s)
    for (net, q), group in groups.items():
        common = frozenset.intersection(*(s.kinds for s in group))
        kind, _, spread = verdict(net, q)
        texts = " | ".join(s.text[:90] for s in group)
        if not common:
            wrong.append(f"{q}: statements that contradict each other: {texts}")
        elif kind not in common:
            wrong.append(f"{q}: said {'/'.join(sorted(common))}, the core finds {kind}: {texts}")
        if SPREAD_SIGMAS * spread > DRIFT and common <= {"stable", "drifting"} and not any(
                s.spread or re.search(r"other seeds?|another (random )?(draw|seed)", s.block)
                for s in group):
            wrong.append(f"{q}: {kind} where another seed could say otherwise "
                         f"(spread {spread:.2f}), and no statement says so: {texts}")
    return wrong


def _saturation_said(said: list[Said]) -> list[str]:
    """A network the core finds saturated, called steady on a page that never says so."""
    wrong = []
    steady = {s.network for s in said if s.quantity == "forward" and s.kinds == {"stable"}}
    stated = {s.network for s in said if s.quantity == "saturated"}
    for net in steady - stated:
        d = dg.diagnose(core(net))
        if d.bounded and d.saturated > dg.SATURATED_SHARE:
            wrong.append(f"steady, but {d.saturated:.0%} saturated and never said: {net}")
    return wrong


# -- the cases ----------------------------------------------------------------------------

def _open(page, values):
    at = open_page(page, timeout=300, **values)
    no_exceptions(at)
    return at


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_page_tells_one_story(name, page):
    values = NETWORKS[name]
    at = _open(page, values)
    said = statements(at, page, spec_for(**values), {})
    assert not check(said), check(said)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_normalization_of_the_sidebars_own_network(name):
    """Without the bad init the lineup's plain row is the sidebar's network itself, and
    the demo's words about it sit on the same screen as the table's."""
    values = NETWORKS[name] | {"norm_bad_init": False}
    at = _open("normalization", values)
    said = statements(at, "normalization", spec_for(**NETWORKS[name]), values)
    assert not check(said), check(said)


@pytest.mark.parametrize("preset", presets.PRESETS, ids=lambda p: p.name)
def test_every_demo_tells_one_story(preset):
    values = dict(preset.values) | (SHORT if preset.page == "training" else {})
    at = _open(preset.page, values)
    spec = to_spec(preset.full_values()).spec
    assert any(preset.name in i.value for i in at.info), "the demo's text is not shown"
    said = statements(at, preset.page, spec, values)
    assert not check(said), check(said)


STEPS = [(lesson, n) for lesson in library().lessons.values()
         for n in range(1, len(lesson.steps) + 1)]


@pytest.mark.parametrize("lesson, number", STEPS,
                         ids=[f"{lesson.id}-{n}" for lesson, n in STEPS])
def test_every_lesson_step_tells_one_story(lesson, number):
    step = lesson.steps[number - 1]
    at = open_page("lessons", timeout=300, lesson=lesson.id, step=str(number),
                   **(SHORT if step.page == "training" else {}))
    next(b for b in at.button if b.label == "Reveal").click().run()
    no_exceptions(at)
    said = statements(at, step.page, to_spec(lesson_state.full_values(step)).spec, {})
    assert not check(said), check(said)


def test_the_lineup_says_of_the_sidebars_scheme_what_the_variance_page_says():
    """Issue 25's network sits at the band's edge: the Initialization lineup runs at a
    smaller batch to stay live, and there its forward verdict is another word than the
    sidebar's own network's. The lineup's row for the sidebar's scheme, and for every
    scheme that draws the same weights, is the network's own verdict, as the Variance
    page states it."""
    values = NETWORKS["tanh gain 1, depth 50"]
    spec = spec_for(**values)
    own = dg.diagnose(simulate(spec)).forward
    runs, shrunk = init_lineup.run_schemes_within_budget(spec, limits=capacity.VIEW)
    assert shrunk and dg.diagnose(runs[spec.init]).forward.kind != own.kind   # the edge
    variance = open_page("variance", **values)
    said = " ".join(plain(m.value) for m in variance.markdown)
    assert f"{abs(own.decades):.1f} powers of ten" in said, said
    lineup = open_page("initialization", **values)
    no_exceptions(lineup)
    rows = {r["scheme"].lstrip("▶ "): r for r in lineup.dataframe[0].value.to_dict("records")}
    for scheme, label in INIT_LABELS.items():
        if init_lineup.draw_key(spec.replace(init=scheme)) == init_lineup.draw_key(spec):
            cell = rows[label]["forward"]
            assert cell.startswith(verdicts.TREND_WORDS[own.kind]), (label, cell)
            assert f"{own.decades:+.1f}".replace("-", "−").lstrip("+") in cell, (label, cell)


# -- the reader itself --------------------------------------------------------------------

def test_the_reader_finds_the_contradictions_of_issue_25():
    """Sentences the app printed before this rule, each read as the contradiction it is."""
    spec = spec_for(**NETWORKS["tanh gain 1, depth 50"])
    stable = from_text(":green[**Stable.**] The gradient shrinks 1.8 powers of ten from the "
                       "last layer back to the first: a slow drift.", spec)
    assert any("beside 1.8" in w for w in check(stable))
    assert any("between which layers" in w for w in check(stable))
    big = spec_for(**NETWORKS["tanh saturated by big weights"])
    demo = from_text("the histograms pile up at -1 and +1 (44% of the last layer's values "
                     "are beyond |0.97|), where tanh's slope, and so the gradient, is nearly "
                     "zero.", big)
    page = from_text(":red[**Exploding gradients.**] The gradient grows 2.6 powers of ten "
                     "from layer 10 (1) back to layer 1 (1).", big)
    assert any("contradict" in w for w in check(demo + page))
    assert from_cell("gradients, layer 1 vs last", "steady (6.09 × 10⁻³¹×)", big)[0].number \
        == pytest.approx(-30.215, abs=1e-3)
    assert any("without its cutoff" in w
               for w in check(from_cell("saturated, last layer", "81.0%", big)))
