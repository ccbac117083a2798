"""Runs every registered rule over a package, isolating crashes.

A rule that raises ``NotChecked`` is reported as not checked with its reason; a rule that
crashes is reported the same way *and* as an info finding of its own code, so reviewers see
that the check did not finish — and every other rule still runs. Violations a rule yielded
before it stopped are kept (e.g. the parts of a cross-drawing check that could be evaluated).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from checkers.context import CheckContext
from checkers.findings import Finding, NotChecked, Violation
from checkers.registry import Rule, load_all
from drawings.model import Severity

__all__ = ["CheckResult", "run"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class CheckResult:
    """Findings of every rule, and the rules that could not be evaluated (with the reason)."""

    findings: list[Finding] = field(default_factory=list)
    not_checked: list[tuple[str, str, str]] = field(default_factory=list)  # code, zh, en


def run(
    ctx: CheckContext,
    rules: Iterable[Rule] | None = None,
    progress: Callable[[Rule], None] | None = None,
) -> CheckResult:
    """Run ``rules`` (default: the whole registry) and collect their results."""
    result = CheckResult()
    for r in rules if rules is not None else load_all().values():
        if progress is not None:
            progress(r)
        violations: list[Violation] = []
        try:
            for v in r.fn(ctx):  # kept one by one: what a rule found before stopping counts
                violations.append(v)
        except NotChecked as nc:
            result.not_checked.append((r.code, nc.reason, nc.reason_en))
        except Exception as exc:  # noqa: BLE001 - one crashing rule must not stop the review
            logger.exception("rule %s crashed", r.code)
            why = f"{type(exc).__name__}: {exc}"[:300]
            result.not_checked.append((r.code, f"规则执行出错：{why}", f"the rule crashed: {why}"))
            result.findings.append(
                Finding(
                    code=r.code,
                    slug=r.slug,
                    discipline=r.discipline,
                    severity=Severity.INFO,
                    message=f"规则 {r.code} 执行出错，未完成检查，请人工审查：{why}",
                    message_en=f"Rule {r.code} crashed and did not finish; review manually: {why}",
                    clause=r.clause,
                    measured=None,
                    limit=None,
                    unit=None,
                    file=None,
                    sheet=None,
                    location=None,
                    handles=(),
                )
            )
            continue
        for v in violations:
            result.findings.append(
                Finding.from_violation(
                    v,
                    code=r.code,
                    slug=r.slug,
                    discipline=r.discipline,
                    severity=r.severity,
                    clause=r.clause,
                )
            )
    return result
