"""docs/links.md, the reference of every link parameter, is written from the code and
checked against it, so it cannot go stale. Rewrite it with

    .venv/bin/python -m tests.ui.test_link_docs
"""

from __future__ import annotations

import re
from pathlib import Path

from ui import controls, lesson_state, present, training_request
from ui.controls import CONTROLS, Control
from ui.pages import PAGES
from views import depth_scales, gradients, initialization, normalization, tabs, variance

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "links.md"
LONG = 12                                  # more steps than this: the range, not the list

# The pages' controls built while the page runs (their range follows the network):
# key -> (control, values, default).
DRAWN = {
    "dead_layer": ("Layer", "1 to depth", "the last (stays the last as the depth changes)"),
    "sat_count": ("Layers overlaid", "1 to 6", "`5`"),
    "sat_first": ("From layer", "1 to depth", "`1`"),
    "sat_last": ("To layer", "1 to depth", "the last (stays the last as the depth changes)"),
    "sat_threshold": ("Saturated when abs(value) >, for tanh and sigmoid",
                      "{thresholds} (between steps: the nearest)", "`0.97`"),
    "init_example": ("Example shown", "0 to min(31, batch - 1)", "`0`"),
    "train_layer": ("Layer", "1 to depth", "`2`"),
}
STATIC = {"variance": [variance.BAND], "gradients": [gradients.THEORY, gradients.LAYERS],
          "initialization": [initialization.QUANTITY],
          "normalization": [normalization.BAD, normalization.EVAL_BATCHES],
          "training": [training_request.STEPS_C, training_request.LR_C, training_request.BATCH_C,
                       training_request.OPT_C, training_request.COMPARE_C,
                       training_request.NORM_C],
          "depth_scales": [depth_scales.C0_C, depth_scales.STEPS_C]}
TABS = tabs()


def _code(text) -> str:
    return f"`{text}`"


def values_text(c: Control) -> str:
    """A control's values as a link may write them."""
    if c.kind == "toggle":
        return "`true` or `false`"
    if c.kind in ("int", "float"):
        kind = "whole numbers" if c.kind == "int" else f"steps of {c.step:g}"
        return f"{c.fmt(c.lo)} to {c.fmt(c.hi)} ({kind}; outside: clamped)"
    if c.kind == "steps" and len(c.options) > LONG:
        return (f"{_code(c.fmt(c.options[0]))} … {_code(c.fmt(c.options[-1]))}, "
                f"{len(c.options)} steps on a log scale (between steps: the nearest)")
    if c.kind == "steps":
        return ", ".join(_code(c.fmt(o)) for o in c.options) + " (between steps: the nearest)"
    return ", ".join(_code(o) if c.fmt(o) == str(o) else f"{_code(o)} or {_code(c.fmt(o))}"
                     for o in c.options)


def aliases_text(c: Control) -> str:
    return ", ".join(f"{_code(a)} → {_code(o)}"
                     for a, o in controls.ALIASES.get(c.key, {}).items()) or "–"


def row(c: Control, with_aliases: bool) -> str:
    default = str(c.default).lower() if c.kind == "toggle" else c.fmt(c.default)
    cells = [_code(c.key), c.label.replace("|", "/"), values_text(c), _code(default)]
    return "| " + " | ".join(cells + ([aliases_text(c)] if with_aliases else [])) + " |"


def render() -> str:
    return "\n".join([
        HEAD,
        "| key | control | values | default | other names accepted |",
        "|---|---|---|---|---|",
        *(row(c, True) for c in CONTROLS),
        "",
        PAGE_HEAD,
        *_pages(),
        LESSONS,
    ]) + "\n"


def _pages() -> list[str]:
    from views.saturation import THRESHOLDS
    thresholds = ", ".join(_code(f"{t:g}") for t in THRESHOLDS)
    lines = []
    for info in PAGES:
        rows = [row(c, False) for c in STATIC.get(info.url_path, [])]
        rows += ["| " + " | ".join([_code(k), label, values.format(thresholds=thresholds),
                                    default]) + " |"
                 for k, (label, values, default) in DRAWN.items()
                 if k.startswith(info.prefix + "_")]
        if info.url_path in TABS:
            key, titles = TABS[info.url_path]
            rows.append(f"| {_code(key)} | open tab | " + ", ".join(map(_code, titles))
                        + f" | {_code(titles[0])} |")
        if rows:
            lines += [f"### {info.title} (`/{info.url_path}`, prefix `{info.prefix}_`)", "",
                      "| key | control | values | default |", "|---|---|---|---|", *rows, ""]
    return lines


HEAD = """# Links

<!-- Written by `.venv/bin/python -m tests.ui.test_link_docs` from the code; edit that. -->

Every view is a link: the address bar holds the page (its path) and every control that
is not at its default, so copying it reproduces the view. Links can also be written by
hand: `/?depth=50&activation=tanh&init=xavier_normal_` or
`/normalization?norm=BatchNorm&norm_view=Batch%20size`.

A hand-written value is checked before anything is drawn: a number out of range is
clamped, a value between steps takes the nearest step, and anything else falls back to
the default, each with a note on the page; an unknown key is dropped with a note. The
address bar is then rewritten to what the page shows.

A choice (a control with named values) may be written as its name in the code
(`kaiming_normal`), as the app shows it (`Kaiming normal (fan_in)`, the form the address
bar writes), or as PyTorch names it (`kaiming_normal_`, `nn.BatchNorm1d`, `GELU`). Case,
spaces, underscores and hyphens are ignored, as are a leading `torch.`, `nn.`, `init.`,
`optim.` or `F.` and a normalization's `1d`/`2d`/`3d`; the names in the last column are
accepted too. A name that fits no choice, or more than one, gets the note and the default.
A number for the gain is read as the gain (`gain=1.0` is `1`).

## The sidebar (every page)
"""

PAGE_HEAD = """The sidebar's **Reset to defaults** puts every control (the sidebar's and the pages')
back to its default and so out of the link; the page, its open tab, the lesson and the
presentation keys below stay. In a lesson the step sets the controls, and its own reset
puts them back.

## One page's own controls

A page's keys start with its prefix and are read only on that page; a link to another
page leaves them out. Their values are checked as the sidebar's are.
"""

LESSONS = f"""## Lessons and presentation

| key | meaning | values |
|---|---|---|
| `lesson` | the open lesson (Lessons page) | a lesson's id, its file name in `lessons/` (see docs/lessons.md); unknown: the list, with a note |
| `step` | the lesson's step, one browser-history entry each | 1 to the number of steps (outside: clamped; not a number: 1; either with a note) |
| `join` | a class's code (from the presenter's screen): this browser joins the class and follows the presenter's step | 8 letters and digits, dashes and case ignored; no open class: the list, with a note |
| `me` | this browser's anonymous id in the class, written by the app on joining so that a reload keeps the answers | random; not chosen by hand |
| `present` | presenter mode: large type, sidebar folded | {", ".join(map(_code, present.ON))}; anything else: off |
| `hide` | sidebar controls out of sight (their values stay in force) | sidebar keys, comma-separated: `hide=width,batch`; unknown names are ignored with a note |
| `embed` | Streamlit's embedded view, for a slide or a course page: no header or menu, sidebar folded | `true` |
"""


def page_control_keys() -> set[str]:
    """The keys the views and ui pass to Control(...), read from the source, and the
    pages' open-tab keys (ui.pages)."""
    found = {p.tab_key for p in PAGES if p.tab_key}
    for path in [*ROOT.glob("views/*.py"), *ROOT.glob("ui/*.py")]:
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'Control\(\s*"(\w+)"', text))
        for name in re.findall(r"Control\(\s*([A-Z_]+)\s*,", text):
            found |= set(re.findall(rf'^{name}\s*=\s*"(\w+)"', text, re.M))
    return found - set(controls.BY_KEY) - {"key"}


def test_the_doc_is_written_from_the_code():
    assert DOC.read_text(encoding="utf-8") == render(), \
        "docs/links.md is stale: run .venv/bin/python -m tests.ui.test_link_docs"


def test_every_key_and_choice_is_in_the_doc():
    doc = DOC.read_text(encoding="utf-8")
    keys = set(controls.BY_KEY) | page_control_keys() | set(lesson_state.URL_KEYS) \
        | set(present.URL_KEYS) | {"embed"}
    assert {"init_view", "train_layer", "dead_layer"} <= keys     # the source scan finds them
    for key in keys:
        assert f"| `{key}` |" in doc, key
    for c in CONTROLS:
        for option in c.options if c.kind == "select" else ():
            assert f"`{option}`" in doc and f"`{c.fmt(option)}`" in doc, (c.key, option)
        for alias in controls.ALIASES.get(c.key, {}):
            assert f"`{alias}`" in doc, (c.key, alias)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
