"""campaign-sim: agent-based simulation of financial-product marketing campaigns.

The notebook API::

    from sim import load_scenario, run_model, run_replications
    sc = load_scenario("scenarios/deposit_sprint.toml", ["population.size=10000"])
    one = run_model(sc, seed=1)              # RunResult: daily, channels, summary
    reps = run_replications(sc, 20, seed=1)  # tidy frames keyed by replication

The names are imported on first use, so ``import sim.scenario`` (or the command line's
``validate``) does not load the engine, numba's kernels or mesa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import lazy_getattr

if TYPE_CHECKING:
    from sim.loading import SpecError, load_scenario
    from sim.model import CampaignModel
    from sim.runner import run_model, run_replications

_HOMES = {
    "CampaignModel": "sim.model",
    "SpecError": "sim.loading",
    "load_scenario": "sim.loading",
    "run_model": "sim.runner",
    "run_replications": "sim.runner",
}
__all__ = ["CampaignModel", "SpecError", "load_scenario", "run_model", "run_replications"]

__getattr__ = lazy_getattr(__name__, globals(), _HOMES)
