"""``brandfit data check PATH`` and ``brandfit data stats PATH``."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="check and describe labeled data files")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    c = dsub.add_parser("check", help="validate labeled JSONL/CSV/Parquet files; every bad row is reported")
    c.add_argument("paths", nargs="+", metavar="PATH", help="a file or a folder of files (checked together)")
    c.add_argument("--max", type=int, default=200, help="print at most this many problems (default 200)")
    c.set_defaults(func=_check)
    s = dsub.add_parser("stats", help="counts per topic x kind x promo, and the split sizes")
    s.add_argument("paths", nargs="*", metavar="PATH", default=["data/labeled/texts"])
    s.add_argument("--accounts", default="data/labeled/accounts", help="accounts file or folder")
    s.set_defaults(func=_stats)


def _check(args: argparse.Namespace) -> int:
    from brandfit.data import load_labeled

    result = load_labeled(args.paths)
    for p in result.problems[: args.max]:
        print(p, file=sys.stdout)
    if len(result.problems) > args.max:
        print(f"... and {len(result.problems) - args.max} more problems", file=sys.stdout)
    n_ok = len(result.frame)
    print(
        f"{len(result.files)} file(s): {n_ok} valid record(s), {len(result.problems)} problem(s)",
        file=sys.stderr,
    )
    return 1 if result.problems else 0


def _stats(args: argparse.Namespace) -> int:
    from pathlib import Path

    from brandfit.data import assign_splits, dataset_hash, load_accounts, load_labeled

    result = load_labeled(args.paths)
    df = result.frame
    acc = {}
    if args.accounts and Path(args.accounts).exists():
        acc = dict(zip(*load_accounts(args.accounts)[["account_id", "topic"]].T.values))
    df = df.assign(split=assign_splits(df, account_topics=acc))
    table = df.pivot_table(index="topic", columns=["kind", "promo"], values="id", aggfunc="count", fill_value=0)
    print(table.to_string())
    print()
    print("promo disclosed/undisclosed per topic:")
    print(df[df["promo"]].pivot_table(index="topic", columns="disclosed", values="id", aggfunc="count",
                                      fill_value=0).to_string())
    print()
    print(df.pivot_table(index="topic", columns="split", values="id", aggfunc="count", fill_value=0).to_string())
    print(f"\n{len(df)} records, {df['account_id'].nunique()} accounts, {len(result.problems)} problem(s); "
          f"dataset hash {dataset_hash(df)}")
    return 1 if result.problems else 0
