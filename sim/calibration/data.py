"""Observed past-campaign data: read, check and index by period.

Every problem is reported at once as ``file: column 'x', row N: message`` (rows are
counted from 1 over the data rows, the header not included), so a planner can fix the
file in one pass. Checked: missing columns, unparsable dates, non-numeric, empty or
negative counts, duplicate periods and gaps between periods.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd

from sim.calibration.spec import Calibration
from sim.loading import SpecError

FREQ = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
ABSURD = 1e15  # beyond any count or amount of one period; float sums lose units past it
MAX_LISTED = 20  # problems beyond this are summarised, a broken file can have thousands


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (``,`` or ``;`` separated) or parquet file as strings/numbers, unchanged."""
    if not path.is_file():
        raise SpecError(str(path), ["data file not found"])
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if path.suffix.lower() in (".csv", ".txt"):
            return pd.read_csv(
                path, sep=None, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
    except Exception as exc:  # pandas and pyarrow raise many types for a bad file
        raise SpecError(str(path), [f"cannot read data ({exc.__class__.__name__}: {exc})"]) from None
    raise SpecError(str(path), [f"unsupported data file type {path.suffix!r}; use .csv or .parquet"])


def load_observed(cal: Calibration) -> pd.DataFrame:
    """Tidy observed table: ``period``, ``row``, ``holdout``, then the observed and input
    columns as floats, one row per period in time order."""
    spec, path = cal.spec, cal.data_path
    raw = read_table(path)
    date_col = spec.data.date_column
    observed = [o.column for o in spec.observe]
    inputs = [
        c for c in [i.column for i in spec.inputs] + [r.column for r in spec.replay] if c not in observed
    ]
    wanted = [date_col, *observed, *inputs]
    if missing := [c for c in dict.fromkeys(wanted) if c not in raw.columns]:
        have = ", ".join(map(str, raw.columns))
        raise SpecError(str(path), [f"column {c!r} is missing (columns present: {have})" for c in missing])
    if raw.empty:
        raise SpecError(str(path), ["the file has no data rows"])
    problems: list[str] = []
    if spec.data.frequency == "period":
        periods = _numbered(raw[date_col], date_col, problems)
    else:
        freq = FREQ[spec.data.frequency]
        periods = _periods(raw[date_col], freq, date_col, problems, spec.data.date_format)
    out = pd.DataFrame({"period": periods, "row": range(1, len(raw) + 1)})
    for col in dict.fromkeys([*observed, *inputs]):
        out[col] = _numbers(raw[col], col, col in observed, problems)
    if not problems:
        out = out.sort_values("period", kind="stable", ignore_index=True)
        _check_sequence(out, date_col, spec.data.gaps == "error", problems)
    if problems:
        if len(problems) > MAX_LISTED:
            problems = [*problems[:MAX_LISTED], f"... and {len(problems) - MAX_LISTED} more problems"]
        raise SpecError(str(path), problems)
    out.insert(2, "holdout", _holdout_mask(cal, out["period"]))
    if out["holdout"].all():
        raise SpecError(cal.source, [f"holdout.start: {spec.holdout.start} leaves no period to fit"])
    if spec.inference.acceptance == "likelihood" and spec.observation.noise == "lognormal":
        # a log-normal record is never 0 or below: its likelihood would be zero for every simulation
        fit = out[~out["holdout"]]
        bad = [
            f"column {c!r}, row {r}: {v:g} cannot be recorded under lognormal noise (positive values only); "
            "use observation.noise = 'negbin' for counts with zeros"
            for c in observed
            for r, v in zip(fit["row"], fit[c], strict=True)
            if v <= 0
        ]
        if bad:
            raise SpecError(str(path), bad[:MAX_LISTED])
    return out


#: day and month both in 1..12 with a separator: 03/04/2020 is March or April
AMBIGUOUS = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\s*$")


def _periods(
    values: pd.Series, freq: str, col: str, problems: list[str], fmt: str | None = None
) -> list[pd.Period | None]:
    out: list[pd.Period | None] = []
    for row, v in enumerate(values, start=1):
        try:
            if v is None or (isinstance(v, str) and not v.strip()):
                raise ValueError
            if fmt is None and isinstance(v, str) and AMBIGUOUS.match(v):
                problems.append(
                    f"column {col!r}, row {row}: {v!r} could be day/month or month/day; "
                    "set data.date_format, e.g. '%d/%m/%Y'"
                )
                out.append(None)
                continue
            if fmt is not None and isinstance(v, str):
                v = dt.datetime.strptime(v.strip(), fmt)
            out.append(pd.Period(v.strip() if isinstance(v, str) else v, freq=freq))
        except (ValueError, TypeError):
            expected = f" (data.date_format {fmt!r})" if fmt else ""
            problems.append(f"column {col!r}, row {row}: cannot read {v!r} as a date{expected}")
            out.append(None)
    return out


def _numbered(values: pd.Series, col: str, problems: list[str]) -> list[int | None]:
    """Period numbers (whole numbers: 1, 2, ... or 1995, 1996, ...)."""
    out: list[int | None] = []
    for row, v in enumerate(values, start=1):
        try:
            x = float(str(v).strip())
            if not x.is_integer():
                raise ValueError
            out.append(int(x))
        except ValueError:
            problems.append(f"column {col!r}, row {row}: cannot read {v!r} as a period number (1, 2, 3, ...)")
            out.append(None)
    return out


def _numbers(values: pd.Series, col: str, count: bool, problems: list[str]) -> pd.Series:
    text = values.astype(str).str.strip()
    num = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    for row, (v, x) in enumerate(zip(values, num, strict=True), start=1):
        if pd.isna(x):
            what = "empty value" if not str(v).strip() or pd.isna(v) else f"{v!r} is not a number"
            problems.append(f"column {col!r}, row {row}: {what}")
        elif not math.isfinite(x) or abs(x) > ABSURD:
            problems.append(f"column {col!r}, row {row}: {v!r} is not a usable value (finite, below 1e15)")
        elif count and x < 0:
            problems.append(f"column {col!r}, row {row}: negative count {v}")
    return num


def _check_sequence(df: pd.DataFrame, col: str, gaps_are_errors: bool, problems: list[str]) -> None:
    seen: dict[pd.Period, int] = {}
    prev = None
    for period, row in zip(df["period"], df["row"], strict=True):
        if period in seen:
            problems.append(
                f"column {col!r}, row {row}: duplicate period {period} (also on row {seen[period]})"
            )
            continue
        if gaps_are_errors and prev is not None and period != prev[0] + 1:
            missing = (
                range(prev[0] + 1, period)
                if isinstance(period, int)
                else pd.period_range(prev[0] + 1, period - 1, freq=period.freq)
            )
            shown = ", ".join(map(str, missing[:3])) + (", ..." if len(missing) > 3 else "")
            problems.append(
                f"column {col!r}, row {row}: gap of {len(missing)} period(s) before {period} "
                f"(missing {shown}; previous period {prev[0]} on row {prev[1]}); "
                "set data.gaps = 'allow' if no data there is real"
            )
        seen[period] = row
        prev = (period, row)


def _holdout_mask(cal: Calibration, periods: pd.Series) -> pd.Series:
    start = cal.spec.holdout.start
    if start is None:
        return pd.Series(False, index=periods.index)
    try:
        freq = cal.spec.data.frequency
        first = int(start) if freq == "period" else pd.Period(start, freq=FREQ[freq])
    except ValueError:
        raise SpecError(cal.source, [f"holdout.start: cannot read {start!r} as a date"]) from None
    return periods >= first
