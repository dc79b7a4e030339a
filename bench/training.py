"""Time training steps against the bare chain of the same matrix products, in one run.

    python -m bench.training              # --steps N (default 200), --repeats N (default 3)
    python -m bench.training --sessions 4 # also: a page's latency while 4 sessions train

The bare chain does, per step, what no implementation can skip: per hidden layer the
forward product x @ W, the backward products g @ W.T and x.T @ g, the same three for
the readout, and the SGD update W -= lr * dW of every matrix, on the same shapes in
float32, the trainer's compute precision. The trainer (core.train) does all that
through core.propagate's one layer recipe plus the activation, the loss, the embedding,
the log10-scale bookkeeping and its per-layer statistics. Ratios, not seconds, are the
result: they travel.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np

from core import NetworkSpec, data, simulate
from core.train import TrainConfig, Trainer, train

CASES = [(batch, width, depth) for batch in (32, 256) for width in (100, 256) for depth in (5, 20)]


def bare_steps(batch: int, width: int, depth: int, steps: int, lr: float = 1e-6,
               dtype=np.float32) -> None:
    """`steps` training steps of nothing but the matrix products and the updates, in the
    trainer's float32 (a small lr keeps the made-up gradients from overflowing; the
    cost is the same)."""
    rng = np.random.default_rng(0)
    ws = [(rng.standard_normal((width, width)) / np.sqrt(width)).astype(dtype)
          for _ in range(depth)]
    w_out = (rng.standard_normal((width, data.TOKENS)) * 0.01).astype(dtype)
    x0 = rng.standard_normal((batch, width)).astype(dtype)
    g_logits = (rng.standard_normal((batch, data.TOKENS)) / batch).astype(dtype)
    for _ in range(steps):
        xs, x = [], x0
        for w in ws:
            xs.append(x)
            x = x @ w
        _ = x @ w_out
        g_out = x.T @ g_logits
        g = g_logits @ w_out.T
        w_out -= lr * g_out
        for w, xi in zip(reversed(ws), reversed(xs)):
            gw = xi.T @ g
            g = g @ w.T
            w -= lr * gw


def trainer_steps(batch: int, width: int, depth: int, steps: int) -> float:
    """Seconds for `steps` steps of Trainer.run (setup and the initial validation not
    counted, as the bare chain has none)."""
    spec = NetworkSpec(depth=depth, width=width, weight_var=1.0 / width, readout_scale=0.01)
    trainer = Trainer(spec, TrainConfig(steps=steps, batch=batch, eval_every=10**5,
                                        record_every=20))
    t = time.perf_counter()
    trainer.run(steps)
    return time.perf_counter() - t


def seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def median_time(fn, repeats: int) -> float:
    return statistics.median(seconds(fn) for _ in range(repeats))


def ratio_table(steps: int, repeats: int) -> None:
    print(f"{steps} steps a case, median of {repeats} runs taken in turns\n")
    print("| batch | width | depth | trainer steps/s | bare steps/s | ratio |")
    print("|---|---|---|---|---|---|")
    for batch, width, depth in CASES:
        bare_steps(batch, width, depth, 5)                      # warm up
        times = ([], [])
        for _ in range(repeats):                # in turns: a load drift hits both alike
            times[0].append(trainer_steps(batch, width, depth, steps))
            times[1].append(seconds(lambda: bare_steps(batch, width, depth, steps)))
        t_train, t_bare = statistics.median(times[0]), statistics.median(times[1])
        print(f"| {batch} | {width} | {depth} | {steps / t_train:8.0f} | {steps / t_bare:8.0f} | "
              f"{t_train / t_bare:5.2f} |")
    print("\n(trainer: Trainer.run, per-layer statistics every 20 steps (the page's default), no"
          " validation; setup not timed)")


def default_run(repeats: int) -> None:
    """The run a class starts with: the makemore story's first demo (ui.presets'
    "Training 1": five tanh layers of width 100) for the page's default 2000 steps of
    SGD at batch 32, validation every 100 steps; and the first curve: setup, the first
    10 steps and the loss figure. (The app opens on an exploding linear network, which
    diverges at step 0 on this page.)"""
    from figures.training import loss_figure
    from ui.controls import to_spec
    from ui.presets import PRESETS
    demo = next(p for p in PRESETS if p.page == "training")
    spec, cfg = to_spec(demo.full_values()).spec, TrainConfig()
    whole = median_time(lambda: train(spec, cfg), repeats)

    def first_curve():
        t = Trainer(spec, cfg)
        t.run(10)
        log = t.log()
        loss_figure({"as set": dict(steps=np.arange(len(log.loss)), loss=log.loss,
                                    eval_steps=log.eval_steps, valid_loss=log.valid_loss)},
                    log.uniform_loss)
    first = median_time(first_curve, repeats)
    print(f"\ndefault run, {cfg.steps} steps: {whole:.2f} s; first curve (setup, "
          f"10 steps, the figure): {first * 1e3:.0f} ms")


def sessions(count: int, seconds: float = 6.0) -> None:
    """A page's simulate() CPU and wall time alone, while `count` sessions train as the app
    trains them (ui.training.train_chunk: one slice at a time, yielding to a page that
    computes), and while they train with no slot and no yielding."""
    from streamlit import logger
    logger.set_log_level("error")          # no Streamlit runtime here: its caches warn
    from ui import load
    from ui.training import train_chunk, training
    spec = NetworkSpec()
    simulate(spec)

    def latency(busy_for: float) -> tuple[float, float]:
        end, times = time.perf_counter() + busy_for, []
        while time.perf_counter() < end:
            with load.running():                   # a page script, as ui.shell counts it
                t, c = time.perf_counter(), time.thread_time()
                simulate(spec)
                times.append((time.perf_counter() - t, time.thread_time() - c))
        return statistics.median(w for w, _ in times), statistics.median(c for _, c in times)

    def trainers(app: bool) -> tuple[list[threading.Thread], threading.Event]:
        stop = threading.Event()

        def work():
            t = Trainer(NetworkSpec(), TrainConfig(steps=10**5, eval_every=10**5))
            with load.running(), training():
                per_slice = 1
                while not stop.is_set():
                    if app:
                        per_slice = train_chunk([t], 50, per_slice, yield_check=lambda: None)
                    else:
                        t.run(50)
        threads = [threading.Thread(target=work, daemon=True) for _ in range(count)]
        for th in threads:
            th.start()
        return threads, stop

    alone, alone_cpu = latency(seconds / 2)
    print(f"\nsimulate(app default) alone: {alone * 1e3:.0f} ms ({alone_cpu * 1e3:.0f} ms CPU)")
    for name, app in (("as the app trains (slices, pages first)", True),
                      ("with no slot and no yielding", False)):
        threads, stop = trainers(app)
        time.sleep(0.5)
        busy, cpu = latency(seconds)
        stop.set()
        for th in threads:
            th.join()
        print(f"while {count} sessions train, {name}: {busy * 1e3:.0f} ms "
              f"({busy / alone:.1f}x; CPU {cpu * 1e3:.0f} ms)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=0)
    args = ap.parse_args(argv)
    ratio_table(args.steps, args.repeats)
    default_run(args.repeats)
    if args.sessions:
        sessions(args.sessions)


if __name__ == "__main__":
    main()
