"""The sidebar's "Reset to defaults": every control at its default, the link cleared."""

from ui import controls

from .helpers import no_exceptions, open_page

WIDGETS = {"int": "slider", "float": "slider", "steps": "select_slider",
           "select": "selectbox", "toggle": "toggle"}


def _reset(at):
    at.button(key="_reset_defaults").click()
    at.run()
    no_exceptions(at)


def test_reset_puts_the_sidebar_controls_and_the_link_back_to_the_defaults():
    at = open_page(depth=37, activation="relu", weight_var=0.01, residual=True)
    assert at.slider(key="depth").value == 37 and "depth" in at.query_params
    _reset(at)
    for c in controls.CONTROLS:
        (w,) = [w for w in at.get(WIDGETS[c.kind]) if w.key == c.key]
        assert w.value == c.default, c.key
    assert not set(at.query_params) & set(controls.BY_KEY), dict(at.query_params)
    at.run()                                    # and they stay there on the next run
    assert at.slider(key="depth").value == controls.BY_KEY["depth"].default
    assert "depth" not in at.query_params


def test_reset_puts_a_page_control_back_and_keeps_the_page():
    at = open_page("saturation", activation="tanh", sat_count=2, sat_threshold=0.9)
    assert at.slider(key="sat_count").value == 2 and "sat_count" in at.query_params
    _reset(at)
    assert at.slider(key="sat_count").value == 5 and "sat_count" not in at.query_params
    assert "sat_threshold" not in at.query_params and "activation" not in at.query_params
    assert at.title[0].value != "Variance through depth"        # still on its page


def test_in_a_lesson_the_step_sets_the_controls_so_reset_is_off():
    at = open_page("lessons", lesson="variance_law", step=1)
    no_exceptions(at)
    assert at.button(key="_reset_defaults").disabled
    assert not open_page().button(key="_reset_defaults").disabled
