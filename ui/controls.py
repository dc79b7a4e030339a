"""The shared controls: one registry, drawn in the sidebar of every page, bound to the URL.

Every control's key is its query parameter, so the address bar always holds a link that
reproduces the view. A hand-edited parameter is checked here before any widget is drawn:
out of range is clamped, unknown is reset, and either way the page says so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

import streamlit as st
from streamlit.runtime.state import get_session_state

from core import activations, initializers, phase, spec as core_spec
from core.experiments import budget
from core.spec import NetworkSpec, fit_norm
from lessons.text import inert  # a link's value in a note, as lessons quote an answer

from . import capacity, labels

# Var(W) on a log grid, 20 steps a decade from 1e-4 to 10: exact powers of ten included.
WEIGHT_VARS = tuple(float(f"{10 ** (k / 20):.4g}") for k in range(-80, 21))
BIAS_VARS = phase.STORED_SIGMA_B2      # the steps whose critical sigma_w2 is stored
BATCHES = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
SPATIALS = (1, 2, 4, 8, 16)
GAINS = ("auto", "0.5", "0.75", "1", "1.25", "1.414", "1.5", "1.667", "2", "2.5", "3")
READOUT_SCALES = (0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


SPEC_DEFAULTS = {f.name: f.default for f in fields(NetworkSpec)}
_FROM_SPEC = object()         # a default or bound left to NetworkSpec


@dataclass(frozen=True)
class Control:
    key: str                      # session-state key and URL parameter
    label: str
    kind: str                     # "int" slider, "select", "steps" (select_slider), "toggle", "float" slider
    default: Any = _FROM_SPEC     # NetworkSpec's default for a spec field
    options: tuple = ()           # for "select" and "steps"
    lo: float = 0
    hi: float = 0
    step: float = 1
    advanced: bool = False
    help: str = ""
    labels: dict = field(default_factory=dict)   # option -> shown text
    follows_hi: bool = False      # at the top of its range, it stays there when hi grows

    def __post_init__(self):
        if self.default is _FROM_SPEC:
            value = SPEC_DEFAULTS[self.key]
            object.__setattr__(self, "default", "auto" if self.key == "gain" else value)
        if self.key in core_spec.RANGES and self.kind in ("int", "float"):
            lo, hi = core_spec.RANGES[self.key]      # a slider never leaves the spec's range
            if not lo <= self.lo <= self.hi <= hi:
                raise ValueError(f"{self.key}: {self.lo}..{self.hi} is outside {lo}..{hi}")

    def fmt(self, value) -> str:
        """The text a value shows, which is also its form in the URL."""
        if self.labels:
            return self.labels.get(value, str(value))
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


# Defaults come from NetworkSpec; the sliders' ranges are the classroom's part of the
# spec's. Defaults of our own: 4 GroupNorm groups (the spec's 1 is LayerNorm), and linear
# layers with N(0, 1) weights, so that the app opens on the variance lesson's first fact
# (ten layers of width 100 multiply the variance by 100^10 = 10^20: the "Exploding"
# demo), where NetworkSpec's tanh at fan_in × Var(W) = 1 drifts slowly down, a verdict
# of "vanishing" that contradicts what the law predicts for linear layers.
CONTROLS: tuple[Control, ...] = (
    Control("depth", "Depth (layers)", "int", lo=1, hi=200),
    Control("width", "Width (fan_in)", "int", lo=2, hi=1024),
    Control("activation", "Activation", "select", "linear",
            options=tuple(activations.ACTIVATIONS)),
    Control("init", "Init scheme", "select", options=initializers.SCHEMES,
            labels=labels.INIT_LABELS),
    Control("weight_var", "Var(W)", "steps", 1.0, options=WEIGHT_VARS,
            help="Variance of each weight, used by the custom init. The per-layer "
                 "multiplier of the variance is fan_in x Var(W)."),
    Control("gain", "Gain", "select", options=GAINS,
            help="auto = PyTorch's calculate_gain for the activation."),
    Control("norm", "Normalization", "select", options=core_spec.NORMS,
            labels=labels.NORM_LABELS),
    Control("batch", "Batch size", "steps", options=BATCHES),
    Control("bias_var", "Bias variance", "steps", options=BIAS_VARS),
    Control("seed", "Seed", "int", lo=0, hi=999),
    # advanced
    Control("spatial", "Spatial positions", "steps", options=SPATIALS, advanced=True,
            help="More than 1 makes (batch, channels, positions) tensors, as in a CNN."),
    Control("groups", "GroupNorm groups", "int", 4, lo=1, hi=64, advanced=True),
    Control("norm_position", "Normalization position", "select",
            options=core_spec.NORM_POSITIONS, advanced=True,
            labels=labels.NORM_POSITION_LABELS),
    Control("norm_gamma", "Norm gamma", "float", lo=0.1, hi=3.0, step=0.05, advanced=True),
    Control("norm_beta", "Norm beta", "float", lo=-2.0, hi=2.0, step=0.05, advanced=True),
    Control("residual", "Residual connections", "toggle", advanced=True),
    Control("residual_scale", "Residual scale alpha", "float", lo=0.05, hi=2.0,
            step=0.05, advanced=True),
    Control("input_dist", "Input distribution", "select",
            options=core_spec.INPUT_DISTS, advanced=True, labels=labels.INPUT_LABELS),
    Control("dtype", "Precision", "select", options=core_spec.DTYPES, advanced=True),
    Control("readout_scale", "Readout scale", "steps", options=READOUT_SCALES,
            advanced=True, help="Multiplies the last layer, as in Karpathy's 0.01 fix."),
)
BY_KEY = {c.key: c for c in CONTROLS}


# -- reading a hand-edited URL ---------------------------------------------------------

def check_url_value(control: Control, raw: str) -> tuple[Any, str | None]:
    """(value to use, note or None) for one raw query-parameter string; the note quotes
    the raw text only made inert."""
    value, why = _read_url_value(control, raw)
    return value, None if why is None else f"{inert(f'{control.key}={raw}')} {why}"


def _read_url_value(control: Control, raw: str) -> tuple[Any, str | None]:
    shown = {control.fmt(o): o for o in control.options}
    if control.kind in ("select", "steps"):
        if raw in shown:
            return shown[raw], None
        if control.kind == "select":
            named = _named_option(control, raw)
            if named is not None:
                return named, None
        if control.kind == "steps":               # numeric: snap to the nearest step
            number = _number(raw)
            if number is not None:
                near = min(control.options, key=lambda o: abs(_log(o) - _log(number)))
                return near, f"is not one of the steps: using {control.fmt(near)}"
        return control.default, (f"is not a valid choice: using the default, "
                                 f"{control.fmt(control.default)}")
    if control.kind == "toggle":
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true", None
        return control.default, "must be true or false: using the default"
    number = _number(raw)
    if number is None:
        return control.default, (f"is not a number: using the default, "
                                 f"{control.fmt(control.default)}")
    value = int(round(number)) if control.kind == "int" else number
    clamped = min(max(value, control.lo), control.hi)
    if clamped != value:
        return clamped, (f"is out of range {control.fmt(control.lo)} to "
                         f"{control.fmt(control.hi)}: using {control.fmt(clamped)}")
    return value, None


# Other names a link may give a choice (beyond its core name and its label, in any
# spelling `spelling` equates): PyTorch's where they differ from the core's, and the
# usual abbreviations. Each must name exactly one option (tests/ui/test_controls.py).
ALIASES = {
    "activation": {"identity": "linear", "swish": "silu"},
    "init": {"he_normal": "kaiming_normal", "he_uniform": "kaiming_uniform",
             "glorot_normal": "xavier_normal", "glorot_uniform": "xavier_uniform"},
    "norm": {"bn": "batch", "ln": "layer", "gn": "group", "identity": "none"},
    "input_dist": {"gaussian": "normal"},
    "dtype": {"double": "float64", "float": "float32", "half": "float16",
              "fp64": "float64", "fp32": "float32", "fp16": "float16"},
}
_MODULE = re.compile(r"^(torch\.)?(nn\.)?(init\.|optim\.|functional\.|f\.)?")


def spelling(text: str) -> str:
    """A choice's name with what a hand-written link varies taken out: case, spaces,
    underscores and hyphens (so PyTorch's in-place `kaiming_normal_` is the core's
    `kaiming_normal`), a `torch.` / `nn.` / `init.` / `optim.` / `F.` module path, and
    a normalization's 1d/2d/3d.

    >>> spelling("torch.nn.init.Kaiming_Normal_"), spelling("nn.BatchNorm1d")
    ('kaimingnormal', 'batchnorm')
    """
    text = _MODULE.sub("", text.strip().lower())
    text = re.sub(r"[\s_-]+", "", text)
    return re.sub(r"(norm)[123]d$", r"\1", text)


def names(control: Control) -> dict[str, Any]:
    """Every spelling a link may give a select control's options: core names, labels and
    `ALIASES`; a spelling that would name two options names none."""
    found: dict[str, set] = {}
    for option in control.options:
        for name in (str(option), control.fmt(option)):
            found.setdefault(spelling(name), set()).add(option)
    for alias, option in ALIASES.get(control.key, {}).items():
        found.setdefault(spelling(alias), set()).add(option)
    return {name: next(iter(opts)) for name, opts in found.items() if len(opts) == 1}


def _named_option(control: Control, raw: str) -> Any:
    """The option a hand-written name or number means (None: none, or not one only)."""
    if len(raw) > 100:
        return None
    option = names(control).get(spelling(raw))
    number = _number(raw)
    if option is None and number is not None:        # a gain written 1.0 is the "1"
        equal = [o for o in control.options if _number(str(o)) == number]
        option = equal[0] if len(equal) == 1 else None
    return option


def _number(raw: str) -> float | None:
    try:
        x = float(raw)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _log(x: float) -> float:
    return math.log10(x) if x > 0 else -9.0


def sanitize_query_params(page_prefixes: tuple[str, ...] = (),
                          known: tuple[str, ...] = ()) -> list[str]:
    """Clamp or reset bad URL values of the shared controls before the widgets read
    them; return the notes. Keys starting with a page's prefix belong to that page,
    which checks them itself (see `page_control`), as do the `known` keys."""
    notes = []
    for key in list(st.query_params.keys()):
        if key in known:
            continue
        if key in BY_KEY:
            note = _sanitize_one(BY_KEY[key])
            if note:
                notes.append(note)
        elif not key.startswith(tuple(f"{p}_" for p in page_prefixes)):
            notes.append(f"Unknown link parameter {inert(key)} ignored.")
            _set_link_value(key, None)
    return notes


def _sanitize_one(control: Control) -> str | None:
    """Check one control's URL value, on first sight only: once a widget owns its key,
    its value comes from the user."""
    if control.key in st.session_state or control.key not in st.query_params:
        return None
    raws = st.query_params.get_all(control.key)
    value, note = check_url_value(control, raws[-1])
    if note is None and len(set(raws)) > 1:
        note = (f"{inert(control.key)} is in the link {len(raws)} times: using the last, "
                f"{control.fmt(value)}")
    # A widget drops a key the link repeats, and a choice it cannot read (an alias):
    # write the one value it reads.
    if note or len(raws) > 1 or (control.kind == "select" and raws[-1] != control.fmt(value)):
        _set_link_value(control.key, None if value == control.default else control.fmt(value))
    return note


def _set_link_value(key: str, text: str | None) -> None:
    """Put a fixed value into the link (None: drop it) before its widget reads it, so the
    widget starts there and the address bar shows the view.

    A bound widget seeds itself from the link as it was first loaded, and drops a value
    it cannot read rather than clamp it; only the session's query-params object holds
    that first-load copy (Streamlit 1.67, QueryParams._initial_query_params). If a new
    Streamlit moves it, tests/app/test_links.py fails."""
    params = get_session_state()._state.query_params
    if text is None:
        st.query_params.pop(key, None)
        params._initial_query_params.pop(key, None)
    else:
        st.query_params[key] = text
        params._initial_query_params[key] = [text]


def page_control(control: Control, container=st) -> Any:
    """A page's own control: URL-checked like the shared ones, kept inside its range
    when the range moves (say, a layer picker after the depth shrinks)."""
    st.session_state.setdefault(PAGE_KEYS, {})[control.key] = control.default
    note = _sanitize_one(control)
    if note:
        container.warning(note, icon=":material/link:")
    current = st.session_state.get(control.key)
    last_hi = st.session_state.get(f"_{control.key}_hi")
    st.session_state[f"_{control.key}_hi"] = control.hi
    if control.follows_hi and current is not None and current == last_hi:
        st.session_state[control.key] = current = control.hi     # "the last layer" stays so
    if control.kind in ("int", "float") and current is not None:
        clamped = min(max(current, control.lo), control.hi)
        if clamped != current:
            st.session_state[control.key] = clamped
    elif control.kind in ("select", "steps") and current is not None \
            and current not in control.options:
        st.session_state[control.key] = control.default
    return draw(control, container)


PAGE_KEYS = "_page_controls"     # session state: the page controls drawn, key -> default


def reset_to_defaults() -> None:
    """Every control, the sidebar's and the pages' own, back to its default (a button's
    callback: before the widgets are drawn). A URL-bound widget at its default leaves
    the link, so the link keeps only where the view is (page, open tab, lesson) and how
    it is shown (`present`, `hide`)."""
    apply_values({})
    reset_page_controls()


def reset_page_controls() -> None:
    """The pages' own controls drawn so far (a tab's step count, a chart's c0) back to
    their defaults: before the widgets are drawn."""
    for key, default in st.session_state.get(PAGE_KEYS, {}).items():
        st.session_state[key] = default


def page_tabs(key: str, views: dict, *args) -> None:
    """A page's tabs, {title: view function}, the open one bound to the URL as `key`; only
    the open tab's view runs (each is called with *args). An unknown tab in a hand-edited
    link shows the first, with a note."""
    first = next(iter(views))
    if st.query_params.get(key, first) not in views:
        st.warning(f"{inert(f'{key}={st.query_params[key]}')} is not a section of this page: "
                   f"showing {first}.", icon=":material/link:")
        _set_link_value(key, None)
    bind = url_binding()     # unbound tabs keep their state (and rerun) only with on_change
    tabs = st.tabs(list(views), key=key, bind=bind, on_change="ignore" if bind else "rerun")
    for (title, view), tab in zip(views.items(), tabs):
        with tab:
            if tab.open or (tab.open is None and title == first):   # None: not known yet
                view(*args)


# -- drawing ---------------------------------------------------------------------------

def url_binding() -> str | None:
    """Controls live in the URL, except while a lesson is open: then the URL holds the
    lesson's step, which sets them (views.lessons)."""
    return None if st.session_state.get("_lesson_open") else "query-params"


def draw(control: Control, container=st, disabled: bool = False) -> Any:
    kw = dict(key=control.key, help=control.help or None, bind=url_binding(),
              disabled=disabled)
    if control.kind == "int":
        return container.slider(control.label, int(control.lo), int(control.hi),
                                int(control.default), **kw)
    if control.kind == "float":
        return container.slider(control.label, float(control.lo), float(control.hi),
                                float(control.default), step=float(control.step), **kw)
    if control.kind == "toggle":
        return container.toggle(control.label, value=control.default, **kw)
    if control.kind == "steps":
        return container.select_slider(control.label, options=control.options,
                                       value=control.default, format_func=control.fmt, **kw)
    return container.selectbox(control.label, control.options,
                               index=control.options.index(control.default),
                               format_func=control.fmt, **kw)


def defaults() -> dict[str, Any]:
    return {c.key: c.default for c in CONTROLS}


def apply_values(values: dict[str, Any]) -> None:
    """Set every control (unlisted ones to their defaults); used by the presets."""
    merged = defaults() | values
    for key, value in merged.items():
        st.session_state[key] = value


# -- from control values to a NetworkSpec ----------------------------------------------

@dataclass(frozen=True)
class Settings:
    spec: NetworkSpec
    notes: tuple[str, ...]      # what was adjusted, to show in the page
    values: dict                # the controls as set (the spec resets what it does not use)
    light: bool = False         # run smaller than the budget allows, while the server is busy


def to_spec(values: dict[str, Any], light: bool = False) -> Settings:
    """Turn control values into a valid NetworkSpec, adjusting what would be undefined or
    too slow for a live page, and saying what was adjusted. `light`: the server is busy,
    so a heavy setting runs with a smaller batch for now (ui.load).

    Fitted to the sidebar's limits (ui.capacity.SIDEBAR) before the spec is made, so the
    spec never meets NetworkSpec's memory guard, which they keep far below."""
    v, fixes = fit_norm(dict(values))
    v["gain"] = None if v["gain"] == "auto" else float(v["gain"])
    v = core_spec.canonical_values(v)     # equivalent settings share one cached simulation
    v, shrunk = budget.fit_values(v, 1, capacity.SIDEBAR)
    spec = NetworkSpec(**{k: v[k] for k in SPEC_DEFAULTS if k in v})
    lighter = ()
    if light:
        spec, lighter = budget.fit(spec, 1, capacity.SIDEBAR_BUSY)
        lighter = tuple(replace(f, why="busy") for f in lighter)
    notes = labels.fix_notes(shrunk + tuple(fixes) + lighter, "the network on this page")
    return Settings(spec, tuple(notes), dict(values), bool(lighter))


def show_fixes(fixes) -> None:
    """What a comparison changed from the sidebar's network (core.spec.Fix), in words."""
    for note in labels.fix_notes(fixes):
        st.info(note, icon=":material/speed:")


def init_caption(spec: NetworkSpec) -> str:
    """What the chosen scheme means at this width: its Var(W) and gain."""
    var = spec.effective_weight_var
    text = f"Var(W) = {var:.3g}, so fan_in x Var(W) = {spec.sigma_w2:.3g}"
    if spec.init not in initializers.GAINLESS:
        source = "PyTorch's calculate_gain" if spec.gain is None else "set by hand"
        text += f"; gain {spec.effective_gain:.4g} ({source})"
    return text


