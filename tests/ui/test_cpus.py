"""ui.cpus: the CPUs a process may use (cgroup quota, affinity, cores) read from fake
/proc and cgroup files, the plan of processes and threads drawn from them, and the
limits applied in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from ui import cpus

V1_CPU = "32 31 0:29 {root} /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct"
V1_MEM = "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory"
V2 = "30 23 0:27 {root} /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"


def fake(tmp_path: Path, cgroup: list[str], mountinfo: list[str],
         files: dict[str, str] | None = None) -> Path:
    """A /proc/self with these cgroup and mountinfo lines under tmp_path, and cgroup
    files at tmp_path/<path>; returns the fake /proc/self."""
    proc = tmp_path / "proc" / "self"
    proc.mkdir(parents=True)
    (proc / "cgroup").write_text("".join(line + "\n" for line in cgroup))
    (proc / "mountinfo").write_text("".join(line + "\n" for line in mountinfo))
    for rel, text in (files or {}).items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return proc


def usable(tmp_path, proc, affinity=64, count=64):
    return cpus.usable_cpus(proc, tmp_path, affinity=affinity, count=count)


def v1(tmp_path, path: str, quotas: dict[str, tuple[int, int]], root="/"):
    files = {}
    for d, (quota, period) in quotas.items():
        files[f"sys/fs/cgroup/cpu{d}/cpu.cfs_quota_us"] = str(quota)
        files[f"sys/fs/cgroup/cpu{d}/cpu.cfs_period_us"] = str(period)
    return fake(tmp_path, ["4:memory:/elsewhere", f"2:cpu,cpuacct:{path}", "0::/"],
                [V1_CPU.format(root=root), V1_MEM], files)


def v2(tmp_path, path: str, maxes: dict[str, str], root="/"):
    files = {f"sys/fs/cgroup{d}/cpu.max": text for d, text in maxes.items()}
    return fake(tmp_path, [f"0::{path}"], [V2.format(root=root)], files)


# -- the quota ----------------------------------------------------------------------------

def test_v1_quota_of_two_cpus_on_a_64_core_host(tmp_path):
    proc = v1(tmp_path, "/box", {"/box": (200_000, 100_000), "": (-1, 100_000)})
    assert cpus.quota_cpus(proc, tmp_path) == 2.0
    assert usable(tmp_path, proc) == 2


def test_v2_quota_and_its_period(tmp_path):
    proc = v2(tmp_path, "/app", {"/app": "300000 100000", "": "max 100000"})
    assert cpus.quota_cpus(proc, tmp_path) == 3.0
    assert usable(tmp_path, proc) == 3


@pytest.mark.parametrize("version", [1, 2])
def test_no_quota_leaves_the_affinity(tmp_path, version):
    proc = (v1(tmp_path, "/box", {"/box": (-1, 100_000)}) if version == 1
            else v2(tmp_path, "/app", {"/app": "max 100000"}))
    assert cpus.quota_cpus(proc, tmp_path) is None
    assert usable(tmp_path, proc, affinity=6, count=64) == 6


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("quota, whole", [(50_000, 1), (150_000, 1), (10_000, 1),
                                          (250_000, 2)])
def test_a_fractional_quota_counts_its_whole_cpus_and_at_least_one(tmp_path, version,
                                                                     quota, whole):
    proc = (v1(tmp_path, "/b", {"/b": (quota, 100_000)}) if version == 1
            else v2(tmp_path, "/b", {"/b": f"{quota} 100000"}))
    assert cpus.quota_cpus(proc, tmp_path) == quota / 100_000
    assert usable(tmp_path, proc) == whole


@pytest.mark.parametrize("version", [1, 2])
def test_the_smallest_quota_on_the_path_to_the_root_counts(tmp_path, version):
    """A parent with 1 CPU holds its child to 1, whatever the child's own quota says;
    a sibling's quota does not count."""
    if version == 1:
        proc = v1(tmp_path, "/a/b/c", {"/a/b/c": (400_000, 100_000), "/a/b": (-1, 100_000),
                                       "/a": (100_000, 100_000), "/x": (50_000, 100_000)})
    else:
        proc = v2(tmp_path, "/a/b/c", {"/a/b/c": "400000 100000", "/a/b": "max 100000",
                                       "/a": "100000 100000", "/x": "50000 100000"})
    assert cpus.quota_cpus(proc, tmp_path) == 1.0
    assert usable(tmp_path, proc) == 1


def test_a_child_quota_smaller_than_its_parents(tmp_path):
    proc = v2(tmp_path, "/a/b", {"/a/b": "50000 100000", "/a": "800000 100000"})
    assert cpus.quota_cpus(proc, tmp_path) == 0.5


def test_a_container_mount_shows_its_own_cgroup_at_the_mount_point(tmp_path):
    """Docker without a cgroup namespace: the mount's root is the container's cgroup,
    and /proc/self/cgroup names the same path: the files are at the mount point."""
    proc = v1(tmp_path, "/docker/abc", {"": (100_000, 100_000)}, root="/docker/abc")
    assert cpus.cgroup_dir("cpu", proc, tmp_path) == (tmp_path / "sys/fs/cgroup/cpu",) * 2
    assert usable(tmp_path, proc) == 1


def test_hybrid_hierarchies_take_the_smaller_quota(tmp_path):
    files = {"sys/fs/cgroup/cpu/j/cpu.cfs_quota_us": "300000",
             "sys/fs/cgroup/cpu/j/cpu.cfs_period_us": "100000",
             "sys/fs/cgroup/unified/j/cpu.max": "200000 100000"}
    unified = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw"
    proc = fake(tmp_path, ["1:cpu:/j", "0::/j"], [V1_CPU.format(root="/"), unified], files)
    assert cpus.quota_cpus(proc, tmp_path) == 2.0


def test_escaped_mount_points(tmp_path):
    line = r"32 31 0:29 / /sys/fs/cgroup/my\040cpu rw - cgroup cgroup rw,cpu"
    proc = fake(tmp_path, ["2:cpu:/"], [line],
                {"sys/fs/cgroup/my cpu/cpu.cfs_quota_us": "100000",
                 "sys/fs/cgroup/my cpu/cpu.cfs_period_us": "100000"})
    assert cpus.quota_cpus(proc, tmp_path) == 1.0


@pytest.mark.parametrize("missing", ["cgroup", "mountinfo", "cpu files", "period"])
def test_missing_files_mean_no_quota(tmp_path, missing):
    proc = v1(tmp_path, "/b", {"/b": (100_000, 100_000)})
    target = {"cgroup": proc / "cgroup", "mountinfo": proc / "mountinfo",
              "cpu files": tmp_path / "sys/fs/cgroup/cpu/b/cpu.cfs_quota_us",
              "period": tmp_path / "sys/fs/cgroup/cpu/b/cpu.cfs_period_us"}[missing]
    target.unlink()
    assert cpus.quota_cpus(proc, tmp_path) is None
    assert usable(tmp_path, proc, affinity=5, count=8) == 5


def test_garbage_in_the_files_means_no_quota(tmp_path):
    proc = v2(tmp_path, "/b", {"/b": "lots 0"})
    (proc / "mountinfo").write_text((proc / "mountinfo").read_text() + "junk line\n")
    assert cpus.quota_cpus(proc, tmp_path) is None


def test_affinity_smaller_than_the_core_count(tmp_path):
    proc = fake(tmp_path, [], [])
    assert usable(tmp_path, proc, affinity=3, count=64) == 3
    assert usable(tmp_path, proc, affinity=64, count=4) == 4


def test_this_process_counts_its_affinity_without_a_quota():
    if cpus.quota_cpus() is not None:
        pytest.skip("this machine's cgroup sets a CPU quota")
    assert cpus.usable_cpus() == len(os.sched_getaffinity(0))


# -- the plan -----------------------------------------------------------------------------

@given(st.integers(1, 512))
def test_processes_and_threads_never_ask_more_than_the_cpus(n):
    p = cpus.plan({}, cpus=n)
    assert p.processes == min(n, cpus.PROCESS_CAP) >= 1
    assert 1 <= p.threads <= cpus.BLAS_THREAD_CAP
    assert p.processes * p.threads <= n or p.threads == 1
    # and the cores are used, up to the cap
    assert p.threads == cpus.BLAS_THREAD_CAP or (p.threads + 1) * p.processes > n


@given(st.integers(1, 64), st.integers(-3, 20))
def test_compute_processes_from_the_environment_are_clamped(n, asked):
    p = cpus.plan({"LAYERSCOPE_COMPUTE_PROCESSES": str(asked)}, cpus=n)
    assert p.processes == max(0, min(asked, cpus.MAX_PROCESSES))
    assert 1 <= p.threads <= cpus.BLAS_THREAD_CAP


@pytest.mark.parametrize("n, asked, threads", [
    (8, "0", 4),      # no compute processes: two script threads share 8 CPUs
    (8, "1", 4),      # one process alone: the cap
    (8, "4", 2), (3, "3", 1), (16, "2", 4), (1, "0", 1), (5, "2", 2)])
def test_threads_share_the_cpus_among_the_computations_at_once(n, asked, threads):
    assert cpus.plan({"LAYERSCOPE_COMPUTE_PROCESSES": asked}, cpus=n).threads == threads


@pytest.mark.parametrize("raw", ["", "two", "1.5", " "])
def test_bad_variables_count_as_unset(raw):
    env = {"LAYERSCOPE_COMPUTE_PROCESSES": raw, "LAYERSCOPE_CPUS": raw}
    assert cpus.plan(env, cpus=8) == cpus.plan({}, cpus=8)


def counts(p: cpus.Plan) -> tuple[int, int, int]:
    return p.cpus, p.processes, p.threads


def test_a_workers_share_of_the_cpus_lowers_its_plan():
    assert counts(cpus.plan({"LAYERSCOPE_CPUS": "2"}, cpus=16)) == (2, 2, 1)
    assert cpus.plan({"LAYERSCOPE_CPUS": "0"}, cpus=16).cpus == 1
    assert cpus.plan({"LAYERSCOPE_CPUS": "64"}, cpus=16).cpus == 16     # never raises it


def test_a_one_cpu_box_on_a_64_core_host_gets_one_process_one_thread():
    assert counts(cpus.plan({}, cpus=1)) == (1, 1, 1)
    assert counts(cpus.plan({}, cpus=64)) == (64, 2, cpus.BLAS_THREAD_CAP)


@pytest.mark.parametrize("var", cpus.THREAD_VARS)
def test_a_thread_variable_in_the_environment_wins(var):
    assert cpus.plan({var: "3"}, cpus=4).env_wins == var
    assert cpus.plan({var: ""}, cpus=4).env_wins is None


# -- applied, in a fresh process ------------------------------------------------------------

PROBE = """
import json, sys, threadpoolctl
import numpy
from ui import cpus
before = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
applied = cpus.limit_threads(int(sys.argv[1]))
after = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
print(json.dumps(dict(before=before, applied=applied, after=after)))
"""


def probe(threads: int, **env) -> dict:
    base = {k: v for k, v in os.environ.items()
            if k not in cpus.THREAD_VARS and k != cpus.REPORT_VAR}
    out = subprocess.run([sys.executable, "-c", PROBE, str(threads)], env=base | env,
                         capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_limit_threads_sets_openblas_in_a_fresh_process():
    res = probe(1)
    assert res["applied"] and res["after"] == [1]
    # OpenBLAS starts with more on this machine: the limit changed something
    if os.cpu_count() > 1:
        assert res["before"][0] > 1


def test_an_explicit_openblas_variable_is_left_in_force():
    res = probe(1, OPENBLAS_NUM_THREADS="2")
    assert not res["applied"] and res["before"] == res["after"] == [2]


def test_report_writes_only_when_asked(tmp_path):
    planned = cpus.plan({}, cpus=2)
    assert cpus.report("server", planned, environ={}) is None
    path = cpus.report("server", planned, environ={cpus.REPORT_VAR: str(tmp_path / "r")})
    data = json.loads(path.read_text())
    assert path.name == f"{os.getpid()}.json" and data["role"] == "server"
    assert data["plan"]["threads"] == planned.threads
    assert any(p["user_api"] == "blas" for p in data["threadpools"])
    # a folder that cannot be made is skipped, not raised
    (tmp_path / "file").write_text("")
    assert cpus.report("server", planned, {cpus.REPORT_VAR: str(tmp_path / "file")}) is None
