"""What one rerun costs a real server: CPU per new setting and per cached rerun, per page.

    python -m bench.server                    # --new 20 --repeats 5 --pages variance,...
    python -m bench.server --tabs --pages depth_scales    # every tab of a page

`bench.pages` times reruns inside AppTest, whose own work (parsing every delta into its
element tree, polling for the script's end every millisecond) is counted with the
script's. Here a fresh `streamlit run app.py` serves one browser-like session
(`bench.load.Session`: Streamlit's websocket protocol, the widgets' new states), and a
rerun's cost is the CPU time the server and its compute processes (ui.compute) used
between sending it and reading its script_finished, read in nanoseconds from
/proc/<pid>/task/<tid>/schedstat. What a class costs the server is this, per rerun.

Per page: first the page is opened and `--warm` new settings run, not counted (a
process's first run of a page imports and builds what every later run reuses, and a
network's first depth of a batch size draws its weights, which deeper or shallower ones
of that size then share: --warm 1 measures a fresh server, --warm 10 one a class has
used for a minute); then `--new` settings no one asked for before (depth 2-60, Var(W)
0.001-1, five activations, the same draws as bench.pages), and `--repeats` cached
reruns (depth 10 <-> 12). Loopback only; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from bench.load import PAGES, MemorySampler, Session, View, task_files
from bench.pages import new_setting_draws, screens
from ui.controls import BY_KEY

RUN_TIMEOUT = 120.0
SHOW_SLOWEST = 0            # main(--slowest N): print each page's N costliest settings


def cpu_ns(pids: list[int]) -> int:
    """Nanoseconds on CPU of every thread of these processes (exited ones count 0).

    >>> before = cpu_ns([os.getpid()]); _ = sum(i * i for i in range(200_000))
    >>> cpu_ns([os.getpid()]) > before
    True
    """
    return sum(int(text.split()[0]) for pid in pids for text in task_files(pid, "schedstat"))


def minor_faults(pids: list[int]) -> int:
    """Pages every thread of these processes faulted in (minflt of /proc/<pid>/task/*/stat):
    each fault costs microseconds, and an allocator that gives memory back to the kernel
    makes the next computation fault it in again.

    >>> import mmap; fresh = mmap.mmap(-1, 1 << 22)      # 4 MB from the kernel
    >>> before = minor_faults([os.getpid()])
    >>> for i in range(0, len(fresh), mmap.PAGESIZE): fresh[i] = 1
    >>> minor_faults([os.getpid()]) - before >= (1 << 22) // mmap.PAGESIZE
    True
    """
    return sum(int(text.rsplit(")", 1)[1].split()[7])
               for pid in pids for text in task_files(pid, "stat"))


def setting_view(page: str, depth: int, weight_var: float | None = None,
                 activation: str | None = None, tab: tuple[str, str] | None = None) -> View:
    values = [tab] if tab is not None else []
    values.append(("depth", str(depth)))
    if weight_var is not None:
        values.append(("weight_var", BY_KEY["weight_var"].fmt(weight_var)))
    if activation is not None:
        values.append(("activation", activation))
    return View(page, tuple(values))


def new_views(page: str, count: int, seed: int = 0,
              tab: tuple[str, str] | None = None) -> list[View]:
    """bench.pages' new settings (`new_setting_draws`), as views of `page` (on `tab`,
    its URL key and title, if given).

    >>> view, (depth, weight_var, activation) = new_views("variance", 1)[0], new_setting_draws(1)[0]
    >>> dict(view.values) == {"depth": str(depth), "activation": activation,
    ...                       "weight_var": BY_KEY["weight_var"].fmt(weight_var)}
    True
    """
    return [setting_view(page, *draw, tab=tab) for draw in new_setting_draws(count, seed)]


async def page_costs(url: str, server_pid: int, page: str, new: int, repeats: int,
                     warm: int = 1, tab: tuple[str, str] | None = None,
                     seed: int = 0) -> tuple[list[float], list[float], list[int]]:
    """(ms of CPU per new setting, ms per cached rerun, page faults per new setting) on
    one page (on `tab`), one session, after `warm` settings not counted; `seed` draws
    the new settings (another per tab: no tab finds its settings computed by another)."""
    family = lambda: MemorySampler.family(server_pid)          # noqa: E731
    s = Session(url, page)
    try:
        run = await s.connect(View(page, (tab,) if tab else ()))
        runs = [run]
        for view in new_views(page, warm, seed=999, tab=tab):   # not among the measured
            runs.append(await s.rerun(view, timeout=RUN_TIMEOUT))

        async def cost(view: View) -> tuple[float, int]:
            """(ms of CPU, pages faulted in) of one rerun."""
            await s.drain()
            pids = family()
            before, faulted = cpu_ns(pids), minor_faults(pids)
            runs.append(await s.rerun(view, timeout=RUN_TIMEOUT))
            return (cpu_ns(pids) - before) / 1e6, minor_faults(pids) - faulted

        views = new_views(page, new, seed, tab)
        fresh, faults = zip(*[await cost(v) for v in views])
        if SHOW_SLOWEST:
            for ms, v in sorted(zip(fresh, views), key=lambda p: -p[0])[:SHOW_SLOWEST]:
                print(f"  {page}: {ms:5.0f} ms  {v.query}", flush=True)
        cached = [(await cost(setting_view(page, d, tab=tab)))[0] for d in [10, 12] * repeats]
        broken = [r.status for r in runs if r.status != "FINISHED_SUCCESSFULLY" or r.exceptions]
        if broken:
            raise RuntimeError(f"{page}: runs did not finish cleanly: {broken}")
        return list(fresh), cached[2:], list(faults)            # 10 and 12 once each first
    finally:
        await s.close()


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main(argv=None) -> None:
    from deploy.serve import free_port, start_streamlit, stop, wait_healthy
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--new", type=int, default=20, help="new settings per page")
    ap.add_argument("--repeats", type=int, default=5, help="cached depth 10 <-> 12 pairs")
    ap.add_argument("--pages", default="", help="comma-separated url paths (default: all)")
    ap.add_argument("--warm", type=int, default=1,
                    help="settings run first on each page, not counted (default 1)")
    ap.add_argument("--tabs", action="store_true",
                    help="every tab of a page with tabs, not only its first")
    ap.add_argument("--slowest", type=int, default=0,
                    help="also print each page's N costliest new settings")
    args = ap.parse_args(argv)
    global SHOW_SLOWEST
    SHOW_SLOWEST = args.slowest
    if not (1 <= args.new <= 200 and 1 <= args.repeats <= 50 and 0 <= args.warm <= 50):
        raise SystemExit("--new 1..200, --repeats 1..50, --warm 0..50")
    pages = [p for p in PAGES if not args.pages or p.url_path in args.pages.split(",")]
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"bench-server-{port}.log"
    proc = start_streamlit(port, log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, [proc], log=log)
        print(f"server CPU per rerun (server + compute processes), ms; {args.new} new "
              f"settings per page (depth 2-60, Var(W) 0.001-1, 5 activations), after "
              f"{args.warm} not counted")
        print(f"{'page':26} {'new p50':>8} {'new p95':>8} {'new max':>8} {'cached p50':>11} "
              f"{'faults p50':>11}")
        for info, (name, tab), k in [(info, screen, k) for info in pages
                                     for k, screen in enumerate(screens(info, args.tabs))]:
            fresh, cached, faults = asyncio.run(page_costs(
                url, proc.pid, info.url_path, args.new, args.repeats, args.warm, tab, k))
            print(f"{name:26} {statistics.median(fresh):8.0f} {pct(fresh, 0.95):8.0f} "
                  f"{max(fresh):8.0f} {statistics.median(cached):11.0f} "
                  f"{statistics.median(faults):11.0f}", flush=True)
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
