"""The frame around every page: page registry, sidebar controls, presets and notes.

`app.py` calls `main()`. Pages call `settings()` for the current NetworkSpec and
`page_guard()` first thing, which makes a deep link work on a fresh server (see there).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from core import initializers

from . import controls, presets

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageInfo:
    file: str          # under pages/; its stem is the URL path
    title: str
    icon: str
    prefix: str        # the page's own URL parameters are named "<prefix>_..."

    @property
    def url_path(self) -> str:
        return Path(self.file).stem


PAGES = (
    PageInfo("variance.py", "Variance through depth", "📈", "var"),
    PageInfo("saturation.py", "tanh saturation", "📊", "sat"),
    PageInfo("dead_neurons.py", "Dead neurons", "🟥", "dead"),
    PageInfo("gradients.py", "Gradient flow", "⬇️", "grad"),
    PageInfo("initialization.py", "Initialization", "🎛️", "init"),
    PageInfo("normalization.py", "Normalization", "⚖️", "norm"),
)
_run = threading.local()      # each session's script runs in its own thread


def _navigation():
    pages = [st.Page(str(ROOT / "pages" / p.file), title=p.title, icon=p.icon,
                     url_path=p.url_path, default=(i == 0))
             for i, p in enumerate(PAGES) if (ROOT / "pages" / p.file).exists()]
    return st.navigation(pages)


def main() -> None:
    """The entry point: configure, draw the shared sidebar, then run the chosen page."""
    # Emoji, not material icons, for page icons: the current page's icon becomes the
    # favicon, and a material-icon favicon is fetched from a font CDN that a classroom
    # behind a firewall (or an offline machine) cannot reach.
    st.set_page_config(page_title="Layerscope", layout="wide")
    nav = _navigation()
    notes = controls.sanitize_query_params(tuple(p.prefix for p in PAGES))
    values = sidebar()
    st.session_state["_settings"] = controls.to_spec(values)
    for note in notes:
        st.warning(note, icon=":material/link:")
    _run.in_shell = True
    try:
        nav.run()
    finally:
        _run.in_shell = False


def page_guard() -> None:
    """Make the first request of a fresh server work even when it is a deep link.

    Until st.navigation has run once in a process, Streamlit runs a file under pages/
    directly when its URL is asked for, skipping app.py and so the shared controls.
    When that happens, register the real navigation and rerun: the rerun goes through
    app.py, which shows the same page with its sidebar. (AppTest starts every run
    like a fresh server, so the app tests go through this path all the time.)"""
    if not getattr(_run, "in_shell", False):
        _navigation()
        st.rerun()


def settings() -> controls.Settings:
    got = st.session_state["_settings"]
    for note in got.notes:
        st.info(note, icon=":material/info:")
    return got


def sidebar() -> dict:
    """Draw every shared control in the sidebar; return their values by key."""
    bar = st.sidebar
    values = {}
    bar.title("Layerscope")
    _preset_picker(bar)
    notes = {}
    for c in controls.CONTROLS:
        if not c.advanced:
            values[c.key] = controls.draw(c, bar, disabled=_ignored(c.key, values))
            if c.key in ("weight_var", "init"):
                notes[c.key] = bar.empty()       # filled below, once the spec is known
    with bar.expander("Advanced"):
        for c in controls.CONTROLS:
            if c.advanced:
                values[c.key] = controls.draw(c, st)
    spec = controls.to_spec(values).spec
    notes["weight_var"].caption(f"fan_in × Var(W) = {spec.sigma_w2:.3g} per layer")
    notes["init"].caption(controls.init_caption(spec))
    preset = presets.matching(values)
    if preset is not None:
        bar.info(f"**{preset.name}.** {preset.look_for}", icon=":material/school:")
    return values


def _ignored(key: str, values: dict) -> bool:
    """Var(W) only matters to the custom init; the gain not to the gainless schemes."""
    init = values.get("init")
    if key == "weight_var":
        return init is not None and init != "custom"
    if key == "gain":
        return init in initializers.GAINLESS
    return False


def _apply_preset() -> None:
    name = st.session_state.get("_preset_choice")
    if name in presets.BY_NAME:
        controls.apply_values(presets.BY_NAME[name].values)
    st.session_state["_preset_choice"] = None


def _preset_picker(bar) -> None:
    bar.selectbox("Classroom demos", [p.name for p in presets.PRESETS], index=None,
                  placeholder="Pick a demo...", key="_preset_choice",
                  on_change=_apply_preset)

