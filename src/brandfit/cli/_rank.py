"""``brandfit rank INPUT --brand-topic T [--top 40] [-o FILE]``: a shortlist of the accounts that fit a brand.

Reads accounts from JSONL/CSV/Parquet files or folders in either ``brandfit tag`` input shape (one row per
account, or one row per text grouped by ``account_id``), scores them with
:func:`brandfit.api.rank_accounts` and prints a table, or writes the shortlist (``.csv``, ``.jsonl`` or
``.parquet``, by the file's suffix). For millions of accounts use ``brandfit tag`` (resumable, chunked).
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
    p.add_argument("--model", default="production", metavar="REF", help="registry ref (default production)")
    p.add_argument("--registry", default=None, metavar="PATH", help="registry folder")
    p.add_argument("--backend", choices=BACKENDS, default=None, help="embedding backend (default onnx)")
    p.set_defaults(func=_rank)


def _rank(args: argparse.Namespace) -> int:
    from brandfit.api import rank_accounts
    from brandfit.cli._predict import brand_from_args
    from brandfit.data.unlabeled import read_accounts
    from brandfit.model import load_model

    if args.top < 1:
        raise InputError(f"--top: must be at least 1, got {args.top}")
    suffix = Path(args.output).suffix.lower() if args.output else None
    if suffix not in (None, ".csv", ".jsonl", ".parquet"):
        raise InputError(f"-o {args.output}: expected a .csv, .jsonl or .parquet file")
    brand = brand_from_args(args.brand_topic, args.brand_name, args.example)
    accounts = read_accounts(args.input)
    if not accounts:
        raise InputError(f"no accounts in {', '.join(args.input)}")
    model = load_model(args.model, args.registry, backend=args.backend)
    df = rank_accounts(accounts, brand, top=args.top, model=model, promo_penalty=args.promo_penalty)
    n = len(accounts)
    what = f"best {len(df)} of {n} account{'' if n == 1 else 's'} for {getattr(brand, 'name', brand)} ({model.version})"
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        flat = df.drop(columns=[c for c in ("evidence",) if c in df.columns])
        if suffix == ".csv":
            flat.assign(**{c: flat[c].map(json.dumps) for c in flat.columns if flat[c].map(
                lambda v: isinstance(v, (dict, list, tuple))).any()}).to_csv(out, index=False)
        elif suffix == ".parquet":
            flat.assign(**{c: flat[c].map(json.dumps) for c in flat.columns if flat[c].map(
                lambda v: isinstance(v, (dict, list, tuple))).any()}).to_parquet(out, index=False)
        else:
            flat.to_json(out, orient="records", lines=True, force_ascii=False)
        print(f"wrote the {what} to {out}")
        return 0
    print(what + ":")
    rows = []
    for _, r in df.iterrows():
        rows.append([str(r.get(c)) if not isinstance(r.get(c), float) else f"{r.get(c):.3f}" for c in COLUMNS])
    cells = [list(COLUMNS)] + [[("-" if v in ("None", "nan") else v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells))
    return 0
