"""A look inside the population: a few hundred customers on the social graph, day by day.

The sample is drawn by breadth-first search from a few random customers over the model's
graph, so its induced subgraph keeps the friendships that carry invitations (a uniform
sample of a few hundred out of thousands would have almost no edges between them). The
model is replication 0 of the plan (child 0 of the session seed): the same customers as in
the page's first replication. Its stage of every sampled customer is recorded each day.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from sim.model import CampaignModel
from sim.runner import spawn_seeds
from sim.scenario import STAGES, Scenario


@dataclass
class PopulationSample:
    """``rows``: sampled customer indices; ``stages``: (days + 1, n) stage codes, row 0 the
    start; ``edges``: pairs of positions into ``rows``; ``pos``: (n, 2) layout."""

    rows: np.ndarray
    stages: np.ndarray
    edges: np.ndarray
    pos: np.ndarray
    table: pd.DataFrame

    def stage_names(self, day: int) -> list[str]:
        d = int(np.clip(day, 0, len(self.stages) - 1))
        return [STAGES[s] for s in self.stages[d]]

    def table_on(self, day: int) -> pd.DataFrame:
        """The sampled customers' attributes with their stage at the end of ``day``."""
        return self.table.assign(stage=self.stage_names(day))


def snowball(model: CampaignModel, n: int, rng: np.random.Generator, starts: int = 6) -> np.ndarray:
    """Up to ``n`` customers reached breadth-first from ``starts`` random ones."""
    g = model.graph
    size = model.pop.size
    seen: dict[int, None] = {}
    queue: deque[int] = deque()
    for s in rng.choice(size, size=min(starts, size), replace=False):
        queue.append(int(s))
    while queue and len(seen) < n:
        v = queue.popleft()
        if v in seen:
            continue
        seen[v] = None
        if not g.complete:
            nb = g.indices[g.indptr[v] : g.indptr[v + 1]]
            queue.extend(int(u) for u in nb[:12] if u not in seen)
        if not queue and len(seen) < n:
            queue.append(int(rng.integers(size)))
    return np.fromiter(seen, dtype=np.int64)


def sample_population(scenario: Scenario, seed: int, n: int = 300) -> PopulationSample:
    """Run replication 0 of ``scenario`` and record ``n`` sampled customers' stages daily."""
    ss = spawn_seeds(seed, 1)[0]
    model = CampaignModel(scenario, seed=ss, agents=False)
    rows = snowball(model, n, np.random.default_rng(seed))
    days = [model.pop.stage[rows].copy()]
    while model.running:
        model.step()
        days.append(model.pop.stage[rows].copy())
    g = model.graph
    where = {int(r): i for i, r in enumerate(rows)}
    edges = []
    if not g.complete:
        for i, r in enumerate(rows):
            for u in g.indices[g.indptr[r] : g.indptr[r + 1]]:
                j = where.get(int(u))
                if j is not None and j > i:
                    edges.append((i, j))
    edges_arr = np.array(edges, dtype=np.int64).reshape(-1, 2)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(rows)))
    graph.add_edges_from(edges_arr.tolist())
    layout = nx.spring_layout(graph, seed=seed, iterations=40)
    pos = np.array([layout[i] for i in range(len(rows))])
    pop = model.pop
    table = pd.DataFrame(
        {
            "customer": rows,
            "segment": [model.segment_names[s] for s in pop.segment[rows]],
            "loss_aversion": pop.loss_aversion[rows].astype(float).round(2),
            "reference_rate_pp": pop.reference[rows].astype(float).round(2),
            "balance": pop.balance[rows].astype(float).round(0),
            "trust": pop.trust[rows].astype(float).round(2),
            "friends": np.diff(g.indptr)[rows] if not g.complete else pop.size - 1,
            "converted_day": pop.converted_day[rows],
        }
    )
    return PopulationSample(rows, np.array(days), edges_arr, pos, table)
