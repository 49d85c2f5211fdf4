"""The Solara what-if page (``campaign-sim app`` serves it; ``solara run sim.app.page`` too).

Everything it shows comes from a browser-free :class:`sim.app.session.Session` per browser
connection; this module only lays out controls and results. Its start-up settings come from
the ``CAMPAIGN_SIM_APP`` environment variable (JSON written by the CLI: scenario,
overrides, replications, seed, jobs, save_dir).
"""

from __future__ import annotations

import html
import io
import json
import os
import threading
from pathlib import Path

import solara

from sim.app import export, figures
from sim.app.levers import Lever
from sim.app.population import sample_population
from sim.app.runs import pool
from sim.app.session import MAX_PLANS, Session, save_path, shipped_scenarios
from sim.app.views import HEADLINE, Outcome
from sim.loading import SpecError, load_scenario
from sim.report import format as fmt

CSS = """
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0}
.kpi{border:1px solid #ddd;border-radius:6px;padding:6px 12px;min-width:150px;background:#fafafa}
.kpi .v{font-size:1.35em;font-weight:600}.kpi .l{color:#555;font-size:.85em}.kpi .i{color:#777;font-size:.8em}
table.cmp{border-collapse:collapse;font-size:.9em}table.cmp td,table.cmp th{padding:3px 9px;
border-bottom:1px solid #ddd;text-align:right}
table.cmp td:first-child,table.cmp th:first-child{text-align:left}
.lever-label{font-size:.85em;color:#333;margin-top:6px}
.verdict{font-size:.95em;margin:4px 0}.verdict ul{margin:2px 0 0 0}.muted{color:#666;font-size:.9em}
.topbar{background:#1f4e79;color:white;font-size:1.3em;padding:10px 16px}
.levers{max-height:calc(100vh - 60px);overflow-y:auto;padding-right:8px;border-right:1px solid #eee}
"""
LABELS = {
    "net_value": "net value",
    "conversions": "conversions",
    "roi": "ROI",
    "incremental_conversions": "incremental conversions",
    "incremental_net_value": "incremental net value",
    "cost_per_acquisition": "cost per acquisition",
}


def _warm_workers() -> None:
    """Start and warm the worker pool as the server loads the page, not on the first visit."""
    threading.Thread(target=pool, args=(int(config()["jobs"]),), daemon=True).start()


def config() -> dict:
    cfg = {"scenario": "deposit_sprint", "overrides": [], "replications": 20, "seed": 0, "jobs": 2}
    cfg.update(json.loads(os.environ.get("CAMPAIGN_SIM_APP", "{}")))
    cfg.setdefault("save_dir", os.getcwd())
    return cfg


def slug(key: str) -> str:
    return key.replace(".", "-")


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def headline_html(o: Outcome) -> str:
    cards = []
    for kpi in HEADLINE:
        v = html.escape(o.text(kpi)) if kpi in o.headline else "—"
        lo, hi = o.intervals.get(kpi, (None, None))
        unit = fmt.unit_of(kpi)
        interval = html.escape(fmt.interval(lo, hi, unit, o.currency)) if lo is not None else ""
        cards.append(
            f'<div class="kpi"><div class="l">median {LABELS[kpi]}</div>'
            f'<div class="v" id="kpi-{kpi}">{v}</div><div class="i">90%: {interval}</div></div>'
        )
    extra = [("p_loss", "P(loss)", fmt.percent(o.p_loss, 0))]
    if o.reference is not None:
        pb = "—" if o.p_better is None else fmt.percent(o.p_better, 0)
        extra.append(("p_better", f"P(net value above plan {o.reference})", pb))
    extra += [(f"target-{k}", f"P(hit: {t})", fmt.percent(p, 0)) for k, (t, p) in o.targets.items()]
    for ident, label, v in extra:
        cards.append(
            f'<div class="kpi"><div class="l">{html.escape(label)}</div>'
            f'<div class="v" id="{html.escape(ident)}">{html.escape(v)}</div></div>'
        )
    return f'<div class="kpis">{"".join(cards)}</div>'


def verdict_html(o: Outcome) -> str:
    """The run report's verdict: its headline and one sentence per question."""
    v = o.verdict
    if not v:
        return "Running the first replications…"
    keys = ("pays", "buys", "risk", "limits", "targets")
    items = "".join(f"<li>{html.escape(v[k])}</li>" for k in keys if k in v)
    note = "" if o.finished else f" (so far: {o.done} of {o.total} replications)"
    return f'<b id="verdict-headline">{html.escape(v["headline"])}</b>{html.escape(note)}<ul>{items}</ul>'


def comparison_html(session: Session) -> str:
    t = session.comparison()
    if t.empty:
        return ""
    cur = session.scenario.currency
    cols = [c for c in t.columns if c.startswith("p_better_than_")]
    head = "<tr><th>plan</th><th>runs</th><th>net value</th><th>conversions</th><th>ROI</th><th>P(loss)</th>"
    head += "".join(f"<th>P(better than {c[-1]})</th>" for c in cols) + "</tr>"
    rows = []
    for r in t.to_dict("records"):
        cells = [
            r["plan"],
            str(r["replications"]),
            fmt.money(r.get("net_value"), cur),
            fmt.count(r.get("conversions")),
            fmt.percent(r.get("roi")),
            fmt.percent(r.get("p_loss"), 0),
            *[fmt.percent(r.get(c), 0) for c in cols],
        ]
        rows.append(
            f'<tr id="plan-{html.escape(str(r["plan"]))}">'
            + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
            + "</tr>"
        )
    return f'<table class="cmp">{head}{"".join(rows)}</table>'


if "CAMPAIGN_SIM_APP" in os.environ:  # served by `campaign-sim app`
    _warm_workers()


@solara.component
def LeverControl(session: Session, lv: Lever, on_change, value, problems: tuple[str, ...]):
    """One lever; ``value`` and ``problems`` are props so the control redraws when they change."""

    def set_(v):
        if v is None:
            return
        session.set(lv.key, v)
        on_change()

    with solara.Column(gap="0px", classes=[f"lever-{slug(lv.key)}"]):
        if lv.kind == "toggle":
            solara.Checkbox(label=f"{lv.label} ({lv.unit})", value=bool(value), on_value=set_)
        elif lv.kind == "share":
            solara.SliderFloat(
                f"{lv.label}: {float(value):.0%}",
                value=float(value),
                min=0.0,
                max=1.0,
                step=lv.step,
                on_value=set_,
                thumb_label=False,
            )
        else:
            is_int = lv.kind in ("int", "optional_int")
            slider = solara.SliderInt if is_int else solara.SliderFloat
            label = f"{lv.label} ({lv.unit}; {fmt.number(lv.low, 0)}–{fmt.number(lv.high, 0)})"
            solara.Text(label, classes=["lever-label"])
            with solara.Row(gap="6px", style={"align-items": "center"}):
                with solara.Column(style={"flex": "3"}):
                    slider(
                        "",
                        value=int(value) if is_int else float(value),
                        min=int(lv.low) if is_int else lv.low,
                        max=int(lv.high) if is_int else lv.high,
                        step=int(lv.step) if is_int else lv.step,
                        on_value=set_,
                        thumb_label=False,
                    )
                with solara.Column(style={"flex": "2", "min-width": "100px"}):
                    solara.InputFloat(
                        "", value=float(value), on_value=set_, dense=True, classes=[f"input-{slug(lv.key)}"]
                    )
        for line in problems:
            solara.Error(line, dense=True, classes=[f"problem-{slug(lv.key)}"])


@solara.component
def Population(session: Session, tick: int):
    requested, set_requested = solara.use_state(0)
    scenario = session.scenario
    day, set_day = solara.use_state(scenario.calendar.days)  # the campaign's last day first

    def compute():
        if requested == 0:
            return None
        return sample_population(scenario, session.seed)

    result = solara.use_thread(compute, dependencies=[requested, id(scenario)], intrusive_cancel=False)
    solara.Button(
        "Look inside the population",
        on_click=lambda: set_requested(requested + 1),
        outlined=True,
        classes=["population-button"],
    )
    if requested and result.state == solara.ResultState.RUNNING:
        solara.ProgressLinear(True)
    sample = result.value if result.state == solara.ResultState.FINISHED else None

    def draw():
        if sample is None:
            return None
        return png(figures.network(sample.pos, sample.edges, sample.stage_names(day)))

    data = solara.use_memo(draw, [id(sample), day])
    if sample is None:
        return
    last = len(sample.stages) - 1
    solara.SliderInt("day (0 = start)", value=min(day, last), min=0, max=last, on_value=set_day)
    solara.Image(data, classes=["population-image"])
    solara.Markdown(
        f"{len(sample.rows)} customers of replication 1, reached breadth-first over the "
        "social graph; stage at the end of the day chosen, other attributes at the end of the run."
    )
    solara.DataFrame(sample.table_on(day), items_per_page=10)


@solara.component
def Page():
    cfg = solara.use_memo(config, [])
    tick, set_tick = solara.use_state(0)
    message, set_message = solara.use_state("")
    load_errors, set_load_errors = solara.use_state([])

    def make() -> Session:
        return Session(
            cfg["scenario"],
            cfg["overrides"],
            replications=int(cfg["replications"]),
            seed=int(cfg["seed"]),
            jobs=int(cfg["jobs"]),
        )

    session = solara.use_memo(make, [])
    solara.use_effect(lambda: session.close, [])
    batch = session.batch

    def refresh():
        set_tick(lambda t: t + 1)

    def watch(cancel: threading.Event):
        seen = -1
        while not cancel.is_set():
            batch.wait(seen, timeout=0.5)
            if batch.version != seen:
                seen = batch.version
                refresh()
                cancel.wait(0.4)  # at most ~2.5 redraws a second: the workers need the cores
            elif batch.finished:
                return

    solara.use_thread(watch, dependencies=[id(batch)], intrusive_cancel=False)
    o = session.outcome()
    ref = session.plans[0] if session.plans else None
    ref_frames = ref.batch.frames() if ref is not None and ref.batch is not batch else None
    state = "finished" if o.finished else "running"

    solara.Title("campaign-sim what-if")
    solara.Style(CSS)
    solara.HTML(unsafe_innerHTML="campaign-sim: what if?", classes=["topbar"])
    with solara.Columns([1, 3], classes=["main"]):
        with solara.Column(classes=["levers"]):
            Scenarios(session, set_load_errors, refresh, str(session.path))
            for e in load_errors:
                solara.Error(e, dense=True)
            groups = {
                "budget": "Budget",
                "offer": "Offer",
                "calendar": "Calendar",
                "referral": "Referral",
                "mix": "Channel mix (shares sum to 1)",
                "shocks": "Shocks",
            }
            for g, title in groups.items():
                levers = [lv for lv in session.levers if lv.group == g]
                if levers:
                    solara.Markdown(f"**{title}**")
                    for lv in levers:
                        LeverControl(
                            session,
                            lv,
                            refresh,
                            session.values[lv.key],
                            tuple(session.problems.get(lv.key, ())),
                        )
            for line in session.problems.get("", []) + session.problems.get("mix", []):
                solara.Error(line, dense=True)
        with solara.Column():
            solara.Markdown(f"## {session.scenario.name}\n{session.scenario.description}")
            solara.HTML(unsafe_innerHTML=verdict_html(o), classes=["verdict"])
            solara.ProgressLinear(100 * o.done / max(o.total, 1))
            solara.HTML(
                unsafe_innerHTML=f'<span id="status" data-state="{state}" data-done="{o.done}" '
                f'data-edits="{session.edits}">'
                f"{o.done} of {o.total} replications{' (done)' if o.finished else ''} · seed {session.seed}"
                f" · {session.scenario.population.size:,} simulated customers</span>",
                classes=["muted"],
            )
            for e in o.errors:
                solara.Error(e, dense=True)
            solara.HTML(unsafe_innerHTML=headline_html(o))
            Plans(session, refresh, tick)
            dist = solara.use_memo(
                lambda: png(figures.distributions(o, ref_frames, ref.name if ref else "A")), [tick, id(batch)]
            )
            solara.Image(dist)
            with solara.Columns([1, 1]):
                fan = solara.use_memo(lambda: png(figures.fan(o)), [tick, id(batch)])
                solara.Image(fan)
                ch = solara.use_memo(lambda: png(figures.channels(o)), [tick, id(batch)])
                solara.Image(ch)
            SaveAndDownload(session, message, set_message, o.done > 0, tick)
            with solara.Details("Population: customers on the social graph"):
                Population(session, tick)


@solara.component
def Scenarios(session: Session, set_errors, refresh, path: str):
    names = list(shipped_scenarios())
    current = Path(session.path).stem if Path(session.path).stem in names else None
    local, set_local = solara.use_state("" if current else str(session.path))

    def open_(what):
        try:
            session.load(what)
            set_errors([])
        except SpecError as exc:
            set_errors([str(p) for p in exc.problems])
        refresh()

    solara.Select("Scenario", values=names, value=current, on_value=open_)
    with solara.Row():
        solara.InputText("or a local file", value=local, on_value=set_local, dense=True)
        solara.Button("Open", on_click=lambda: open_(local), text=True)


@solara.component
def Plans(session: Session, refresh, tick: int):
    def pin():
        session.pin()
        refresh()

    full = len(session.plans) >= MAX_PLANS
    free = [n for n in "ABCD" if n not in {p.name for p in session.plans}]
    nxt = free[0] if free else session.plans[0].name
    with solara.Row():
        solara.Button(
            f"Pin as plan {nxt}" + (" (replaces the oldest)" if full else ""),
            on_click=pin,
            classes=["pin-button"],
        )
        for p in session.plans:
            solara.Button(
                f"restore {p.name}", text=True, on_click=lambda n=p.name: (session.restore(n), refresh())
            )
            solara.Button(
                f"unpin {p.name}", text=True, on_click=lambda n=p.name: (session.unpin(n), refresh())
            )
    if session.plans:
        solara.HTML(unsafe_innerHTML=comparison_html(session))


@solara.component
def SaveAndDownload(session: Session, message: str, set_message, ready: bool, tick: int):
    cfg = config()
    default = str(Path(cfg["save_dir"]) / f"{session.scenario.name}_what_if.toml")
    target, set_target = solara.use_state(default)

    def save():
        try:
            path = save_path(cfg["save_dir"], target)
            session.save(path)
            load_scenario(path)
            set_message(
                f"Saved {path}: it validates; `campaign-sim run {path} --replications "
                f"{session.replications} --seed {session.seed}` reproduces these numbers."
            )
        except (OSError, SpecError, ValueError) as exc:
            set_message(f"Could not save: {exc}")

    solara.Markdown("**Save and download**")
    with solara.Row():
        solara.InputText("save as", value=target, on_value=set_target, classes=["save-path"])
        solara.Button("Save as scenario", on_click=save, classes=["save-button"])
    if message:
        solara.HTML(unsafe_innerHTML=html.escape(message), classes=["save-message"])
    if ready:
        name = session.scenario.name
        with solara.Row():
            solara.FileDownload(lambda: session.scenario_toml(), f"{name}_what_if.toml", "Scenario TOML")
            solara.FileDownload(lambda: export.summary_csv(session), f"{name}_summary.csv", "Summary CSV")
            solara.FileDownload(lambda: export.workbook(session), f"{name}_results.xlsx", "Excel workbook")
            solara.FileDownload(lambda: export.report_html(session), f"{name}_report.html", "Report HTML")
