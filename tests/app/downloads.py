"""A page's CSV download read back in AppTest, and held against the charts the page drew.

AppTest keeps a download's bytes in an in-memory media store that lives for one run
(streamlit.testing.v1.app_test builds a fresh MemoryMediaFileStorage per run); `kept()`
keeps the last one so that a test can read the file the page's button offers."""

from __future__ import annotations

import contextlib
import csv
import json
import re
from dataclasses import dataclass
from unittest import mock

import numpy as np
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test

from .helpers import figures, xs, ys


class _KeptStorage(MemoryMediaFileStorage):
    last: MemoryMediaFileStorage | None = None

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint)
        _KeptStorage.last = self


@contextlib.contextmanager
def kept():
    """Within it, AppTest runs keep their downloads for `csv_of`."""
    with mock.patch.object(app_test, "MemoryMediaFileStorage", _KeptStorage):
        yield


@dataclass
class PageCsv:
    settings: dict[str, str]                  # "# key=value" lines: network and page controls
    described: dict[str, str]                 # column -> what its comment line says it is
    columns: dict[str, list[float | None]]    # column -> one value per layer (None: empty)


def csv_text(at) -> str:
    """The CSV the page's one download button offers."""
    (button,) = at.get("download_button")
    name = button.proto.url.rsplit("/", 1)[-1]
    return _KeptStorage.last.get_file(name).content.decode()


def table(text: str) -> dict[str, list[str]]:
    """The CSV's columns as text, comment lines left out, as a spreadsheet reads it."""
    rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    return {h: [r[j] for r in rows[1:]] for j, h in enumerate(rows[0])}


def csv_of(at) -> PageCsv:
    """The CSV the page's one download button offers, parsed; each column described."""
    text = csv_text(at)
    comments = [line[2:] for line in text.splitlines() if line.startswith("# ")]
    described = dict(re.match(r"column (\S+): (.*)", c).groups()
                     for c in comments if c.startswith("column "))
    settings = dict(c.split("=", 1) for c in comments
                    if not c.startswith("column ") and re.match(r"\w+=", c))
    cells = table(text)
    assert cells["layer"] == [str(k) for k in range(1, len(cells["layer"]) + 1)]
    columns = {h: [float(v) if v else None for v in vs] for h, vs in cells.items()
               if h != "layer"}
    assert set(columns) == set(described), "every column says which chart line it is"
    return PageCsv(settings, described, columns)


def _label(text: str) -> str:
    return json.loads(re.search(r'(".*?(?<!\\)")', text).group(1))


def per_layer_charts(at) -> list[dict]:
    """The page's charts drawn against the layer number."""
    return [f for f in figures(at) if f["layout"].get("xaxis", {}).get("title", {})
            .get("text") == "layer"]


def drawn(tr: dict, depth: int, scale: float = 1.0) -> list[float | None]:
    """A trace's value at each layer 1..depth (None where it draws nothing)."""
    at = {int(round(x)): y for x, y in zip(xs(tr), ys(tr))}
    return [None if at.get(k) is None else at[k] / scale for k in range(1, depth + 1)]


def same(csv_values, chart_values, where: str) -> None:
    """Equal layer by layer, to the chart's float32, empty exactly where nothing is drawn."""
    assert [v is None for v in csv_values] == [v is None for v in chart_values], where
    a = np.array([v for v in csv_values if v is not None])
    b = np.array([v for v in chart_values if v is not None])
    assert a == pytest.approx(b, rel=2e-6, abs=1e-30), where


ON_A_LAYER_CHART = ("the curve", "the upper edge", "the lower edge", "1 on the layers marked")


def assert_csv_is_the_charts(at) -> PageCsv:
    """Every CSV column is a line the page draws against the layer (or the layers it
    marks), with the same numbers; and every named line of those charts is a column."""
    page_csv = csv_of(at)
    depth = len(next(iter(page_csv.columns.values())))
    charts = per_layer_charts(at)
    named = {t["name"]: (t, f) for f in charts for t in f["data"] if t.get("name")}
    covered = set()
    for column, text in page_csv.described.items():
        values, label = page_csv.columns[column], _label(text)
        if text.startswith(ON_A_LAYER_CHART):
            assert label in named, (column, label, list(named))
            covered.add(label)
            tr, fig = named[label]
        if text.startswith("the curve"):
            same(values, drawn(tr, depth, 100.0 if "draws it in %" in text else 1.0), column)
        elif text.startswith("the upper edge"):
            same(values, drawn(tr, depth), column)
        elif text.startswith("the lower edge"):        # the unnamed line the fill starts from
            same(values, drawn(fig["data"][fig["data"].index(tr) - 1], depth), column)
        elif text.startswith("1 on the layers marked"):
            assert [k + 1 for k, v in enumerate(values) if v == 1] == xs(tr), column
            assert set(values) <= {0.0, 1.0}, column
    assert covered == set(named), f"lines drawn but not in the CSV: {set(named) - covered}"
    return page_csv
