"""Rerun time of every page after a sidebar slider change, on the server (AppTest).

    python -m bench.pages            # or: make bench
    python -m bench.pages --new 30   # + p50/p95 of 30 new settings per page (depth 2-60)
    python -m bench.pages --new 30 --tabs --pages depth_scales   # every tab of a page

Each page is opened at the app's defaults, then the depth slider moves between two
values; the first visit to a value pays for its simulation (a student's first try),
later ones hit the cache (the class trying what others tried). The baseline, measured in
the same run, is a bare page drawing one line chart of the same size: what Streamlit
and Plotly cost before Layerscope does anything. `--cpu` times the process's CPU
(every thread: the script runs on AppTest's) instead of the wall clock, which other
work on a shared machine inflates.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from ui import compute
from ui.controls import WEIGHT_VARS
from ui.pages import PAGES

ROOT = Path(__file__).resolve().parent.parent
BARE = '''
import numpy as np, plotly.graph_objects as go, streamlit as st
depth = st.sidebar.slider("Depth", 1, 200, 10, key="depth")
st.plotly_chart(go.Figure(go.Scatter(y=np.arange(depth, dtype=np.float32))))
'''


CLOCK = time.perf_counter          # main(--cpu): time.process_time


def timed_run(at: AppTest) -> float:
    """ms of one rerun on CLOCK; a rerun must not end in an exception."""
    t = CLOCK()
    at.run()
    ms = (CLOCK() - t) * 1e3
    assert not at.exception, [e.value for e in at.exception]
    return ms


def rerun_times(at: AppTest, values: list[int]) -> list[float]:
    times = []
    for v in values:
        at.slider(key="depth").set_value(v)
        times.append(timed_run(at))
    return times


def measure(page: str | None, script: str, repeats: int) -> tuple[float, float]:
    """(first-visit ms, median cached ms) for depth changes 10 -> 12 -> 10 -> 12 ...;
    `page` is a url path: pages are functions, which AppTest.switch_page cannot name,
    so the run is pointed at the hash st.Page derives from the url path."""
    at = AppTest.from_file(script, default_timeout=120)
    if page is not None:
        at._page_hash = calc_hash(page)
    at.run()
    first = rerun_times(at, [12])[0]
    cached = rerun_times(at, [10, 12] * repeats)
    return first, statistics.median(cached)


def new_setting_draws(count: int, seed: int = 0) -> list[tuple[int, float, str]]:
    """`count` (depth, Var(W), activation) settings as a class trying things would pick
    them: depth 2-60, Var(W) among the app's steps from 0.001 to 1, one of five
    activations; the same list for the same seed (bench.server draws its settings here).

    >>> draws = new_setting_draws(50)
    >>> all(2 <= d <= 60 and 0.001 <= v <= 1 for d, v, _ in draws), draws == new_setting_draws(50)
    (True, True)
    """
    rng = random.Random(seed)
    steps = [v for v in WEIGHT_VARS if 0.001 <= v <= 1.0]
    return [(rng.randint(2, 60), rng.choice(steps),
             rng.choice(["tanh", "relu", "linear", "gelu", "sigmoid"])) for _ in range(count)]


def new_settings(page: str, count: int, seed: int = 0,
                 tab: tuple[str, str] | None = None) -> list[float]:
    """Rerun times (ms) of `count` settings no session asked for before
    (`new_setting_draws`); `tab` (its URL key, its title): on that tab of the page."""
    st.cache_data.clear()          # no page or tab measured before shares its results
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at._page_hash = calc_hash(page)
    if tab is not None:
        at.query_params[tab[0]] = tab[1]
    at.run()
    times = []
    for depth, weight_var, activation in new_setting_draws(count, seed):
        at.slider(key="depth").set_value(depth)
        at.select_slider(key="weight_var").set_value(weight_var)
        at.selectbox(key="activation").set_value(activation)
        times.append(timed_run(at))
    return times


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--new", type=int, default=0, help="new settings per page (0: skip)")
    ap.add_argument("--cpu", action="store_true", help="process CPU ms, not wall-clock ms")
    ap.add_argument("--pages", default="", help="comma-separated url paths (default: all)")
    ap.add_argument("--tabs", action="store_true",
                    help="with --new: every tab of a page with tabs, not only its first")
    args = ap.parse_args(argv)
    # every computation in this process's script thread, so that the process's CPU time
    # is all of a rerun's work (a compute process's would not be counted)
    compute.set_processes(0)
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    pages = [p for p in PAGES if not args.pages or p.url_path in args.pages.split(",")]
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(BARE)
    base_first, base = measure(None, f.name, args.repeats)
    print(f"{'page':26} {'first visit ms':>15} {'cached ms':>10} {'cached / bare':>14}")
    print(f"{'bare page, one chart':26} {base_first:15.0f} {base:10.0f} {1.0:14.2f}")
    for info in pages:
        first, cached = measure(info.url_path, str(ROOT / "app.py"), args.repeats)
        print(f"{info.title:26} {first:15.0f} {cached:10.0f} {cached / base:14.2f}")
    if args.new:
        print(f"\n{args.new} new settings per page (depth 2-60, Var(W) 0.001-1, 5 activations)")
        print(f"{'page':26} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for info in pages:
            for name, tab in screens(info, args.tabs):
                t = sorted(new_settings(info.url_path, args.new, tab=tab))
                p95 = t[min(len(t) - 1, int(round(0.95 * (len(t) - 1))))]
                print(f"{name:26} {statistics.median(t):8.0f} {p95:8.0f} {t[-1]:8.0f}")


def screens(info, tabs: bool) -> list[tuple[str, tuple[str, str] | None]]:
    """(row name, tab) for a page: its first view, or with `tabs` each of its tabs."""
    if not (tabs and info.tabs):
        return [(info.title, None)]
    from pkgutil import resolve_name
    return [(f"{info.title}: {title}", (info.tab_key, title))
            for title in resolve_name(info.tabs)]


if __name__ == "__main__":
    main()
