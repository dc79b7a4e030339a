"""Shared AppTest helpers: open the app (optionally on a page, with URL parameters) and
read the plotted data back out of the Plotly figures."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import controls

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_app(page: str | None = None, timeout: float = 60, **params) -> AppTest:
    """Run the app as a browser would open a link: URL parameters first, then the page."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        control = controls.BY_KEY.get(key)
        at.query_params[key] = control.fmt(value) if control else str(value)
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def trace(fig: dict, name_part: str) -> dict:
    matches = [t for t in fig["data"] if name_part in (t.get("name") or "")]
    assert matches, f"no trace named like {name_part!r} in {[t.get('name') for t in fig['data']]}"
    return matches[0]


def ys(tr: dict) -> list:
    """A trace's y values, decoding Plotly's base64 typed arrays when present."""
    return _decode(tr["y"])


def xs(tr: dict) -> list:
    return _decode(tr["x"])


def _decode(v):
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            shape = [int(s) for s in str(v["shape"]).split(",")]
            arr = arr.reshape(shape)
        return arr.tolist()
    return v


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
