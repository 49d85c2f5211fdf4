"""Plots and the HTML report of a scenario run."""

from sim.report.html import write_report
from sim.report.stats import kpi_table

__all__ = ["kpi_table", "write_report"]
