"""campaign-sim: agent-based simulation of financial-product marketing campaigns.

The notebook API::

    from sim import load_scenario, run_model, run_replications
    sc = load_scenario("scenarios/deposit_sprint.toml", ["population.size=10000"])
    one = run_model(sc, seed=1)              # RunResult: daily, channels, summary
    reps = run_replications(sc, 20, seed=1)  # tidy frames keyed by replication
"""

from sim.loading import SpecError, load_scenario
from sim.model import CampaignModel
from sim.runner import run_model, run_replications

__all__ = ["CampaignModel", "SpecError", "load_scenario", "run_model", "run_replications"]
