"""The heaviest requests one visitor can make: server time and memory per page.

    python -m bench.visitor

Each case opens one page through AppTest with a link's parameters, in a fresh process:
first the app's modules are imported and an idle page is run (the idle server), then the
case runs. Reported: seconds for the case's run, and its peak resident memory beyond the
idle process's (ru_maxrss). A setting the sidebar or a link allows should stay near ~2 s
and ~300 MB: heavier ones are run reduced by core.experiments.budget, and say so.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HEAVY = dict(depth=200, width=21, batch=1024, spatial=16, norm="BatchNorm",
             residual="true", activation="gelu")
CASES = [
    ("variance", HEAVY),
    ("saturation", HEAVY),
    ("dead_neurons", HEAVY),
    ("gradients", HEAVY),
    ("initialization", HEAVY),
    ("normalization", HEAVY),
    ("normalization", dict(depth=200, width=16, batch=1024, spatial=16, norm="BatchNorm",
                           norm_view="Train vs eval mode", norm_eval_batches=200)),
    ("variance", dict(depth=200, width=1024, batch=1024)),
    ("initialization", dict(depth=200, width=1024, batch=1024)),
    ("normalization", dict(depth=200, width=1024, batch=1024)),
]

_CHILD = r'''
import json, resource, sys, time
from pathlib import Path
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash
app = str(Path(sys.argv[1]) / "app.py")
page, params = sys.argv[2], json.loads(sys.argv[3])
idle = AppTest.from_file(app, default_timeout=600); idle.run()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
at = AppTest.from_file(app, default_timeout=600)
for k, v in params.items():
    at.query_params[k] = str(v)
at._page_hash = calc_hash(page)
t = time.perf_counter(); at.run(); seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(seconds=seconds, extra_mb=(peak - base) / 1024,
                      exceptions=[e.value for e in at.exception],
                      notes=[i.value for i in at.info])))
'''


def run_case(root: str, page: str, params: dict) -> dict:
    # every computation in the measured process (ui.compute): a compute process's memory
    # and time would not show in its ru_maxrss
    env = dict(os.environ, LAYERSCOPE_COMPUTE_PROCESSES="0")
    out = subprocess.run([sys.executable, "-c", _CHILD, root, page, json.dumps(params)],
                         capture_output=True, text=True, timeout=900, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    from pathlib import Path
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args(argv)
    root = str(Path(__file__).resolve().parent.parent)
    print(f"{'page':15} {'settings':62} {'s':>6} {'MB':>6}  reduced?")
    for page, params in CASES:
        r = run_case(root, page, params)
        shown = " ".join(f"{k}={v}" for k, v in params.items())[:62]
        reduced = "yes" if any("To stay live" in n for n in r["notes"]) else "no"
        if r["exceptions"]:
            reduced = "EXCEPTION " + r["exceptions"][0][:60]
        print(f"{page:15} {shown:62} {r['seconds']:6.2f} {r['extra_mb']:6.0f}  {reduced}")


if __name__ == "__main__":
    main()
