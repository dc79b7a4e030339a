"""A setting that waits for a compute place says so (ui.compute.waiting_note): twelve
students open heavy settings on a fresh server at once; two compute at a time, so the
last ones wait several seconds, and their pages say that the server is busy while they
wait, then the note goes. Every page comes right."""

from __future__ import annotations

import asyncio

from bench.load import Session, View

from . import loop

SESSIONS = 12            # at most ui.capacity.BUSY_SCRIPTS: the pages run in full, not light


def heavy(seed: int) -> View:
    """A setting near the page budget's limit (about a second of computing), new to
    the cache (its own seed)."""
    return View("variance", (("depth", "200"), ("width", "1024"), ("batch", "1024"),
                             ("seed", str(seed))))


async def _class(url: str):
    async def one(i: int):
        s = Session(url, f"s{i}")
        try:
            run = await s.connect(heavy(i + 1), timeout=120)
            return run, s.shows(run, heavy(i + 1))
        finally:
            await s.close()
    return await asyncio.gather(*(one(i) for i in range(SESSIONS)))


def test_a_setting_that_waits_for_a_place_says_the_server_is_busy(fresh_server):
    url, _ = fresh_server
    results = loop.run(_class(url))
    assert all(why is None and run.exceptions == 0 for run, why in results), results
    waited = [run for run, _ in results if run.busy_notes]
    assert waited, sorted(round(run.latency, 2) for run, _ in results)
    assert all(not run.busy_left for run in waited)      # the note went once it computed
    # the note shows after about a second of waiting: a page that said it took longer
    assert min(run.latency for run in waited) > 1.0
