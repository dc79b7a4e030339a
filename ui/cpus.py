"""The CPUs this process may really use, and the threads the app gives NumPy's BLAS.

A container reports its host's cores to `os.cpu_count()` (64 on a hosted box that may
use one), and OpenBLAS starts one thread per core in every process that imports NumPy;
threads beyond the CPUs spin against each other and against the CPU quota. So the
app reckons its CPUs itself (`usable_cpus`):

1. the cgroup CPU quota: cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us / cpu.cfs_period_us`,
   the smallest along the path from the process's own cgroup (/proc/self/cgroup) to its
   hierarchy's mount point (/proc/self/mountinfo), rounded down, at least 1;
2. else, or if fewer, the CPUs in its affinity mask (`os.sched_getaffinity`, which also
   reflects a cpuset);
3. else the core count.

From them, `plan()`: LAYERSCOPE_CPUS (a share that deploy.serve gives each of its
workers) may lower the count; compute processes (ui.compute) are
LAYERSCOPE_COMPUTE_PROCESSES if set, else min(CPUs, PROCESS_CAP); and every process,
the server and each compute process, limits its BLAS and OpenMP thread pools to
max(1, min(BLAS_THREAD_CAP, CPUs // computations at once)) with threadpoolctl, before
any numerical work. An explicit OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or
MKL_NUM_THREADS in the environment wins: then the app leaves every thread pool as the
environment made it.

With LAYERSCOPE_THREADS_REPORT set to a directory, each process writes what is in force
there (`report`), as <pid>.json: a debugging aid, off unless set.

>>> plan({}, cpus=2)
Plan(cpus=2, processes=2, threads=1, env_wins=None)
>>> plan({"OMP_NUM_THREADS": "3"}, cpus=1)
Plan(cpus=1, processes=1, threads=1, env_wins='OMP_NUM_THREADS')
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath

import threadpoolctl

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
REPORT_VAR = "LAYERSCOPE_THREADS_REPORT"
# Compute processes when not set: today's measured default (bench.load, 2 cores). A
# bigger machine serves more sessions with more servers (deploy.serve gives each its
# share of the CPUs), not with more processes behind one server's interpreter.
PROCESS_CAP = 2
MAX_PROCESSES = 8              # LAYERSCOPE_COMPUTE_PROCESSES is clamped to 0..8
MIN_SLOTS = 2                 # ui.compute: computations at once with no processes
# BLAS threads: all the computations that run at once together never start more threads
# than the CPUs, because a thread waiting for a core spins: 30 sessions of bench.load
# (python -m bench.load --start-server --sessions 30) waited 4.7 s p95 per rerun with
# OpenBLAS's default of one thread per core in every process, 0.14 s with one, and
# 10.1 s against 0.13 s in a 1-CPU cgroup (python -m bench.load --box 1024,1). Within
# that, a product gains little: at the app's largest width (1024, batch 256-1024) a
# second thread on an idle core took a simulation from 566 to 452 ms, so the products
# are about 40% of it, and past 4 threads Amdahl leaves under a tenth to gain.
BLAS_THREAD_CAP = 4


@dataclass(frozen=True)
class Plan:
    cpus: int                  # CPUs this server counts as its own
    processes: int             # compute processes (ui.compute)
    threads: int               # BLAS/OpenMP threads in each process
    env_wins: str | None       # the thread variable set in the environment, if any


def plan(environ=os.environ, cpus: int | None = None) -> Plan:
    """Compute processes and threads per process for `cpus` (default: usable_cpus(),
    lowered by LAYERSCOPE_CPUS); a bad number in a variable counts as unset."""
    cpus = usable_cpus() if cpus is None else cpus
    share = _int(environ.get("LAYERSCOPE_CPUS"))
    if share is not None:
        cpus = min(cpus, max(1, share))
    processes = _int(environ.get("LAYERSCOPE_COMPUTE_PROCESSES"))
    processes = (min(cpus, PROCESS_CAP) if processes is None
                 else max(0, min(processes, MAX_PROCESSES)))
    return Plan(cpus, processes, threads_for(cpus, processes), env_wins(environ))


def threads_for(cpus: int, processes: int) -> int:
    """BLAS threads per process when `processes` compute processes (0: MIN_SLOTS
    script threads) compute at once on `cpus`."""
    return max(1, min(BLAS_THREAD_CAP, cpus // (processes or MIN_SLOTS)))


def replan(planned: Plan, processes: int) -> Plan:
    """`planned` with another number of compute processes, its threads to match."""
    return replace(planned, processes=processes,
                   threads=threads_for(planned.cpus, processes))


def _int(raw: str | None) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def env_wins(environ=os.environ) -> str | None:
    """The first thread variable set (non-empty) in `environ`, or None."""
    return next((v for v in THREAD_VARS if environ.get(v, "").strip()), None)


# -- applying them ----------------------------------------------------------------------

def limit_threads(threads: int, environ=os.environ) -> bool:
    """Limit this process's BLAS and OpenMP pools to `threads` (False, and nothing
    changed, when the environment sets a thread variable: it wins)."""
    import numpy  # noqa: F401  -- loads OpenBLAS: threadpoolctl limits loaded libraries
    if env_wins(environ):
        return False
    threadpoolctl.threadpool_limits(limits=max(1, threads))
    return True


def report(role: str, planned: Plan, environ=os.environ) -> Path | None:
    """Write this process's thread pools in force to $LAYERSCOPE_THREADS_REPORT/<pid>.json
    (only when the variable is set; a directory that cannot be written is skipped)."""
    folder = environ.get(REPORT_VAR, "").strip()
    if not folder:
        return None
    import numpy  # noqa: F401  -- its BLAS is what the report is about
    pid = os.getpid()
    data = dict(pid=pid, ppid=os.getppid(), role=role, plan=asdict(planned),
                threadpools=threadpoolctl.threadpool_info())
    path = Path(folder) / f"{pid}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)               # a reader never sees half a file
    except OSError:
        return None
    return path


# -- reckoning the CPUs ---------------------------------------------------------------------

@dataclass(frozen=True)
class Mount:
    fstype: str                # "cgroup" (v1) or "cgroup2"
    root: str                  # the cgroup this mount shows at its mount point
    point: str
    options: frozenset[str]    # v1: its controllers among them


def mounts(proc: Path = Path("/proc/self")) -> list[Mount]:
    """The cgroup mounts in `proc`/mountinfo (none if it cannot be read).

    Each line: id parent dev root mount-point options [optional...] - fstype source
    super-options; paths escape spaces and the like as octal (\\040).
    """
    try:
        lines = (proc / "mountinfo").read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        out.append(Mount(tail[0], _unescape(fields[3]), _unescape(fields[4]),
                         frozenset(tail[2].split(","))))
    return out


def _unescape(path: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def cgroups(proc: Path = Path("/proc/self")) -> dict[str, str]:
    """The process's cgroup per v1 controller, and per "" its v2 cgroup (from
    `proc`/cgroup: "4:memory:/a/b", "1:cpu,cpuacct:/", "0::/c")."""
    try:
        lines = (proc / "cgroup").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            out.setdefault(controller, parts[2])
    return out


def cgroup_dir(controller: str, proc: Path = Path("/proc/self"),
               root: Path = Path("/")) -> tuple[Path, Path] | None:
    """(the process's cgroup directory, its hierarchy's mount point) for a v1
    `controller` ("cpu", "memory"), or for v2 with controller ""; None if not mounted."""
    path = cgroups(proc).get(controller)
    if path is None:
        return None
    for m in mounts(proc):
        if (m.fstype == "cgroup2") if controller == "" else (controller in m.options):
            point = root / m.point.lstrip("/")
            try:
                rel = PurePosixPath(path).relative_to(m.root)
            except ValueError:          # outside the mounted part: its top is all we see
                rel = PurePosixPath()
            return point / rel, point
    return None


def _walk_up(start: Path, top: Path):
    d = start
    while True:
        yield d
        if d == top or top not in d.parents:
            return
        d = d.parent


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def quota_cpus(proc: Path = Path("/proc/self"), root: Path = Path("/")) -> float | None:
    """The smallest CPU quota, in CPUs, along the process's cgroup path to the root of
    each hierarchy (v1 cpu, v2); None if no cgroup on the way sets one."""
    quotas = []
    found = cgroup_dir("cpu", proc, root)
    for d in _walk_up(*found) if found else ():
        q, p = _int(_read(d / "cpu.cfs_quota_us")), _int(_read(d / "cpu.cfs_period_us"))
        if q and p and q > 0 and p > 0:
            quotas.append(q / p)
    found = cgroup_dir("", proc, root)
    for d in _walk_up(*found) if found else ():
        text = (_read(d / "cpu.max") or "").split()
        if len(text) == 2 and text[0] != "max":
            q, p = _int(text[0]), _int(text[1])
            if q and p and q > 0 and p > 0:
                quotas.append(q / p)
    return min(quotas, default=None)


def usable_cpus(proc: Path = Path("/proc/self"), root: Path = Path("/"),
                affinity: int | None = None, count: int | None = None) -> int:
    """CPUs this process may keep busy: the whole CPUs of its cgroup quota (at least
    one), its affinity mask, its core count, whichever is fewest."""
    if affinity is None and hasattr(os, "sched_getaffinity"):
        affinity = len(os.sched_getaffinity(0))
    count = count or os.cpu_count() or 1
    cpus = min(affinity or count, count)
    quota = quota_cpus(proc, root)
    if quota is not None:
        # 1.5 CPUs: a second busy thread would spend the period's quota in two thirds
        # of it, then every thread of the cgroup waits out the rest
        cpus = min(cpus, max(1, int(quota)))
    return max(1, cpus)
