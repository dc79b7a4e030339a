"""Time `simulate` against the bare chain of the same matrix products, in one run.

    python -m bench            # or: make bench

The baseline does only what no implementation can skip: per layer, the forward product
x @ W, and the backward products g @ W.T and x.T @ g, on the same shapes and dtype.
Ratios, not seconds, are the result: they travel between machines.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from core import NetworkSpec, activations, make_params, simulate

APP_DEFAULT = NetworkSpec()          # the spec the app opens with
_BIG = dict(batch=512, width=256, depth=50)
CASES = {
    "512x256x50 tanh": NetworkSpec(**_BIG, activation="tanh"),
    "512x256x50 relu": NetworkSpec(**_BIG, activation="relu", weight_var=2 / 256),
    "512x256x50 linear": NetworkSpec(**_BIG, activation="linear", weight_var=1 / 256),
    "app default": APP_DEFAULT,
}


def bare_chain(spec: NetworkSpec, params, with_activation: bool = False) -> None:
    """The matrix products alone; with_activation adds phi and phi' (one call each)."""
    act = activations.get(spec.activation)
    x = params.x0.reshape(-1, spec.width)
    xs = []
    for w in params.weights:
        xs.append(x)
        x = x @ w
        if with_activation:
            x = act.fn(x)
    g = np.ones_like(x)
    for w, xi in zip(reversed(params.weights), reversed(xs)):
        _ = xi.T @ g
        if with_activation:
            g = g * act.deriv(xi)
        g = g @ w.T


def best_of(fns, repeats: int) -> list[float]:
    """Best time of each function, taking turns so that drifts in machine load hit all."""
    for fn in fns:
        fn()                                  # warm caches and BLAS threads
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    print(f"{'case':20} {'bare ms':>8} {'+act ms':>8} {'simulate ms':>12} "
          f"{'ratio':>6} {'vs +act':>8} {'result MB':>10}")
    for name, spec in CASES.items():
        params = make_params(spec)
        t_bare, t_act, t_sim = best_of([lambda: bare_chain(spec, params),
                                        lambda: bare_chain(spec, params, True),
                                        lambda: simulate(spec, params=params)], args.repeats)
        mb = simulate(spec, params=params).nbytes() / 2**20
        print(f"{name:20} {t_bare*1e3:8.2f} {t_act*1e3:8.2f} {t_sim*1e3:12.2f} "
              f"{t_sim/t_bare:6.2f} {t_sim/t_act:8.2f} {mb:10.2f}")
    print("ratio: simulate / matrix products alone; vs +act: / products plus phi and phi'")


if __name__ == "__main__":
    main()
