"""Every page of the app, declared once: its address, title and icon, the prefix of its own
URL parameters, the function that draws it and its tabs, the statistic groups it draws,
and the problems it shows best.

The shell registers them with `st.navigation`, `ui.links` points at them, `ui.cache`
runs what each draws, `ui.verdicts` sends each problem to its page, and a lesson step
opens a page's tab. A page's function and tabs live in views/ and are named here as
"module:attribute" (`pkgutil.resolve_name`): `views.functions` and `views.tabs` import
them for app.py, so nothing in ui/ imports a page.
"""

from __future__ import annotations

from dataclasses import dataclass

# The statistic groups (core.simulate.STAT_GROUPS) a page draws beyond the per-layer
# curves, which always come: a new setting costs a page only what it shows. dL/dW (a
# third of the matrix products) only for the page that draws it.
CURVES = ()


@dataclass(frozen=True)
class Page:
    url_path: str
    title: str
    icon: str
    prefix: str                        # its own URL parameters: "<prefix>_..."
    view: str                          # "module:function", called with the Settings
    stats: tuple[str, ...] = CURVES    # what it asks core.simulate for
    tabs: str | None = None            # "module:dict" of its tabs, {title: function}
    shows: tuple[str, ...] = ()        # the problems (Diagnosis.problems) it shows best

    @property
    def tab_key(self) -> str | None:
        """The URL parameter that names the open tab."""
        return f"{self.prefix}_view" if self.tabs else None


# Emoji, not material icons: the current page's icon becomes the favicon, and a
# material-icon favicon is fetched from a font CDN that a classroom behind a firewall
# (or an offline machine) cannot reach. The first page is the one "/" opens.
PAGES = (
    Page("variance", "Variance through depth", "📈", "var", "views.variance:page",
         shows=("exploding", "vanishing", "overflow", "underflow")),
    Page("saturation", "tanh saturation", "📊", "sat", "views.saturation:page",
         stats=("histograms", "threshold_grid"), shows=("saturated",)),
    Page("dead_neurons", "Dead neurons", "🟥", "dead", "views.dead_neurons:page",
         stats=("heatmaps", "threshold_grid"), shows=("dead",)),
    Page("gradients", "Gradient flow", "⬇️", "grad", "views.gradients:page",
         stats=("weight_grads", "grad_histograms"),
         shows=("gradients_exploding", "gradients_vanishing")),
    Page("initialization", "Initialization", "🎛️", "init", "views.initialization:page",
         tabs="views.initialization:TABS"),
    Page("normalization", "Normalization", "⚖️", "norm", "views.normalization:page",
         tabs="views.normalization:TABS"),
    Page("training", "Training", "🏋️", "train", "views.training:page",
         tabs="views.training:TABS"),
    Page("depth_scales", "Depth scales", "📏", "depth", "views.depth_scales:page",
         tabs="views.depth_scales:TABS"),
    Page("lessons", "Lessons", "🎓", "lesson", "views.lessons:page"),
)
BY_PATH = {p.url_path: p for p in PAGES}
PREFIXES = tuple(p.prefix for p in PAGES)
PROBLEM_PAGES = {problem: p.url_path for p in PAGES for problem in p.shows}
