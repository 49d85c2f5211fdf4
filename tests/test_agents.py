"""Tests for sim.agents: bulk-created CustomerAgent views match Mesa's own creation."""

from __future__ import annotations

import mesa
import numpy as np

from sim.agents import CustomerAgent


class Host(mesa.Model):
    """A bare model: CustomerAgent only needs ``model`` to register with."""


def test_bulk_rows_register_like_create_agents() -> None:
    bulk, plain = Host(rng=np.random.default_rng(1)), Host(rng=np.random.default_rng(1))
    CustomerAgent.create_rows(bulk, 50)
    CustomerAgent.create_agents(plain, 50, row=list(range(50)))
    for m in (bulk, plain):
        assert len(m.agents) == 50 and len(m.agents_by_type[CustomerAgent]) == 50
    ids = [(a.unique_id, a.row, a.pos) for a in bulk.agents]
    assert ids == [(a.unique_id, a.row, a.pos) for a in plain.agents]
    assert ids[0] == (1, 0, None) and ids[-1] == (50, 49, None)


def test_agents_created_afterwards_continue_the_ids() -> None:
    m = Host(rng=np.random.default_rng(2))
    CustomerAgent.create_rows(m, 3)
    later = CustomerAgent(m, row=3)
    assert later.unique_id == 4
    CustomerAgent.create_rows(m, 2)
    assert sorted(a.unique_id for a in m.agents) == [1, 2, 3, 4, 5, 6]
    assert len(m.agents_by_type[CustomerAgent]) == 6
    m.agents.shuffle_do("step")  # views do not step, but scheduling them works
