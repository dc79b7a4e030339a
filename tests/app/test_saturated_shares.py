"""Every saturated share a page states names the cutoff it was counted at, and shares at
the same cutoff agree: the app counts saturation at 0.97 (spec.saturation_threshold) and
dead units at 0.99 (spec.dead_threshold), and both can appear on one screen."""

from __future__ import annotations

import re

import pytest

from core import simulate

from .helpers import no_exceptions, open_page, spec_for

# The dead-neuron page on a tanh network whose last layer is saturated past both cutoffs
# in different shares (about a third past 0.99, nearly half past 0.97).
NETWORK = dict(activation="tanh", weight_var=0.1, depth=10)
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
CUTOFF = re.compile(r"\|value\| > (0\.\d+)")
LAYER = re.compile(r"at layer (\d+)")


def saturated_shares(at) -> list[tuple[str, float | None, str]]:
    """(the text, the cutoff it names or None, the percentage as shown) for every metric
    and every line of text on the page that states a share of values saturated."""
    texts = [(f"{m.label}: {m.value}", m.value) for m in at.metric]
    texts += [(t.value, t.value) for t in [*at.markdown, *at.caption]]
    found = []
    for text, where in texts:
        share = PERCENT.search(where)
        if "saturated" in text.lower() and share:
            cut = CUTOFF.search(text)
            found.append((text, float(cut.group(1)) if cut else None, share.group(1)))
    return found


@pytest.mark.parametrize("page, params, cutoffs", [
    ("dead_neurons", {}, {0.97, 0.99}),              # the map's 0.99 and the verdict's 0.97
    ("saturation", {"sat_threshold": 0.99}, {0.99}),
], ids=["dead_neurons", "saturation"])
def test_every_saturated_share_names_its_cutoff_and_is_cores(page, params, cutoffs):
    at = open_page(page, **NETWORK, **params)
    no_exceptions(at)
    res = simulate(spec_for(**NETWORK))
    shares = saturated_shares(at)
    assert len(shares) >= 2, shares
    unnamed = [text for text, cut, _ in shares if cut is None]
    assert not unnamed, unnamed
    by_cut: dict[tuple[float, int], list[float]] = {}
    for text, cut, shown in shares:
        # core's share at the cutoff it names, at the layer it names (else the last),
        # to the digits shown
        layer = int(LAYER.search(text).group(1)) if LAYER.search(text) else NETWORK["depth"]
        step = 10.0 ** -len(shown.partition(".")[2])
        assert float(shown) == pytest.approx(100 * res.saturated_frac_at(cut)[layer - 1],
                                             abs=step / 2 + 1e-9), text
        by_cut.setdefault((cut, layer), []).append(float(shown))
    assert {cut for cut, _ in by_cut} == cutoffs, shares
    for key, values in by_cut.items():               # equal, to the coarsest rounding
        assert max(values) - min(values) <= 0.5, (key, values)
