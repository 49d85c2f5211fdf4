"""Downloads of the page: summary CSV, an Excel workbook, and the run report's HTML."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd

from sim.app.session import Session
from sim.report import kpi_table, write_report
from sim.results import provenance


def _frames(session: Session):
    frames = session.batch.frames() if session.batch is not None else None
    if frames is None:
        raise ValueError("no replication has finished yet")
    return frames


def summary_csv(session: Session) -> bytes:
    """One row per finished replication of the current plan (as ``summary.csv`` of a run)."""
    frames = _frames(session)
    return frames.summary.assign(currency=session.scenario.currency).to_csv(index=False).encode()


def workbook(session: Session) -> bytes:
    """An Excel workbook: KPIs (median and 90% interval), per-replication summary, per-channel
    spend, plans compared, lever values, daily table."""
    frames = _frames(session)
    buf = io.BytesIO()
    levers = pd.DataFrame(
        [
            {"lever": lv.key, "label": lv.label, "unit": lv.unit, "value": session.values[lv.key]}
            for lv in session.levers
        ]
    )
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        kpi_table(frames.summary).to_excel(xl, sheet_name="kpis", index=False)
        frames.summary.to_excel(xl, sheet_name="summary", index=False)
        frames.channels.to_excel(xl, sheet_name="channels", index=False)
        session.comparison().to_excel(xl, sheet_name="plans", index=False)
        levers.to_excel(xl, sheet_name="levers", index=False)
        frames.daily.to_excel(xl, sheet_name="daily", index=False)
    return buf.getvalue()


def report_html(session: Session) -> bytes:
    """The same self-contained report as ``campaign-sim run`` writes, for the current plan."""
    frames = _frames(session)
    manifest = {
        "command": "app",
        "scenario_file": str(session.path),
        "seed": session.seed,
        "replications": session.replications,
        "levers": session.values,
        **provenance(),
    }
    with tempfile.TemporaryDirectory(prefix="campaign-sim-app-") as tmp:
        path = write_report(
            Path(tmp), session.scenario, frames.daily, frames.summary, manifest,
            frames.channels, getattr(frames, "limits", None),
        )  # fmt: skip
        return path.read_bytes()
