"""The presenter's bring-into-view script: only plain names reach it, and every
placeholder of the script is filled."""

from __future__ import annotations

import re

import pytest

from ui import present


class _Page:
    """Stands in for st: keeps what would be drawn."""

    def __init__(self):
        self.bodies = []

    def html(self, body, unsafe_allow_javascript=False):
        assert unsafe_allow_javascript
        self.bodies.append(body)


@pytest.mark.parametrize("container, view", [
    ('lesson_chart"); alert(1); ("', "a-1"),
    ("lesson_chart", "</script><script>alert(1)"),
    ("lesson_chart", ""),
    ("lesson chart", "a-1"),
    ("lesson_chart", "x" * 81),
])
def test_a_name_that_is_not_plain_never_reaches_the_script(container, view):
    page = _Page()
    with pytest.raises(ValueError, match="not a plain name"):
        present.bring_into_view(container, view, chart=True, where=page)
    assert page.bodies == []


@pytest.mark.parametrize("chart, mode", [(True, "chart"), (False, "top")])
def test_the_script_names_its_container_view_and_mode(chart, mode):
    page = _Page()
    present.bring_into_view("lesson_chart", "variance_law_2-3-1-chart", chart, where=page)
    (body,) = page.bodies
    assert body.startswith("<script>") and body.endswith("</script>")
    assert body.count("</script>") == 1
    assert re.search(r'const id = "variance_law_2-3-1-chart", mode = "(\w+)"', body)[1] == mode
    assert ".st-key-lesson_chart" in body
    assert not re.search(r"__[A-Z]+__", body)
