"""``lianshen check``: the whole package reviewed, as a report (text or the JSON of API.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkers.engine import run
from checkers.package import PackageError, load_package, open_package
from drawings.limits import limits_from_env
from drawings.model import IntakeFinding, Severity
from drawings.report import finding_dict

__all__ = ["CheckReport", "check_package"]


@dataclass(slots=True)
class CheckReport:
    """Everything ``check`` found, ready to print."""

    package: str
    status: str  # "checked" | "refused"
    findings: list[dict[str, Any]] = field(default_factory=list)
    not_checked: list[dict[str, str]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts by code and by severity."""
        by_code = Counter(f["code"] for f in self.findings)
        sev = Counter(f["severity"] for f in self.findings)
        return {
            "by_code": dict(sorted(by_code.items())),
            "errors": sev.get("error", 0),
            "warnings": sev.get("warning", 0),
            "infos": sev.get("info", 0),
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``check --format json`` object of API.md."""
        out: dict[str, Any] = {
            "package": self.package,
            "status": self.status,
            "findings": self.findings,
            "summary": self.summary(),
            "not_checked": self.not_checked,
        }
        if self.problems:
            out["problems"] = self.problems
        return out

    def to_text(self) -> str:
        """A report for people, Chinese first."""
        lines = [f"送审包 Package: {self.package}   状态 Status: {self.status}"]
        if self.problems:
            lines.append("退回，一次告知以下全部问题 Returned; every problem at once:")
            lines += [
                f"  - {p['where']}: {p['message']}  ({p['message_en']})" for p in self.problems
            ]
            return "\n".join(lines)
        s = self.summary()
        lines.append(
            f"错误 errors {s['errors']}   警告 warnings {s['warnings']}   提示 infos {s['infos']}"
        )
        for f in sorted(self.findings, key=lambda f: (_RANK[f["severity"]], f["code"])):
            where = " ".join(x for x in (f.get("file"), f.get("sheet") and f"[{f['sheet']}]") if x)
            lines.append(f"  {f['code']} {f['severity']:<7} {where} {f['message']}".rstrip())
        if self.not_checked:
            lines.append("未检查 Not checked:")
            lines += [f"  {n['code']}: {n['reason']}" for n in self.not_checked]
        return "\n".join(lines)


_RANK = {"error": 0, "warning": 1, "info": 2}


def _intake_dict(f: IntakeFinding, discipline: str | None) -> dict[str, Any]:
    d = finding_dict(f, discipline)
    d["params"] = {}
    return d


def check_package(path: Path, *, progress: bool = False) -> tuple[CheckReport, int]:
    """Check a package folder or zip; returns the report and the exit code of API.md
    (0 no error finding, 3 error findings present, 2 package refused)."""
    report = CheckReport(package=path.name, status="checked")
    try:
        with open_package(path) as root:
            loaded = _load(root, progress)
    except PackageError as exc:
        report.status = "refused"
        report.problems = [
            {"where": w, "message": zh, "message_en": en} for w, zh, en in exc.problems
        ]
        return report, 2
    for drawing, f in loaded.intake:
        report.findings.append(_intake_dict(f, drawing.discipline.value if drawing else None))
    for rel, refusal in loaded.refused:
        report.findings.append(
            {
                "code": "DXF-001",
                "slug": "unreadable",
                "discipline": rel.split("/")[0],
                "severity": "error",
                "message": refusal.message,
                "message_en": refusal.message_en,
                "clause": "—",
                "measured": None,
                "limit": None,
                "unit": None,
                "file": rel,
                "sheet": None,
                "location": None,
                "handles": [],
                "params": {},
                "details": [refusal.reason],
            }
        )
    result = _run(loaded.context, progress)
    report.findings += [f.to_dict() for f in result.findings]
    report.not_checked = [
        {"code": c, "reason": zh, "reason_en": en} for c, zh, en in result.not_checked
    ]
    errors = sum(1 for f in report.findings if f["severity"] == Severity.ERROR.value)
    return report, 3 if errors else 0


def _load(root: Path, progress: bool) -> Any:
    limits = limits_from_env()
    if not progress:
        return load_package(root, limits=limits)
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("读取图纸 Reading drawings …") as status:
        return load_package(
            root, limits=limits, progress=lambda rel: status.update(f"读取 Reading {rel} …")
        )


def _run(ctx: Any, progress: bool) -> Any:
    if not progress:
        return run(ctx)
    from rich.progress import Progress

    from checkers.registry import load_all

    rules = load_all()
    with Progress(transient=True) as bar:
        task = bar.add_task("审查 Checking", total=len(rules))
        return run(
            ctx,
            rules.values(),
            progress=lambda r: bar.update(task, advance=1, description=f"审查 {r.code}"),
        )
