"""The table of the stored trainability grids in docs/depth_scales.md is written from the
grids themselves and checked against them, so it cannot go stale. Rewrite it with

    .venv/bin/python -m tests.experiments.test_trainability_docs
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.experiments import depth_scales as ds
from core.experiments import trainability as tr
from core.theory import critical_sigma_w2, depth_scales

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "depth_scales.md"
BEGIN, END = "<!-- grids: begin -->", "<!-- grids: end -->"


def _side(m: np.ndarray) -> str:
    if m.size == 0:
        return "—"
    return f"{np.median(m):.1f} ({m.min():.1f}–{m.max():.1f}, {m.size} columns)"


def table() -> str:
    """One row per stored grid: its steps, its cost, and where training stops on each
    side of the critical sigma_w2, in units of xi_c (core.experiments.depth_scales.
    boundary_sides)."""
    rows = ["| steps | wall s (2 processes) | CPU s | ordered side: median ξ_c multiple "
            "(range) | chaotic side | trains (of 90 cells) |", "|---|---|---|---|---|---|"]
    critical = critical_sigma_w2(tr.ACTIVATION, tr.SIGMA_B2)
    for steps in tr.STORED_STEPS:
        raw = json.loads(tr.stored(steps).read_text())
        grid = tr.load(tr.stored(steps))
        xi = np.array([depth_scales(tr.ACTIVATION, s, tr.SIGMA_B2).xi_c for s in grid.sigma_w2])
        b = ds.boundary_sides(grid.depths, grid.sigma_w2, grid.trains, xi, critical, steps)
        rows.append(f"| {steps} | {raw['wall_seconds']:.0f} | {raw['cpu_seconds']:.0f} | "
                    f"{_side(b.ordered)} | {_side(b.chaotic)} | {int(grid.trains.sum())} |")
    return "\n".join(rows)


def _between(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def test_the_documented_grids_are_the_stored_ones():
    assert _between(DOC.read_text()) == table(), \
        "docs/depth_scales.md is stale: python -m tests.experiments.test_trainability_docs"


if __name__ == "__main__":
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    DOC.write_text(head + BEGIN + "\n" + table() + "\n" + END + rest.split(END, 1)[1])
    print(f"wrote {DOC.relative_to(ROOT)}")
