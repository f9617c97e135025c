"""``brandfit cache stats | prune | clear``: look after the embedding cache that ``brandfit tag`` keeps.

The cache file is ``--cache PATH``, else ``$BRANDFIT_CACHE_DB``, else ``${XDG_CACHE_HOME:-~/.cache}/brandfit/
embeddings.sqlite`` (see :mod:`brandfit.embedding.cache`). ``$BRANDFIT_CACHE_DIR`` does *not* move it: that variable
is the onnx model export's folder. ``brandfit cache`` with no action prints the stats.
"""

from __future__ import annotations

import argparse
import json
import time

from brandfit.errors import InputError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="inspect, shrink or empty the embedding cache used by brandfit tag",
                       description="The embedding cache holds one vector per distinct normalised text and encoder, "
                       "so re-tagging accounts only embeds what changed. It lives at --cache PATH, else "
                       "$BRANDFIT_CACHE_DB, else $XDG_CACHE_HOME/brandfit/embeddings.sqlite (XDG_CACHE_HOME "
                       "defaults to ~/.cache). $BRANDFIT_CACHE_DIR does not move it: that is the folder of the "
                       "onnx model export. With no ACTION, prints the stats. See docs/tagging.md.")
    p.add_argument("--cache", default=None, metavar="PATH",
                   help="the cache file (default: $BRANDFIT_CACHE_DB, else "
                        "${XDG_CACHE_HOME:-~/.cache}/brandfit/embeddings.sqlite; not $BRANDFIT_CACHE_DIR)")
    actions = p.add_subparsers(dest="cache_action", metavar="ACTION", title="actions")
    st = actions.add_parser("stats", help="entries, size, cap, encoders")
    st.add_argument("--json", action="store_true", help="print the stats as JSON")
    st.add_argument("--check", action="store_true", help="also run SQLite's full integrity check (reads the file)")
    pr = actions.add_parser("prune", help="evict least recently used entries down to the cap, then vacuum")
    pr.add_argument("--max-mb", type=float, default=None, metavar="MB",
                    help="shrink to this many MiB (default: $BRANDFIT_CACHE_MAX_MB, else 2048)")
    pr.add_argument("--older-than-days", type=float, default=None, metavar="DAYS",
                    help="first drop every entry not used for DAYS days")
    pr.add_argument("--no-vacuum", action="store_true", help="do not give the freed space back to the disk")
    cl = actions.add_parser("clear", help="remove every entry")
    for action in (st, pr, cl):  # `brandfit cache stats --cache PATH` works as well as `brandfit cache --cache PATH stats`
        action.add_argument("--cache", default=argparse.SUPPRESS, metavar="PATH", help="the cache file")
    p.set_defaults(func=_cache)


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / (1 << 20):.1f} MiB"


def _cache(args: argparse.Namespace) -> int:
    from brandfit.embedding.cache import EmbeddingCache
    from brandfit.settings import cache_max_bytes, resolve_cache_db

    action = args.cache_action or "stats"  # `brandfit cache` alone: the stats (the sub-parser's defaults are unset)
    path = resolve_cache_db(args.cache if args.cache else True, default_on=True)
    if not path.exists():  # nothing to show, prune or clear: do not create a cache here
        print(f"{path}: no embedding cache yet (brandfit tag makes one)")
        return 0
    cache = EmbeddingCache(path, max_bytes=cache_max_bytes())
    if action == "stats":
        s = cache.stats()
        check = cache.check() if getattr(args, "check", False) else None
        if getattr(args, "json", False):
            d = s.to_dict()
            d.pop("hits"), d.pop("misses")
            if check is not None:
                d["integrity_check"] = check
            print(json.dumps(d, indent=2))
            return 0 if check in (None, "ok") else 1
        print(f"embedding cache {s.path}")
        print(f"  entries:   {s.entries:,}")
        print(f"  size:      {_mib(s.bytes)} of a {_mib(s.max_bytes)} cap; file {_mib(s.file_bytes)} on disk")
        if s.oldest_used is not None:
            fmt = "%Y-%m-%d %H:%M"
            print(f"  last used: {time.strftime(fmt, time.localtime(s.oldest_used))} (least recent) .. "
                  f"{time.strftime(fmt, time.localtime(s.newest_used))}")
        for e in s.encoders:
            print(f"  encoder:   {e['entries']:,} entries  {e['identity']}")
        if check is not None:
            print(f"  integrity: {check}")
        return 0 if check in (None, "ok") else 1
    if action == "prune":
        if args.max_mb is not None and not args.max_mb >= 0:
            raise InputError(f"--max-mb: must be >= 0, got {args.max_mb}")
        if args.older_than_days is not None and not args.older_than_days >= 0:
            raise InputError(f"--older-than-days: must be >= 0, got {args.older_than_days}")
        before = cache.stats()
        n = cache.prune(max_bytes=None if args.max_mb is None else int(args.max_mb * (1 << 20)),
                        older_than_s=None if args.older_than_days is None else args.older_than_days * 86400,
                        vacuum=not args.no_vacuum)
        after = cache.stats()
        print(f"{path}: removed {n:,} entries; {_mib(before.bytes)} -> {_mib(after.bytes)}, "
              f"file {_mib(before.file_bytes)} -> {_mib(after.file_bytes)}")
        return 0
    n = cache.clear()
    print(f"{path}: removed {n:,} entries")
    return 0
