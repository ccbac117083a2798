"""The ``lianshen`` command: inspect drawings (and, as the platform grows, check and serve).

Exit codes follow ``API.md``: ``inspect`` returns 0 when the drawing loaded (even with findings),
2 when it was refused (``DXF-001``) and 1 for an internal error (a bug).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _safe_print(text: str) -> None:
    """Print without dying on terminals whose encoding cannot show Chinese."""
    try:
        sys.stdout.write(text + "\n")
    except UnicodeEncodeError:
        sys.stdout.buffer.write((text + "\n").encode("utf-8", "replace"))


def _package_context(path: Path) -> dict[str, object]:
    """When the file sits in a package folder (``package/fire/plans.dxf``), read it as the
    package would: the folder gives the discipline, ``layers.toml`` the firm's aliases and
    ``project.toml`` the assumed unit and code page."""
    import tomllib

    from checkers.package import read_layer_map
    from drawings import Discipline

    context: dict[str, object] = {}
    folder = path.resolve().parent
    if folder.name not in {d.value for d in Discipline}:
        return context
    context["discipline"] = folder.name
    root = folder.parent
    context["layer_map"] = read_layer_map(root)
    project = root / "project.toml"
    if project.is_file():
        try:
            data = tomllib.loads(project.read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        section = data.get("project", {})
        if isinstance(section, dict):
            if isinstance(section.get("drawing_unit"), str):
                context["drawing_unit"] = section["drawing_unit"]
            if isinstance(section.get("codepage"), str):
                context["codepage"] = section["codepage"]
    return context


def _inspect(args: argparse.Namespace) -> int:
    from drawings import UnreadableDrawingError, load
    from drawings.layers import LayerMapError
    from drawings.limits import limits_from_env
    from drawings.report import inspect_dict, inspect_text, refused_dict

    path = Path(args.file)
    limits = limits_from_env()
    try:
        context = _package_context(path)
    except LayerMapError as exc:
        _safe_print(f"layers.toml: {exc.message}\n{exc.message_en}")
        return 2
    try:
        if args.progress and not args.json:
            from rich.console import Console

            with Console(stderr=True).status(f"读取 Reading {path.name} …"):
                model = load(path, display_name=path.name, limits=limits, **context)  # type: ignore[arg-type]
        else:
            model = load(path, display_name=path.name, limits=limits, **context)  # type: ignore[arg-type]
    except UnreadableDrawingError as exc:
        if args.json:
            _safe_print(
                json.dumps(
                    refused_dict(path.name, exc.reason, exc.message, exc.message_en),
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            _safe_print(f"DXF-001 拒收 refused: {exc.message}\n{exc.message_en}")
        return 2
    if args.json:
        _safe_print(json.dumps(inspect_dict(model, texts=args.texts), ensure_ascii=False, indent=2))
    else:
        _safe_print(inspect_text(model, texts=args.texts))
    return 0


def _check(args: argparse.Namespace) -> int:
    from checkers.report import check_package

    report, code = check_package(Path(args.package), progress=args.progress)
    if args.format == "bcf":
        from checkers.bcf import write_bcf

        target = Path(args.output or f"{Path(args.package).stem}.bcf")
        topics = write_bcf(report.findings, target, project=report.package)
        _safe_print(f"BCF 2.1: {topics} 个问题 topics → {target}")
        return code
    if args.format == "json":
        import json as _json

        text = _json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
    else:
        text = report.to_text()
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        _safe_print(text)
    return code


def _rules(args: argparse.Namespace) -> int:
    from checkers.registry import load_all

    rules = load_all()
    if args.json:
        _safe_print(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "slug": r.slug,
                        "discipline": r.discipline,
                        "severity": r.severity.value,
                        "clause": r.clause,
                        "parameters": list(r.params),
                        "title": r.title,
                        "doc": r.doc,
                    }
                    for r in rules.values()
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for r in rules.values():
            _safe_print(f"{r.code:<10} {r.severity.value:<8} {r.slug:<28} {r.clause}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one sub-command per API.md row)."""
    parser = argparse.ArgumentParser(
        prog="lianshen", description="联审 Lianshen — 多图联审平台 / joint drawing review platform"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="读取一张图纸并报告 / load one drawing and report")
    p.add_argument("file", help="DXF 文件 / the DXF file")
    p.add_argument("--json", action="store_true", help="JSON output (API.md shape)")
    p.add_argument("--texts", action="store_true", help="list every decoded text string")
    p.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no spinner on the terminal"
    )
    p.set_defaults(func=_inspect)
    c = sub.add_parser("check", help="审查整个送审包 / run intake and every rule on a package")
    c.add_argument("package", help="送审包文件夹或 zip / package folder or zip")
    c.add_argument("--format", choices=("text", "json", "bcf"), default="text")
    c.add_argument("--output", help="write the report to this file")
    c.add_argument("--no-progress", dest="progress", action="store_false")
    c.set_defaults(func=_check)
    r = sub.add_parser("rules", help="列出已实现的审查规则 / list the implemented rules")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_rules)
    sv = sub.add_parser("serve", help="启动平台 / start the platform")
    sv.add_argument("--demo", action="store_true", help="demo users and the sample package")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--workers", type=int, default=2, help="embedded worker processes")
    sv.set_defaults(func=_serve)
    w = sub.add_parser("worker", help="Celery 工作进程（分布式部署）/ a Celery worker")
    w.add_argument("--concurrency", type=int, default=2)
    w.set_defaults(func=lambda a: _server().worker(a.concurrency))
    b = sub.add_parser("beat", help="Celery 定时调度（分布式部署）/ the Celery scheduler")
    b.set_defaults(func=lambda a: _server().beat())
    return parser


def _server() -> Any:
    from lianshen import server

    return server


def _serve(args: argparse.Namespace) -> int:
    logging.getLogger().setLevel(logging.INFO)
    result: int = _server().serve(args.host, args.port, args.demo, args.workers)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception:  # noqa: BLE001 - a bug: say so briefly, exit 1 (API.md)
        logging.getLogger("lianshen").exception("内部错误 internal error")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
