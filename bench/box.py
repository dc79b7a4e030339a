"""A hosted box, emulated: a fresh cgroup with a memory limit and a CPU quota to run the
server in (`python -m bench.load --box 1024,1`, tests/deploy/test_box.py).

    with Box(1024, 1) as box:                       # 1 GB, 1 CPU
        proc = deploy.serve.start_as_make_run(port, log, prefix=box.wrapper())
        box.holds(proc.pid)                          # True
        box.usage()                                  # {'oom_kills': 0, 'peak_mb': 612.3}

cgroup v1 (a directory in the memory hierarchy and one in the cpu hierarchy:
memory.limit_in_bytes, memory.memsw.limit_in_bytes where swap is accounted, so that the
box cannot swap past its limit; cpu.cfs_quota_us over cpu.cfs_period_us) or cgroup v2
(one directory: memory.max, memory.swap.max = 0, cpu.max). Each directory is made under
this process's own cgroup where that is writable, else under the hierarchy's root. On
exit any process left in the box is killed and the box removed. Needs root (or a
delegated cgroup): `BoxUnavailable` says why not.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ui import cpus

PERIOD_US = 100_000            # the CFS period the quota is a share of (the kernel's default)
MIN_MEM_MB = 16
MIN_CPUS = 0.01                # a quota of 1 ms per 100 ms period: the kernel's least


class BoxUnavailable(RuntimeError):
    """No box can be made here (no cgroup hierarchy with cpu and memory, not writable)."""


def parse(text: str) -> tuple[float, float]:
    """'MEM_MB,CPUS' as the command line gives it.

    >>> parse("700,0.5")
    (700.0, 0.5)
    >>> parse("1024")
    Traceback (most recent call last):
    ...
    ValueError: a box is MEM_MB,CPUS (e.g. 1024,1), not '1024'
    """
    parts = text.split(",")
    try:
        mem_mb, n_cpus = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"a box is MEM_MB,CPUS (e.g. 1024,1), not {text!r}") from None
    if not (mem_mb >= MIN_MEM_MB and n_cpus >= MIN_CPUS):      # NaN fails too
        raise ValueError(f"a box needs at least {MIN_MEM_MB} MB and {MIN_CPUS} CPUs, "
                         f"not {text!r}")
    return mem_mb, n_cpus


@dataclass
class Box:
    mem_mb: float
    cpus: float
    proc: Path = Path("/proc/self")      # where this process's cgroup and mounts are read
    root: Path = Path("/")               # what the mount points are relative to
    name: str = field(default_factory=lambda: f"layerscope-box-{uuid.uuid4().hex[:8]}")
    version: int = 0
    dirs: dict[str, Path] = field(default_factory=dict)  # v1 controller or "" (v2) -> dir

    @property
    def quota_us(self) -> int:
        return max(1000, round(self.cpus * PERIOD_US))

    @property
    def mem_bytes(self) -> int:
        return int(self.mem_mb * 2**20)

    def __enter__(self) -> Box:
        try:
            self.create()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def create(self) -> None:
        v1 = {c: cpus.cgroup_dir(c, self.proc, self.root) for c in ("memory", "cpu")}
        v2 = cpus.cgroup_dir("", self.proc, self.root)
        if all(v1.values()):
            self.version = 1
            mem, cpu = (self._make(c, *v1[c]) for c in ("memory", "cpu"))
            self._write(mem, "memory.limit_in_bytes", self.mem_bytes)
            if _has(mem, "memory.memsw.limit_in_bytes"):     # swap accounted
                self._write(mem, "memory.memsw.limit_in_bytes", self.mem_bytes)
            self._write(cpu, "cpu.cfs_period_us", PERIOD_US)
            self._write(cpu, "cpu.cfs_quota_us", self.quota_us)
        elif v2 and {"cpu", "memory"} <= set(_read(v2[1] / "cgroup.controllers").split()):
            self.version = 2
            box = self._make("", *v2, enable="+cpu +memory")
            self._write(box, "memory.max", self.mem_bytes)
            if _has(box, "memory.swap.max"):
                self._write(box, "memory.swap.max", 0)
            self._write(box, "cpu.max", f"{self.quota_us} {PERIOD_US}")
        else:
            raise BoxUnavailable("no cgroup hierarchy with the cpu and memory controllers "
                                 f"in {self.proc / 'mountinfo'}")

    def _make(self, key: str, own: Path, top: Path, enable: str = "") -> Path:
        """The box's directory under `own`, else under `top`; the reasons if neither."""
        why = []
        for parent in dict.fromkeys((own, top)):
            try:
                if enable:                  # v2: the parent hands its children controllers
                    (parent / "cgroup.subtree_control").write_text(enable)
                (parent / self.name).mkdir()
            except OSError as exc:
                why.append(f"{parent}: {exc.strerror or exc}")
                continue
            self.dirs[key] = parent / self.name
            return self.dirs[key]
        raise BoxUnavailable("cannot make a cgroup: " + "; ".join(why))

    def _write(self, d: Path, name: str, value) -> None:
        try:
            (d / name).write_text(f"{value}\n")
        except OSError as exc:
            raise BoxUnavailable(f"cannot write {value} to {d / name}: {exc.strerror or exc}")

    def wrapper(self) -> list[str]:
        """A command prefix that moves itself into the box, then execs the rest: the
        command runs in the box from its first instruction, under its own pid.

        >>> Box(512, 1, dirs={"": Path("/cg/b")}).wrapper()
        ['/bin/sh', '-c', 'echo $$ > /cg/b/cgroup.procs && exec "$@"', 'box']
        """
        moves = " && ".join(f"echo $$ > {shlex.quote(str(d / 'cgroup.procs'))}"
                            for d in self.dirs.values())
        return ["/bin/sh", "-c", f'{moves} && exec "$@"', "box"]

    def holds(self, pid: int) -> bool:
        """Whether process `pid`'s /proc/<pid>/cgroup shows it in the box, in every
        hierarchy the box has a directory in."""
        theirs = cpus.cgroups(self.proc.parent / str(pid))
        return bool(self.dirs) and all(
            theirs.get(key, "").rstrip("/").endswith("/" + self.name) for key in self.dirs)

    def usage(self) -> dict:
        """OOM kills in the box and the most memory it held (MB); None where the kernel
        does not say."""
        if self.version == 1:
            d = self.dirs.get("memory")
            kills, peak = _field(d, "memory.oom_control", "oom_kill"), \
                _number(d, "memory.max_usage_in_bytes")
        else:
            d = self.dirs.get("")
            kills, peak = _field(d, "memory.events", "oom_kill"), _number(d, "memory.peak")
        return dict(oom_kills=kills, peak_mb=None if peak is None else round(peak / 2**20, 1))

    def remove(self, timeout: float = 10.0) -> None:
        """Kill what is left in the box (processes it started), then remove it."""
        deadline = time.monotonic() + timeout
        for key, d in list(self.dirs.items()):
            while True:
                for pid in _read(d / "cgroup.procs").split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if time.monotonic() > deadline:
                        print(f"box: could not remove {d}: {exc.strerror or exc}",
                              file=sys.stderr)
                        break
                    time.sleep(0.1)
            del self.dirs[key]


def _has(d: Path, name: str) -> bool:
    """Whether the box's hierarchy has control file `name` (the box or its parent)."""
    return (d / name).exists() or (d.parent / name).exists()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _number(d: Path | None, name: str) -> int | None:
    text = _read(d / name).strip() if d else ""
    return int(text) if text.isdigit() else None


def _field(d: Path | None, name: str, key: str) -> int | None:
    """The value of `key` in a flat-keyed cgroup file ("oom_kill 0" lines)."""
    for line in _read(d / name).splitlines() if d else ():
        k, _, v = line.partition(" ")
        if k == key and v.strip().isdigit():
            return int(v)
    return None
