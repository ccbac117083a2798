"""Command line: write sample packages and print the files written.

    python -m samples.make_samples OUT_DIR [--name residential_tower]
    python -m samples.make_samples OUT_DIR --all
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from samples import SAMPLES

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Build the package named by ``--name`` (or every package) under OUT_DIR; 0 on success."""
    parser = argparse.ArgumentParser(
        prog="python -m samples.make_samples",
        description="Write deterministic sample drawing packages (送审图纸示例包).",
    )
    parser.add_argument("out_dir", type=Path, help="folder that receives the package folders")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--name",
        default="residential_tower",
        choices=sorted(SAMPLES),
        help="which sample package to write (default: residential_tower)",
    )
    which.add_argument("--all", action="store_true", help="write every sample package")
    args = parser.parse_args(argv)
    names = sorted(SAMPLES) if args.all else [args.name]
    for name in names:
        for path in SAMPLES[name](args.out_dir / name):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
