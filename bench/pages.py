"""Rerun time of every page after a sidebar slider change, on the server (AppTest).

    python -m bench.pages            # or: make bench

Each page is opened at the app's defaults, then the depth slider moves between two
values; the first visit to a value pays for its simulation (a student's first try),
later ones hit the cache (the class trying what others tried). The baseline, measured in
the same run, is a bare page drawing one line chart of the same size: what Streamlit
and Plotly cost before Layerscope does anything.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from ui.links import PAGES

ROOT = Path(__file__).resolve().parent.parent
BARE = '''
import numpy as np, plotly.graph_objects as go, streamlit as st
depth = st.sidebar.slider("Depth", 1, 200, 10, key="depth")
st.plotly_chart(go.Figure(go.Scatter(y=np.arange(depth, dtype=np.float32))))
'''


def rerun_times(at: AppTest, values: list[int]) -> list[float]:
    times = []
    for v in values:
        at.slider(key="depth").set_value(v)
        t = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t) * 1e3)
        assert not at.exception, [e.value for e in at.exception]
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


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(BARE)
    base_first, base = measure(None, f.name, args.repeats)
    print(f"{'page':26} {'first visit ms':>15} {'cached ms':>10} {'cached / bare':>14}")
    print(f"{'bare page, one chart':26} {base_first:15.0f} {base:10.0f} {1.0:14.2f}")
    for info in PAGES:
        first, cached = measure(info.url_path, str(ROOT / "app.py"), args.repeats)
        print(f"{info.title:26} {first:15.0f} {cached:10.0f} {cached / base:14.2f}")


if __name__ == "__main__":
    main()
