"""``lianshen serve`` with the web pages mounted, for the browser tests.

The browser tests start the platform as the README does (``lianshen serve --demo``). While the
application factory does not mount the pages itself, this launcher wraps it so that it does;
``viewer.web.mount`` is idempotent, so once ``create_app`` mounts them the wrap changes nothing.

Usage: ``python -m tests.browser.serve --demo --port 8123`` (the arguments of ``lianshen serve``).
"""

from __future__ import annotations

import sys
from typing import Any

from review_api import app as app_module
from viewer.web import mount

_original = app_module.create_app


def _create_app(*args: Any, **kwargs: Any) -> Any:
    app = _original(*args, **kwargs)
    mount(app)
    return app


def main(argv: list[str]) -> int:
    """Run ``lianshen serve`` with ``argv`` and the pages mounted."""
    app_module.create_app = _create_app
    from lianshen.cli import main as cli_main

    result: int = cli_main(["serve", *argv])
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
