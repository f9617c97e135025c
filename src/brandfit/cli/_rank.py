"""``brandfit rank INPUT --brand-topic T [--top 40] [-o FILE]``: a shortlist of the accounts that fit a brand.

Reads accounts from JSONL/CSV/Parquet files or folders in either ``brandfit tag`` input shape (one row per
account, or one row per text grouped by ``account_id``), scores them with
:func:`brandfit.api.rank_accounts` and prints a table, or writes the shortlist (``.csv``, ``.jsonl`` or
``.parquet``, by the file's suffix; atomically, never over an input file, and over an existing file only with
``--overwrite``). Input is read by the batch job's own reader, so a file ``brandfit tag`` reads, ``rank`` reads the
same way: bad rows are set aside with file, line and reason (printed, and written to ``FILE.errors.jsonl`` beside
``-o FILE``), never dropped silently. For millions of accounts use ``brandfit tag`` (resumable, chunked).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from brandfit.errors import InputError
from brandfit.settings import BACKENDS

COLUMNS = ("rank", "handle", "account_id", "rank_score", "score", "primary_topic", "consistency", "promo_ratio",
           "undisclosed_promo", "n_posts", "tier", "followers")


def register(sub: argparse._SubParsersAction) -> None:
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


def _write(df, out: Path, suffix: str) -> None:
    from brandfit._atomic import atomic_path

    flat = df.drop(columns=[c for c in ("evidence",) if c in df.columns])
    nested = [c for c in flat.columns if flat[c].map(lambda v: isinstance(v, (dict, list, tuple))).any()]
    if suffix != ".jsonl":
        flat = flat.assign(**{c: flat[c].map(json.dumps) for c in nested})
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        if suffix == ".csv":
            flat.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            flat.to_parquet(tmp, index=False)
        else:
            flat.to_json(tmp, orient="records", lines=True, force_ascii=False)


def _rank(args: argparse.Namespace) -> int:
    import sys

    from brandfit._atomic import atomic_write_text
    from brandfit.api import rank_accounts
    from brandfit.cli._predict import brand_from_args
    from brandfit.model import load_model
    from brandfit.cli._data import _plural
    from brandfit.tagging import errors_path_for, read_accounts

    if args.top < 1:
        raise InputError(f"--top: must be at least 1, got {args.top}")
    suffix = Path(args.output).suffix.lower() if args.output else None
    if suffix not in (None, ".csv", ".jsonl", ".parquet"):
        raise InputError(f"-o {args.output}: expected a .csv, .jsonl or .parquet file")
    out = Path(args.output) if args.output else None
    files = _check_output(out, args.input, args.overwrite) if out is not None else args.input
    brand = brand_from_args(args.brand_topic, args.brand_name, args.example)
    accounts, set_aside = read_accounts(files)
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
    df = rank_accounts(accounts, brand, top=args.top, model=model, promo_penalty=args.promo_penalty)
    n = len(accounts)
    what = f"best {len(df)} of {n} account{'' if n == 1 else 's'} for {getattr(brand, 'name', brand)} ({model.version})"
    aside = f"; {_plural(len(set_aside), 'row')} set aside" if set_aside else ""
    if out is not None:
        _write(df, out, suffix)
        print(f"wrote the {what} to {out}{aside}" + (f" ({errors_path})" if set_aside else ""))
        return 0
    print(what + aside + ":")
    rows = []
    for _, r in df.iterrows():
        rows.append([str(r.get(c)) if not isinstance(r.get(c), float) else f"{r.get(c):.3f}" for c in COLUMNS])
    cells = [list(COLUMNS)] + [[("-" if v in ("None", "nan") else v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells))
    return 0
