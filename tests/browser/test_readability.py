"""Charts read from the back row, measured in the real browser: at 1920×1080 and 1280 px
wide, every tick label, legend entry, axis title and panel title of every page's charts
renders at 16 px or more in a colour with at least 4.5:1 contrast on white, labels do
not overlap, and the landing page's exploding curve has a "10²⁰" tick. Screenshots of
each page land in tests/artifacts/readable-<page>-<width>.png."""

from __future__ import annotations

import itertools

import pytest

from tests.figures.colour_vision import contrast

from .helpers import assert_no_exception, screenshot, wait_for_app

MIN_PX, MIN_CONTRAST = 16, 4.5
# Each page with the settings that show its charts (a linear network has no dead units).
# name: (url path, query); the tabs with small multiples are opened too.
PAGES = {
    "variance": ("", ""),
    "saturation": ("saturation", "activation=tanh&weight_var=0.1"),
    "dead_neurons": ("dead_neurons", "activation=relu&depth=20&weight_var=0.001&bias_var=1"),
    "gradients": ("gradients", "activation=tanh&weight_var=0.01"),
    "initialization": ("initialization", "activation=tanh&weight_var=0.01"),
    # the sidebar's scheme saturated: its panel's verdict line carries the share
    "initialization-saturated": ("initialization", "activation=tanh&weight_var=0.1"),
    "normalization": ("normalization", "activation=tanh&weight_var=0.01"),
    "normalization-sets": ("normalization", "norm_view=What+is+averaged&spatial=4&groups=5"),
    "training": ("training", "activation=tanh&depth=5&weight_var=0.1&train_steps=200"),
}
SIZES = {1920: 1080, 1280: 800}

# Every text of every drawn chart: kind, text, font size, fill and box on the page.
_TEXTS = """
() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
  .map(gd => {
    const kinds = {tick: 'g.xtick text, g.ytick text', legend: 'g.legend text.legendtext',
                   axis_title: 'g.infolayer text[class$="title"]:not(.gtitle)',
                   annotation: 'g.annotation text', colorbar: 'g.colorbar text'};
    const out = [];
    for (const [kind, sel] of Object.entries(kinds)) {
      for (const e of gd.querySelectorAll(sel)) {
        const r = e.getBoundingClientRect();
        if (!r.width || !e.textContent.trim()) continue;
        const cs = getComputedStyle(e);
        out.push({kind, text: e.textContent, size: parseFloat(cs.fontSize), fill: cs.fill,
                  axis: kind === 'tick' ? e.closest('g[class$="tick"]').className.baseVal
                        + ' ' + (e.closest('g.subplot') || {id: ''}).id : '',
                  box: [r.left, r.top, r.right, r.bottom]});
      }
    }
    return {title: (gd.layout.title || {}).text || '', texts: out};
  })
"""


def hex_of(rgb: str) -> str:
    r, g, b = (int(float(v)) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def overlap(a, b, slack: float = 1.0) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > slack
            and min(a[3], b[3]) - max(a[1], b[1]) > slack)


def problems(chart: dict) -> list[str]:
    """Small or faint texts and overlapping labels of one chart."""
    texts, bad = chart["texts"], []
    for t in texts:
        if t["size"] < MIN_PX or contrast(hex_of(t["fill"])) < MIN_CONTRAST:
            bad.append(f"{t['kind']} {t['text']!r}: {t['size']} px, {t['fill']}")
    ticks = [t for t in texts if t["kind"] == "tick"]
    notes = [t for t in texts if t["kind"] in ("annotation", "axis_title")]
    for a, b in itertools.combinations(ticks, 2):
        if a["axis"] == b["axis"] and overlap(a["box"], b["box"]):
            bad.append(f"ticks overlap: {a['text']!r} {b['text']!r}")
    for a, b in itertools.combinations(notes, 2):
        if overlap(a["box"], b["box"]):
            bad.append(f"titles overlap: {a['text']!r} {b['text']!r}")
    return bad


def open_and_read(browser, server, name: str, width: int) -> tuple[list[dict], object]:
    context = browser.new_context(viewport={"width": width, "height": SIZES[width]})
    page = context.new_page()
    path, query = PAGES[name]
    page.goto(f"{server}/{path}?{query}")
    if path == "training":          # its script keeps training: the first chart is the sign
        page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=90000)
        page.wait_for_timeout(1500)
    else:
        wait_for_app(page, timeout=90000)
    assert_no_exception(page)
    screenshot(page, f"readable-{name}-{width}")
    return page.evaluate(_TEXTS), context


@pytest.mark.parametrize("width", list(SIZES))
@pytest.mark.parametrize("name", list(PAGES))
def test_chart_text_is_large_dark_and_apart(browser, server, name, width):
    charts, context = open_and_read(browser, server, name, width)
    try:
        assert charts, "no chart drawn"
        found = {c["title"]: problems(c) for c in charts}
        assert not {k: v for k, v in found.items() if v}
        kinds = {t["kind"] for c in charts for t in c["texts"]}
        assert {"tick", "axis_title"} <= kinds
    finally:
        context.close()


def test_exploding_curve_has_a_10_20_tick(browser, server):
    charts, context = open_and_read(browser, server, "variance", 1920)
    try:
        ticks = [t["text"] for t in charts[0]["texts"] if t["kind"] == "tick"]
        assert "10²⁰" in ticks, ticks
        legend = [t for t in charts[0]["texts"] if t["kind"] == "legend"]
        assert legend and min(t["size"] for t in legend) >= MIN_PX
    finally:
        context.close()
