"""Charts read from the back row, measured in the real browser at 1920×1080 and at
1280×720 (a common projector): every tick label, legend entry, axis title, panel title,
chart title and settings line of every page's charts renders at 16 px or more in a
colour with at least 4.5:1 contrast on white, no two of them overlap (a legend over a
title, a label over a legend), none runs past the chart's edge, no label of the page is
cut short with an ellipsis, and the landing page's exploding curve has a "10²⁰" tick.
While Training trains, its loss chart is in view at 1280×720, presenter mode too; a
chart downloaded from Plotly's toolbar is a 2400 px wide PNG. Screenshots of each page
land in tests/artifacts/readable-<page>-<width>.png, the PNG in
tests/artifacts/download-<name>.png."""

from __future__ import annotations

import itertools
import struct

import pytest

from tests.figures.colour_vision import contrast

from .helpers import (ARTIFACTS, assert_no_exception, screenshot, settled_box,
                      viewport_screenshot, wait_for_app)

MIN_PX, MIN_CONTRAST = 16, 4.5
TRAIN = "training?activation=tanh&depth=5&weight_var=0.1&train_steps=200"
# Each page with the settings that show its charts (a linear network has no dead units).
# name: (url path, query); the tabs with small multiples are opened too, and the charts
# whose legend once covered their title: Saturation's per-layer shares in a half-width
# column, Training's loss with the comparison on, the BatchNorm tabs.
PAGES = {
    "variance": ("", ""),
    "saturation": ("saturation", "activation=tanh&weight_var=0.1"),
    "dead_neurons": ("dead_neurons", "activation=relu&depth=20&weight_var=0.001&bias_var=1"),
    "gradients": ("gradients", "activation=tanh&weight_var=0.01"),
    "initialization": ("initialization", "activation=tanh&weight_var=0.01"),
    # the sidebar's scheme saturated: its panel's verdict line carries the share
    "initialization-saturated": ("initialization", "activation=tanh&weight_var=0.1"),
    "initialization-loss": ("initialization", "activation=tanh&weight_var=0.01"
                                              "&init_view=Confidently+wrong+at+init"),
    "normalization": ("normalization", "activation=tanh&weight_var=0.01"),
    "normalization-sets": ("normalization", "norm_view=What+is+averaged&spatial=4&groups=5"),
    "normalization-batch": ("normalization", "activation=tanh&weight_var=0.01"
                                             "&norm_view=Batch+size"),
    "training": ("training", TRAIN.split("?")[1]),
    "training-compare": ("training", TRAIN.split("?")[1] + "&train_compare=true"),
    "training-batchnorm": ("training", TRAIN.split("?")[1] + "&train_norm=true"
                                       "&train_view=BatchNorm"),
    "depth_scales": ("depth_scales", "activation=tanh&weight_var=0.03162&bias_var=0.05"),
    "depth_scales-trainability": ("depth_scales", "activation=tanh&weight_var=0.01"
                                  "&bias_var=0.05&depth_view=Trainability"),
    "depth_scales-isometry": ("depth_scales", "activation=linear&depth=100&weight_var=0.01"
                              "&depth_view=Dynamical+isometry"),
    "depth_scales-width": ("depth_scales", "activation=relu&depth=50&width=10&init=kaiming_normal"
                           "&depth_view=Finite+width"),
}
SIZES = {1920: 1080, 1280: 720}

# Every text of every drawn chart: kind, text, font size, fill and box on the page; the
# chart's own box.
_TEXTS = """
() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
  .map(gd => {
    const kinds = {tick: 'g.xtick text, g.ytick text', legend: 'g.legend text.legendtext',
                   axis_title: 'g.infolayer text[class$="title"]:not(.gtitle):not(.gtitle-subtitle)',
                   title: 'text.gtitle', subtitle: 'text.gtitle-subtitle',
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
    const r = gd.querySelector('svg.main-svg').getBoundingClientRect();
    return {title: (gd.layout.title || {}).text || '', texts: out,
            chart: [r.left, r.top, r.right, r.bottom]};
  })
"""
# Labels of the page cut short: text laid out past the edge of a box that clips it (with
# or without Streamlit's ellipsis: metric labels, page links, buttons, the page menu).
_CUT_SHORT = """
() => [...document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *')]
  .filter(e => {
    const cs = getComputedStyle(e);
    if (!(e instanceof HTMLElement) || cs.display === 'none' || cs.visibility === 'hidden'
        || !e.innerText.trim()) return false;
    if (cs.textOverflow !== 'ellipsis' && !['hidden', 'clip'].includes(cs.overflowX)) return false;
    const box = e.getBoundingClientRect(), range = document.createRange();
    range.selectNodeContents(e);
    const text = range.getBoundingClientRect();
    return box.width > 2 && text.width > 0 && text.right > box.right + 1;
  }).map(e => e.innerText.trim().slice(0, 60))
"""
HEAD = ("title", "subtitle", "legend")          # stacked above the plot
LABELS = ("annotation", "axis_title", "tick", "colorbar")


def hex_of(rgb: str) -> str:
    r, g, b = (int(float(v)) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def overlap(a, b, slack: float = 1.0) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > slack
            and min(a[3], b[3]) - max(a[1], b[1]) > slack)


def inside(box, frame, slack: float = 1.0) -> bool:
    return (box[0] >= frame[0] - slack and box[1] >= frame[1] - slack
            and box[2] <= frame[2] + slack and box[3] <= frame[3] + slack)


def problems(chart: dict) -> list[str]:
    """Small or faint texts, overlapping labels, and texts past the chart's edge."""
    texts, bad = chart["texts"], []
    for t in texts:
        if t["size"] < MIN_PX or contrast(hex_of(t["fill"])) < MIN_CONTRAST:
            bad.append(f"{t['kind']} {t['text']!r}: {t['size']} px, {t['fill']}")
        if not inside(t["box"], chart["chart"]):
            bad.append(f"{t['kind']} {t['text']!r} runs past the chart's edge")
    ticks = [t for t in texts if t["kind"] == "tick"]
    notes = [t for t in texts if t["kind"] in ("annotation", "axis_title")]
    for a, b in itertools.combinations(ticks, 2):
        if a["axis"] == b["axis"] and overlap(a["box"], b["box"]):
            bad.append(f"ticks overlap: {a['text']!r} {b['text']!r}")
    for a, b in itertools.combinations(notes, 2):
        if overlap(a["box"], b["box"]):
            bad.append(f"titles overlap: {a['text']!r} {b['text']!r}")
    head = [t for t in texts if t["kind"] in HEAD]
    for a, b in itertools.combinations(head, 2):
        if overlap(a["box"], b["box"]):
            bad.append(f"{a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r}")
    for a, b in itertools.product(head, [t for t in texts if t["kind"] in LABELS]):
        if overlap(a["box"], b["box"]):
            bad.append(f"{a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r}")
    return bad


def open_and_read(browser, server, name: str, width: int) -> tuple[list[dict], object]:
    context = browser.new_context(viewport={"width": width, "height": SIZES[width]})
    page = context.new_page()
    path, query = PAGES[name]
    page.goto(f"{server}/{path}?{query}")
    wait_for_app(page, timeout=180000)
    assert_no_exception(page)
    screenshot(page, f"readable-{name}-{width}")
    return page.evaluate(_TEXTS), page


@pytest.mark.parametrize("width", list(SIZES))
@pytest.mark.parametrize("name", list(PAGES))
def test_chart_text_is_large_dark_apart_and_whole(browser, server, name, width):
    charts, page = open_and_read(browser, server, name, width)
    try:
        assert charts, "no chart drawn"
        found = {c["title"]: problems(c) for c in charts}
        assert not {k: v for k, v in found.items() if v}
        kinds = {t["kind"] for c in charts for t in c["texts"]}
        assert {"tick", "axis_title", "title", "subtitle"} <= kinds
        assert not page.evaluate(_CUT_SHORT)
    finally:
        page.context.close()


def test_exploding_curve_has_a_10_20_tick(browser, server):
    charts, page = open_and_read(browser, server, "variance", 1920)
    try:
        ticks = [t["text"] for t in charts[0]["texts"] if t["kind"] == "tick"]
        assert "10²⁰" in ticks, ticks
        legend = [t for t in charts[0]["texts"] if t["kind"] == "legend"]
        assert legend and min(t["size"] for t in legend) >= MIN_PX
    finally:
        page.context.close()


def test_no_label_is_cut_short_in_presenter_mode_with_the_sidebar_open(browser, server):
    """Presenter mode's 24 px type in the columns left beside an opened sidebar: the
    metric labels (Initialization's "log 27: a network that knows nothing") and the
    buttons wrap instead of ending in an ellipsis."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{server}/initialization?activation=tanh&weight_var=0.01"
                  "&init_view=Confidently+wrong+at+init&present=1")
        wait_for_app(page, timeout=120000)
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        page.wait_for_timeout(1000)
        screenshot(page, "readable-presenter-sidebar-1280")
        assert not page.evaluate(_CUT_SHORT)
    finally:
        context.close()


_LOSS_PLOT = """
() => {
  const head = document.querySelector('[data-testid="stHeader"]');
  const plot = document.querySelector('.st-key-train_loss .nsewdrag');
  if (!plot) return null;
  const r = plot.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, header: head ? head.getBoundingClientRect().bottom : 0,
          height: innerHeight, running: document.querySelector(
            '[data-testid="stApp"]').getAttribute('data-test-script-state') === 'running'};
}
"""


@pytest.mark.parametrize("present", [False, True], ids=["page", "presenter"])
def test_training_loss_chart_is_in_view_while_it_trains(browser, server, present):
    """At 1280×720 the Training page's title, controls and (for a demo) its note leave
    no room above the fold: once the loss chart is drawn it is brought into view, its
    plot whole under Streamlit's header, while the network is still training."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{server}/training?activation=tanh&depth=5&weight_var=0.1"
                  # a seed of its own per variant: the server keeps a finished run for
                  # every visitor, and the other variant's, finished, would show at once
                  f"&train_steps=20000&seed={8 if present else 7}&train_compare=true"
                  + ("&present=1" if present else ""))
        page.wait_for_selector(".st-key-train_loss .nsewdrag", timeout=90000)
        page.wait_for_timeout(2500)                  # a smooth scroll takes its time
        settled_box(page, ".st-key-train_loss .nsewdrag")
        box = page.evaluate(_LOSS_PLOT)
        viewport_screenshot(page, f"training-in-view-{'presenter' if present else 'page'}")
        assert box["running"], "training ended before the chart could be seen"
        assert box["header"] - 1 <= box["top"] and box["bottom"] <= box["height"] + 1, box
    finally:
        context.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_a_downloaded_chart_is_a_sharp_png_of_the_whole_figure(browser, server):
    """Plotly's toolbar button downloads the chart 1200 px wide at twice the resolution,
    at its own height: the settings under its title and its legend in the picture (see
    tests/artifacts/download-training-loss.png)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{server}/{TRAIN}&train_compare=true")
        wait_for_app(page, timeout=180000)
        chart = page.locator('.st-key-train_loss [data-testid="stPlotlyChart"]')
        height = chart.evaluate("c => c.querySelector('.js-plotly-plot').layout.height")
        chart.hover()
        with page.expect_download(timeout=60000) as info:
            page.locator('.st-key-train_loss button[data-title="Download plot as a PNG"]').click()
        path = ARTIFACTS / "download-training-loss.png"
        info.value.save_as(path)
        assert info.value.suggested_filename.startswith("layerscope_train_loss")
        assert png_size(path.read_bytes()) == (2400, 2 * height)
    finally:
        context.close()
