"""A memory ceiling per server: the heaviest Training link and a few students on the
other pages, against the app started as `make run` does inside a 1 GB, 2-CPU box
(bench.box): no OOM kill, the server alive, the box's peak below its limit, every
rerun right, the training done; and once it is done, the server has given the
trainers' memory back.

Needs a writable cgroup hierarchy (root); elsewhere skipped with the reason.
"""

from __future__ import annotations

from bench import load

from . import loop
from .conftest import boxed_server

BOX = (1024, 2)
# The heavy link trains at most 10 steps (its budget): seconds, even on a loaded 2-core
# machine; the timeout leaves room for the class running beside it.
VISIT_TIMEOUT = 75.0


def test_a_heavy_training_link_and_a_class_in_a_1gb_box():
    with boxed_server(BOX) as (url, pids, state):
        rep = loop.run(load.run_class(url, 4, 15.0, interval=3.0, pids=pids,
                                      visit_views=load.heavy_training(1),
                                      visit_timeout=VISIT_TIMEOUT))
        after = state()
    (visit,) = rep["visits"]
    assert visit["done"], visit
    assert rep["errors"] == 0 and rep["reruns"] >= 4, rep
    assert after["server_alive"], after
    assert after["oom_kills"] == 0, after
    assert 0 < after["peak_mb"] < BOX[0], after
    # the trainers' memory (python -m bench.memory --training 1 reports it) went back
    # once the run was done
    mem = rep["rss_by_process_mb"]
    server_end = mem["timeline"][-1][1]
    assert server_end < mem["server_peak"] - 100, mem
