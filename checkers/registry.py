"""The rule registry: one function per catalogue code ("same matter, same standard, same code").

Codes and slugs are those of ``rules/CATALOGUE.md``; a code is registered once and never reused.
Each rule's docstring is its user documentation and must carry a ``Clause:`` line.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drawings.model import Severity

if TYPE_CHECKING:
    from checkers.context import CheckContext
    from checkers.findings import Violation

__all__ = ["CODE_RE", "REGISTRY", "Rule", "RegistryError", "load_all", "rule"]

CODE_RE = re.compile(r"^(PLAN|ARCH|FIRE|CDEF|LTNG|JOINT)-\d{3}$")
DISCIPLINES = {
    "PLAN": "planning",
    "ARCH": "architecture",
    "FIRE": "fire",
    "CDEF": "civil_defence",
    "LTNG": "lightning",
    "JOINT": "joint",
}
MODULES = ("planning", "architecture", "fire", "civil_defence", "lightning", "joint")

CheckFn = Callable[["CheckContext"], Iterable["Violation"]]


class RegistryError(Exception):
    """A rule definition is wrong (bad or duplicate code, missing ``Clause:``)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule and its catalogue metadata."""

    code: str
    slug: str
    discipline: str
    severity: Severity
    clause: str
    params: tuple[str, ...]
    fn: CheckFn

    @property
    def title(self) -> str:
        """First line of the docstring."""
        return (self.fn.__doc__ or "").strip().splitlines()[0]

    @property
    def doc(self) -> str:
        """The whole docstring (the rule's documentation)."""
        import inspect

        return inspect.cleandoc(self.fn.__doc__ or "")


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str, slug: str, *, severity: Severity = Severity.ERROR, params: tuple[str, ...] = ()
) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` under ``code``; its docstring must have a ``Clause:`` line."""

    def decorator(fn: CheckFn) -> CheckFn:
        if not CODE_RE.match(code):
            raise RegistryError(f"invalid rule code {code!r}")
        if code in REGISTRY:
            raise RegistryError(f"rule code {code} registered twice")
        match = re.search(r"^\s*Clause:\s*(.+)$", fn.__doc__ or "", re.MULTILINE)
        if match is None:
            raise RegistryError(f"{code}: docstring has no 'Clause:' line")
        REGISTRY[code] = Rule(
            code=code,
            slug=slug,
            discipline=DISCIPLINES[code.split("-")[0]],
            severity=severity,
            clause=match.group(1).strip(),
            params=params,
            fn=fn,
        )
        return fn

    return decorator


def load_all() -> dict[str, Rule]:
    """Import every discipline module (explicitly, no directory scanning); return the registry."""
    for name in MODULES:
        try:
            importlib.import_module(f"checkers.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"checkers.{name}":
                raise
    return dict(sorted(REGISTRY.items()))
