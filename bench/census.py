"""Where the CPU went during a measured period: the gunicorn workers, the database server, the
load processes, and what the machine had left (idle, stolen by the hypervisor).

The throughput ratio only says how far a scenario is from the ceiling; this says why. Read
from ``/proc`` (Linux), so it costs the run nothing while it is measured: one snapshot at the
start of the measured seconds and one at their end.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, user+system CPU seconds) of every process."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        table[int(stat.parent.name)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / _TICK)
    return table


def _machine() -> dict[str, float]:
    """Seconds of all CPUs together: busy, idle and stolen (``/proc/stat``'s first line)."""
    values = [int(v) / _TICK for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0.0] * 8)[:8]
    return {"busy": user + nice + system + irq + softirq, "idle": idle + iowait, "steal": steal}


def cpu_groups(table, master_pid: int, load_pids: set[int]) -> dict[str, float]:
    """CPU seconds of the gunicorn master and its workers, of PostgreSQL, of the load processes."""
    groups = {"workers": 0.0, "database": 0.0, "load": 0.0}
    for pid, (parent, name, cpu) in table.items():
        if parent == master_pid or pid == master_pid:
            groups["workers"] += cpu
        elif name.startswith("postgres"):
            groups["database"] += cpu
        elif pid in load_pids:
            groups["load"] += cpu
    return groups


class Census:
    """Snapshots at ``start_at`` and ``stop_at`` (``time.time()``), taken by a thread."""

    def __init__(self, master_pid: int, load_pids: set[int], start_at: float, stop_at: float):
        self.master_pid, self.load_pids = master_pid, load_pids
        self.snapshots: list[Snapshot] = []
        self._thread = threading.Thread(target=self._run, args=(start_at, stop_at), daemon=True)
        self._thread.start()

    def _run(self, start_at: float, stop_at: float) -> None:
        for moment in (start_at, stop_at):
            time.sleep(max(0.0, moment - time.time()))
            groups = cpu_groups(process_cpu(), self.master_pid, self.load_pids)
            self.snapshots.append((time.monotonic(), groups, _machine()))

    def per_request(self, requests: int) -> dict | None:
        """CPU milliseconds per request of each group, and the machine's cores busy, idle, stolen."""
        self._thread.join()
        if len(self.snapshots) < 2 or not requests:
            return None
        return cpu_per_request(self.snapshots[0], self.snapshots[1], requests, os.cpu_count() or 1)


Snapshot = tuple[float, dict[str, float], dict[str, float]]  # (monotonic time, groups, machine)


def cpu_per_request(first: Snapshot, last: Snapshot, requests: int, cpus: int) -> dict:
    """What two snapshots say per request: each group's CPU in ms; the machine's use in cores."""
    (t0, groups0, machine0), (t1, groups1, machine1) = first, last
    seconds = t1 - t0
    result = {f"{name}_ms": round((groups1[name] - groups0[name]) / requests * 1000, 3) for name in groups0}
    for name in machine0:
        result[f"machine_{name}_cores"] = round((machine1[name] - machine0[name]) / seconds, 2)
    result["cores"] = cpus
    return result
