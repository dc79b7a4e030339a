"""Run a test's asyncio client on its own thread.

A session-scoped Playwright browser (tests/browser) keeps an event loop running on the
main thread for the rest of the test session, and asyncio.run refuses to start inside
a running loop; a fresh thread has none.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run(coro):
    """asyncio.run(coro) on a thread of its own; its result (or exception)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
