"""A compute process starts light: it imports NumPy and the core for its first task,
not Streamlit, which the server has and it never uses (a fresh server's first setting
waits for that start)."""

import subprocess
import sys
from pathlib import Path

import pytest

from ui import compute

REPO = Path(__file__).resolve().parents[2]


def streamlit_loaded() -> bool:
    """Run in a compute process: whether Streamlit is imported there."""
    return "streamlit" in sys.modules


def test_importing_the_compute_module_does_not_import_streamlit():
    code = "import sys, ui.compute; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr


@pytest.mark.skipif(not compute.PROCESSES, reason="no compute processes")
def test_a_compute_process_has_no_streamlit():
    import streamlit  # noqa: F401  -- the server's process has it
    compute.set_processes(compute.PROCESSES)     # fresh processes: no earlier task's imports
    assert compute.run(streamlit_loaded) is False


def test_outside_a_script_run_the_check_does_nothing():
    assert compute.run_check()() is None
