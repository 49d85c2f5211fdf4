"""Pattern-oriented validation (Grimm et al. 2005): paired experiments on shipped scenarios,
each checking a stylized fact or a mechanism against a declared band.

The patterns are data (``validation/patterns.toml``); :mod:`~sim.validation.patterns`
reads them, :mod:`~sim.validation.suite` runs the arms with common random numbers and
:mod:`~sim.validation.measures` turns them into effects with 95% intervals. The names
below load on first use, so ``campaign-sim --help`` does not import the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import lazy_getattr

if TYPE_CHECKING:
    from sim.validation.patterns import Pattern, PatternFile, load_patterns
    from sim.validation.suite import SuiteResult, run_suite

_HOMES = {
    "Pattern": "sim.validation.patterns",
    "PatternFile": "sim.validation.patterns",
    "load_patterns": "sim.validation.patterns",
    "SuiteResult": "sim.validation.suite",
    "run_suite": "sim.validation.suite",
}
__all__ = ["Pattern", "PatternFile", "SuiteResult", "load_patterns", "run_suite"]

__getattr__ = lazy_getattr(__name__, globals(), _HOMES)
