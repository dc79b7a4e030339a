"""Per-layer numbers of the current view as CSV, for a spreadsheet or a notebook."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict

import streamlit as st

from core import Result

COLUMNS = ("log10_preact_var", "log10_act_var", "log10_out_var", "preact_mean", "act_mean",
           "saturated_frac", "dead_frac", "log10_grad_var", "log10_weight_grad_ratio")


def result_csv(res: Result) -> str:
    """One row per layer; the spec's settings as comment lines above the header. The
    columns the run computed: dL/dW's ratio only where the page drew it (Gradient flow).

    >>> from core import NetworkSpec, simulate
    >>> text = result_csv(simulate(NetworkSpec(depth=2, width=8, batch=4), stats=()))
    >>> text.splitlines()[-3].split(",")[-2:], len(text.splitlines()[-1].split(","))
    (['dead_frac', 'log10_grad_var'], 9)
    """
    columns = tuple(c for c in COLUMNS if getattr(res, c) is not None)
    buf = io.StringIO()
    for key, value in asdict(res.spec).items():
        buf.write(f"# {key}={value}\n")
    writer = csv.writer(buf)
    writer.writerow(("layer",) + columns)
    for i in range(res.depth):
        writer.writerow([i + 1] + [f"{float(getattr(res, c)[i]):.6g}" for c in columns])
    return buf.getvalue()


def download_button(res: Result, page: str) -> None:
    """The page's per-layer numbers as a CSV download (a click downloads, no rerun)."""
    note = None if res.log10_weight_grad_ratio is not None else (
        "The per-layer curves of this network. dL/dW's ratio to W per layer comes with "
        "the Gradient flow page's CSV, the page that computes dL/dW.")
    st.download_button("Download per-layer numbers (CSV)", result_csv(res),
                       file_name=f"layerscope_{page}.csv", mime="text/csv",
                       on_click="ignore", help=note)
