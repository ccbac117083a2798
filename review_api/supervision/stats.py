"""The supervisor's figures: on-time rates and durations per department and step, open items
by age, findings by rule, rounds per project, red and yellow items now, and satisfaction.

Everything is computed from the rows, at ``now``, with the same clocks as the step list and the
warnings, so the dashboard, the CSV export and the warnings never disagree. Durations are
working time (office hours on working days, pauses excluded) in working days. A period
(``date_from``..``date_to``, China Standard Time days, both included) selects the finished
steps (by end), the submissions (by creation, for findings and rounds) and the ratings (by
date); the current figures (``now``, ``open_by_age``) always show the present.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review_api.calendar import CST, WORKDAY_SECONDS, WorkCalendar, working_seconds
from review_api.models import Finding, Step, Submission
from review_api.settings import Settings
from review_api.supervision.calendar_store import load_calendar
from review_api.supervision.clock import PAUSE_STEP, TIMED_STEPS, limit_days, merge_intervals
from review_api.supervision.models import Rating
from review_api.supervision.ratings import rated_units
from review_api.supervision.running import StepState, clocks_of, running_steps, step_json

__all__ = ["AGE_BUCKETS", "UNITS", "compute", "csv_rows", "to_csv"]

UNITS = ("bureau", "planning", "architecture", "fire", "civil_defence", "lightning")
AGE_BUCKETS: tuple[tuple[str, float, float | None], ...] = (
    ("0-1", 0, 1),
    ("1-2", 1, 2),
    ("2-3", 2, 3),
    ("3-5", 3, 5),
    ("5-10", 5, 10),
    ("10+", 10, None),
)
"""Open items by age: label, from (included) and to (excluded) in working days."""


def _window(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The period as UTC instants: from 00:00 CST of the first day to 00:00 after the last."""
    lo = None if date_from is None else dt.datetime.combine(date_from, dt.time(), tzinfo=CST)
    hi = (
        None if date_to is None
        else dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=CST)
    )
    return lo, hi


def _in(at: dt.datetime | None, lo: dt.datetime | None, hi: dt.datetime | None) -> bool:
    return at is not None and (lo is None or at >= lo) and (hi is None or at < hi)


def _days(seconds: float) -> float:
    return round(seconds / WORKDAY_SECONDS, 3)


def _unit(step: Step) -> str:
    return step.department or "bureau"


def _step_figures(
    s: Session, settings: Settings, now: dt.datetime, cal: WorkCalendar, yellow: float,
    running: list[StepState], lo: dt.datetime | None, hi: dt.datetime | None,
) -> list[dict[str, Any]]:
    """On-time rate and duration of finished steps, and running counts, per (unit, step)."""
    q = select(Step).where(Step.ended_at.is_not(None), Step.step.in_(TIMED_STEPS))
    if lo is not None:
        q = q.where(Step.ended_at >= lo)
    if hi is not None:
        q = q.where(Step.ended_at < hi)
    finished = clocks_of(s, s.scalars(q.order_by(Step.id)).all(), settings, now=now,
                         yellow_share=yellow, calendar=cal)
    groups: dict[tuple[str, str], list[tuple[bool, float]]] = defaultdict(list)
    for st, c in finished:
        groups[(_unit(st), st.step)].append((bool(c.on_time), c.used_seconds))
    live: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for x in running:
        if x.step.step in TIMED_STEPS:
            live[(_unit(x.step), x.step.step)][x.clock.status] += 1
    out = []
    for unit in UNITS:
        for step in TIMED_STEPS:
            if (unit == "bureau") == (step == "review"):
                continue
            done = groups.get((unit, step), [])
            durations = [d for _, d in done]
            on_time = sum(1 for ok, _ in done if ok)
            now_ = live.get((unit, step), Counter())
            out.append({
                "unit": unit,
                "step": step,
                "limit_days": limit_days(settings, step),
                "completed": len(done),
                "on_time": on_time,
                "late": len(done) - on_time,
                "on_time_rate": round(on_time / len(done), 4) if done else None,
                "mean_working_days": _days(statistics.fmean(durations)) if done else None,
                "median_working_days": _days(statistics.median(durations)) if done else None,
                "running": sum(now_.values()),
                "red": now_["red"],
                "yellow": now_["yellow"],
            })
    return out


def _open_by_age(running: list[StepState]) -> list[dict[str, Any]]:
    """Running steps by working days since they started (timed steps by clock, revisions too)."""
    out = []
    for label, lo, hi in AGE_BUCKETS:
        inside = [
            x for x in running
            if x.clock.used_seconds / WORKDAY_SECONDS >= lo
            and (hi is None or x.clock.used_seconds / WORKDAY_SECONDS < hi)
        ]
        by_status = Counter(x.clock.status for x in inside)
        by_step = Counter(x.step.step for x in inside)
        out.append({
            "bucket": label, "from_days": lo, "to_days": hi, "count": len(inside),
            "by_status": {k: by_status[k] for k in ("green", "yellow", "red", "paused")},
            "by_step": {k: by_step[k] for k in (*TIMED_STEPS, PAUSE_STEP)},
        })
    return out


def _findings(s: Session, sub_ids: list[int] | None) -> list[dict[str, Any]]:
    """Findings by rule code, with their review states (most frequent first)."""
    q = select(
        Finding.code, Finding.discipline, Finding.severity, Finding.review_status,
        func.count(Finding.id),
    ).group_by(Finding.code, Finding.discipline, Finding.severity, Finding.review_status)
    if sub_ids is not None:
        q = q.where(Finding.submission_id.in_(sub_ids or [-1]))
    rows: dict[str, dict[str, Any]] = {}
    for code, discipline, severity, status, n in s.execute(q):
        r = rows.setdefault(code, {"code": code, "discipline": discipline, "severity": severity,
                                   "total": 0, "open": 0, "confirmed": 0, "dismissed": 0})
        r["total"] += n
        r[status if status in ("open", "confirmed", "dismissed") else "open"] += n
    return sorted(rows.values(), key=lambda r: (-r["total"], r["code"]))


def _union_seconds(
    intervals: list[tuple[dt.datetime, dt.datetime | None]], now: dt.datetime, cal: WorkCalendar
) -> float:
    if not intervals:
        return 0.0
    lo = min(a for a, _ in intervals)
    return sum(working_seconds(a, b, cal) for a, b in merge_intervals(intervals, lo, now))


def _rounds(
    s: Session, subs: list[Submission], now: dt.datetime, cal: WorkCalendar
) -> dict[str, Any]:
    """Rounds per project, with the authorities' and the applicant's working time."""
    by_project: dict[int, list[Submission]] = defaultdict(list)
    for sub in subs:
        by_project[sub.project_id].append(sub)
    steps: dict[int, list[Step]] = defaultdict(list)
    ids = [x.id for x in subs]
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for st in s.scalars(select(Step).where(Step.submission_id.in_(chunk))):
            steps[st.submission_id].append(st)
    projects: list[dict[str, Any]] = []
    for pid, rounds in sorted(by_project.items()):
        own = [st for x in rounds for st in steps[x.id]]
        last = max(rounds, key=lambda x: x.round)
        projects.append({
            "project_id": pid,
            "project": last.project.name,
            "organization": last.project.organization.name,
            "rounds": len(rounds),
            "status": last.status,
            "authority_working_days": _days(_union_seconds(
                [(st.started_at, st.ended_at) for st in own if st.step in TIMED_STEPS], now, cal)),
            "applicant_working_days": _days(_union_seconds(
                [(st.started_at, st.ended_at) for st in own if st.step == PAUSE_STEP], now, cal)),
        })
    hist = Counter(p["rounds"] for p in projects)
    counts = [p["rounds"] for p in projects]
    return {
        "histogram": [{"rounds": r, "projects": hist[r]} for r in sorted(hist)],
        "mean": round(statistics.fmean(counts), 3) if counts else None,
        "max": max(counts) if counts else None,
        "projects": projects,
    }


def _satisfaction(s: Session, lo: dt.datetime | None, hi: dt.datetime | None) -> dict[str, Any]:
    """Ratings per unit (a rating counts for the bureau and every reviewing department)."""
    scores: dict[str, list[int]] = defaultdict(list)
    overall = []
    for r in s.scalars(select(Rating).order_by(Rating.id)):
        if not _in(r.created_at, lo, hi):
            continue
        overall.append(r.score)
        for unit in rated_units(s, r.submission_id):
            scores[unit].append(r.score)

    def summary(xs: list[int]) -> dict[str, Any]:
        c = Counter(xs)
        return {
            "ratings": len(xs),
            "mean": round(statistics.fmean(xs), 3) if xs else None,
            "distribution": {str(k): c[k] for k in range(1, 6)},
            "low": sum(1 for x in xs if x <= 2),
        }

    return {
        "overall": summary(overall),
        "units": [{"unit": u} | summary(scores.get(u, [])) for u in UNITS],
    }


def compute(
    s: Session,
    settings: Settings,
    *,
    now: dt.datetime,
    yellow_share: float,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, Any]:
    """Every figure of the dashboard, as ``GET /api/supervision/stats`` returns it.

    ``{"generated_at", "period": {"from", "to"}, "yellow_share", "limits": {step: days},
    "steps": [{"unit", "step", "limit_days", "completed", "on_time", "late", "on_time_rate",
    "mean_working_days", "median_working_days", "running", "red", "yellow"}],
    "open_by_age": [{"bucket", "from_days", "to_days", "count", "by_status": {...},
    "by_step": {...}}], "findings_by_rule": [{"code", "discipline", "severity", "total",
    "open", "confirmed", "dismissed"}], "rounds_per_project": {"histogram": [{"rounds",
    "projects"}], "mean", "max", "projects": [{"project_id", "project", "organization",
    "rounds", "status", "authority_working_days", "applicant_working_days"}]},
    "now": {"red", "yellow", "green", "paused", "items": [STEP...]},
    "satisfaction": {"overall": {"ratings", "mean", "distribution": {"1".."5"}, "low"},
    "units": [{"unit", ...same}]}}``. ``unit`` is a department or ``bureau`` (intake and
    consolidation); rates are 0..1 and null when nothing finished; STEP is the shape of
    ``GET /api/supervision/steps``.
    """
    cal = load_calendar(s)
    lo, hi = _window(date_from, date_to)
    running = running_steps(s, settings, now=now, yellow_share=yellow_share, calendar=cal)
    subs_q = select(Submission).order_by(Submission.id)
    if lo is not None:
        subs_q = subs_q.where(Submission.created_at >= lo)
    if hi is not None:
        subs_q = subs_q.where(Submission.created_at < hi)
    subs = list(s.scalars(subs_q))
    current = Counter(x.clock.status for x in running)
    return {
        "generated_at": now,
        "period": {"from": date_from, "to": date_to},
        "yellow_share": yellow_share,
        "limits": {st: limit_days(settings, st) for st in TIMED_STEPS},
        "steps": _step_figures(s, settings, now, cal, yellow_share, running, lo, hi),
        "open_by_age": _open_by_age(running),
        "findings_by_rule": _findings(
            s, None if lo is None and hi is None else [x.id for x in subs]
        ),
        "rounds_per_project": _rounds(s, subs, now, cal),
        "now": {
            **{k: current[k] for k in ("red", "yellow", "green", "paused")},
            "items": [step_json(x) for x in running if x.clock.status in ("red", "yellow")],
        },
        "satisfaction": _satisfaction(s, lo, hi),
    }


CSV_COLUMNS = ("section", "unit", "step", "key", "label", "metric", "value")


def csv_rows(stats: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The figures as tidy rows (one number per row), for spreadsheets and pivot tables."""
    for r in stats["steps"]:
        for m in ("limit_days", "completed", "on_time", "late", "on_time_rate",
                  "mean_working_days", "median_working_days", "running", "red", "yellow"):
            yield ("steps", r["unit"], r["step"], "", "", m, r[m])
    for b in stats["open_by_age"]:
        yield ("open_by_age", "", "", b["bucket"], "", "count", b["count"])
        for k, v in b["by_status"].items():
            yield ("open_by_age", "", "", b["bucket"], "", f"status_{k}", v)
        for k, v in b["by_step"].items():
            yield ("open_by_age", "", k, b["bucket"], "", "count_step", v)
    for f in stats["findings_by_rule"]:
        for m in ("total", "open", "confirmed", "dismissed"):
            yield ("findings_by_rule", f["discipline"], "", f["code"], f["severity"], m, f[m])
    rp = stats["rounds_per_project"]
    for h in rp["histogram"]:
        yield ("rounds_per_project", "", "", h["rounds"], "", "projects", h["projects"])
    for p in rp["projects"]:
        for m in ("rounds", "authority_working_days", "applicant_working_days"):
            yield ("project", "", "", p["project_id"], p["project"], m, p[m])
    for k in ("red", "yellow", "green", "paused"):
        yield ("now", "", "", k, "", "count", stats["now"][k])
    for x in stats["now"]["items"]:
        yield ("now_item", x["responsible_unit"], x["step"], x["step_id"], x["project"],
               "status", x["status"])
        yield ("now_item", x["responsible_unit"], x["step"], x["step_id"], x["project"],
               "due_at", x["due_at"])
    sat = stats["satisfaction"]
    for unit_row in [{"unit": "overall"} | sat["overall"], *sat["units"]]:
        for m in ("ratings", "mean", "low"):
            yield ("satisfaction", unit_row["unit"], "", "", "", m, unit_row[m])
        for score, n in unit_row["distribution"].items():
            yield ("satisfaction", unit_row["unit"], "", score, "", "score_count", n)


def _cell(v: Any) -> Any:
    """Spreadsheet-safe cell: text that a spreadsheet would run as a formula gets a quote."""
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).isoformat()
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def to_csv(stats: dict[str, Any]) -> str:
    """The CSV export of ``compute``'s figures (UTF-8 with BOM, so spreadsheets read Chinese)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for row in csv_rows(stats):
        w.writerow([_cell(v) for v in row])
    return "\ufeff" + buf.getvalue()
