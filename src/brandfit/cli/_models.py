"""``brandfit models ...``: inspect, promote, roll back, verify and move published model versions.

The registry is ``--registry PATH``, else the default :func:`brandfit.load_model` uses: ``$BRANDFIT_REGISTRY``,
else the repository's ``models/`` folder, else ``./models``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from brandfit.errors import FormatVersionError, IntegrityError
from brandfit.registry import ModelRegistry
from brandfit.settings import ENV_REGISTRY, registry_root

__all__ = ["register"]

def _registry(args: argparse.Namespace) -> ModelRegistry:
    return ModelRegistry(registry_root(getattr(args, "registry", None) or None))  # the default load_model() uses


def _cmd_bundle(args: argparse.Namespace) -> int:
    from brandfit.registry.bundle import refresh_bundle

    mv = refresh_bundle(_registry(args).root, args.to, alias=args.alias)
    print(f"bundled {mv.ref} ({args.alias}) into {mv.path.parent.parent}")
    return 0


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def _cmd_list(args: argparse.Namespace) -> int:
    reg = _registry(args)
    aliases: dict[str, list[str]] = {}
    for alias, target in reg.aliases().items():
        aliases.setdefault(target, []).append(alias)
    entries = []
    for mv in reg.list():
        try:
            meta = mv.metadata
            published = meta.get("published_at") or meta.get("created_at")
        except (IntegrityError, FormatVersionError) as exc:
            published = f"(unreadable: {exc})"
        entries.append({"ref": mv.ref, "name": mv.name, "version": mv.version, "path": str(mv.path),
                        "published_at": published, "aliases": aliases.get(mv.ref, [])})
    if args.json:
        _print_json(entries)
        return 0
    if not entries:
        print(f"no models in {reg.root}")
        return 0
    rows = [(e["name"], e["version"], e["published_at"], ", ".join(e["aliases"])) for e in entries]
    print(_table(("NAME", "VERSION", "PUBLISHED", "ALIASES"), rows))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    info = _registry(args).show(args.ref)
    if args.json:
        _print_json(info)
        return 0
    for key in sorted(info):
        value = info[key]
        if isinstance(value, (dict, list)):
            value = json.dumps(value, sort_keys=True, ensure_ascii=False)
        print(f"{key}: {value}")
    return 0


def _cmd_resolve(args: argparse.Namespace) -> int:
    print(_registry(args).resolve(args.ref))
    return 0


def _cmd_promote(args: argparse.Namespace) -> int:
    mv = _registry(args).promote(args.ref, alias=args.alias)
    print(f"{args.alias} -> {mv.ref}")
    return 0


def _cmd_alias(args: argparse.Namespace) -> int:
    mv = _registry(args).set_alias(args.alias, args.ref)
    print(f"{args.alias} -> {mv.ref}")
    return 0


def _cmd_rollback(args: argparse.Namespace) -> int:
    mv = _registry(args).rollback(args.alias)
    print(f"{args.alias} -> {mv.ref} (rolled back)")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    result = _registry(args).compare(args.a, args.b)
    if args.json:
        _print_json(result)
        return 0
    rows = [(key, _fmt(row["a"]), _fmt(row["b"]), _fmt(row["delta"])) for key, row in result["metrics"].items()]
    if not rows:
        print(f"neither {result['a']} nor {result['b']} recorded metrics")
        return 0
    print(_table(("METRIC", result["a"], result["b"], "DELTA"), rows))
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    mv = _registry(args).delete(args.ref)
    print(f"deleted {mv.ref}")
    return 0


def _cmd_gc(args: argparse.Namespace) -> int:
    paths = _registry(args).gc(dry_run=args.dry_run, keep=args.keep)
    for path in paths:
        print(f"{'would remove' if args.dry_run else 'removed'} {path}")
    print(f"{len(paths)} {'would be removed' if args.dry_run else 'removed'}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    reg = _registry(args)
    refs = [mv.ref for mv in reg.list()] if args.all else [args.ref]
    failed = 0
    for ref in refs:
        try:
            reg.verify(ref)
        except (IntegrityError, FormatVersionError) as exc:
            failed += 1
            print(f"FAILED  {ref}: {exc}")
        else:
            print(f"ok      {ref}")
    if args.all and not refs:
        print(f"no models in {reg.root}")
    bad_aliases = 0
    if args.all:
        for alias, problem in reg.check_aliases().items():
            if problem is None:
                print(f"ok      alias {alias}")
            else:
                bad_aliases += 1
                print(f"FAILED  alias {alias}: {problem}")
    if failed:
        print(f"brandfit: {failed} of {len(refs)} versions failed verification", file=sys.stderr)
    if bad_aliases:
        print(f"brandfit: {bad_aliases} alias file(s) are broken", file=sys.stderr)
    return 1 if failed or bad_aliases else 0


def _cmd_export(args: argparse.Namespace) -> int:
    print(_registry(args).export(args.ref, args.output))
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    mv = _registry(args).import_archive(args.file, name=args.name)
    print(f"imported {args.file} as {mv.ref}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``brandfit models`` and its actions."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--registry", default=argparse.SUPPRESS, metavar="PATH", help=argparse.SUPPRESS)
    parser = subparsers.add_parser(
        "models",
        help="list, inspect, promote, roll back, verify, export and import published models",
        description="Manage the model registry. REF is an alias (production), name@version (topic@3), "
        "a model name (its newest version) or latest.",
    )
    parser.add_argument(
        "--registry", metavar="PATH", default=None,
        help=f"registry folder (default: ${ENV_REGISTRY}, else ./models if it is a registry, else the read-only one "
             "bundled with brandfit)",
    )
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION", title="actions", required=True)

    def action(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(func=func)
        return sub

    p = action("list", _cmd_list, "every version with its publication time and aliases")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = action("show", _cmd_show, "metadata and aliases of one version")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = action("resolve", _cmd_resolve, "print the folder a ref points to")
    p.add_argument("ref", metavar="REF")
    p = action("promote", _cmd_promote, "point an alias (default production) at REF, after verifying it")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--alias", default="production", help="alias to move (default: production)")
    p = action("alias", _cmd_alias, "point ALIAS at REF, after verifying it")
    p.add_argument("alias", metavar="ALIAS")
    p.add_argument("ref", metavar="REF")
    p = action("rollback", _cmd_rollback, "point an alias back at its previous target")
    p.add_argument("--alias", default="production", help="alias to roll back (default: production)")
    p = action("compare", _cmd_compare, "metrics of two versions side by side")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = action("delete", _cmd_delete, "delete one version (refused while an alias points to it)")
    p.add_argument("ref", metavar="REF")
    p = action("gc", _cmd_gc, "remove stale temporary builds and old versions nothing points to")
    p.add_argument("--dry-run", action="store_true", help="only print what would be removed")
    p.add_argument("--keep", type=int, default=3, metavar="N", help="newest versions kept per model (default 3)")
    p = action("verify", _cmd_verify, "re-hash every file against the manifest; exit 1 on any mismatch")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("ref", metavar="REF", nargs="?")
    target.add_argument("--all", action="store_true", help="verify every version and every alias file")
    p = action("export", _cmd_export, "write one version to a .tar.gz archive")
    p.add_argument("ref", metavar="REF")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="archive to write (or a folder)")
    p = action("bundle", _cmd_bundle, "copy the production version into the registry shipped inside the package "
               "(run from a source checkout after a promotion, then commit src/brandfit/bundled/)")
    p.add_argument("--alias", default="production", help="alias to bundle (default: production)")
    p.add_argument("--to", default=None, metavar="PATH", help="bundled registry folder (default: the package's)")
    p = action("import", _cmd_import, "publish the version inside an exported archive as a new version")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--name", default=None, help="publish under this model name (default: the archive's)")
