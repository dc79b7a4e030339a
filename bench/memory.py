"""Server memory while a class tries many settings: the cache is bounded, so it levels off.

    python -m bench.memory

Runs the app's cached simulation (ui.cache.result) for N distinct settings, as students
moving sliders would, and prints the process's resident memory every 25 settings. The
baseline is the memory after the first setting, in the same run.
"""

from __future__ import annotations

import argparse
import logging
import resource

from ui import cache, compute, controls

logging.getLogger("streamlit").setLevel(logging.ERROR)   # no runtime: cache warnings only


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", type=int, default=200)
    args = ap.parse_args(argv)
    compute.set_processes(0)          # every computation here, whose memory is measured
    base = None
    print(f"{'settings tried':>15} {'RSS MB':>8} {'/ after first':>14}")
    for i in range(args.settings):
        # same size every time (depth 100, width 256), so growth can only be the cache's
        values = controls.defaults() | dict(depth=100, width=256, seed=i)
        cache.result(controls.to_spec(values).spec)
        if base is None:
            base = rss_mb()
        if (i + 1) % 25 == 0:
            print(f"{i + 1:15d} {rss_mb():8.0f} {rss_mb() / base:14.2f}")
    print(f"cache holds at most {cache.MAX_ENTRIES} results per cached function")


if __name__ == "__main__":
    main()
