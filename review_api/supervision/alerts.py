"""Yellow and red warnings: raised once per step and level, and sent to the people responsible.

``raise_warnings`` looks at every running timed step at ``now``: a yellow step gets its yellow
warning, a red one its red warning (a step that went from green to red between two runs gets
only the red one: a yellow warning about a deadline already missed would tell nobody
anything). A warning is a row with ``UNIQUE(step_id, level)``, inserted in a savepoint, so
two runs at once, or one run repeated, raise it exactly once. Each new warning notifies each
responsible person (in the app, and by e-mail through the outbox in ``notify``) and is
appended to the event feed, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review_api.calendar import CST
from review_api.settings import Settings
from review_api.supervision import feed
from review_api.supervision.models import StepWarning
from review_api.supervision.notify import notify
from review_api.supervision.responsible import UNIT_ZH
from review_api.supervision.running import StepState, running_steps, step_json
from review_api.supervision.settings import SupervisionSettings

__all__ = ["Raised", "raise_warnings"]

STEP_ZH = {"intake": "受理", "review": "审查", "consolidation": "汇总出具意见"}


@dataclass(frozen=True)
class Raised:
    """A warning raised by this run and the people it was sent to."""

    warning: StepWarning
    notified: tuple[str, ...]


def _already(s: Session, step_id: int) -> set[str]:
    return set(s.scalars(select(StepWarning.level).where(StepWarning.step_id == step_id)))


def _text(state: StepState, level: str) -> tuple[str, str]:
    """Title and body of the notification (Chinese, then English)."""
    st, sub, c = state.step, state.submission, state.clock
    what = f"{UNIT_ZH.get(st.department or '', '')}{STEP_ZH.get(st.step, st.step)}"
    due = c.due_at.astimezone(CST).strftime("%Y-%m-%d %H:%M") if c.due_at else "—"
    if level == "red":
        title = f"【红色预警】{sub.project.name} 第{sub.round}轮 {what} 已超期（时限 {due}）"
        lead = "已超过办理时限，请立即办理并说明原因。"
        en = f"RED warning: the {st.step} step is overdue (deadline {due} CST)."
    else:
        share = round(100 * (c.share_used or 0))
        title = f"【黄色预警】{sub.project.name} 第{sub.round}轮 {what} 将于 {due} 到期"
        lead = f"已用去办理时限的 {share}%，请抓紧办理。"
        en = f"YELLOW warning: {share}% of the {st.step} step's time is used; deadline {due} CST."
    body = (
        f"{title}\n\n{lead}\n"
        f"项目：{sub.project.name}（送审 #{sub.id}，第{sub.round}轮）\n"
        f"环节：{what}，时限 {c.limit_days} 个工作日，截止 {due}\n"
        f"责任人：{state.responsible.label()}\n\n{en}\n"
    )
    return title, body


def _raise(
    s: Session, state: StepState, level: str, sup: SupervisionSettings, now: dt.datetime
) -> Raised | None:
    """Insert the warning (None if another run already did) and notify its people."""
    c = state.clock
    assert c.due_at is not None
    w = StepWarning(
        step_id=state.step.id, submission_id=state.step.submission_id, level=level,
        raised_at=now, due_at=c.due_at, share_used=round(c.share_used or 0.0, 4),
        responsible=state.responsible.as_json(),
    )
    try:
        with s.begin_nested():
            s.add(w)
            s.flush()
    except IntegrityError:
        return None
    title, body = _text(state, level)
    for person in state.responsible.people:
        notify(s, person, kind=f"warning.{level}", title=title, body=body, sup=sup, now=now,
               submission_id=state.step.submission_id, step_id=state.step.id, warning_id=w.id)
    data = step_json(state) | {"level": level, "notified": state.responsible.as_json()}
    feed.append(s, key=f"warning.{level}:{state.step.id}", kind=f"warning.{level}", at=now,
                submission_id=state.step.submission_id, step_id=state.step.id, data=data)
    return Raised(w, tuple(p.username for p in state.responsible.people))


def raise_warnings(
    s: Session, settings: Settings, sup: SupervisionSettings, *, now: dt.datetime
) -> list[Raised]:
    """Raise the warnings due at ``now`` that were not raised before; the new ones.

    The feed first gets the step starts it lacks, so a warning never precedes its step there.
    """
    feed.sweep_steps(s, settings, now=now, yellow_share=sup.yellow_share)
    out = []
    for state in running_steps(s, settings, now=now, yellow_share=sup.yellow_share):
        level = {"red": "red", "yellow": "yellow"}.get(state.clock.status)
        if level is None or level in _already(s, state.step.id):
            continue
        raised = _raise(s, state, level, sup, now)
        if raised is not None:
            out.append(raised)
    return out
