"""Architecture rules (ARCH-001 to ARCH-012) on the architecture floor plans.

The rules live in submodules by subject; importing this package registers all of them.
"""

from checkers.architecture import circulation, rooms, stairs

__all__ = ["circulation", "rooms", "stairs"]
