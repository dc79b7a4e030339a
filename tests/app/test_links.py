"""Links: URL text is never Markdown or HTML, and the address bar always shows the view."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from ui import controls

from .helpers import APP, no_exceptions, open_page

CODE_SPAN = re.compile(r"(`+) .*? \1")


def outside_code(note: str) -> str:
    """The note without its inline code, where URL text is shown as plain text."""
    return CODE_SPAN.sub("", note)


@pytest.mark.parametrize("params", [
    {"depth": "[click here to log in](https://evil.example/login)"},
    {"[key](https://evil.example/k)": "1"},
    {"width": "![x](https://evil.example/pixel.png)"},
    {"activation": "<img src=https://evil.example/p.png>"},
    {"dtype": ":red[**alarm**] :material/warning:"},
])
def test_url_text_is_shown_inert(params):
    at = open_page(**params)
    no_exceptions(at)
    notes = [w.value for w in at.warning]
    assert notes, "a bad link gets a note"
    for note in notes:
        rest = outside_code(note)
        assert not any(c in rest for c in "[]<>`"), note     # no link, image, tag, :directive[
        assert "evil" not in rest and "material/" not in rest, note


def test_a_page_section_from_the_url_is_inert():
    at = open_page("initialization", init_view="[x](https://evil.example)")
    no_exceptions(at)
    (note,) = [w.value for w in at.warning]
    assert "evil" not in outside_code(note) and "evil" in note
    assert "init_view" not in at.query_params


def test_clamped_values_are_written_back_to_the_url():
    at = open_page(width="5000", depth="-4", weight_var="banana", zzz="1")
    assert "zzz" not in at.query_params                    # an unknown key is dropped
    no_exceptions(at)
    assert at.query_params["width"] == "1024"              # clamped to the top
    assert at.query_params["depth"] == "1"                 # clamped to the bottom
    assert "weight_var" not in at.query_params             # reset to the default: no param
    assert at.slider(key="width").value == 1024 and at.slider(key="depth").value == 1


def test_a_value_between_steps_is_written_as_the_step_used():
    at = open_page(weight_var="0.05")
    assert at.select_slider(key="weight_var").value == 0.05012
    assert at.query_params["weight_var"] == "0.05012"


def test_layer_pickers_follow_a_growing_depth():
    """At "the last layer", a picker stays at the last layer as the depth grows (and
    shrinks); once moved off it, it keeps its place."""
    at = open_page("saturation", depth=10)
    for depth in (71, 30, 50):
        at.slider(key="depth").set_value(depth)
        at.run()
        assert at.slider(key="sat_last").value == depth
    at.slider(key="sat_last").set_value(20)
    at.run()
    at.slider(key="depth").set_value(60)
    at.run()
    assert at.slider(key="sat_last").value == 20


def test_dead_neurons_layer_follows_the_depth():
    at = open_page("dead_neurons", depth=10, activation="relu")
    at.slider(key="depth").set_value(40)
    at.run()
    assert at.slider(key="dead_layer").value == 40
    assert any(m.label == "Dead units at layer 40" for m in at.metric)


def test_a_key_the_link_repeats_is_read_once_at_its_last_value():
    """A link that names a control twice opens at the last value, with a note when the
    two differ, and the address bar names it once."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(depth=["12", "30"], width=["64", "64"], activation="tanh")
    at.run()
    no_exceptions(at)
    assert at.slider(key="depth").value == 30 and at.slider(key="width").value == 64
    notes = [w.value for w in at.warning]
    assert len(notes) == 1 and "2 times" in notes[0] and "30" in notes[0]   # depth's only
    assert at.query_params["depth"] == "30" and at.query_params["width"] == "64"


@pytest.mark.parametrize("key,raw,option", [
    ("init", "kaiming_normal", "kaiming_normal"),
    ("init", "kaiming_normal_", "kaiming_normal"),
    ("norm", "batch", "batch"),
    ("norm", "nn.BatchNorm1d", "batch"),
    ("activation", "GELU", "gelu"),
])
def test_a_choice_named_as_in_the_code_or_pytorch_opens_without_a_note(key, raw, option):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params[key] = raw
    at.run()
    no_exceptions(at)
    assert at.selectbox(key=key).value == option
    assert not [w.value for w in at.warning if "valid choice" in w.value]
    assert at.query_params[key] == controls.BY_KEY[key].fmt(option)   # as the widget writes it


def test_an_unknown_choice_still_gets_a_note_and_the_default():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["init"] = "kaiming_normalish"
    at.run()
    no_exceptions(at)
    assert at.selectbox(key="init").value == controls.BY_KEY["init"].default
    (note,) = [w.value for w in at.warning]
    assert "not a valid choice" in note and "init" not in at.query_params
