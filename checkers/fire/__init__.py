"""Fire-protection rules (消防), FIRE-001 … FIRE-014 of the rule catalogue.

Importing the package registers every rule; the submodules group them by what they read:
classification and compartments, front rooms, the site plan, exits and doors.
"""

from __future__ import annotations

from . import classification, compartments, distances, exits, lobbies, rooms, site

__all__ = [
    "CODES",
    "classification",
    "compartments",
    "distances",
    "exits",
    "lobbies",
    "rooms",
    "site",
]

#: The catalogue codes this package registers.
CODES = tuple(f"FIRE-{n:03d}" for n in range(1, 15))
