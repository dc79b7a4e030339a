"""Server memory while a class tries many settings: the cache is bounded, so it levels off.

    python -m bench.memory
    python -m bench.memory --training 3     # the Training page's heaviest link, 3 visitors

Runs the app's cached simulation (ui.cache.result) for N distinct settings, as students
moving sliders would, and prints the process's resident memory every 25 settings. The
baseline is the memory after the first setting, in the same run.

--training N opens the Training page (streamlit.testing's AppTest, in this process) on
HEAVY_TRAINING with seeds 1 to N, one visitor after another, and prints for each the
peak tracemalloc measured while its request ran, what stayed allocated after it left,
the resident memory, and the pickled bytes of what the page's cache kept of its runs.
"""

from __future__ import annotations

import argparse
import logging

from bench.load import heavy_training
from ui import cache, compute, controls

logging.getLogger("streamlit").setLevel(logging.ERROR)   # no runtime: cache warnings only


# bench.load's heaviest Training link (four runs of depth 200, width 256, batch 256,
# 20000 steps asked), less its seed
HEAVY_TRAINING = {k: v for k, v in dict(heavy_training(1)[0].values).items() if k != "seed"}


def training_visitors(count: int) -> None:
    """The heavy Training link for `count` visitors in turn: see the module docstring."""
    import gc
    import os
    import pickle
    import tracemalloc

    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash
    app = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
    kept: list[int] = []
    keep = cache.keep_run

    def measured_keep(spec, config, log):
        kept.append(len(pickle.dumps(log)))
        keep(spec, config, log)
    cache.keep_run = measured_keep
    tracemalloc.start()
    print(f"RSS before: {compute.resident_mb():.0f} MB")
    print(f"{'visitor':>8} {'peak MB':>8} {'kept after MB':>14} {'RSS MB':>7} {'cache keeps (pickled)':>24}")
    for seed in range(1, count + 1):
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        at = AppTest.from_file(app, default_timeout=1800)
        for key, value in HEAVY_TRAINING.items():
            at.query_params[key] = value
        at.query_params["seed"] = str(seed)
        at._page_hash = calc_hash("training")
        kept.clear()
        at.run()
        peak = tracemalloc.get_traced_memory()[1] - before
        del at
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - before
        runs = ", ".join(f"{k / 2**20:.2f}" for k in kept)
        print(f"{seed:8d} {peak / 2**20:8.0f} {after / 2**20:14.1f} {compute.resident_mb():7.0f} "
              f"{len(kept)} runs: {runs} MB")
    cache.keep_run = keep


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", type=int, default=200)
    ap.add_argument("--training", type=int, default=0, metavar="N")
    args = ap.parse_args(argv)
    compute.set_processes(0)          # every computation here, whose memory is measured
    if args.training:
        training_visitors(args.training)
        return
    base = None
    print(f"{'settings tried':>15} {'RSS MB':>8} {'/ after first':>14}")
    for i in range(args.settings):
        # same size every time (depth 100, width 256), so growth can only be the cache's
        values = controls.defaults() | dict(depth=100, width=256, seed=i)
        cache.result(controls.to_spec(values).spec)
        if base is None:
            base = compute.resident_mb()
        if (i + 1) % 25 == 0:
            print(f"{i + 1:15d} {compute.resident_mb():8.0f} {compute.resident_mb() / base:14.2f}")
    print(f"cache holds at most {cache.MAX_ENTRIES} results per cached function")


if __name__ == "__main__":
    main()
