"""Time `simulate` against the bare chain of the same matrix products, in one run.

    python -m bench            # or: make bench; --repeats N (default 9)

The baseline does only what no implementation can skip: per layer, the forward product
x @ W, and the backward products g @ W.T and x.T @ g, on the same shapes and dtype.
Ratios, not seconds, are the result: they travel between machines. A second table runs
simulate as each page does, with only the statistics the page draws.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from core import NetworkSpec, activations, make_params, simulate

APP_DEFAULT = NetworkSpec()          # tanh, 10 x 100; the app opens on the same size, linear
_BIG = dict(batch=512, width=256, depth=50)
CASES = {
    "512x256x50 tanh": NetworkSpec(**_BIG, activation="tanh"),
    "512x256x50 relu": NetworkSpec(**_BIG, activation="relu", weight_var=2 / 256),
    "512x256x50 linear": NetworkSpec(**_BIG, activation="linear", weight_var=1 / 256),
    "512x256x50 gelu": NetworkSpec(**_BIG, activation="gelu", init="kaiming_normal"),
    "NetworkSpec() default": APP_DEFAULT,
}


def bare_chain(spec: NetworkSpec, params, with_activation: bool = False,
               weight_grads: bool = True) -> None:
    """The matrix products alone; weight_grads=False leaves out dL/dW = x^T g (a page
    that does not draw it). with_activation adds the least any float64 NumPy network
    must add to them: phi, and phi' (taken as simulate takes it: from phi's output
    where it can, with phi where they share a costly part, in the forward pass while
    they are in the cache), and backward phi' times the gradient."""
    act = activations.get(spec.activation)
    x = params.x0.reshape(-1, spec.width)
    saved = []
    for w in params.weights:
        h = x @ w
        if not with_activation:
            a, d = h, None
        elif act.with_slope is not None:
            a, d = act.with_slope(h)
        else:
            a = act.fn(h)
            d = None if act.identity else _local_grad(act, h, a)
        saved.append((x, d))
        x = a
    g = np.ones_like(x)
    for w, (xi, d) in zip(reversed(params.weights), reversed(saved)):
        if d is not None:
            g = g * d
        if weight_grads:
            _ = xi.T @ g
        g = g @ w.T


def _local_grad(act, h, a):
    if act.deriv_from_output is not None:
        return act.deriv_from_output(a)
    return act.deriv(h)


def medians_of(fns, repeats: int) -> list[float]:
    """Median CPU time of each function (the process's: with one BLAS thread, the work
    done, whatever else runs on a shared machine), taking turns so that drifts in the
    machine's load hit all."""
    for fn in fns:
        fn()                                  # warm caches and BLAS threads
    times = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t = time.process_time()
            fn()
            times[i].append(time.process_time() - t)
    return [float(np.median(t)) for t in times]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args(argv)
    print(f"CPU time, medians of {args.repeats} runs, taken in turns\n")
    print(f"| {'case':18} | {'bare ms':>8} | {'+act ms':>8} | {'simulate ms':>11} | "
          f"{'ratio':>5} | {'vs +act':>7} | {'result MB':>9} |")
    print(f"|{'-' * 20}|{'-' * 10}|{'-' * 10}|{'-' * 13}|{'-' * 7}|{'-' * 9}|{'-' * 11}|")
    for name, spec in CASES.items():
        params = make_params(spec)
        t_bare, t_act, t_sim = medians_of([lambda: bare_chain(spec, params),
                                           lambda: bare_chain(spec, params, True),
                                           lambda: simulate(spec, params=params)], args.repeats)
        mb = simulate(spec, params=params).nbytes() / 2**20
        print(f"| {name:18} | {t_bare*1e3:8.2f} | {t_act*1e3:8.2f} | {t_sim*1e3:11.2f} | "
              f"{t_sim/t_bare:5.2f} | {t_sim/t_act:7.2f} | {mb:9.2f} |")
    print("\nratio: simulate / the forward and backward matrix products alone, measured in the"
          "\nsame run; vs +act: / those products with phi forward and phi' times the gradient\n"
          "backward (the least a float64 NumPy network computes)")
    page_rows(args.repeats)
    lineup_rows(args.repeats)


def page_rows(repeats: int) -> None:
    """simulate as each page runs it (the statistic groups it draws, ui.pages), over the
    bare chain of the same products (without dL/dW where the page leaves it out), and over
    that chain with phi and phi' (the floor: what the statistics add), measured in turns:
    a page pays only for what it shows. One column per set of groups, named by its first
    page."""
    from ui.pages import PAGES
    first = {}
    for page in PAGES:
        first.setdefault(page.stats, page.url_path)
    page_stats = {name: stats for stats, name in first.items()}
    print(f"\nsimulate as each page runs it / the products that page runs (medians of "
          f"{repeats}); in brackets: / those products with phi and phi'\n")
    print("| case | " + " | ".join(page_stats) + " |")
    print("|---|" + "---|" * len(page_stats))
    for name, spec in CASES.items():
        if not name.startswith("512"):
            continue
        params = make_params(spec)
        fns = [(lambda act=act, dw=dw: bare_chain(spec, params, act, weight_grads=dw))
               for act in (False, True) for dw in (True, False)]
        fns += [(lambda groups=groups: simulate(spec, params=params, stats=groups))
                for groups in page_stats.values()]
        bare, bare_no_dw, floor, floor_no_dw, *pages = medians_of(fns, repeats)
        cells = []
        for t, groups in zip(pages, page_stats.values()):
            dw = "weight_grads" in groups
            cells.append(f"{t / (bare if dw else bare_no_dw):.2f} "
                         f"({t / (floor if dw else floor_no_dw):.2f})")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def lineup_rows(repeats: int) -> None:
    """Per activation, the normalization lineup's six networks (each variant's `profile`,
    as run_lineup runs them) at one fixed batch, over tanh's: the work per value that
    core.experiments.budget.ACTIVATION_WORK stands for."""
    from core.activations import ACTIVATIONS
    from core.experiments.budget import ACTIVATION_WORK, LAYER_VALUES
    from core.experiments.norm_lineup import lineup_specs
    from core.profile import profile
    names = list(ACTIVATIONS)
    print(f"\nthe normalization lineup (six networks, width 100) / tanh's, by activation "
          f"(medians of {repeats}), and the work per value w it implies; last row: "
          f"budget.ACTIVATION_WORK\n")
    print("| depth, batch | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for depth, batch in ((10, 256), (48, 32)):
        def lineup(act, depth=depth, batch=batch):
            spec = NetworkSpec(depth=depth, batch=batch, activation=act, weight_var=0.02)
            for v in lineup_specs(spec).values():
                profile(v.spec)
        times = dict(zip(names, medians_of([lambda a=a: lineup(a) for a in names], repeats)))
        values, fixed = 6 * batch * depth * 100, 6 * depth * LAYER_VALUES
        cells = []
        for a in names:                # w: values x w + fixed over values + fixed = ratio
            ratio = times[a] / times["tanh"]
            cells.append(f"{ratio:.2f} (w {(ratio * (values + fixed) - fixed) / values:.2f})")
        print(f"| {depth}, {batch} | " + " | ".join(cells) + " |", flush=True)
    print("| budget | " + " | ".join(f"{ACTIVATION_WORK.get(a, 1.0):.1f}" for a in names) + " |")


if __name__ == "__main__":
    main()
