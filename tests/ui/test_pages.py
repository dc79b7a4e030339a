"""The page registry (ui.pages): declared once, read by ui/ without ui/ importing a page,
and every name in it leads somewhere."""

from __future__ import annotations

import ast
import itertools
import math
from pathlib import Path
from pkgutil import resolve_name

import pytest

from core.experiments.diagnose import Diagnosis, Trend
from ui import presets
from ui.pages import BY_PATH, PAGES, PROBLEM_PAGES

UI = Path(__file__).resolve().parents[2] / "ui"
IMPORTERS = {"import_module", "resolve_name", "__import__"}


def imports_of_views(source: str) -> list[str]:
    """Where a module's code imports views/: an import statement, or a call that imports
    by name (importlib.import_module, pkgutil.resolve_name, __import__)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "views"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] if node.module.split(".")[0] == "views" else []
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            found += [f"{name}(...)"] if name in IMPORTERS else []
    return found


def test_the_scan_sees_every_way_of_importing():
    assert imports_of_views("from views import variance") == ["views"]
    assert imports_of_views("import views.lessons as l") == ["views.lessons"]
    assert imports_of_views("import importlib\nimportlib.import_module('views.x')")
    assert imports_of_views("from pkgutil import resolve_name\nresolve_name('views.x:page')")
    assert imports_of_views("from .views import x\nimport viewsy") == []


@pytest.mark.parametrize("path", sorted(UI.glob("*.py")), ids=lambda p: p.name)
def test_nothing_in_ui_imports_views(path):
    assert imports_of_views(path.read_text(encoding="utf-8")) == []


def test_addresses_prefixes_and_tab_keys_are_each_one_pages():
    for field in ("url_path", "title", "prefix", "tab_key"):
        values = [getattr(p, field) for p in PAGES if getattr(p, field) is not None]
        assert len(set(values)) == len(values), field
    # one page's prefix is never the start of another's parameters
    for a, b in itertools.permutations(PAGES, 2):
        assert not a.prefix.startswith(b.prefix + "_"), (a.prefix, b.prefix)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_every_page_names_its_function_and_its_tabs(page):
    assert callable(resolve_name(page.view))
    assert page.view.startswith("views.") and (page.tabs or "views.").startswith("views.")
    if page.tabs:
        tabs = resolve_name(page.tabs)
        assert tabs and all(isinstance(t, str) and t for t in tabs)
        assert all(callable(f) for f in tabs.values())


def _every_diagnosis():
    """Diagnoses with every forward and backward kind, saturated or not, dead or not."""
    kinds = ("stable", "exploding", "vanishing", "zero", "overflow", "underflow")
    for fwd, bwd, saturated, dead in itertools.product(kinds, kinds, (0.0, 1.0), (0.0, 1.0)):
        yield Diagnosis(Trend(fwd, math.nan, 0.0), Trend(bwd, math.nan, 0.0), saturated,
                        dead, True, 0.97)


def test_every_problem_the_diagnosis_names_has_one_page_that_shows_it():
    named = {name for d in _every_diagnosis() for name in d.problems}
    shown = [name for p in PAGES for name in p.shows]
    assert sorted(shown) == sorted(named)          # each once, and nothing else
    assert set(PROBLEM_PAGES) == named


def test_every_demo_opens_a_page_of_the_registry():
    assert {p.page for p in presets.PRESETS} <= set(BY_PATH)
    for p in presets.PRESETS:
        if p.tab is not None:
            assert BY_PATH[p.page].tabs and p.tab in resolve_name(BY_PATH[p.page].tabs), p.name
