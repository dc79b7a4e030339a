"""Dead-neuron maps on synthetic boolean maps: codes, the dead strip, cropping, panels."""

import json

import numpy as np

from figures.heatmaps import (ACTIVE, DEAD, SATURATED, SMALL_ROWS, SMALL_UNITS, cell_codes,
                              count_label, dead_map_figure, small_multiples, strip_codes)

from .test_histograms import arr

RNG = np.random.default_rng(0)
SAT = RNG.random((100, 300)) > 0.6
DEAD_FLAGS = np.zeros(300, dtype=bool)
DEAD_FLAGS[[3, 50, 299]] = True
SAT[:, DEAD_FLAGS] = True                      # a dead unit is saturated on every example


def test_codes_mark_dead_columns_apart():
    codes = cell_codes(SAT[:, :256], DEAD_FLAGS)
    assert codes.dtype == np.uint8 and codes.shape == (100, 256)
    assert (codes[:, 3] == DEAD).all() and (codes[:, 50] == DEAD).all()
    live = ~DEAD_FLAGS[:256]
    assert ((codes[:, live] == SATURATED) == SAT[:, :256][:, live]).all()
    assert ((codes[:, live] == ACTIVE) == ~SAT[:, :256][:, live]).all()
    # a dead flag with an unsaturated cell (another threshold) stays active there
    odd = cell_codes(np.array([[False, True]]), np.array([True, True]))
    assert odd.tolist() == [[ACTIVE, DEAD]]


def test_strip_is_the_dead_flags():
    assert strip_codes(DEAD_FLAGS, 256).tolist() == [[DEAD if d else ACTIVE
                                                     for d in DEAD_FLAGS[:256]]]


def test_dead_map_figure_has_strip_and_map():
    f = json.loads(dead_map_figure(SAT[:, :256], DEAD_FLAGS, 7, "saturated").to_json())
    strip, grid = f["data"]
    s, z = arr(strip["z"]), arr(grid["z"])
    assert s.dtype == np.uint8 and z.dtype == np.uint8
    assert (s[0] == DEAD) .tolist() == DEAD_FLAGS[:256].tolist()
    assert ((z > 0) == SAT[:, :256]).all()
    assert z.shape == (100, 256)
    title = f["layout"]["title"]["text"]
    assert "Layer 7" in title and "3 of 300 units dead (1.0%)" in title
    assert "first 256 of 300" in f["layout"]["xaxis"]["title"]["text"]
    assert strip["yaxis"] == "y2" and grid.get("yaxis", "y") == "y"   # strip above the map
    assert f["layout"]["yaxis2"]["domain"][0] > f["layout"]["yaxis"]["domain"][1]


def test_small_multiples_crop_and_mark_missing_layers():
    maps = [(1, SAT, DEAD_FLAGS), (5, SAT[:10, :20], DEAD_FLAGS[:20]), (9, None, DEAD_FLAGS)]
    f = json.loads(small_multiples(maps, "off").to_json())
    assert len(f["data"]) == 2                          # no trace for the inf/NaN panel
    z0 = arr(f["data"][0]["z"])
    assert z0.shape == (SMALL_ROWS, SMALL_UNITS)
    assert ((z0 > 0) == SAT[:SMALL_ROWS, :SMALL_UNITS]).all()
    assert arr(f["data"][1]["z"]).shape == (10, 20)
    texts = [a["text"] for a in f["layout"]["annotations"]]
    assert "layer 1: 1% dead" in texts and "layer 9: inf/NaN" in texts
    assert "no finite values" in texts


def test_small_multiples_size_stays_small():
    maps = [(k, np.ones((100, 256), dtype=bool), np.ones(256, dtype=bool)) for k in range(6)]
    fig = small_multiples(maps, "saturated")
    assert len(fig.to_json()) < 80_000                  # 6 panels of uint8 codes
    assert len(fig.data) == 6


def test_count_label():
    assert count_label(DEAD_FLAGS) == "3 of 300"
    assert count_label(np.zeros((4, 5), dtype=bool)) == "0 of 20"
