"""A script run that held much memory gives the free part back when it ends
(ui.compute.giving_back, around every run in app.py); smaller runs do not pay for it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ui import compute

REPO = Path(__file__).resolve().parents[2]

# In a fresh process with the server's allocator settings: 300 blocks of 1 MB, each
# touched, then one more block above them (the heap's top stays in use, so glibc cannot
# give the free blocks back by itself), then the 300 freed; resident MB measured before,
# after freeing and after the block (a script run) ends.
_CHILD = r'''
import json, sys
import numpy as np
from ui import compute
compute.keep_freed_memory()
start = compute.resident_mb()
with compute.giving_back(after_mb=float(sys.argv[1])):
    blocks = [np.ones(2**17) for _ in range(300)]
    top = np.ones(2**17)
    del blocks
    freed = compute.resident_mb()
print(json.dumps(dict(start=start, freed=freed, end=compute.resident_mb())))
'''


def _child(after_mb: float) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(after_mb)], cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


needs_proc = pytest.mark.skipif(compute.resident_mb() is None, reason="no /proc here")


@needs_proc
def test_a_run_that_grew_past_the_mark_gives_its_free_memory_back():
    mb = _child(after_mb=64)
    assert mb["freed"] - mb["start"] > 250, mb       # freed, but still the process's
    assert mb["end"] - mb["start"] < 50, mb          # given back when the run ended


@needs_proc
def test_a_run_below_the_mark_keeps_its_free_memory():
    mb = _child(after_mb=1000)
    assert mb["end"] - mb["start"] > 250, mb


def test_the_mark_is_the_growth_during_the_run(monkeypatch):
    calls = []
    monkeypatch.setattr(compute, "give_back_freed_memory", lambda: calls.append(1))
    sizes = iter([100.0, 150.0, 100.0, 200.0, 300.0, 400.0])
    monkeypatch.setattr(compute, "resident_mb", lambda: next(sizes))
    with compute.giving_back(after_mb=64):          # grew 50 MB: nothing to do
        pass
    assert calls == []
    with compute.giving_back(after_mb=64):          # grew 100 MB
        pass
    assert calls == [1]
    with pytest.raises(KeyError):                   # a run ended by an exception
        with compute.giving_back(after_mb=64):      # (a newer run replacing it) too
            raise KeyError("superseded")
    assert calls == [1, 1]


def test_without_proc_nothing_is_given_back(monkeypatch):
    calls = []
    monkeypatch.setattr(compute, "give_back_freed_memory", lambda: calls.append(1))
    monkeypatch.setattr(compute, "resident_mb", lambda: None)
    with compute.giving_back(after_mb=0):
        pass
    assert calls == []
