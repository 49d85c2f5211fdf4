"""docs/ODD.md documents every scenario parameter: each field of the schema, walked
recursively through sections, lists, tables and unions, is named in it as `section.key`
(`segments.key`, `channels.key`, `shocks.key` for every segment, channel and shock)."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from sim import distributions
from sim.scenario import Scenario
from tests.conftest import ROOT

ODD = ROOT / "docs" / "ODD.md"
DISTRIBUTIONS = {
    v
    for v in vars(distributions).values()
    if isinstance(v, type) and issubclass(v, BaseModel) and v is not BaseModel
}


def models_in(tp: Any) -> list[type[BaseModel]]:
    """Schema classes inside an annotation (through Optional, unions, tuples, dicts,
    Annotated), leaving out the distribution tables a value may be given as."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [] if tp in DISTRIBUTIONS else [tp]
    return [m for a in typing.get_args(tp) for m in models_in(a)]


def parameter_paths(model: type[BaseModel] = Scenario, prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        subs = models_in(field.annotation)
        if subs:
            for sub in subs:
                yield from parameter_paths(sub, f"{path}.")
        else:
            yield path


def test_walk_finds_nested_parameters() -> None:
    paths = set(parameter_paths())
    assert {
        "offer.bonus_bp",
        "segments.loss_aversion",
        "channels.awareness",
        "calendar.phases.spend_weight",
    } <= paths
    assert "shocks.market_drop" in paths and "behaviour.frame_strength" in paths
    assert not any(isinstance(t, types.GenericAlias) for t in paths)
    assert len(paths) > 100


def test_every_schema_parameter_is_in_the_odd() -> None:
    text = ODD.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_][a-z0-9_.]*)`", text))
    missing = sorted(set(parameter_paths()) - named)
    assert not missing, f"docs/ODD.md does not mention: {', '.join(missing)}"


def test_odd_has_every_section_and_cites_nothing_outside_the_repo() -> None:
    text = ODD.read_text(encoding="utf-8")
    sections = re.findall(r"^## \d+\. (.+)$", text, flags=re.MULTILINE)
    assert sections[:7] == [
        "Purpose and patterns",
        "Entities, state variables and scales",
        "Process overview and scheduling",
        "Design concepts",
        "Initialisation",
        "Input data",
        "Submodels",
    ]
    assert "../" not in text and "/work/" not in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/ODD.md" in readme
