"""core.experiments.trainability: the unigram baseline against a count of the names
themselves, a tiny sweep and its progress, and the stored grid: complete, consistent
with the code that made it, and showing the order-to-chaos picture."""

import json
import math
from collections import Counter

import numpy as np
import pytest
import threadpoolctl
from hypothesis import given, strategies as st

from core import data
from core.experiments import trainability as tr
from core.theory import critical_sigma_w2, depth_scales

TINY = tr.Setup(width=8, steps=30, batch=4)


def training_names(split_seed: int = 0) -> list[str]:
    """The training names as core.data documents the split: sorted names shuffled with
    the seed, the first 90 %."""
    names = sorted(data.NAMES_FILE.read_text().split())
    order = np.random.default_rng(split_seed).permutation(names)
    return list(order[:int(round(len(order) * 0.9))])


def test_unigram_entropy_is_the_entropy_of_the_letters_and_name_ends():
    # every character of a training name is predicted once, and its end ("." once a name)
    names = training_names()
    counts = Counter("".join(names)) + Counter({".": len(names)})
    n = sum(counts.values())
    expected = -sum(c / n * math.log(c / n) for c in counts.values())
    assert tr.unigram_entropy() == pytest.approx(expected, rel=1e-12)
    assert expected < math.log(27)


@given(st.lists(st.floats(0.01, 1.0), min_size=27, max_size=27))
def test_no_input_blind_prediction_beats_the_unigram_entropy(weights):
    q = np.array(weights) / sum(weights)
    y = data.load(0).train_y
    assert -np.mean(np.log(q[y])) >= tr.unigram_entropy() - 1e-12


def test_unigram_valid_loss_scores_the_validation_names_with_the_training_frequencies():
    names = training_names()
    counts = Counter("".join(names)) + Counter({".": len(names)})
    n = sum(counts.values())
    valid = [name for name in sorted(data.names()) if name not in set(names)]
    targets = "".join(valid) + "." * len(valid)
    expected = -sum(math.log(counts[c] / n) for c in targets) / len(targets)
    assert tr.unigram_valid_loss() == pytest.approx(expected, rel=1e-12)


def test_a_cell_has_the_sigma_w2_and_bias_variance_asked():
    spec = tr.cell_spec(7, 1.3, tr.Setup(width=32))
    assert spec.sigma_w2 == pytest.approx(1.3)
    assert (spec.depth, spec.width, spec.activation, spec.bias_var) == (7, 32, "tanh", 0.05)


@pytest.fixture(scope="module")
def tiny():
    seen = []
    return tr.sweep((2, 3), (1.0, 2.0), TINY, progress=seen.append), seen


def test_a_tiny_sweep_finishes_with_finite_losses_and_monotone_progress(tiny):
    grid, seen = tiny
    assert grid.valid_loss_by_seed.shape == (2, 2, 2) and grid.valid_loss.shape == (2, 2)
    assert np.isfinite(grid.valid_loss_by_seed).all()
    assert (grid.steps_done == TINY.steps).all()
    assert len(seen) > 8                                  # reported while each run trains
    assert all(b >= a for a, b in zip(seen, seen[1:]))
    assert seen[-1] == 1.0 and 0 < seen[0] < 1


def test_seeds_are_different_networks_and_a_cell_is_their_mean(tiny):
    grid, _ = tiny
    assert (grid.valid_loss_by_seed[0] != grid.valid_loss_by_seed[1]).all()
    np.testing.assert_allclose(grid.valid_loss, grid.valid_loss_by_seed.sum(axis=0) / 2)


def test_a_column_is_the_grid_s_column(tiny):
    grid, _ = tiny
    np.testing.assert_array_equal(tr.column(2.0, (2, 3), TINY), grid.valid_loss[:, 1])


def test_worker_processes_train_the_same_grid(tiny):
    grid, _ = tiny
    seen = []
    parallel = tr.sweep((2, 3), (1.0, 2.0), TINY, progress=seen.append, workers=2)
    np.testing.assert_array_equal(parallel.valid_loss_by_seed, grid.valid_loss_by_seed)
    assert all(b >= a for a, b in zip(seen, seen[1:])) and seen[-1] == 1.0


def test_column_cost_counts_every_run_and_grows_with_depth_and_steps():
    one = [tr.run_macs(d, TINY) for d in (2, 4)]
    assert tr.column_macs((2, 4), TINY) == pytest.approx(2 * sum(one))     # two seeds
    assert tr.column_macs((2, 4), tr.Setup(width=8, steps=30, batch=4, seeds=(0,))) \
        == pytest.approx(sum(one))
    assert one[1] > one[0]
    assert tr.run_macs(2, tr.Setup(width=8, steps=60, batch=4)) > one[0]


def test_progress_reaches_one_for_an_empty_column():
    seen = []
    assert tr.column(1.0, (), TINY, progress=seen.append).shape == (0,)
    assert seen == [1.0]


def test_a_run_that_explodes_stops_and_is_stored_as_not_finite(tmp_path):
    # relu at sigma_w2 = 8: the variance x4 a layer, 4^30 ~ 1e18 at the readout, and the
    # first step's gradients as large: training cannot go on
    setup = tr.Setup(activation="relu", width=8, steps=10, batch=4, seeds=(0,))
    grid = tr.sweep((30,), (8.0,), setup)
    assert grid.steps_done[0, 0, 0] < setup.steps
    assert not np.isfinite(grid.valid_loss_by_seed[0, 0, 0])
    stored = tr.to_json(grid, {"wall_seconds": 1.0})
    assert stored["valid_loss_by_seed"] == [[[None]]] and stored["valid_loss"] == [[None]]
    path = tmp_path / "g.json"
    path.write_text(tr.dumps(stored))
    back = tr.load(path)
    assert back.valid_loss_by_seed[0, 0, 0] == np.inf and not back.trains.any()


# -- the stored grid --------------------------------------------------------------------

@pytest.fixture(scope="module", params=tr.STORED_STEPS)
def each_raw(request):
    """Every stored grid's file, one per step count."""
    return json.loads(tr.stored(request.param).read_text())


@pytest.fixture(scope="module")
def raw():
    return json.loads(tr.STORED.read_text())


@pytest.fixture(scope="module")
def grid():
    return tr.load()


def test_the_page_s_grid_is_the_default_setup_s():
    assert tr.STORED == tr.stored(tr.Setup().steps) and tr.Setup().steps in tr.STORED_STEPS


def test_stored_file_is_complete(each_raw):
    raw = each_raw
    for key in ("depths", "sigma_w2", "valid_loss", "valid_loss_by_seed", "steps_done",
                "unigram_entropy", "unigram_valid_loss", "uniform_loss", "trained_below",
                "setup", "train_config", "seeds", "command", "wall_seconds", "cpu_seconds",
                "workers", "activation", "sigma_b2", "readout_scale"):
        assert key in raw, key
    steps = raw["setup"]["steps"]
    assert raw["command"] == tr.command(steps) and tr.stored(steps).name in raw["command"]
    # the same networks, seeds and grid in every file: only the step count differs
    assert tr.Setup(**dict(raw["setup"], seeds=tuple(raw["setup"]["seeds"]))) == \
        tr.Setup(steps=steps)
    assert (tuple(raw["depths"]), tuple(raw["sigma_w2"])) == (tr.GRID_DEPTHS, tr.GRID_SIGMA_W2)
    assert raw["activation"] == "tanh" and raw["sigma_b2"] == 0.05
    assert raw["seeds"] == {"networks": raw["setup"]["seeds"], "split": raw["setup"]["split_seed"]}
    assert raw["trained_below"] == tr.TRAINED_BELOW
    assert 0 < raw["wall_seconds"] < 3600 and 0 < raw["cpu_seconds"]


def test_stored_cell_losses_are_the_mean_of_the_stored_runs(grid, raw):
    np.testing.assert_allclose(raw["valid_loss"], grid.valid_loss, atol=1e-6)    # 6 decimals


def test_stored_grid_is_the_module_s_grid_and_setup(grid, raw):
    assert grid.depths == tr.GRID_DEPTHS and grid.sigma_w2 == tr.GRID_SIGMA_W2
    assert grid.setup == tr.Setup()
    from dataclasses import asdict
    assert raw["train_config"] == asdict(tr.train_config(grid.setup))
    assert raw["readout_scale"] == pytest.approx(1 / math.sqrt(grid.setup.width))


def test_stored_losses_are_finite_and_every_run_finished(grid):
    assert np.isfinite(grid.valid_loss_by_seed).all()
    assert (grid.steps_done == grid.setup.steps).all()
    # no cell beats makemore's MLP (~2.1 nats after full training), none is far above
    # the uniform guess
    assert ((grid.valid_loss > 2.0) & (grid.valid_loss < math.log(27) + 0.5)).all()


def test_stored_baselines_are_the_recomputed_ones(grid, raw):
    assert grid.unigram_entropy == tr.unigram_entropy(grid.setup.split_seed)
    assert grid.unigram_valid_loss == tr.unigram_valid_loss(grid.setup.split_seed)
    assert raw["uniform_loss"] == math.log(27)


def test_a_stored_run_is_what_training_it_again_gives(grid):
    # the shallowest, cheapest cell, trained as the command trains it (one BLAS thread);
    # another machine's BLAS kernels may round float32 differently, hence the tolerance,
    # far below what separates a cell that trains from one that does not
    j = grid.sigma_w2.index(1.76)
    with threadpoolctl.threadpool_limits(limits=1):
        loss, steps = tr.train_cell(grid.depths[0], 1.76, grid.setup, grid.setup.seeds[0])
    assert steps == grid.setup.steps
    assert loss == pytest.approx(grid.valid_loss_by_seed[0, 0, j], abs=0.01)


def test_deep_networks_train_only_near_the_critical_sigma_w2(grid):
    assert 1.3 <= critical_sigma_w2("tanh", 0.05) <= 2.5
    deepest = grid.learned[-1]
    assert 1.3 <= grid.sigma_w2[int(np.argmax(deepest))] <= 2.5
    # far in either phase the deepest networks learn nothing beyond the letter frequencies
    assert not grid.trains[-1, 0] and not grid.trains[-1, -1]
    assert grid.trains[-1].any()


def test_the_band_that_trains_widens_as_depth_falls(grid):
    assert grid.trains[0].all()           # at the shallowest depth, every sigma_w2
    widths = grid.trains.sum(axis=1)
    assert all(a >= b for a, b in zip(widths[:-1], widths[1:])), widths
    assert widths[0] > widths[-1]


def test_the_depth_that_trains_grows_toward_the_critical_sigma_w2(grid):
    # xi_c grows toward the edge of chaos from both sides, and with it the trainable depth
    critical = critical_sigma_w2("tanh", 0.05)
    reach = grid.trains.sum(axis=0)
    ordered = [r for s, r in zip(grid.sigma_w2, reach) if s < critical]
    chaotic = [r for s, r in zip(grid.sigma_w2, reach) if s > critical]
    assert all(a <= b for a, b in zip(ordered[:-1], ordered[1:])), ordered
    assert all(a >= b for a, b in zip(chaotic[:-1], chaotic[1:])), chaotic


def test_load_names_what_is_wrong_with_a_bad_file(tmp_path, raw):
    ragged = dict(raw, valid_loss_by_seed=raw["valid_loss_by_seed"][:-1])
    path = tmp_path / "g.json"
    path.write_text(json.dumps(ragged))
    with pytest.raises(ValueError, match="valid_loss_by_seed"):
        tr.load(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a trainability grid"):
        tr.load(path)
    path.write_text(json.dumps({k: v for k, v in raw.items() if k != "depths"}))
    with pytest.raises(ValueError, match="depths"):
        tr.load(path)


def test_the_boundary_lies_near_six_depth_scales(grid):
    # Schoenholz et al. 2017: networks train up to about 6 xi_c, a multiple that moves
    # with how long they train; within a factor of about 1.7 either way of it here
    xi = np.array([depth_scales("tanh", s, 0.05).xi_c for s in grid.sigma_w2])
    ratio = np.array(grid.depths)[:, None] / xi[None, :]
    assert grid.trains[ratio < 3.5].all()
    assert not grid.trains[ratio > 10].any()
    assert (ratio > 10).sum() >= 5 and (ratio < 3.5).sum() >= 30     # both sides tested


# -- how the boundary moves with the step count ------------------------------------------

def _sides(steps: int):
    from core.experiments import depth_scales as ds
    grid = tr.load(tr.stored(steps))
    xi = np.array([depth_scales("tanh", s, 0.05).xi_c for s in grid.sigma_w2])
    return ds.boundary_sides(grid.depths, grid.sigma_w2, grid.trains, xi,
                             critical_sigma_w2("tanh", 0.05), steps)


def test_longer_training_moves_the_ordered_boundary_deeper_and_not_the_chaotic_one():
    # what docs/depth_scales.md and the page say of the stored grids: on the ordered side
    # the multiple of xi_c grows with every doubling of the steps and at least doubles
    # from the shortest to the longest; on the chaotic side it stays within 3.5-4.5 xi_c
    # from 500 steps on
    sides = [_sides(s) for s in tr.STORED_STEPS]
    ordered = [float(np.median(b.ordered)) for b in sides]
    assert all(a <= b for a, b in zip(ordered[:-1], ordered[1:])), ordered
    assert ordered[-1] >= 2 * ordered[0], ordered
    chaotic = [float(np.median(b.chaotic)) for b in sides if b.steps >= 500]
    assert all(3.5 <= m <= 4.5 for m in chaotic), chaotic
