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

    python -m core.experiments.trainability --write core/data/trainability_tanh.json

regenerates the stored grid (`STORED`, read back with `load`), writing beside it the
command, the seeds, the training settings and the wall time. The depth scale xi_c to
draw over the grid comes from the theory (core.theory), not from this file.

>>> setup = Setup(width=8, steps=4, batch=4)
>>> losses = column(1.76, (2, 3), setup)
>>> losses.shape, bool(np.isfinite(losses).all())
((2,), True)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .. import data
from ..spec import NetworkSpec
from ..train import Status, TrainConfig, Trainer, macs_per_step, train_macs, valid_loss

ACTIVATION = "tanh"
SIGMA_B2 = 0.05
STORED = Path(data.__file__).with_name("trainability_tanh.json")
COMMAND = "python -m core.experiments.trainability --write core/data/trainability_tanh.json"
CHUNK = 25              # steps between two progress reports
# The stored grid: depths from where every sigma_w^2 trains to where only the critical
# band does, and sigma_w^2 from deep in the ordered phase to deep in the chaotic one.
GRID_DEPTHS = (5, 10, 15, 20, 25, 30, 40, 50, 60)
GRID_SIGMA_W2 = (0.5, 0.8, 1.1, 1.4, 1.6, 1.76, 2.0, 2.4, 3.0, 4.0)
# A cell trains when its loss ends this far below the unigram entropy: well clear of the
# spread between seeds of one cell (`python -m core.experiments.trainability --spread`).
TRAINED_BELOW = 0.1


@dataclass(frozen=True)
class Setup:
    """How every cell trains: the Training page's task, SGD on minibatches, the hidden
    weights drawn as N(0, sigma_w^2 / width) ("custom" init), biases N(0, sigma_b^2),
    the readout scaled by 1/sqrt(width) so that the logits start O(1) at any width (the
    loss at init is then near ln 27, and what follows is learning, not shrinking
    confidently wrong logits), and the final loss on the whole validation set."""
    width: int = 64
    steps: int = 500
    batch: int = 32
    lr: float = 0.03
    optimizer: str = "sgd"
    seed: int = 0               # the network's draws and its minibatches (NetworkSpec.seed)
    split_seed: int = 0         # which names are training and which validation
    activation: str = ACTIVATION
    sigma_b2: float = SIGMA_B2


def cell_spec(depth: int, sigma_w2: float, setup: Setup) -> NetworkSpec:
    """The network of one cell: sigma_w^2 = width * Var(W), the spec's own sigma_w2.

    >>> cell_spec(10, 1.76, Setup(width=64)).sigma_w2
    1.76
    """
    return NetworkSpec(depth=depth, width=setup.width, activation=setup.activation,
                       init="custom", weight_var=sigma_w2 / setup.width,
                       bias_var=setup.sigma_b2, readout_scale=1 / math.sqrt(setup.width),
                       seed=setup.seed)


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

def cell_macs(depth: int, setup: Setup) -> float:
    """Multiply-adds of training one cell (every step and both validation passes:
    core.train.train_macs, built on macs_per_step)."""
    return train_macs([cell_spec(depth, 1.0, setup)], train_config(setup))


def column_macs(depths: Sequence[int], setup: Setup) -> float:
    """Multiply-adds of one sigma_w^2 column (it does not depend on sigma_w^2)."""
    return float(sum(cell_macs(d, setup) for d in depths))


# -- training -------------------------------------------------------------------------

Progress = Callable[[float], None]


def train_cell(depth: int, sigma_w2: float, setup: Setup,
               on_steps: Callable[[int], None] | None = None) -> tuple[float, int]:
    """(final validation loss, steps done) of one cell; `on_steps(n)` after every chunk
    of n steps. A run that diverges stops there (core.train), and its loss is that of
    its last finite parameters, which may be inf."""
    trainer = Trainer(cell_spec(depth, sigma_w2, setup), train_config(setup))
    while not trainer.done:
        before = trainer.step
        trainer.run(CHUNK)
        if on_steps is not None:
            on_steps(trainer.step - before)
    log = trainer.log(params=trainer.failed_at is not None)
    if log.status is Status.FINISHED:
        return float(log.valid_loss[-1]), trainer.step
    return float(valid_loss(log, examples=len(trainer.valid[1]))), trainer.step


def column(sigma_w2: float, depths: Sequence[int] = GRID_DEPTHS, setup: Setup = Setup(),
           progress: Progress | None = None) -> np.ndarray:
    """The final validation loss at each depth for one sigma_w^2, shallowest first.

    `progress(f)` is called as training goes, f the share of `column_macs` done: it
    never falls and ends at exactly 1.0 (a diverged cell counts in full). To bound the
    time, check `column_macs` first and ask for fewer depths or steps."""
    losses, _ = _columns((sigma_w2,), depths, setup, progress)
    return losses[:, 0]


def _columns(sigma_w2s: Sequence[float], depths: Sequence[int], setup: Setup,
             progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
    """(losses, steps done), each (len(depths), len(sigma_w2s))."""
    per_step = {d: macs_per_step(cell_spec(d, 1.0, setup), setup.batch) for d in depths}
    total = len(sigma_w2s) * column_macs(depths, setup)
    losses = np.full((len(depths), len(sigma_w2s)), np.nan)
    steps = np.zeros(losses.shape, dtype=int)
    done = 0.0

    def report(macs: float) -> None:
        nonlocal done
        done = min(total, done + macs)
        if progress is not None:
            progress(done / total if total > 0 else 1.0)

    for j, s in enumerate(sigma_w2s):
        for i, d in enumerate(depths):
            start = done
            losses[i, j], steps[i, j] = train_cell(
                d, s, setup, lambda n, d=d: report(n * per_step[d]))
            report(start + cell_macs(d, setup) - done)    # the rest: validation, a stop
    if progress is not None and total <= 0:
        progress(1.0)
    return losses, steps


# -- the grid -------------------------------------------------------------------------

@dataclass(frozen=True)
class Grid:
    """Final validation losses over depth x sigma_w^2, and what they are measured against."""
    depths: tuple[int, ...]
    sigma_w2: tuple[float, ...]
    valid_loss: np.ndarray          # (len(depths), len(sigma_w2)) nats, the final loss
    steps_done: np.ndarray          # (len(depths), len(sigma_w2)) fewer than steps: diverged
    unigram_entropy: float          # the input-blind network's best loss (training data)
    unigram_valid_loss: float       # the same network's loss on the validation examples
    setup: Setup

    @property
    def learned(self) -> np.ndarray:
        """Nats below the input-blind network's best: what each cell learned from the
        context (<= 0: nothing)."""
        return self.unigram_entropy - self.valid_loss

    @property
    def trains(self) -> np.ndarray:
        """Which cells trained: ended TRAINED_BELOW or more below the unigram entropy."""
        return self.learned >= TRAINED_BELOW


def sweep(depths: Sequence[int] = GRID_DEPTHS, sigma_w2s: Sequence[float] = GRID_SIGMA_W2,
          setup: Setup = Setup(), progress: Progress | None = None) -> Grid:
    """Train every cell of the grid (one sigma_w^2 column at a time)."""
    losses, steps = _columns(tuple(sigma_w2s), tuple(depths), setup, progress)
    return Grid(tuple(depths), tuple(sigma_w2s), losses, steps,
                unigram_entropy(setup.split_seed), unigram_valid_loss(setup.split_seed), setup)


def to_json(grid: Grid, wall_seconds: float, command: str = COMMAND) -> dict:
    """The stored form: the grid, the baselines and everything needed to redo it."""
    return {
        "what": "final validation loss (nats) of tanh networks trained on makemore's "
                "next-character task, over depth x sigma_w2; rows are depths",
        "activation": grid.setup.activation,
        "sigma_b2": grid.setup.sigma_b2,
        "depths": list(grid.depths),
        "sigma_w2": list(grid.sigma_w2),
        "valid_loss": [[_finite_or_none(v) for v in row] for row in grid.valid_loss],
        "steps_done": grid.steps_done.tolist(),
        "unigram_entropy": grid.unigram_entropy,
        "unigram_valid_loss": grid.unigram_valid_loss,
        "uniform_loss": math.log(data.TOKENS),
        "setup": asdict(grid.setup),
        "train_config": asdict(train_config(grid.setup)),
        "readout_scale": 1 / math.sqrt(grid.setup.width),
        "seeds": {"network": grid.setup.seed, "split": grid.setup.split_seed},
        "command": command,
        "wall_seconds": round(wall_seconds, 1),
        "blas_threads": 1,
        "numpy": np.__version__,
    }


def _finite_or_none(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def load(path: Path = STORED) -> Grid:
    """A stored grid (`to_json`'s form); a missing field or a ragged table raises
    ValueError naming it. A loss stored as null (a run that ended non-finite) is inf."""
    raw = json.loads(Path(path).read_text())
    try:
        depths = tuple(int(d) for d in raw["depths"])
        sigma_w2 = tuple(float(s) for s in raw["sigma_w2"])
        shape = (len(depths), len(sigma_w2))
        losses = np.array([[math.inf if v is None else float(v) for v in row]
                           for row in raw["valid_loss"]], dtype=float)
        steps = np.array(raw["steps_done"], dtype=int)
        names = {f.name for f in fields(Setup)}
        setup = Setup(**{k: v for k, v in raw["setup"].items() if k in names})
        grid = Grid(depths, sigma_w2, losses, steps, float(raw["unigram_entropy"]),
                    float(raw["unigram_valid_loss"]), setup)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path} is not a trainability grid: {e!r}") from None
    for name, arr in (("valid_loss", losses), ("steps_done", steps)):
        if arr.shape != shape:
            raise ValueError(f"{path}: {name} is {arr.shape}, not depths x sigma_w2 {shape}")
    return grid


def seed_losses(depth: int, sigma_w2: float, seeds: Sequence[int],
                setup: Setup = Setup()) -> np.ndarray:
    """One cell's final validation loss under each seed (draws and minibatches): how
    far a cell's loss moves by luck alone."""
    return np.array([train_cell(depth, sigma_w2, replace(setup, seed=s))[0] for s in seeds])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--write", type=Path, help="train the grid and store it in this file")
    what.add_argument("--spread", nargs=2, type=float, metavar=("DEPTH", "SIGMA_W2"),
                      help="print one cell's loss under seeds 0-4")
    args = parser.parse_args(argv)
    import threadpoolctl    # the command's alone: the library needs nothing but NumPy
    # One BLAS thread: the machine's cores are better spent elsewhere, and a float32
    # product's rounding can depend on how it is split between threads.
    with threadpoolctl.threadpool_limits(limits=1):
        if args.spread:
            losses = seed_losses(int(args.spread[0]), args.spread[1], range(5))
            print(f"losses {np.round(losses, 3).tolist()}, spread (max - min) "
                  f"{losses.max() - losses.min():.3f}, unigram entropy {unigram_entropy():.3f}")
            return
        start = time.perf_counter()
        grid = sweep(progress=_printer(start))
        wall = time.perf_counter() - start
    args.write.write_text(json.dumps(to_json(grid, wall), indent=1) + "\n")


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
