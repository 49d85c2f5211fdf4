"""Numbers as a planner reads them: the one place every report, the CLI and the app format values.

Rules (from the project brief): money carries its currency and either thousands separators or a
K / M / B suffix; rates and ROI are percentages; counts are whole numbers with separators; rare
events are per 10,000 customers; scientific notation never appears (Python's ``f`` format never
produces it, ``g`` and ``repr`` do, so nothing here uses them). A missing value (NaN, None) is an
em dash; infinities are the sign and ``∞``.

Units of the summary KPIs are inferred from their stable names (``unit_of``) so that a new KPI
follows the naming convention and is formatted right without registering it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Literal

Unit = Literal["money", "percent", "count", "per_10k", "day", "number"]

MISSING = "—"
_SCALE = {"B": 1e9, "M": 1e6, "K": 1e3, "": 1.0}

#: KPIs whose unit the name alone would get wrong.
_EXPLICIT: dict[str, Unit] = {
    "participants": "count",
    "conversions": "count",
    "complaints": "number",
    "mis_selling": "number",
    "peak_daily_load": "count",
    "budget_used_share": "percent",
    "viral_coefficient": "number",
    "invitations_per_converter": "number",
    "conversion_per_invitation": "percent",
}
_RULES: tuple[tuple[str, Unit], ...] = (
    (r"per_10k$", "per_10k"),
    (r"(_day|_days)$", "day"),
    (r"(roi|_rate|_share|retention.*|^p_.*|probability.*)$", "percent"),
    (r"(cost|value|balance|money|spend|budget_used|budget|fine|remediation)", "money"),
)


def unit_of(kpi: str) -> Unit:
    """The unit of a KPI from its name: explicit exceptions first, then naming conventions
    (``*_per_10k``, ``*_day``, ``roi`` / ``*_rate`` / ``*_share``, money words), else a count."""
    if kpi in _EXPLICIT:
        return _EXPLICIT[kpi]
    for pattern, unit in _RULES:
        if re.search(pattern, kpi):
            return unit
    return "count"


def _missing(v: float | None) -> bool:
    return v is None or (isinstance(v, float | int) and math.isnan(float(v)))


def _special(v: float | None) -> str | None:
    if _missing(v):
        return MISSING
    if math.isinf(float(v)):
        return "∞" if v > 0 else "-∞"
    return None


def _fixed(v: float, decimals: int) -> str:
    """``v`` with thousands separators and ``decimals`` places; never ``-0``."""
    text = f"{v:,.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


def number(v: float | None, decimals: int = 2) -> str:
    """A plain number: separators, fixed decimals (trailing zeros kept so columns line up)."""
    return _special(v) or _fixed(float(v), decimals)


def compact(v: float | None, digits: int = 3) -> str:
    """About ``digits`` significant figures with a K / M / B suffix from 10,000 up:
    1,234 → "1,234", 12,345 → "12.3K", 4,560,000 → "4.56M", 999,999 → "1.00M".
    Beyond 999B the B count gets separators; below 100 two decimals (four below 1)."""
    s = _special(v)
    if s:
        return s
    v = float(v)
    a = abs(v)
    if a < 1e4:
        return _fixed(v, 0 if a >= 100 or a == 0 else 2 if a >= 1 else 4)
    level = 0 if a < 1e6 else 1 if a < 1e9 else 2
    while True:
        scale, suffix = ((1e3, "K"), (1e6, "M"), (1e9, "B"))[level]
        x = a / scale
        decimals = max(0, digits - len(str(int(x))))
        if round(x, decimals) < 1000 or level == 2:
            return _fixed(math.copysign(x, v), decimals) + suffix
        level += 1


def money(v: float | None, currency: str = "", exact: bool = False) -> str:
    """Money with its currency: compact by default ("1.23M CNY", "45,678 CNY", "12.50 CNY"),
    or every unit with separators when ``exact`` ("1,234,567 CNY")."""
    s = _special(v)
    if s is None:
        v = float(v)
        s = _fixed(v, 2 if 0 < abs(v) < 100 else 0) if exact or abs(v) < 10000.0 else compact(v)
    return f"{s} {currency}".rstrip() if s != MISSING else s


def percent(v: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.153 → "15.3%", -0.02 → "-2.0%", 12.5 → "1,250.0%"."""
    return _special(v) or _fixed(float(v) * 100, decimals) + "%"


def count(v: float | None) -> str:
    """A count of customers, conversions, contacts...: whole, with separators below a million,
    compact above ("12,345", "4.56M"). Expected counts under 10 keep one decimal ("0.4")."""
    s = _special(v)
    if s:
        return s
    v = float(v)
    if abs(v) >= 1e6:
        return compact(v)
    return _fixed(v, 1 if 0 < abs(v) < 10 and v != round(v) else 0)


def per_10k(v: float | None, decimals: int = 2) -> str:
    """A rare-event rate per 10,000 customers: 0.456 → "0.46 per 10k"."""
    s = _special(v)
    return s if s else f"{_fixed(float(v), decimals)} per 10k"


def day(v: float | None) -> str:
    """A campaign day (0-based in the data, shown 1-based as a planner counts): 26 → "day 27"."""
    s = _special(v)
    return s if s else f"day {round(float(v)) + 1}"


def value(v: float | None, unit: Unit, currency: str = "") -> str:
    """Format ``v`` in ``unit``."""
    if unit == "money":
        return money(v, currency)
    return {
        "percent": percent,
        "count": count,
        "per_10k": per_10k,
        "day": day,
        "number": number,
    }[unit](v)


def kpi(name: str, v: float | None, currency: str = "") -> str:
    """Format a KPI's value in the unit its name implies."""
    return value(v, unit_of(name), currency)


def interval(lo: float | None, hi: float | None, unit: Unit, currency: str = "") -> str:
    """A 90% interval as "lo to hi" in one unit (currency once, at the end); a dash when
    both ends are missing."""
    if _missing(lo) and _missing(hi):
        return MISSING
    if unit == "money":
        return f"{money(lo)} to {money(hi, currency)}"
    return f"{value(lo, unit)} to {value(hi, unit)}"


_PARSE = re.compile(r"(-?[\d,]*\.?\d*)([KMB]?)(%?)")


def parse(text: str) -> float:
    """Inverse of the formatters, up to their rounding: "1.23M CNY" → 1230000.0, "15.3%" → 0.153,
    "day 27" → 26, "—" → NaN. For tests and for reading a report back."""
    text = text.strip()
    if text.startswith("day "):
        return float(text[4:]) - 1
    token = text.split(" ")[0] if text else text
    if token == MISSING:
        return math.nan
    if token.lstrip("-") == "∞":
        return -math.inf if token.startswith("-") else math.inf
    m = _PARSE.fullmatch(token)
    if not m or not m.group(1).strip("-,."):
        raise ValueError(f"not a formatted number: {text!r}")
    x = float(m.group(1).replace(",", "")) * _SCALE[m.group(2)]
    return x / 100 if m.group(3) else x


# --- matplotlib axes --------------------------------------------------------------------------


def tick_formatter(unit: Unit) -> Callable[[float, object], str]:
    """A tick-label function for ``unit``: compact money without currency (put the currency in
    the axis label), percentages, plain counts; never scientific or an offset."""
    if unit == "money":
        return lambda x, _pos=None: compact(x)
    if unit in ("count", "day"):
        return lambda x, _pos=None: (
            _special(x) or (compact(x) if abs(x) >= 1e4 else _fixed(x, 0 if x == round(x) else 1))
        )
    return lambda x, _pos=None: value(x, unit)


def format_axis(ax, x: Unit | None = None, y: Unit | None = None) -> None:
    """Install planner tick labels on a matplotlib axes (either or both directions)."""
    from matplotlib.ticker import FuncFormatter  # imported here: the CLI must start fast

    if x is not None:
        ax.xaxis.set_major_formatter(FuncFormatter(tick_formatter(x)))
    if y is not None:
        ax.yaxis.set_major_formatter(FuncFormatter(tick_formatter(y)))


def axis_label(what: str, unit: Unit, currency: str = "") -> str:
    """An axis label with its unit: "net value (CNY)", "ROI (%)", "complaints (per 10k customers)"."""
    suffix = {
        "money": currency or "money",
        "percent": "%",
        "per_10k": "per 10k customers",
        "day": "campaign day",
        "count": "count",
        "number": "",
    }[unit]
    return f"{what} ({suffix})" if suffix else what
