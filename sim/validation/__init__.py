"""Pattern-oriented validation (Grimm et al. 2005): paired experiments on shipped scenarios,
each checking a stylized fact or a mechanism against a declared band.

The patterns are data (``validation/patterns.toml``); :mod:`~sim.validation.patterns`
reads them, :mod:`~sim.validation.suite` runs the arms with common random numbers and
:mod:`~sim.validation.measures` turns them into effects with 95% intervals.
"""

from sim.validation.patterns import Pattern, PatternFile, load_patterns
from sim.validation.suite import SuiteResult, run_suite

__all__ = ["Pattern", "PatternFile", "SuiteResult", "load_patterns", "run_suite"]
