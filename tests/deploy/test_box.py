"""bench.box, a hosted box emulated: the cgroup files it writes (v1 and v2, on fake
hierarchies), and a real one: a short class against the app in 1 GB and 1 CPU, with no
OOM kill, the server alive and no error; the box gone afterwards.

The real ones need a writable cgroup hierarchy (root); elsewhere they are skipped with
the reason.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from bench import load
from bench.box import Box, BoxUnavailable, parse

from .conftest import boxed_server
from . import loop

V1 = ["32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct",
      "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory"]
V2 = ["30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate"]


def fake(tmp_path: Path, cgroup: list[str], mountinfo: list[str], dirs: list[str],
         files: dict[str, str] | None = None) -> Path:
    """A /proc/self with these cgroup and mountinfo lines under tmp_path, these cgroup
    directories and files; returns the fake /proc/self."""
    proc = tmp_path / "proc" / "self"
    proc.mkdir(parents=True)
    (proc / "cgroup").write_text("\n".join(cgroup) + "\n")
    (proc / "mountinfo").write_text("\n".join(mountinfo) + "\n")
    for d in dirs:
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
    for rel, text in (files or {}).items():
        (tmp_path / rel).write_text(text)
    return proc


def read(path: Path) -> str:
    return path.read_text().strip()


def test_v1_box_under_our_own_memory_cgroup_with_swap_accounted(tmp_path):
    own = "sys/fs/cgroup/memory/jobs/me"
    proc = fake(tmp_path, ["4:memory:/jobs/me", "1:cpu,cpuacct:/", "0::/"], V1,
                [own, "sys/fs/cgroup/cpu"], {f"{own}/memory.memsw.limit_in_bytes": "-1"})
    box = Box(700, 0.5, proc=proc, root=tmp_path, name="b")
    box.create()
    mem, cpu = tmp_path / own / "b", tmp_path / "sys/fs/cgroup/cpu/b"
    assert box.version == 1 and box.dirs == {"memory": mem, "cpu": cpu}
    assert read(mem / "memory.limit_in_bytes") == str(700 * 2**20)
    assert read(mem / "memory.memsw.limit_in_bytes") == str(700 * 2**20)
    assert (read(cpu / "cpu.cfs_quota_us"), read(cpu / "cpu.cfs_period_us")) == ("50000",
                                                                                 "100000")
    (mem / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    (mem / "memory.max_usage_in_bytes").write_text(f"{300 * 2**20}\n")
    assert box.usage() == dict(oom_kills=2, peak_mb=300.0)
    # the server's /proc/<pid>/cgroup names the box in both hierarchies, or it is not in
    other = tmp_path / "proc" / "77"
    other.mkdir()
    (other / "cgroup").write_text("4:memory:/jobs/me/b\n1:cpu,cpuacct:/b\n")
    assert box.holds(77)
    (other / "cgroup").write_text("4:memory:/jobs/me/b\n1:cpu,cpuacct:/\n")
    assert not box.holds(77)
    assert "echo $$ > " + str(mem / "cgroup.procs") in box.wrapper()[2]


def test_v1_box_without_swap_accounting_writes_no_memsw(tmp_path):
    proc = fake(tmp_path, ["4:memory:/", "1:cpu:/"], V1,
                ["sys/fs/cgroup/memory", "sys/fs/cgroup/cpu"])
    box = Box(1024, 1, proc=proc, root=tmp_path, name="b")
    box.create()
    assert not (box.dirs["memory"] / "memory.memsw.limit_in_bytes").exists()
    assert read(box.dirs["cpu"] / "cpu.cfs_quota_us") == "100000"


def test_v2_box_falls_back_to_the_root_when_our_cgroup_is_not_writable(tmp_path):
    """Our own cgroup (/user/me) cannot take a child here (it does not exist as a
    directory, as an unwritable one would refuse): the box goes under the root, whose
    children are handed the cpu and memory controllers."""
    proc = fake(tmp_path, ["0::/user/me"], V2, ["sys/fs/cgroup"],
                {"sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n",
                 "sys/fs/cgroup/memory.swap.max": "max\n"})
    box = Box(1024, 1.5, proc=proc, root=tmp_path, name="b")
    box.create()
    d = tmp_path / "sys/fs/cgroup/b"
    assert box.version == 2 and box.dirs == {"": d}
    assert read(tmp_path / "sys/fs/cgroup/cgroup.subtree_control") == "+cpu +memory"
    assert read(d / "memory.max") == str(2**30) and read(d / "memory.swap.max") == "0"
    assert read(d / "cpu.max") == "150000 100000"
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n")
    (d / "memory.peak").write_text(f"{512 * 2**20}\n")
    assert box.usage() == dict(oom_kills=1, peak_mb=512.0)


def test_no_hierarchy_with_cpu_and_memory_is_said(tmp_path):
    proc = fake(tmp_path, ["0::/"], V2, ["sys/fs/cgroup"],
                {"sys/fs/cgroup/cgroup.controllers": "pids\n"})
    with pytest.raises(BoxUnavailable, match="cpu and memory"):
        Box(1024, 1, proc=proc, root=tmp_path).create()


def test_nowhere_to_make_it_is_said_with_the_places_tried(tmp_path):
    proc = fake(tmp_path, ["4:memory:/a", "1:cpu:/"], V1, [])      # no directories at all
    with pytest.raises(BoxUnavailable, match="cannot make a cgroup"):
        Box(1024, 1, proc=proc, root=tmp_path).create()


@pytest.mark.parametrize("text", ["1024", "1024,1,2", "x,1", "1024,0", "8,1", "nan,1",
                                  "1024,-1", ""])
def test_bad_box_specs_are_refused_with_the_form(text):
    with pytest.raises(ValueError, match="MEM_MB,CPUS|at least"):
        parse(text)


def test_bench_load_refuses_a_bad_box_with_a_message(capsys):
    with pytest.raises(SystemExit) as exc:
        load.main(["--box", "lots"])
    assert exc.value.code == 2 and "MEM_MB,CPUS" in capsys.readouterr().err


# -- a real box ---------------------------------------------------------------------------

def real_box(*spec) -> Box:
    try:
        return Box(*spec).__enter__()
    except BoxUnavailable as exc:
        print(f"no cgroup box here: {exc}")
        pytest.skip(f"no cgroup box here: {exc}")


def test_a_box_holds_its_process_and_is_removed_with_it():
    box = real_box(256, 0.5)
    try:
        proc = subprocess.Popen([*box.wrapper(), "sleep", "60"])
        deadline = time.monotonic() + 5
        while not box.holds(proc.pid):
            assert time.monotonic() < deadline, Path(f"/proc/{proc.pid}/cgroup").read_text()
            time.sleep(0.05)
        dirs = list(box.dirs.values())
        assert all(d.is_dir() for d in dirs)
        assert str(proc.pid) in (dirs[0] / "cgroup.procs").read_text().split()
    finally:
        box.__exit__(None, None, None)
    assert proc.wait(timeout=10) == -9                  # what was left in it was killed
    assert not any(d.exists() for d in dirs)


def test_a_short_class_in_a_1gb_1cpu_box():
    """5 sessions for 15 s against the app started as `make run` does, inside 1 GB and
    1 CPU: no OOM kill, the server alive, every rerun right."""
    with boxed_server((1024, 1)) as (url, pids, state):
        rep = loop.run(load.run_class(url, 5, 15.0, interval=3.0, pids=pids))
        after = state()
    assert rep["errors"] == 0 and rep["reruns"] >= 5, rep
    assert after["server_alive"], after
    assert after["oom_kills"] == 0, after
    assert 0 < after["peak_mb"] < 1024, after
    assert rep["rss_mb"]["peak"] > 0
