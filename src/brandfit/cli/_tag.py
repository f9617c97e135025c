"""``brandfit tag INPUT -o OUTPUT --brand-topic T``: tag every account of a file or folder, resumably.

Exit codes: 0 done (with a warning line when every row was set aside and nothing tagged); 1 done but rows were set
aside and ``--fail-on-error`` was given, or an OS error writing the checkpoint or output (a full disk: one line
naming the path); 2 bad arguments, an output or unfinished run in the way, a changed input on ``--resume``, a Ray
cluster that cannot be reached.
"""

from __future__ import annotations

from brandfit.settings import BACKENDS

import argparse
import sys

from brandfit.cli._argtypes import whole_number
from brandfit.errors import InputError

__all__ = ["register"]


MAX_POSTS = 1000
"""Default of ``--max-posts``: :data:`brandfit.tagging.DEFAULT_MAX_POSTS` (not imported here, to keep ``--help``
light; a test checks the two agree)."""


def register(sub: argparse._SubParsersAction) -> None:
    from brandfit.topics import BRAND_TOPICS

    p = sub.add_parser(
        "tag",
        help="tag every account of JSONL/CSV/Parquet files for a brand topic (streaming, resumable)",
        description="Score every account in INPUT (a file or a folder of .jsonl/.csv/.parquet files, one row per "
        "account or one row per text) for a brand topic and write one row per account to OUTPUT. Rows that "
        "cannot be tagged go to OUTPUT.errors.jsonl. See docs/tagging.md.",
    )
    p.add_argument("input", metavar="INPUT", help="a .jsonl/.csv/.parquet file or a folder of them")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="the output file")
    p.add_argument("--brand-topic", required=True, metavar="T",
                   help=f"the brand's topic: one of {', '.join(BRAND_TOPICS)}, or the brand's own topic described "
                        "in words (then --brand-name names it)")
    p.add_argument("--brand-name", default=None, metavar="NAME",
                   help="name of a brand topic given in words (written to the output's brand_topic column)")
    p.add_argument("--example", action="append", default=[], metavar="TEXT",
                   help="an example text of a brand topic given in words (repeatable)")
    p.add_argument("--model", default="production", metavar="REF",
                   help="registry ref of the model: an alias, name@N or name@latest (default: production)")
    p.add_argument("--registry", default=None, metavar="PATH",
                   help="model registry folder (default: $BRANDFIT_REGISTRY, else ./models if it is a registry, else the one bundled with brandfit)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: this process (default); ray: an actor pool on a Ray cluster")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="embedding backend (default: $BRANDFIT_BACKEND, else onnx, as everywhere: int8, ~2x torch's speed; "
                        "torch: the sentence-transformers path)")
    p.add_argument("--format", choices=("parquet", "jsonl", "csv"), default=None,
                   help="output format (default: from OUTPUT's suffix; parquet when it has none)")
    p.add_argument("--chunk-size", type=whole_number(1), default=512, metavar="N",
                   help="accounts per chunk: the unit of batching and of the checkpoint (default 512)")
    p.add_argument("--max-posts", type=whole_number(0), default=MAX_POSTS, metavar="N",
                   help=f"most posts one account may have (default {MAX_POSTS:,}; 0: no limit): an account "
                        "with more is set aside in OUTPUT.errors.jsonl with its count, never cut short. "
                        "A setting --resume must match")
    p.add_argument("--resume", action="store_true",
                   help="continue an unfinished run of the same job from its checkpoint (OUTPUT.parts/)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing OUTPUT and discard any unfinished run")
    p.add_argument("--fail-on-error", action="store_true",
                   help="exit with status 1 if any row was set aside")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="with --engine ray: the cluster to use, host:port or ray://host:port (default: $RAY_ADDRESS, "
                        "else a local 2-CPU cluster). Checked before any work; connecting gives up after 60 s "
                        "($BRANDFIT_RAY_CONNECT_TIMEOUT)")
    p.add_argument("--ray-concurrency", type=whole_number(1), default=None, metavar="N",
                   help="with --engine ray: number of tagging actors (default: one per cluster CPU)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="print the N best accounts after the summary, ranked by score x (1 - promo_ratio) "
                        "(default 10; 0: none)")
    cache = p.add_mutually_exclusive_group()
    cache.add_argument("--cache", default=None, metavar="PATH",
                       help="the embedding cache: texts embedded by an earlier job are not embedded again (default: "
                            "$BRANDFIT_CACHE_DB, else ${XDG_CACHE_HOME:-~/.cache}/brandfit/embeddings.sqlite; "
                            "$BRANDFIT_CACHE_DIR does not move it, it only holds the onnx model export; "
                            "see brandfit cache)")
    cache.add_argument("--no-cache", action="store_true", help="embed every text; do not read or write the cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    p.add_argument("--quiet-summary", action="store_true", help="print a one-line summary and no table")
    p.set_defaults(func=_tag)


def _table(rows) -> str:
    headers = ("rank", "handle", "account_id", "ranked", "score", "primary_topic", "consistency", "promo_ratio", "tier")
    cells = [list(headers)]
    for i, r in enumerate(rows, start=1):
        cells.append([str(i), r["handle"] or "-", r["account_id"] or "-", f"{r['rank_score']:.3f}", f"{r['score']:.3f}",
                      r["primary_topic"] or "-",
                      f"{r['consistency']:.2f}", f"{r['promo_ratio']:.2f}", r["tier"] or "-"])
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _tag(args: argparse.Namespace) -> int:
    from brandfit.tagging import tag_files

    if args.engine != "ray" and (args.ray_address or args.ray_concurrency):
        raise InputError("--ray-address/--ray-concurrency: only apply with --engine ray")
    from brandfit.cli._predict import brand_from_args

    brand = brand_from_args(args.brand_topic, args.brand_name, args.example)
    summary = tag_files(
        args.input, args.output, brand, model=args.model, registry=args.registry, backend=args.backend,
        engine=args.engine, format=args.format, chunk_size=args.chunk_size, resume=args.resume,
        overwrite=args.overwrite, ray_address=args.ray_address, ray_concurrency=args.ray_concurrency,
        show_progress_bar=False if args.no_progress else None, top=0 if args.quiet_summary else args.top,
        cache=False if args.no_cache else args.cache, max_posts=args.max_posts,
    )
    aside = summary.rows_set_aside
    if args.quiet_summary:
        print(f"{summary.output}: {_plural(summary.accounts_tagged, 'account')} tagged, {_plural(aside, 'row')} set aside, "
              f"{summary.seconds:.1f} s")
    else:
        resumed = (f" ({summary.accounts_from_checkpoint} from the checkpoint, {summary.accounts_this_run} in this run)"
                   if summary.accounts_from_checkpoint else "")
        print(f"tagged {_plural(summary.accounts_tagged, 'account')}{resumed} for {summary.brand_topic} "
              f"with {summary.model_version} (run {summary.run_id}, engine {summary.engine})")
        print(f"  output:         {summary.output} ({summary.format})")
        print(f"  rows set aside: {aside}" + (f" -> {summary.errors_path}" if aside else ""))
        print(f"  time:           {summary.seconds:.1f} s, {summary.accounts_per_second:.1f} accounts/s")
        if summary.cache_path is not None:
            rate = summary.cache_hit_rate
            print(f"  embedding cache: {summary.cache_path}"
                  + (f" ({100 * rate:.1f}% of texts already embedded)" if rate is not None else ""))
        if summary.top:
            print(f"\nbest {len(summary.top)} of {summary.accounts_tagged} for {summary.brand_topic}:")
            print(_table(summary.top))
    if aside and not summary.accounts_tagged:  # exit 0 all the same (unless --fail-on-error): the job did run
        print(f"brandfit: warning: no account was tagged: every row was set aside ({_plural(aside, 'record')}); "
              f"see {summary.errors_path}", file=sys.stderr)
    if aside and args.fail_on_error:
        print(f"brandfit: {_plural(aside, 'row')} set aside (--fail-on-error); see {summary.errors_path}", file=sys.stderr)
        return 1
    return 0
