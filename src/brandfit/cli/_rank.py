"""``brandfit rank INPUT --brand-topic T [--top 40] [-o FILE]``: a shortlist of the accounts that fit a brand.

Reads accounts from JSONL/CSV/Parquet files or folders in either ``brandfit tag`` input shape (one row per
account, or one row per text grouped by ``account_id``), ranks them as :func:`brandfit.api.rank_accounts` does
and prints a table, or writes the shortlist (``.csv``, ``.jsonl`` or ``.parquet``, by the file's suffix;
atomically, never over an input file, and over an existing file only with ``--overwrite``) with ``brandfit tag``'s
own writer: the columns and encoding of ``tag -o`` in the same format, with ``rank`` in front (docs/tagging.md).
Input is read by the batch job's own reader, so a file ``brandfit tag`` reads, ``rank`` reads the same way: bad
rows are set aside with file, line and reason (printed, and written to ``FILE.errors.jsonl`` beside ``-o FILE``),
never dropped silently. For millions of accounts use ``brandfit tag`` (resumable, chunked).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from brandfit.errors import InputError
from brandfit.settings import BACKENDS

COLUMNS = ("rank", "handle", "account_id", "rank_score", "score", "primary_topic", "consistency", "promo_ratio",
           "undisclosed_promo", "n_posts", "tier", "followers")


MAX_POSTS = 1000
"""Default of ``--max-posts``: :data:`brandfit.tagging.DEFAULT_MAX_POSTS` (not imported here, to keep ``--help``
light; a test checks the two agree)."""


def register(sub: argparse._SubParsersAction) -> None:
    from brandfit.cli._argtypes import whole_number
    from brandfit.topics import BRAND_TOPICS

    p = sub.add_parser("rank", help="rank the accounts of a file or folder for a brand topic and print the best N",
                       description=__doc__.split("\n\n")[0].replace("``", ""))
    p.add_argument("input", nargs="+", metavar="INPUT", help="a .jsonl/.csv/.parquet file or a folder of them")
    p.add_argument("--brand-topic", required=True, metavar="T",
                   help=f"one of {', '.join(BRAND_TOPICS)}, or the brand's topic described in words")
    p.add_argument("--brand-name", default=None, metavar="NAME", help="name of a brand topic given in words")
    p.add_argument("--example", action="append", default=[], metavar="TEXT",
                   help="an example text of a brand topic given in words (repeatable)")
    p.add_argument("--top", type=int, default=40, metavar="N", help="accounts in the shortlist (default 40)")
    p.add_argument("--promo-penalty", type=float, default=1.0, metavar="P",
                   help="rank by score x (1 - P x promo_ratio) (default 1.0)")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write the shortlist here (.csv, .jsonl or .parquet) instead of printing it")
    p.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    p.add_argument("--max-posts", type=whole_number(0), default=MAX_POSTS, metavar="N",
                   help=f"most posts one account may have (default {MAX_POSTS:,}; 0: no limit): an account "
                        "with more is set aside with its count, never cut short (as brandfit tag)")
    p.add_argument("--model", default="production", metavar="REF", help="registry ref (default production)")
    p.add_argument("--registry", default=None, metavar="PATH", help="registry folder")
    p.add_argument("--backend", choices=BACKENDS, default=None, help="embedding backend (default onnx)")
    p.set_defaults(func=_rank)


def _check_output(out: Path, inputs: list[str], overwrite: bool) -> list[Path]:
    """The input files, once ``-o`` passed ``brandfit tag``'s checks and is new or ``--overwrite`` was given."""
    from brandfit.errors import OutputExistsError
    from brandfit.tagging import check_output, errors_path_for

    files = check_output(inputs, out)
    for path in (out, errors_path_for(out)):
        if path.exists() and not overwrite:
            raise OutputExistsError(f"-o {out}: {path} already exists; pass --overwrite to replace it")
    return files


def _write(ranked, items, out: Path) -> None:
    """Write the shortlist with ``brandfit tag``'s writer: the same columns, encoding and header as ``tag -o`` (Parquet
    and CSV flat, JSONL nested), with ``rank`` in front and ``rank_score`` ranked with ``--promo-penalty``."""
    from brandfit.tagging import write_shortlist

    write_shortlist([r for _, r, _ in ranked], [key for _, _, key in ranked],
                    [(items[i].source_file, items[i].source_line) for i, _, _ in ranked], out)


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _rank(args: argparse.Namespace) -> int:
    import sys

    from brandfit._atomic import atomic_write_text
    from brandfit.api import shortlist
    from brandfit.cli._predict import brand_from_args
    from brandfit.model import load_model
    from brandfit.cli._data import _plural
    from brandfit.tagging import errors_path_for, read_account_items

    if args.top < 1:
        raise InputError(f"--top: must be at least 1, got {args.top}")
    suffix = Path(args.output).suffix.lower() if args.output else None
    if suffix not in (None, ".csv", ".jsonl", ".parquet"):
        raise InputError(f"-o {args.output}: expected a .csv, .jsonl or .parquet file")
    out = Path(args.output) if args.output else None
    if out is not None:
        _check_output(out, args.input, args.overwrite)
    brand = brand_from_args(args.brand_topic, args.brand_name, args.example)
    # the inputs as given: a folder's unread entries are recorded
    items, set_aside = read_account_items(args.input, max_posts=args.max_posts)
    accounts = [item.account for item in items]
    errors_path = errors_path_for(out) if out is not None else None
    if errors_path is not None:  # always written beside -o (empty when every row was good), as tag does
        errors_path.parent.mkdir(parents=True, exist_ok=True)  # -o into a new folder, as tag does
        atomic_write_text(errors_path, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in set_aside))
    for e in set_aside[:5]:
        where = f"{e['source_file']}:{e['line']}" if e["line"] else e["source_file"]
        print(f"set aside: {where}: {e['reason']}", file=sys.stderr)
    if len(set_aside) > 5:
        print(f"... and {len(set_aside) - 5} more rows set aside", file=sys.stderr)
    if not accounts:
        raise InputError(f"no usable accounts in {', '.join(args.input)}"
                         + (f" ({_plural(len(set_aside), 'row')} set aside" if set_aside else "")
                         + (f", listed in {errors_path})" if set_aside and errors_path else ")" if set_aside else ""))
    model = load_model(args.model, args.registry, backend=args.backend)
    ranked = shortlist(accounts, brand, top=args.top, model=model, promo_penalty=args.promo_penalty)
    n = len(accounts)
    what = (f"best {len(ranked)} of {n} account{'' if n == 1 else 's'} for {getattr(brand, 'name', brand)} "
            f"({model.version})")
    aside = f"; {_plural(len(set_aside), 'row')} set aside" if set_aside else ""
    if out is not None:
        _write(ranked, items, out)
        print(f"wrote the {what} to {out}{aside}" + (f" ({errors_path})" if set_aside else ""))
        return 0
    print(what + aside + ":")
    rows = []
    for k, (_, r, key) in enumerate(ranked, start=1):
        values = {c: getattr(r, c) for c in COLUMNS if c not in ("rank", "rank_score")}
        values.update(rank=k, rank_score=key)
        rows.append([_cell(values[c]) for c in COLUMNS])
    cells = [list(COLUMNS)] + rows
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells))
    return 0
