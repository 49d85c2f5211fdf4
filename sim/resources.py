"""Memory a run will need, checked before any work starts.

A population that cannot fit fails with MemoryError only after tens of seconds of set-up
(or gets the process killed). :func:`check_memory` estimates the peak up front and refuses
with the estimate and the memory available.

Estimate (measured with ``tracemalloc`` on the shipped scenarios, 20k-100k customers,
agent views off as in every batch run): about ``350 + 40 * mean_degree`` bytes per
simulated customer (state columns, per-day scratch, the CSR social graph with its build
buffers), twice that while the campaign-off arm's results are held, plus ~150 MB of
interpreter and libraries per worker process.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.loading import SpecError
from sim.scenario import Scenario

PER_CUSTOMER = 350.0
PER_LINK = 40.0
PER_WORKER = 150 * 2**20
AGENT_VIEW = 1200.0  # a Mesa CustomerAgent object, when population.agents is on


def mean_degree(sc: Scenario) -> float:
    n = sc.population.size
    kind = sc.network.kind
    if kind == "none":
        return 0.0
    if kind == "complete":
        return 0.0  # never stored: mean-field shortcuts stand for its n(n-1) links
    return min(float(sc.network.mean_degree), float(n - 1))


def estimate_bytes(sc: Scenario, jobs: int = 1, agents: bool = False) -> float:
    """Peak bytes of ``jobs`` workers each running one replication of ``sc``."""
    per = PER_CUSTOMER + PER_LINK * mean_degree(sc) + (AGENT_VIEW if agents else 0.0)
    return max(1, jobs) * (PER_WORKER + 2 * per * sc.population.size)


def available_bytes() -> float | None:
    """Memory the system can give without swapping (``MemAvailable``, capped by a cgroup
    limit), or None where this cannot be read."""
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = float(line.split()[1]) * 1024
    except OSError:
        try:
            avail = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            return None
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and avail is not None:
            avail = min(avail, float(text))
    return avail


def check_memory(sc: Scenario, jobs: int = 1, agents: bool = False, source: str = "population.size") -> None:
    """Refuse (SpecError, exit 2) when the estimate exceeds the memory available."""
    need = estimate_bytes(sc, jobs, agents)
    have = available_bytes()
    if have is not None and need > have:
        hint = " or fewer --jobs" if jobs > 1 else ""
        need_gib, have_gib = need / 2**30, have / 2**30
        raise SpecError(
            source,
            [
                f"{sc.population.size:,} customers with {jobs} worker(s) need about {need_gib:.1f} GiB "
                f"of memory, but only {have_gib:.1f} GiB is available; use a smaller population.size{hint}"
            ],
        )
