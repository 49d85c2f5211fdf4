"""Plots and the HTML report of a scenario run.

The names load on first use, so ``sim.report.format`` (number formatting, used by command
lines) is importable without pandas or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.lazy import lazy_getattr

if TYPE_CHECKING:
    from sim.report.html import write_report
    from sim.report.stats import kpi_table

__all__ = ["kpi_table", "write_report"]
__getattr__ = lazy_getattr(
    __name__, globals(), {"write_report": "sim.report.html", "kpi_table": "sim.report.stats"}
)
