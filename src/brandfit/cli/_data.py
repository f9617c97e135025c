"""``brandfit data check PATH`` and ``brandfit data stats PATH``."""

from __future__ import annotations

import argparse
import sys

from brandfit.settings import BACKENDS


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
    a = dsub.add_parser(
        "audit",
        help="rank likely label errors (confident learning), near-duplicates and outliers",
        description="Confident learning over 5-fold cross-validated predictions of a logistic regression on the "
        "texts' embeddings, for the topic and the promo labels; plus near-duplicate pairs and outliers. Writes one "
        "JSONL (label issues ranked first) and prints the top of each list.",
    )
    a.add_argument("path", nargs="?", default="data/labeled", metavar="PATH",
                   help="labeled texts file or folder, or a labeled folder with texts/ (default data/labeled)")
    a.add_argument("-o", "--output", default="audit.jsonl", metavar="FILE", help="JSONL to write (default audit.jsonl)")
    a.add_argument("--top", type=int, default=100, metavar="N", help="label issues kept (default 100; 0 = all flagged)")
    a.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    a.add_argument("--dup-threshold", type=float, default=0.95, metavar="COS",
                   help="cosine above which two texts are near-duplicates (default 0.95)")
    a.add_argument("--method", choices=("auto", "cleanlab", "builtin"), default="auto",
                   help="cleanlab's find_label_issues when installed (auto), or the built-in confident-learning rule")
    a.add_argument("--backend", choices=BACKENDS, default=None, help="embedding backend (default onnx)")
    a.add_argument("--show", type=int, default=15, metavar="N", help="rows printed per list (default 15)")
    a.set_defaults(func=_audit)
    g = dsub.add_parser(
        "suggest",
        help="pick the unlabeled texts most worth labeling next (uncertain, novel, diverse)",
        description="Score unlabeled texts with a model: topic entropy and promo closeness to the threshold "
        "(uncertainty) times distance to the training set (novelty); then pick a diverse set (k-center greedy over "
        "the embeddings, weighted by that score). Writes them in the labeled schema with the model's guesses.",
    )
    g.add_argument("unlabeled", nargs="+", metavar="UNLABELED",
                   help="JSONL/CSV/Parquet file or folder with a text column, or account files")
    g.add_argument("-n", type=int, default=200, help="how many to pick (default 200)")
    g.add_argument("-o", "--output", default="to_label.jsonl", metavar="FILE", help="JSONL to write")
    g.add_argument("--model", default="production", metavar="REF", help="registry ref (default production)")
    g.add_argument("--registry", default=None, metavar="PATH",
                   help="registry folder (default: $BRANDFIT_REGISTRY, else ./models if it is a registry, else the "
                        "read-only one bundled with brandfit)")
    g.add_argument("--labeled", default=None, metavar="PATH",
                   help="the labeled set, for novelty (distance to what is labeled already): a texts file or folder, "
                        "or a labeled folder with texts/ (default data/labeled/texts under the current folder; an "
                        "error when it is missing; 'none' to pick without it)")
    g.add_argument("--backend", choices=BACKENDS, default=None, help="embedding backend (default onnx)")
    g.add_argument("--pool", type=int, default=0, metavar="N",
                   help="only consider the N most uncertain texts (default 0 = all)")
    g.set_defaults(func=_suggest)


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
    accounts = f", {_plural(n_accounts, 'account')}" if folders else ""
    print(f"{_plural(n_files, 'file')}: {_plural(n_texts, 'valid record')}{accounts}, {_plural(len(problems), 'problem')}",
          file=sys.stderr)
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
    if df.empty:
        from brandfit.errors import InputError

        bad = len(getattr(result, "problems", []) or [])
        raise InputError(f"no valid labeled records in {', '.join(text_paths) or 'the given paths'}"
                         + (f" ({bad} problem{'' if bad == 1 else 's'}: run `brandfit data check` on them)" if bad
                            else ""))
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
    print(f"\n{_plural(len(df), 'record')}, {_plural(df['account_id'].nunique(), 'account')}, "
          f"{_plural(len(result.problems), 'problem')}; "
          f"dataset hash {dataset_hash(df)}")
    return 1 if result.problems else 0


def _labeled_texts_path(path: str) -> str:
    from pathlib import Path

    from brandfit.data.check import is_labeled_folder

    return str(Path(path) / "texts") if is_labeled_folder(path) and (Path(path) / "texts").is_dir() else path


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _audit(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from brandfit.data import load_labeled
    from brandfit.data.audit import audit_labels
    from brandfit.embedding import get_embedder

    labeled = load_labeled(_labeled_texts_path(args.path))
    labeled.raise_if_problems()
    frame = labeled.frame
    result = audit_labels(frame, get_embedder(args.backend), folds=args.folds, top=args.top or None,
                          dup_threshold=args.dup_threshold, method=args.method)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        for record in result.records():
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def short(text: str, width: int = 70) -> str:
        text = " ".join(str(text).split())
        return text if len(text) <= width else text[: width - 1] + "…"

    print(f"{_plural(result.n_texts, 'text')} audited ({result.method} confident learning over "
          f"{args.folds}-fold predictions): {_plural(len(result.issues), 'likely label error')} kept, "
          f"{_plural(len(result.duplicates), 'near-duplicate pair')}, {_plural(len(result.outliers), 'outlier')}")
    from brandfit.cli._models import _table

    if result.issues:
        print("\nlikely label errors (most suspect first):")
        print(_table(("RANK", "ID", "FIELD", "GIVEN", "SUGGESTED", "SCORE", "TEXT"),
                     [(r["rank"], r["id"], r["field"], r["given"], r["suggested"], f"{r['score']:.3f}", short(r["text"]))
                      for r in result.issues[: args.show]]))
    if result.duplicates:
        print(f"\nnear-duplicates (cosine > {args.dup_threshold:g}; conflicting labels first):")
        print(_table(("ID A", "ID B", "COSINE", "SAME LABELS", "TEXT A"),
                     [(d["id_a"], d["id_b"], f"{d['cosine']:.3f}", "yes" if d["same_labels"] else "NO", short(d["text_a"], 50))
                      for d in result.duplicates[: args.show]]))
    if result.outliers:
        print("\noutliers (farthest from their 10 nearest neighbours):")
        print(_table(("ID", "TOPIC", "SCORE", "TEXT"),
                     [(o["id"], o["topic"], f"{o['score']:.3f}", short(o["text"])) for o in result.outliers[: args.show]]))
    print(f"\nwrote {out}")
    return 0


def _suggest(args: argparse.Namespace) -> int:
    from brandfit.data.suggest import run_suggest

    return run_suggest(args)
