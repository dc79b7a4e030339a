"""ui.capacity is the one owner of the server's limits: the code that asks reads each
limit from there when it runs (a change there changes what the page does), and every
comparison the pages compute is fitted to the view limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core import NetworkSpec, train
from core.experiments import budget
from ui import cache, capacity, compute, controls, load, training_request as request
from ui.training_ledger import Ledger

# The sidebar's heaviest network, as the sidebar fits it.
HEAVIEST = controls.to_spec(controls.defaults() | dict(depth=200, width=1024, batch=1024,
                                                       spatial=16)).spec


def test_the_sidebar_reads_its_limits_from_capacity(monkeypatch):
    values = controls.defaults() | dict(depth=20, width=512, batch=64)
    assert controls.to_spec(values).spec.width == 512
    monkeypatch.setattr(capacity, "SIDEBAR", replace(capacity.SIDEBAR, weights=20 * 64**2))
    assert controls.to_spec(values).spec.width == 64        # halved until 20 x 64^2 fits


def test_busy_reads_its_threshold_from_capacity(monkeypatch):
    monkeypatch.setattr(capacity, "BUSY_SCRIPTS", 0)
    assert not load.busy()
    with load.running():
        assert load.busy()


def test_a_training_request_reads_its_limits_from_capacity(monkeypatch):
    monkeypatch.setattr(request, "LEDGER", Ledger(capacity.SERVER_TRAIN_BYTES))
    specs, config = [NetworkSpec()], train.TrainConfig()
    _, (_, full, fixes, limit) = request.reserve(specs, config).value
    assert full.steps == config.steps and fixes == () and limit == capacity.TRAIN_REQUEST_BYTES
    half = train.train_macs(specs, config) / 2
    monkeypatch.setattr(capacity, "TRAIN_REQUEST_MACS", half)
    monkeypatch.setattr(capacity, "TRAIN_REQUEST_BYTES", 64 * 2**20)
    _, (_, cut, _, limit) = request.reserve(specs, config).value
    assert cut.steps < config.steps and train.train_macs(specs, cut) <= half
    assert limit == 64 * 2**20


def _in_this_thread(fn, *args, check=None, **kwargs):
    return fn(*args, **kwargs)


COMPARISONS = {
    "seed band": lambda s: cache.seed_band(s)[1],
    "init schemes": lambda s: cache.schemes(s)[1],
    "norm lineup": lambda s: cache.norm_lineup_runs(s, 4).fixes,
    "gamma and beta": lambda s: cache.affine_runs(s, "batch", 2.0, 0.5, 4).fixes,
    "batch dependence": lambda s: cache.batch_dependence_runs(s, 4).shrunk,
    "train vs eval": lambda s: cache.train_eval(s, 10).shrunk,
}


@pytest.mark.parametrize("name", COMPARISONS)
def test_every_comparison_is_fitted_to_the_view_limits(monkeypatch, name):
    """The sidebar's heaviest network is within the sidebar's limits, not a comparison's:
    every comparison shrinks it, and says so."""
    monkeypatch.setattr(compute, "run", _in_this_thread)
    fixes = COMPARISONS[name](HEAVIEST)
    assert fixes and all(f.why == "budget" for f in fixes[:1])
    assert budget.fit(HEAVIEST, 1, capacity.SIDEBAR) == (HEAVIEST, ())
