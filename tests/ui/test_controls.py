"""The shared controls: URL values are checked, specs stay valid and live."""

import math

import pytest
from hypothesis import given, strategies as st

from core import NetworkSpec
from ui import capacity, controls, presets
from ui.controls import BY_KEY, CONTROLS, check_url_value, to_spec


# The app's own defaults: the variance lesson's first fact (the "Exploding" demo).
FIRST_FACT = dict(activation="linear", weight_var=1.0)


def test_defaults_make_the_core_default_spec_but_for_the_first_fact():
    assert to_spec(controls.defaults()).spec == NetworkSpec(**FIRST_FACT)
    assert presets.matching(controls.defaults()).name.startswith("Exploding")


def test_every_option_round_trips_through_its_url_text():
    for c in CONTROLS:
        for option in c.options:
            value, note = check_url_value(c, c.fmt(option))
            assert (value, note) == (option, None), (c.key, option)


@pytest.mark.parametrize("raw,expected", [("5000", 1024), ("-3", 2), ("1e9", 1024), ("7.6", 8)])
def test_out_of_range_width_is_clamped_with_a_note(raw, expected):
    value, note = check_url_value(BY_KEY["width"], raw)
    assert value == expected
    assert note is None if raw == "7.6" else ("out of range" in note and raw in note)


@pytest.mark.parametrize("raw", ["abc", "nan", "inf", "", "1,5"])
def test_garbage_number_resets_to_default(raw):
    value, note = check_url_value(BY_KEY["depth"], raw)
    assert value == BY_KEY["depth"].default
    assert "default" in note


def test_off_grid_weight_var_snaps_to_nearest_step_in_log_space():
    value, note = check_url_value(BY_KEY["weight_var"], "0.05")
    # nearest on the 20-per-decade log grid: 10^(-26/20) = 0.0501
    assert value == pytest.approx(10 ** (-26 / 20), rel=1e-3)
    assert "not one of the steps" in note
    value, _ = check_url_value(BY_KEY["weight_var"], "1e9")
    assert value == max(controls.WEIGHT_VARS)


def test_unknown_choice_resets_to_default():
    value, note = check_url_value(BY_KEY["activation"], "softmax")
    assert value == "linear" and "not a valid choice" in note
    value, note = check_url_value(BY_KEY["residual"], "maybe")
    assert value is False and "true or false" in note


def test_weight_var_grid_holds_the_lesson_values():
    for v in (1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0):
        assert v in controls.WEIGHT_VARS


def test_groups_that_do_not_divide_width_are_adjusted_with_a_note():
    values = controls.defaults() | dict(norm="group", width=100, groups=3)
    s = to_spec(values)
    assert s.spec.groups == 2 and 100 % s.spec.groups == 0
    assert any("divide" in n for n in s.notes)


def test_instance_norm_gets_spatial_positions():
    s = to_spec(controls.defaults() | dict(norm="instance", spatial=1))
    assert s.spec.spatial > 1 and s.notes


def test_heavy_settings_shrink_to_stay_live_and_keep_the_per_layer_factor():
    values = controls.defaults() | dict(depth=200, width=1024, batch=1024, spatial=16,
                                        weight_var=1.0)
    s = to_spec(values)
    sp = s.spec
    assert sp.depth == 200                      # depth is the lesson: it is never cut
    assert sp.batch < 1024 and sp.width < 1024
    assert any("batch" in n and "width" in n for n in s.notes)
    assert sp.depth * sp.width ** 2 <= capacity.SIDEBAR.weights
    assert sp.depth * sp.batch * sp.spatial * sp.width ** 2 <= capacity.SIDEBAR.macs
    assert sp.sigma_w2 == pytest.approx(1024 * 1.0)     # fan_in x Var(W) as asked


control_values = st.fixed_dictionaries({
    c.key: (st.sampled_from(c.options) if c.options
            else st.booleans() if c.kind == "toggle"
            else st.integers(int(c.lo), int(c.hi)) if c.kind == "int"
            else st.floats(c.lo, c.hi))
    for c in CONTROLS})


@given(control_values)
def test_any_combination_of_controls_gives_a_valid_spec(values):
    # NetworkSpec raises on anything undefined, so constructing it is the assertion;
    # the live-page budget must hold too.
    sp = to_spec(values).spec
    assert sp.depth * sp.width ** 2 <= capacity.SIDEBAR.weights or sp.width <= 16
    assert sp.depth * sp.batch * sp.spatial * sp.width ** 2 <= capacity.SIDEBAR.macs or sp.batch <= 8


def test_presets_only_use_known_controls_and_valid_values():
    for p in presets.PRESETS:
        assert set(p.values) <= set(BY_KEY), p.name
        for key, value in p.values.items():
            c = BY_KEY[key]
            if c.options:
                assert value in c.options, (p.name, key, value)
        to_spec(p.full_values())        # valid
        assert presets.matching(p.full_values()) is p


def test_preset_numbers_agree_with_the_lesson():
    # FACTS.md: 100^10 = 1e20 and (100 * 0.001)^10 = 1e-10.
    explode = to_spec(presets.BY_NAME["Exploding: N(0, 1) weights"].full_values()).spec
    vanish = to_spec(presets.BY_NAME["Vanishing: Var(W) = 0.001"].full_values()).spec
    assert math.log10(explode.sigma_w2 ** explode.depth) == pytest.approx(20)
    assert math.log10(vanish.sigma_w2 ** vanish.depth) == pytest.approx(-10)


def test_every_name_has_its_display_text():
    """One table per kind of name (ui.labels): a new scheme, norm or activation that the
    core grows without a label or formula fails here, not on a page."""
    from core import ACTIVATIONS, NORMS, SCHEMES
    from core.experiments import init_lineup
    from ui import labels
    assert set(labels.INIT_LABELS) == set(SCHEMES) == set(labels.SCHEME_FORMULAS)
    assert set(labels.NORM_LABELS) == set(NORMS) == set(labels.LINEUP_LABELS)
    in_torch = {r.activation for r in init_lineup.gain_rows("tanh") if r.in_pytorch}
    assert in_torch == set(labels.GAIN_FORMULAS) and in_torch <= set(ACTIVATIONS)


def test_defaults_and_ranges_come_from_the_spec():
    from dataclasses import fields

    from core.spec import RANGES, NetworkSpec
    spec_defaults = {f.name: f.default for f in fields(NetworkSpec)}
    for c in controls.CONTROLS:
        if c.key == "groups":
            assert c.default == 4          # defaults of the app's own
        elif c.key in FIRST_FACT:
            assert c.default == FIRST_FACT[c.key]
        elif c.key == "gain":
            assert c.default == "auto" and spec_defaults["gain"] is None
        else:
            assert c.default == spec_defaults[c.key], c.key
        if c.kind in ("int", "float") and c.key in RANGES:
            assert RANGES[c.key][0] <= c.lo <= c.hi <= RANGES[c.key][1]
    assert controls.to_spec(controls.defaults()).spec == NetworkSpec(groups=1, **FIRST_FACT)


SELECTS = [c for c in CONTROLS if c.kind == "select"]


def test_every_choice_and_alias_names_one_option_without_a_note():
    for c in SELECTS:
        for option in c.options:
            for name in (str(option), c.fmt(option), str(option).upper()):
                assert check_url_value(c, name) == (option, None), (c.key, name)
        for alias, option in controls.ALIASES.get(c.key, {}).items():
            assert option in c.options, (c.key, alias)
            assert check_url_value(c, alias) == (option, None), (c.key, alias)


@pytest.mark.parametrize("key,raw,option", [
    ("init", "kaiming_normal_", "kaiming_normal"),
    ("init", "torch.nn.init.xavier_uniform_", "xavier_uniform"),
    ("init", "orthogonal_", "orthogonal"),
    ("init", "Kaiming-Normal-Fan-Out", "kaiming_normal_fan_out"),
    ("norm", "BatchNorm", "batch"),
    ("norm", "batchnorm", "batch"),
    ("norm", "nn.BatchNorm2d", "batch"),
    ("norm", "LayerNorm", "layer"),
    ("norm", "nn.GroupNorm", "group"),
    ("norm", "InstanceNorm1d", "instance"),
    ("norm", "RMSNorm", "rms"),
    ("activation", "nn.LeakyReLU", "leaky_relu"),
    ("activation", "F.gelu", "gelu"),
    ("activation", "nn.Identity", "linear"),
    ("dtype", "torch.float16", "float16"),
    ("gain", "1.0", "1"),
])
def test_pytorch_names_and_spellings_read_as_the_choice(key, raw, option):
    assert check_url_value(BY_KEY[key], raw) == (option, None)


@given(st.sampled_from([(c, o) for c in SELECTS for o in c.options]),
       st.lists(st.sampled_from(["_", "-", " ", "__"]), min_size=1, max_size=3),
       st.booleans())
def test_case_and_separators_do_not_change_a_choice(pair, seps, upper):
    """A core name re-spelled (words joined by other separators, any case) is still it."""
    c, option = pair
    words = str(option).split("_")
    respelled = "".join(w + seps[i % len(seps)] for i, w in enumerate(words[:-1])) + words[-1]
    assert check_url_value(c, respelled.upper() if upper else respelled) == (option, None)


@pytest.mark.parametrize("key,raw", [("norm", "batchy"), ("init", "kaiming"),
                                     ("gain", "1.4142"), ("activation", "x" * 500)])
def test_a_name_of_no_option_or_of_several_still_gets_a_note(key, raw):
    value, note = check_url_value(BY_KEY[key], raw)
    assert value == BY_KEY[key].default and "not a valid choice" in note


def test_sidebars_that_differ_only_in_unused_fields_make_one_spec():
    """One spec, so one cached simulation (core.spec.canonical_values): LeCun reads no
    gain and no Var(W), no norm reads its gamma or groups, no residual its scale."""
    base = controls.defaults() | dict(init="lecun_normal", norm="none", residual=False)
    unused = dict(gain="2", weight_var=0.5, norm_gamma=2.0, groups=8, residual_scale=0.5)
    assert to_spec(base | unused).spec == to_spec(base).spec
    assert to_spec(base | dict(init="custom", weight_var=0.5)).spec != to_spec(base).spec
