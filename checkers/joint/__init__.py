"""Joint review (多图联审): cross-drawing consistency rules JOINT-001 … JOINT-010.

The rules live in submodules by subject; importing this package registers all of them.
"""

from __future__ import annotations

from checkers.joint import defence, facts, grid, site, stairs
from checkers.joint.common import SheetRegistration, sheet_registrations

__all__ = ["SheetRegistration", "defence", "facts", "grid", "sheet_registrations", "site", "stairs"]
