"""Which networks can train: the final validation loss over a grid of depth x sigma_w^2.

Schoenholz et al. 2017 ("Deep information propagation") trained tanh networks over a
grid of depth and sigma_w^2 and found that they train only where the depth is below
about 6 xi_c, the depth scale over which two inputs' correlation settles to its fixed
point; xi_c diverges at the critical sigma_w^2 (tanh, sigma_b^2 = 0.05: about 1.76), so
deep networks train only near it, and shallow ones in a band that widens as the depth
falls. Here the task is the Training page's (makemore's next character, `core.train`),
and a cell's result is its final validation loss set against `unigram_entropy`, the
best a network that ignores its input can do: a cell that ends well below it has
learned from the context; one that ends near it has learned only the letter frequencies.

`column` trains one sigma_w^2 over a list of depths (what the page computes live, with
a progress callback; `column_macs` is its cost), `sweep` the whole grid, and

    python -m core.experiments.trainability --steps 500 --write core/data/trainability_tanh_500.json

regenerates a stored grid (`stored(steps)`, read back with `load`; the page's is
`STORED`, at the setup's 500 steps; `STORED_STEPS` are the step counts stored), writing
beside it the command, the seeds, the training settings and the time it took. The depth
scale xi_c to draw over the grid comes from the theory (core.theory.depth_scales), not
from these files; the multiple of it that bounds training moves with how long the
networks train (core.experiments.depth_scales.boundary_sides; docs/depth_scales.md).

>>> setup = Setup(width=8, steps=4, batch=4)
>>> losses = column(1.76, (2, 3), setup)
>>> losses.shape, bool(np.isfinite(losses).all())
((2,), True)
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .. import data
from ..spec import NetworkSpec
from ..train import Status, TrainConfig, Trainer, macs_per_step, train_macs, valid_loss

ACTIVATION = "tanh"
SIGMA_B2 = 0.05
# The grids stored in core/data, one per step count: how the boundary moves with training.
STORED_STEPS = (250, 500, 1000, 2000, 4000)
CHUNK = 25              # steps between two progress reports
# The stored grid: depths from where every sigma_w^2 trains to where only the critical
# band does, and sigma_w^2 from deep in the ordered phase to deep in the chaotic one.
GRID_DEPTHS = (5, 10, 15, 20, 25, 30, 40, 50, 60)
GRID_SIGMA_W2 = (0.5, 0.8, 1.1, 1.4, 1.6, 1.76, 2.0, 2.4, 3.0, 4.0)
# A cell trains when its loss ends this far below the unigram entropy: farther than a
# network that learned nothing lands from it by luck (`--spread 60 0.5` prints one under
# five seeds).
TRAINED_BELOW = 0.1
WORKERS = 2             # processes the command trains in: the 2-core machine's cores


@dataclass(frozen=True)
class Setup:
    """How every cell trains: the Training page's task and its defaults (SGD, batch 32,
    float32) but for the learning rate; the hidden weights drawn as N(0, sigma_w^2 /
    width) ("custom" init), biases N(0, sigma_b^2); the readout scaled by 1/sqrt(width)
    so that the logits start O(1) at any width (the loss at init is then near ln 27, and
    what follows is learning, not shrinking confidently wrong logits); the final loss on
    the whole validation set, averaged over the seeds. The learning rate is 0.03, not
    the page's 0.1, a step too large for a deep stack: at 0.1 even critical networks
    tens of layers deep stall at the unigram loss through a short run, which would hide
    where the phases allow training. Near the boundary one seed's loss is luck as much
    as physics (`--spread` prints a cell's loss under five seeds), hence two seeds a
    cell."""
    width: int = 64
    steps: int = 500
    batch: int = 32
    lr: float = 0.03
    optimizer: str = "sgd"
    seeds: tuple[int, ...] = (0, 1)     # each a network's draws and minibatches
    split_seed: int = 0                 # which names are training and which validation
    activation: str = ACTIVATION
    sigma_b2: float = SIGMA_B2


def stored(steps: int) -> Path:
    """The stored grid trained for `steps` steps (the rest of the setup the default's).

    >>> stored(2000).name
    'trainability_tanh_2000.json'
    """
    return Path(data.__file__).with_name(f"trainability_tanh_{int(steps)}.json")


def command(steps: int) -> str:
    """The command that regenerates `stored(steps)`."""
    return (f"python -m core.experiments.trainability --steps {int(steps)} "
            f"--write core/data/{stored(steps).name}")


STORED = stored(Setup().steps)      # the grid the page draws

def cell_spec(depth: int, sigma_w2: float, setup: Setup, seed: int = 0) -> NetworkSpec:
    """The network of one cell under one seed: sigma_w^2 = width * Var(W), the spec's
    own sigma_w2.

    >>> cell_spec(10, 1.76, Setup(width=64)).sigma_w2
    1.76
    """
    return NetworkSpec(depth=depth, width=setup.width, activation=setup.activation,
                       init="custom", weight_var=sigma_w2 / setup.width,
                       bias_var=setup.sigma_b2, readout_scale=1 / math.sqrt(setup.width),
                       seed=seed)


def train_config(setup: Setup) -> TrainConfig:
    """Validation only at the start and the end, on every validation example; the
    per-layer statistics only at the start and the end (nothing here reads them)."""
    valid = len(data.load(setup.split_seed).valid_y)
    return TrainConfig(steps=setup.steps, batch=setup.batch, lr=setup.lr,
                       optimizer=setup.optimizer, eval_every=max(1, setup.steps),
                       record_every=max(1, setup.steps), valid_examples=valid,
                       split_seed=setup.split_seed)


def unigram_entropy(split_seed: int = 0) -> float:
    """The entropy, in nats, of the next character over the training examples: the best
    loss a network that ignores its input can reach.

    Whatever the context, such a network predicts one distribution q over the 27
    characters; its expected loss on the training examples is the cross-entropy of their
    next-character frequencies p with q, smallest at q = p, where it equals the entropy
    of p, -sum p ln p (Gibbs' inequality). A network below it has used the context; one at
    it has learned only how common each letter is (the uniform guess, ln 27, lies above).
    On the validation names the same q scores a little differently:
    `unigram_valid_loss`.

    >>> round(unigram_entropy(), 3), round(math.log(27), 3)
    (2.811, 3.296)
    """
    p = _frequencies(data.load(split_seed).train_y)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def unigram_valid_loss(split_seed: int = 0) -> float:
    """The validation loss of the input-blind network at its best (the training
    examples' next-character frequencies, `unigram_entropy`): the cross-entropy of the
    validation examples' next characters with them."""
    ds = data.load(split_seed)
    p = _frequencies(ds.train_y)
    return float(-np.mean(np.log(p[ds.valid_y])))


def _frequencies(tokens: np.ndarray) -> np.ndarray:
    return np.bincount(tokens, minlength=data.TOKENS) / len(tokens)


# -- cost -----------------------------------------------------------------------------

def run_macs(depth: int, setup: Setup) -> float:
    """Multiply-adds of one training run (every step and the validation passes:
    core.train.train_macs, built on macs_per_step)."""
    return train_macs([cell_spec(depth, 1.0, setup)], train_config(setup))


def column_macs(depths: Sequence[int], setup: Setup) -> float:
    """Multiply-adds of one sigma_w^2 column, every depth under every seed (the same
    for any sigma_w^2). A live column bounded by a budget: fewer depths, seeds or steps."""
    return float(len(setup.seeds) * sum(run_macs(d, setup) for d in depths))


# -- training -------------------------------------------------------------------------

Progress = Callable[[float], None]


def train_cell(depth: int, sigma_w2: float, setup: Setup, seed: int,
               on_steps: Callable[[int], None] | None = None) -> tuple[float, int]:
    """(final validation loss, steps done) of one cell under one seed; `on_steps(n)`
    after every chunk of n steps. A run that diverges stops there (core.train), and its
    loss is that of its last finite parameters, which may be inf."""
    trainer = Trainer(cell_spec(depth, sigma_w2, setup, seed), train_config(setup))
    while not trainer.done:
        before = trainer.step
        trainer.run(CHUNK)
        if on_steps is not None:
            on_steps(trainer.step - before)
    log = trainer.log(params=trainer.failed_at is not None)
    if log.status is Status.FINISHED:
        return float(log.valid_loss[-1]), trainer.step
    return float(valid_loss(log, examples=log.config.valid_examples)), trainer.step


def column(sigma_w2: float, depths: Sequence[int] = GRID_DEPTHS, setup: Setup = Setup(),
           progress: Progress | None = None) -> np.ndarray:
    """The final validation loss at each depth for one sigma_w^2 (mean over the seeds),
    shallowest first, trained in this process.

    `progress(f)` is called as training goes, f the share of `column_macs` done: it
    never falls and ends at exactly 1.0 (a diverged run counts in full)."""
    by_seed, _ = _train((sigma_w2,), tuple(depths), setup, progress)
    return by_seed.mean(axis=0)[:, 0]


def _train(sigma_w2s: tuple[float, ...], depths: tuple[int, ...], setup: Setup,
           progress: Progress | None, workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(losses, steps done), each (seeds, depths, sigma_w2s): one process reporting
    every chunk of steps, or `workers` processes reporting every run done."""
    shape = (len(setup.seeds), len(depths), len(sigma_w2s))
    losses, steps = np.full(shape, np.nan), np.zeros(shape, dtype=int)
    runs = [(k, i, j) for j in range(shape[2]) for i in range(shape[1]) for k in range(shape[0])]
    total = sum(run_macs(depths[i], setup) for _, i, _ in runs)
    done = 0.0

    def report(macs: float) -> None:
        nonlocal done
        done = min(total, done + macs)
        if progress is not None:
            progress(done / total)

    if total <= 0:
        if progress is not None:
            progress(1.0)
    elif workers <= 1:
        for k, i, j in runs:
            start, d = done, depths[i]
            per_step = macs_per_step(cell_spec(d, 1.0, setup), setup.batch)
            losses[k, i, j], steps[k, i, j] = train_cell(
                d, sigma_w2s[j], setup, setup.seeds[k], lambda n: report(n * per_step))
            report(start + run_macs(d, setup) - done)      # the rest: validation, a stop
    else:
        runs.sort(key=lambda r: -depths[r[1]])             # the longest first: no idle tail
        context = multiprocessing.get_context("spawn")      # no BLAS threads forked
        with ProcessPoolExecutor(workers, context, initializer=_one_blas_thread) as pool:
            futures = {pool.submit(train_cell, depths[i], sigma_w2s[j], setup,
                                   setup.seeds[k]): (k, i, j) for k, i, j in runs}
            for future in as_completed(futures):
                k, i, j = futures[future]
                losses[k, i, j], steps[k, i, j] = future.result()
                report(run_macs(depths[i], setup))
    return losses, steps


def _one_blas_thread() -> None:
    import threadpoolctl    # the command's alone: the library needs nothing but NumPy
    threadpoolctl.threadpool_limits(limits=1)


# -- the grid -------------------------------------------------------------------------

@dataclass(frozen=True)
class Grid:
    """Final validation losses over depth x sigma_w^2, and what they are measured against."""
    depths: tuple[int, ...]
    sigma_w2: tuple[float, ...]
    valid_loss_by_seed: np.ndarray  # (seeds, depths, sigma_w2) nats, each run's final loss
    steps_done: np.ndarray          # (seeds, depths, sigma_w2) fewer than steps: diverged
    unigram_entropy: float          # the input-blind network's best loss (training data)
    unigram_valid_loss: float       # the same network's loss on the validation examples
    setup: Setup

    @property
    def valid_loss(self) -> np.ndarray:
        """(depths, sigma_w2): each cell's final validation loss, mean over the seeds."""
        return self.valid_loss_by_seed.mean(axis=0)

    @property
    def learned(self) -> np.ndarray:
        """(depths, sigma_w2) nats below the input-blind network's best: what each cell
        learned from the context (<= 0: nothing)."""
        return self.unigram_entropy - self.valid_loss

    @property
    def trains(self) -> np.ndarray:
        """Which cells trained: ended TRAINED_BELOW or more below the unigram entropy."""
        return self.learned >= TRAINED_BELOW


def sweep(depths: Sequence[int] = GRID_DEPTHS, sigma_w2s: Sequence[float] = GRID_SIGMA_W2,
          setup: Setup = Setup(), progress: Progress | None = None,
          workers: int = 1) -> Grid:
    """Train every cell of the grid under every seed, in `workers` processes."""
    losses, steps = _train(tuple(sigma_w2s), tuple(depths), setup, progress, workers)
    return Grid(tuple(depths), tuple(sigma_w2s), losses, steps,
                unigram_entropy(setup.split_seed), unigram_valid_loss(setup.split_seed), setup)


def to_json(grid: Grid, run: dict) -> dict:
    """The stored form: the grid, the baselines and everything needed to redo it; `run`
    says how long it took (wall_seconds, cpu_seconds) with how many workers."""
    return {
        "what": "final validation loss (nats) of tanh networks trained on makemore's "
                "next-character task, over depth x sigma_w2: valid_loss[depth][sigma_w2] "
                "is the mean over the seeds of valid_loss_by_seed[seed][depth][sigma_w2]",
        "activation": grid.setup.activation,
        "sigma_b2": grid.setup.sigma_b2,
        "depths": list(grid.depths),
        "sigma_w2": list(grid.sigma_w2),
        "valid_loss": _table(grid.valid_loss),
        "valid_loss_by_seed": _table(grid.valid_loss_by_seed),
        "steps_done": grid.steps_done.tolist(),
        "unigram_entropy": grid.unigram_entropy,
        "unigram_valid_loss": grid.unigram_valid_loss,
        "uniform_loss": math.log(data.TOKENS),
        "trained_below": TRAINED_BELOW,
        "setup": asdict(grid.setup),
        "train_config": asdict(train_config(grid.setup)),
        "readout_scale": 1 / math.sqrt(grid.setup.width),
        "seeds": {"networks": list(grid.setup.seeds), "split": grid.setup.split_seed},
        "command": command(grid.setup.steps),
        **run,
        "blas_threads": 1,
        "numpy": np.__version__,
    }


def _table(values: np.ndarray) -> list:
    """Nested lists of losses to 6 decimals (float32 training: the digits beyond mean
    nothing), a non-finite loss as None (JSON has no inf)."""
    return np.where(np.isfinite(values), np.round(values, 6), None).tolist()


def load(path: Path = STORED) -> Grid:
    """A stored grid (`to_json`'s form); a missing field or a table of the wrong shape
    raises ValueError naming it. A loss stored as null (a run that ended non-finite) is
    inf; the mean over the seeds is recomputed from the runs."""
    try:
        raw = json.loads(Path(path).read_text())
        depths = tuple(int(d) for d in raw["depths"])
        sigma_w2 = tuple(float(s) for s in raw["sigma_w2"])
        setup_raw = dict(raw["setup"], seeds=tuple(raw["setup"]["seeds"]))
        setup = Setup(**{f.name: setup_raw[f.name] for f in fields(Setup)})
        shape = (len(setup.seeds), len(depths), len(sigma_w2))
        losses = _array("valid_loss_by_seed", raw, shape, float)
        steps = _array("steps_done", raw, shape, int)
        grid = Grid(depths, sigma_w2, losses, steps, float(raw["unigram_entropy"]),
                    float(raw["unigram_valid_loss"]), setup)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path} is not a trainability grid: {e!r}") from None
    return grid


def _array(name: str, raw: dict, shape: tuple, kind) -> np.ndarray:
    arr = np.array(raw[name], dtype=object)
    if arr.shape != shape:
        raise ValueError(f"{name} is {arr.shape}, not seeds x depths x sigma_w2 {shape}")
    return np.where(arr == None, np.inf, arr).astype(kind)     # noqa: E711 (elementwise)


def seed_losses(depth: int, sigma_w2: float, seeds: Sequence[int],
                setup: Setup = Setup()) -> np.ndarray:
    """One cell's final validation loss under each seed: how far it moves by luck."""
    return np.array([train_cell(depth, sigma_w2, setup, s)[0] for s in seeds])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--write", type=Path, help="train the grid and store it in this file")
    what.add_argument("--spread", nargs=2, type=float, metavar=("DEPTH", "SIGMA_W2"),
                      help="print one cell's loss under seeds 0-4")
    parser.add_argument("--steps", type=int, default=Setup().steps,
                        help=f"training steps per cell (stored: {STORED_STEPS})")
    args = parser.parse_args(argv)
    setup = Setup(steps=args.steps)
    # One BLAS thread a process: the cores go to the processes, and a float32 product's
    # rounding can depend on how it is split between threads.
    _one_blas_thread()
    if args.spread:
        losses = seed_losses(int(args.spread[0]), args.spread[1], range(5), setup)
        print(f"losses {np.round(losses, 3).tolist()}, spread (max - min) "
              f"{losses.max() - losses.min():.3f}, unigram entropy {unigram_entropy():.3f}")
        return
    start, workers = time.perf_counter(), WORKERS
    grid = sweep(setup=setup, progress=_printer(start), workers=workers)
    wall, cpu = time.perf_counter() - start, sum(os.times()[:4])
    run = {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "workers": workers}
    args.write.write_text(dumps(to_json(grid, run)))


def dumps(stored: dict) -> str:
    """JSON with one key a line and a table's rows one a line (a diff then shows which
    cells moved).

    >>> print(dumps({"depths": [5, 10], "loss": [[2.5, 2.4], [2.8, 2.7]]}), end="")
    {
     "depths": [5, 10],
     "loss": [
      [2.5, 2.4],
      [2.8, 2.7]]
    }
    """
    items = [f" {json.dumps(k)}: {_rows(v, 1)}" for k, v in stored.items()]
    return "{\n" + ",\n".join(items) + "\n}\n"


def _rows(value, level: int) -> str:
    if isinstance(value, list) and value and isinstance(value[0], list):
        pad = "\n" + " " * (level + 1)
        return "[" + pad + ("," + pad).join(_rows(v, level + 1) for v in value) + "]"
    return json.dumps(value, separators=(", ", ": "))


def _printer(start: float) -> Progress:
    """A progress callback that prints every 5 %."""
    shown = [-1]

    def progress(f: float) -> None:
        if int(20 * f) > shown[0]:
            shown[0] = int(20 * f)
            print(f"{100 * f:3.0f}%  {time.perf_counter() - start:4.0f} s",
                  file=sys.stderr, flush=True)
    return progress


if __name__ == "__main__":
    main()
