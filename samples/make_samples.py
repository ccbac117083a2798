"""Command line: write a sample package and print the files written.

    python -m samples.make_samples OUT_DIR [--name residential_tower]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from samples import SAMPLES, build_package
from samples.residential import FILES

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Build the package named by ``--name`` under OUT_DIR; exit status 0 on success."""
    parser = argparse.ArgumentParser(
        prog="python -m samples.make_samples",
        description="Write a deterministic sample drawing package (送审图纸示例包).",
    )
    parser.add_argument("out_dir", type=Path, help="folder that receives the package folder")
    parser.add_argument(
        "--name",
        default="residential_tower",
        choices=sorted(SAMPLES),
        help="which sample package to write (default: residential_tower)",
    )
    args = parser.parse_args(argv)
    folder = build_package(args.out_dir, args.name)
    for rel in FILES:
        print(folder / rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
