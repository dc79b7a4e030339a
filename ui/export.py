"""Per-layer numbers of the current view as CSV, for a spreadsheet or a notebook."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict

from core import Result

COLUMNS = ("log10_preact_var", "log10_act_var", "log10_out_var", "preact_mean", "act_mean",
           "saturated_frac", "dead_frac", "log10_grad_var", "log10_weight_grad_ratio")


def result_csv(res: Result) -> str:
    """One row per layer; the spec's settings as comment lines above the header."""
    buf = io.StringIO()
    for key, value in asdict(res.spec).items():
        buf.write(f"# {key}={value}\n")
    writer = csv.writer(buf)
    writer.writerow(("layer",) + COLUMNS)
    for i in range(res.depth):
        writer.writerow([i + 1] + [f"{float(getattr(res, c)[i]):.6g}" for c in COLUMNS])
    return buf.getvalue()
