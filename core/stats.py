"""Per-layer statistics of scaled tensors: moments, histograms, saturation and dead units.

Everything here reads a stored array together with its log10 scale (`core.scaled`) and
returns numbers in true units (or their log10), so callers never see the bookkeeping.

>>> import numpy as np
>>> moments(np.array([1.0, -1.0, 1.0, -1.0]), 100.0)     # values +-1e100
(0.0, 200.0)
"""

from __future__ import annotations

import math

import numpy as np

from .activations import Activation
from .scaled import LOG10_MAX, log10_var

BINS = 61
STANDARD_RANGE = 4.0          # unbounded tensors are histogrammed in units of their rms
HIST_SAMPLE = 16384           # values per histogram: the first examples, which are iid
MAP_EXAMPLES = 100            # heatmap rows kept per layer (examples x positions)
MAP_UNITS = 256               # heatmap columns kept per layer
# Saturation thresholds (on the [-1, 1] scale) whose counts every run keeps, so a page can
# move its threshold without re-simulating: 0.50 to 0.99 by 0.01, then finer towards 1.
SATURATION_GRID = tuple(round(0.5 + 0.01 * k, 2) for k in range(50)) + tuple(
    round(0.99 + 0.001 * k, 3) for k in range(1, 10)) + (0.9995, 0.9999)


def moments(x: np.ndarray, scale: float) -> tuple[float, float]:
    """(true mean, log10 true variance); the mean may be +-inf past float64's range."""
    if x.dtype == np.float64:           # stored near 1 (core.scaled): nothing overflows
        return _moments(x.reshape(-1), scale)
    with np.errstate(over="ignore", invalid="ignore"):      # float32/16 past an overflow
        return _moments(x.reshape(-1).astype(np.float64), scale)


def _moments(x64: np.ndarray, scale: float) -> tuple[float, float]:
    n = x64.size
    mean = float(np.add.reduce(x64)) / n
    # One BLAS pass for E[x^2]; two passes only where E[x^2] - mean^2 would cancel.
    var = float(np.vdot(x64, x64)) / n - mean * mean
    if not var > 1e-6 * mean * mean:
        d = x64 - mean
        var = float(np.vdot(d, d)) / n
    true_mean = mean * 10.0**scale if abs(scale) < 300 else _times_power_of_ten(mean, scale)
    if not math.isfinite(var):
        return true_mean, math.nan
    return true_mean, log10_var(var, scale)


def _times_power_of_ten(value: float, scale: float) -> float:
    """value * 10**scale where 10**scale alone would under- or overflow: exact while the
    product is a float64 (0 or +-inf past its range)."""
    if value == 0 or not math.isfinite(value):
        return value * 1.0
    log_abs = math.log10(abs(value)) + scale
    if log_abs > LOG10_MAX:
        return math.copysign(math.inf, value)
    if log_abs < -323.5:
        return 0.0
    return value * 10.0 ** (scale / 2) * 10.0 ** (scale / 2)


def fixed_edges(lo: float, hi: float, bins: int = BINS) -> np.ndarray:
    return np.linspace(lo, hi, bins + 1)


def standard_edges(bins: int = BINS) -> np.ndarray:
    return fixed_edges(-STANDARD_RANGE, STANDARD_RANGE, bins)


def histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts on uniform edges; values beyond the ends land in the end bins; non-finite
    values are left out (they are reported as overflow, not as data)."""
    v = values.reshape(-1)[:HIST_SAMPLE].astype(np.float64, copy=False)
    finite = np.isfinite(v)
    if not finite.all():                    # float32/16 runs past an overflow
        v = v[finite]
    bins = len(edges) - 1
    pos = (v - edges[0]) * (bins / (edges[-1] - edges[0]))
    np.clip(pos, 0, bins - 1, out=pos)
    return np.bincount(pos.astype(np.intp), minlength=bins)


def standardized(x: np.ndarray) -> tuple[np.ndarray, float]:
    """x / rms(x) over the histogram sample, and log10 of that rms (0 for an all-zero x)."""
    sample = x.reshape(-1)[:HIST_SAMPLE].astype(np.float64, copy=False)
    if x.dtype != np.float64:
        sample = sample[np.isfinite(sample)]      # float32/16 runs past an overflow
    ms = float(np.vdot(sample, sample)) / sample.size if sample.size else 0.0
    if not ms > 0 or not math.isfinite(ms):
        return sample, 0.0
    r = math.sqrt(ms)
    return sample / r, math.log10(r)


def saturation_levels(act: Activation, a: np.ndarray, a_scale: float) -> np.ndarray:
    """A bounded activation's output mapped onto [-1, 1], its level (saturation at
    |level| -> 1)."""
    a_true = a * 10.0**a_scale if a_scale else a
    return act.to_level(a_true.astype(np.float64, copy=False))


def off_mask(u: np.ndarray) -> np.ndarray:
    """A relu-like unit is off, passing (almost) no signal, where its input is <= 0."""
    return u <= 0


def saturation(act: Activation, level: np.ndarray | None, u: np.ndarray,
               threshold: float, dead_threshold: float,
               grid: bool = False) -> tuple[float, np.ndarray, np.ndarray | None]:
    """(fraction saturated or off, (width,) dead flags, fractions at SATURATION_GRID or None).

    Bounded activations: saturated where |level| > threshold; a unit is dead where
    |level| > dead_threshold on every example and position; with grid=True also the
    fraction above every SATURATION_GRID threshold. Relu-like: off where the input is
    <= 0, dead where off everywhere. Linear: never.

    >>> from core.activations import get
    >>> level = np.array([[0.2, 0.995], [-0.98, -0.999]])
    >>> frac, dead, at = saturation(get("tanh"), level, level, 0.97, 0.99, grid=True)
    >>> frac, dead.tolist(), float(at[SATURATION_GRID.index(0.99)])
    (0.75, [False, True], 0.5)
    """
    width = u.shape[-1]
    if act.bounded is not None:
        count, low, at = _magnitudes(level.reshape(-1, width), threshold,
                                     _GRID_MARKS if grid else None)
        return int(count) / level.size, low > dead_threshold, at
    if act.relu_like:
        flat = u.reshape(-1, width)
        return np.count_nonzero(off_mask(flat)) / flat.size, flat.max(axis=0) <= 0, None
    return 0.0, np.zeros(width, dtype=bool), None


def saturated_fractions(level: np.ndarray, grid=SATURATION_GRID) -> np.ndarray:
    """Fraction of values with |level| > t for every threshold t of the (increasing) grid,
    counted exactly as `saturation` counts them (NaN is never saturated).

    >>> saturated_fractions(np.array([0.0, 0.6, -0.975, 1.0, np.nan]), (0.5, 0.97, 0.99)).tolist()
    [0.6, 0.4, 0.2]
    """
    flat = level.reshape(-1)
    grid = np.asarray(grid, dtype=np.float64)
    lattice = np.rint(grid * _LATTICE)
    if flat.size and np.array_equal(lattice / _LATTICE, grid) and lattice[0] >= 0:
        return _magnitudes(flat.reshape(-1, 1), math.inf, lattice.astype(np.intp))[2]
    # thresholds off the lattice: sort (n log n), still exact
    mag = np.sort(np.abs(flat))               # NaN sorts last
    end = np.searchsorted(mag, np.nan)        # where the NaN start (size if none)
    return (end - np.searchsorted(mag, grid, side="right")) / max(mag.size, 1)


_LATTICE = 10_000                 # every SATURATION_GRID threshold is a multiple of 1e-4
_GRID_MARKS = np.rint(np.array(SATURATION_GRID) * _LATTICE).astype(np.intp)


def _magnitudes(rows: np.ndarray, threshold: float, marks: np.ndarray | None):
    """(#(|x| > threshold), per column min |x|, fractions #(|x| > fl(m / 1e4)) / size for
    each lattice mark m, or None without marks) of a 2-D array, in one pass over blocks
    of rows: each block's |x| is made once and used while it is in the cache (a whole
    layer's |x| would go to memory and come back for every use).

    The marks are counted in one linear pass: each value is binned between exact edges.
    Its nearest lattice point c = rint(|x| * 1e4) (rounding error ~1e-12, far inside the
    half-step margin), then the one comparison |x| > fl(c / 1e4) settles which side of
    that edge it is on. NaN is never above a mark; values past 1 are above every mark."""
    width = rows.shape[1]
    step = max(1, _BLOCK // width)
    n = min(step, rows.shape[0])
    mag, above = np.empty((n, width)), np.empty((n, width), bool)
    count, low = 0, np.full(width, np.inf)
    codes = near = edge = None
    if marks is not None:
        codes, near, edge = np.empty(rows.size, np.int64), np.empty(n * width), np.empty(n * width)
    for start in range(0, rows.shape[0], step):
        block = rows[start:start + step]
        k = block.shape[0]
        m, up = mag[:k], above[:k]
        np.abs(block, out=m)
        count += np.count_nonzero(np.greater(m, threshold, out=up))
        np.minimum(low, m.min(axis=0), out=low)       # NaN stays NaN: never dead
        if codes is not None:
            _lattice_codes(m.reshape(-1), near, edge, up.reshape(-1),
                           codes[start * width:(start + k) * width])
    if codes is None:
        return count, low, None
    counts = np.bincount(codes, minlength=2 * _LATTICE + 2)
    over = np.cumsum(counts[::-1])[::-1]              # over[j] = #(bin index >= j)
    return count, low, over[marks + 1] / max(rows.size, 1)


def _lattice_codes(mag, near, edge, up, out) -> None:
    """out = the lattice bin of each |x| (bin c + 1 holds (fl(c / 1e4), fl((c + 1) / 1e4)]);
    mag may be overwritten."""
    peak = float(mag.max())                       # NaN if any: only float32/16 runs
    if not peak <= 1.0:                           # past an overflow have them
        np.minimum(mag, 2.0, out=mag)             # past 1 is above every mark
        mag[np.isnan(mag)] = 0.0                  # bin 0: below every mark
    k = mag.size
    y, e, up = near[:k], edge[:k], up[:k]
    np.multiply(mag, _LATTICE, out=y)
    y += _ROUNDER                                 # rounds to the integer c, kept in y's
    np.subtract(y.view(np.int64), _ROUNDER_BITS, out=out)   # low bits: c as an integer
    np.subtract(y, _ROUNDER, out=e)               # c exactly, as a float
    e /= _LATTICE                                 # fl(c / 1e4), as the grid's
    np.greater(mag, e, out=up)
    out += up                                     # c + 1: bin of values in (e_c, e_c+1]


_BLOCK = 16384         # values per block (128 KB buffers): they stay in the L2 cache
# x + 2**52 rounds x (0 <= x < 2**51) to the nearest integer, ties to even as rint does,
# and holds it in the float's low mantissa bits: the rint and the conversion in one add
_ROUNDER = 2.0**52
_ROUNDER_BITS = int(np.array(_ROUNDER).view(np.int64))


def map_values(act: Activation, level: np.ndarray | None, u: np.ndarray,
               thresholds: tuple[float, ...] = ()) -> np.ndarray:
    """The first MAP_EXAMPLES rows x MAP_UNITS units of what the heatmaps threshold:
    the [-1, 1] output for bounded activations, the sign of the input otherwise.

    Stored as float16 (2 bytes a cell); a value within float16's rounding of one of
    `thresholds` is moved by one float16 step to the side of it the exact value is on,
    so comparing the stored map with those thresholds is exact.

    >>> from core.activations import get
    >>> v = map_values(get("tanh"), np.array([[0.97001, 0.96999]]), np.zeros((1, 2)), (0.97,))
    >>> (v.astype(float) > 0.97).tolist()
    [[True, False]]
    """
    width = u.shape[-1]
    if act.bounded is None:
        return np.sign(u.reshape(-1, width)[:MAP_EXAMPLES, :MAP_UNITS]).astype(np.float16)
    exact = level.reshape(-1, width)[:MAP_EXAMPLES, :MAP_UNITS]
    stored = exact.astype(np.float16)
    mag = np.abs(exact)
    for t in thresholds:
        wrong = (mag > t) != (np.abs(stored.astype(np.float64)) > t)
        if wrong.any():
            t16 = np.float16(t)
            below = t16 if float(t16) <= t else np.nextafter(t16, np.float16(0))
            above = np.nextafter(below, np.float16(2))
            fixed = np.where(mag[wrong] > t, above, below)
            stored[wrong] = np.copysign(fixed, exact[wrong]).astype(np.float16)
    return stored


def spread_layers(first: int, last: int, count: int) -> list[int]:
    """`count` layer numbers spread evenly from `first` to `last` (both kept, in either
    order), without repeats: the layers a page overlays or shows side by side.

    >>> spread_layers(1, 10, 5), spread_layers(1, 200, 6), spread_layers(7, 3, 9)
    ([1, 3, 6, 8, 10], [1, 41, 81, 120, 160, 200], [3, 4, 5, 6, 7])
    """
    first, last = sorted((int(first), int(last)))
    count = max(1, min(int(count), last - first + 1))
    if count == 1:
        return [last]
    return sorted({first + int(i * (last - first) / (count - 1) + 0.5) for i in range(count)})
