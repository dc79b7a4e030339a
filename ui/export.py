"""The per-layer numbers a page draws, as one table: the page's charts take their curves
from it and its CSV button writes it, so the CSV holds exactly what the charts show, at
the page's own threshold, layer picks and toggles."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import streamlit as st

from core import NetworkSpec

# Spec fields no page's CSV counts with: a page names its own threshold in its columns.
UNUSED_SPEC_FIELDS = ("saturation_threshold",)
PERCENT = "a fraction of 1; the chart draws it in %"


@dataclass(frozen=True)
class Column:
    name: str              # the CSV header, a field name: log10_act_var, dead_frac
    label: str             # the chart's name for these numbers (its legend entry)
    values: np.ndarray     # one per layer, layer 1 first; NaN where nothing is drawn
    #                        (integers for the 0/1 of marks and picks)
    role: str = "curve"    # "curve", "band low", "band high", "legend" (the number a
    #                        chart's legend gives per layer), "marks" (1: a layer marked
    #                        on a curve) or "picked" (1: a layer picked for a chart)
    note: str = ""         # how the chart shows it, when not as written (PERCENT)

    def describe(self) -> str:
        label = json.dumps(self.label, ensure_ascii=False)
        text = {"curve": f"the curve {label}",
                "band low": f"the lower edge of the band {label}",
                "band high": f"the upper edge of the band {label}",
                "legend": f"the number the legend of the chart {label} gives a layer",
                "marks": f"1 on the layers marked {label} in the chart",
                "picked": f"1 on the layers picked for the chart {label}"}[self.role]
        return text + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class LayerTable:
    """What a page draws per layer: its columns, and its own controls in force."""
    columns: tuple[Column, ...]
    controls: dict = field(default_factory=dict)       # URL key -> value

    def __getitem__(self, name: str) -> np.ndarray:
        values = self.get(name)
        if values is None:
            raise KeyError(name)
        return values

    def get(self, name: str) -> np.ndarray | None:
        return next((c.values for c in self.columns if c.name == name), None)

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def curves(self, *names: str) -> dict[str, np.ndarray]:
        """{chart label: values} of the named columns, in that order, for a figure."""
        by_name = {c.name: c for c in self.columns}
        return {by_name[n].label: by_name[n].values for n in names if n in by_name}

    def marked(self, name: str) -> list[int]:
        """The 1-based layers a marks column flags."""
        return [i + 1 for i, v in enumerate(self[name]) if v == 1]


def upto(values, valid: int) -> np.ndarray:
    """`values` as float64, NaN from layer `valid` + 1 on (past an overflow: not drawn).

    >>> upto([0.5, 0.25, 0.125], 2).tolist()
    [0.5, 0.25, nan]
    """
    out = np.array(values, dtype=np.float64)
    out[valid:] = np.nan
    return out


def marks(layers, depth: int) -> np.ndarray:
    """1 on the given 1-based layers, 0 elsewhere.

    >>> marks([1, 3], 4).tolist()
    [1, 0, 1, 0]
    """
    out = np.zeros(depth, dtype=np.int8)
    out[[k - 1 for k in layers if 1 <= k <= depth]] = 1
    return out


def table_csv(table: LayerTable, spec: NetworkSpec, page: str) -> str:
    """One row per layer; above the header, as comment lines: the network's settings, the
    page's own controls, and which chart line each column is. An empty cell: nothing
    drawn there (inf or NaN, or past an overflow).

    >>> t = LayerTable((Column("dead_frac", "dead units", np.array([0.25, np.nan])),),
    ...                {"dead_layer": 2})
    >>> text = table_csv(t, NetworkSpec(depth=2), "dead_neurons")
    >>> text.splitlines()[-3:]
    ['layer,dead_frac', '1,0.25', '2,']
    >>> [line for line in text.splitlines() if line.startswith("# dead_")]
    ['# dead_threshold=0.99', '# dead_layer=2']
    """
    buf = io.StringIO()
    buf.write(f"# Layerscope, page {page}: the numbers its charts draw, one row per layer\n")
    for key, value in asdict(spec).items():
        if key not in UNUSED_SPEC_FIELDS:
            buf.write(f"# {key}={value}\n")
    for key, value in table.controls.items():
        buf.write(f"# {key}={value}\n")
    for c in table.columns:
        buf.write(f"# column {c.name}: {c.describe()}\n")
    buf.write("# an empty cell: not drawn (inf or NaN, or past an overflow)\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("layer",) + tuple(c.name for c in table.columns))
    for i in range(spec.depth):
        writer.writerow([i + 1] + [_cell(c.values[i]) for c in table.columns])
    return buf.getvalue()


def _cell(value) -> str:
    """A count as an integer, any other number as Python prints a float (the shortest
    text that reads back exactly), and inf or NaN as nothing.

    >>> _cell(np.int8(1)), _cell(0.1), _cell(np.float64(-np.inf))
    ('1', '0.1', '')
    """
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    return repr(value) if math.isfinite(value) else ""


def download_button(table: LayerTable, spec: NetworkSpec, page: str) -> None:
    """The page's table as a CSV download (a click downloads, no rerun)."""
    note = ("The numbers the charts above draw, layer by layer, at this page's own "
            "settings.")
    if "log10_weight_grad_ratio" not in table:
        note += (" dL/dW's ratio to W per layer comes with the Gradient flow page's CSV, "
                 "the page that computes dL/dW.")
    st.download_button("Download per-layer numbers (CSV)", table_csv(table, spec, page),
                       file_name=f"layerscope_{page}.csv", mime="text/csv",
                       on_click="ignore", help=note)
