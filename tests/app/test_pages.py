"""Every page of the registry (ui.pages) opens at its own address, as a link names it, and
draws its own title; the links a page shows point at registry pages."""

import pytest
from streamlit.util import calc_hash

from ui.pages import BY_PATH, PAGES

from .helpers import no_exceptions, open_page, tanh

# tanh: the Saturation page titles itself after the activation ("tanh saturation")
SMALL = tanh(depth=6, width=32, batch=64, train_steps=100)


def main_title(at) -> str:
    return next(t.value for t in at.title if t.value != "Layerscope")   # the sidebar's


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_a_pages_address_opens_it(page):
    at = open_page(page.url_path, timeout=180, **SMALL)
    no_exceptions(at)
    assert main_title(at) == page.title


def test_the_bare_address_opens_the_first_page():
    at = open_page(None, **SMALL)
    no_exceptions(at)
    assert main_title(at) == PAGES[0].title


@pytest.mark.parametrize("url_path, params", [
    ("variance", {}),                                    # the opening demo: see gradients
    ("gradients", SMALL | {"weight_var": 1.0}),          # saturated: see Saturation
    ("saturation", {"activation": "relu", "bias_var": 1.0}),     # dead units elsewhere
    ("lessons", {}),
])
def test_a_pages_links_lead_to_registry_pages(url_path, params):
    at = open_page(url_path, **params)
    no_exceptions(at)
    links = at.get("page_link")
    assert links
    for link in links:
        target = BY_PATH[link.proto.page]
        assert link.proto.page_script_hash == calc_hash(target.url_path)   # what opens it
        if link.proto.label.startswith("See it on"):
            assert link.proto.label == f"See it on: {target.title}"
            assert link.proto.icon == target.icon
