"""``brandfit data check PATH`` and ``brandfit data stats PATH``."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="check and describe labeled data files")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    c = dsub.add_parser(
        "check",
        help="validate labeled JSONL/CSV/Parquet files; every bad row is reported",
        description="Validate labeled data. PATH is a texts file or folder, or a labeled folder holding texts/ and "
        "accounts/ (then accounts and the references between texts and accounts are checked too). "
        "Every problem is printed as file:line: field: reason; exit 1 if there is any.",
    )
    c.add_argument("paths", nargs="+", metavar="PATH", help="a file, a folder of files, or a folder with texts/ + accounts/")
    c.add_argument("--max", type=int, default=200, help="print at most this many problems (default 200)")
    c.set_defaults(func=_check)
    s = dsub.add_parser("stats", help="counts per topic x kind x promo, the split sizes and the texts' shape")
    s.add_argument("paths", nargs="*", metavar="PATH", default=["data/labeled/texts"],
                   help="texts files/folders, or a labeled folder with texts/ + accounts/ (default data/labeled/texts)")
    s.add_argument("--accounts", default=None,
                   help="accounts file or folder (default: PATH/accounts for a labeled folder, else data/labeled/accounts)")
    s.set_defaults(func=_stats)


def _split_paths(paths: list[str]) -> tuple[list[str], list[str]]:
    """(labeled folders, other paths)."""
    from brandfit.data.check import is_labeled_folder

    folders = [p for p in paths if is_labeled_folder(p)]
    return folders, [p for p in paths if p not in folders]


def _check(args: argparse.Namespace) -> int:
    from brandfit.data import load_labeled
    from brandfit.data.check import check_labeled_folder

    folders, plain = _split_paths(args.paths)
    problems: list = []
    n_files = n_texts = n_accounts = 0
    for folder in folders:
        res = check_labeled_folder(folder)
        problems.extend(res.problems)
        n_files += len(res.files)
        n_texts += len(res.texts.frame)
        n_accounts += len(res.accounts)
    if plain:
        res_t = load_labeled(plain)
        problems.extend(res_t.problems)
        n_files += len(res_t.files)
        n_texts += len(res_t.frame)
    for p in problems[: args.max]:
        print(p, file=sys.stdout)
    if len(problems) > args.max:
        print(f"... and {len(problems) - args.max} more problems", file=sys.stdout)
    accounts = f", {n_accounts} account(s)" if folders else ""
    print(f"{n_files} file(s): {n_texts} valid record(s){accounts}, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def _stats(args: argparse.Namespace) -> int:
    from pathlib import Path

    import pandas as pd

    from brandfit.data import assign_splits, dataset_hash, load_accounts, load_labeled
    from brandfit.data.shape import shape_table

    folders, plain = _split_paths(list(args.paths))
    text_paths = [str(Path(f) / "texts") for f in folders if (Path(f) / "texts").is_dir()] + plain
    acc_path = args.accounts
    if acc_path is None:
        acc_path = str(Path(folders[0]) / "accounts") if folders else "data/labeled/accounts"
    result = load_labeled(text_paths)
    df = result.frame
    acc = {}
    if acc_path and Path(acc_path).exists():
        acc = dict(zip(*load_accounts(acc_path)[["account_id", "topic"]].T.values))
    df = df.assign(split=assign_splits(df, account_topics=acc))
    table = df.pivot_table(index="topic", columns=["kind", "promo"], values="id", aggfunc="count", fill_value=0)
    print(table.to_string())
    print()
    print("promo disclosed/undisclosed per topic:")
    print(df[df["promo"]].pivot_table(index="topic", columns="disclosed", values="id", aggfunc="count",
                                      fill_value=0).to_string())
    print()
    print(df.pivot_table(index="topic", columns="split", values="id", aggfunc="count", fill_value=0).to_string())
    print()
    print("shape (shares; post_* over posts, promo | X = share of promo among all texts with X):")
    shape = shape_table(df, by="source")
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(shape.to_string(float_format=lambda x: f"{x:.2f}"))
    print(f"\n{len(df)} records, {df['account_id'].nunique()} accounts, {len(result.problems)} problem(s); "
          f"dataset hash {dataset_hash(df)}")
    return 1 if result.problems else 0
