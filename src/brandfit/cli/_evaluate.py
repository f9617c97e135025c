"""``brandfit evaluate [--model REF] [--data PATH]``: metrics, Markdown report and plots; ``--cross-source``: the
leave-one-source-out table of the training recipe and the baselines (brandfit.evaluation.loso)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from brandfit.cli._train import DEFAULT_CONFIG
from brandfit.settings import BACKENDS, DEFAULT_LABELED_TEXTS, ENV_REGISTRY, MIN_JUDGED_TEXTS

logger = logging.getLogger(__name__)

LOCAL_REPORTS = "brandfit-reports"  # under the current folder, when the registry is read-only


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate a model version; writes a Markdown report with plots")
    p.add_argument("--model", default="production", help="registry ref (default production)")
    p.add_argument("--registry", default=None, metavar="PATH",
                   help=f"registry folder (default: ${ENV_REGISTRY}, else ./models if it is a registry, else the "
                        "read-only one bundled with brandfit)")
    p.add_argument("--data", action="append", metavar="PATH",
                   help="labeled file/folder to evaluate on, every row of it (repeatable); default: the test split "
                        "of the data the model was trained on (the paths its config records, read under the current "
                        f"folder; {DEFAULT_LABELED_TEXTS} if it records none), as models compare and promote use")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="report folder (default: <registry>/_reports/<name>@<version>/ beside the version; for the "
                        f"read-only bundled registry, or one you cannot write, ./{LOCAL_REPORTS}/<name>@<version>/)")
    p.add_argument("--public", action="store_true", help="also run the cross-domain harness on ../shared/datasets")
    p.add_argument("--backend", choices=BACKENDS, default=None)
    p.add_argument("--cross-source", action="store_true",
                   help="leave-one-source-out table instead: for every source (data/labeled and each public corpus) "
                        "train the recipe of --config and the baselines on all the others, score the one left out")
    p.add_argument("--config", default=None,
                   help="training config whose recipe --cross-source evaluates (default training/configs/default.yaml "
                        "when it exists, else the built-in defaults, which are the same recipe)")
    p.add_argument("--public-data", default=None, metavar="DIR",
                   help="public corpora for --cross-source (default: ../shared/datasets or $BRANDFIT_PUBLIC_DATA)")
    p.set_defaults(func=_evaluate)


def _cross_source(args: argparse.Namespace) -> int:
    import time

    from brandfit.config import TrainConfig, load_config
    from brandfit.evaluation import loso
    from brandfit.train import resolve_public_root

    t0 = time.perf_counter()
    if args.config is not None:  # given: it must exist (a typo never falls back to the defaults)
        config = load_config(args.config)
    elif Path(DEFAULT_CONFIG).exists():
        config, args.config = load_config(DEFAULT_CONFIG), DEFAULT_CONFIG
    else:
        config, args.config = TrainConfig(), "the built-in defaults"
    root = resolve_public_root(config, Path.cwd(), args.public_data)
    if root is None:
        print("public corpora not found (../shared/datasets or $BRANDFIT_PUBLIC_DATA): "
              "no source to hold out, cross-source evaluation skipped")
        return 1
    frame = loso.load_sources(Path.cwd(), root, cap=config.public_cap, data=config.data)
    if config.public_sources:
        frame = frame[frame["source"].isin(("ours", *config.public_sources))]
    d = loso.build_data(frame, augment=config.promo.augment, templates=config.topic.description_templates)
    res = loso.run_loso(d, loso.cross_source_candidates(config), emoji_subsets=True)
    out = Path(args.out) if args.out else Path("models") / "_reports" / "cross-source"
    out.mkdir(parents=True, exist_ok=True)
    res.to_csv(out / "cross_source.csv", index=False)
    main = res[~res["source"].str.endswith("[emoji rows]")]
    table = loso.format_table(main)
    prod = main[main["candidate"] == "production"]
    ece = ["", "**ECE of the production recipe per held-out source** (topic: top-1 confidence; promo: binary)", "",
           "| task | source | ECE |", "|---|---|---:|"]
    ece += [f"| {r.task} | {r.source} | {r.ece:.3f} |" for r in prod.itertuples()]
    emoji = res[res["source"].str.endswith("[emoji rows]")]
    text = (f"# Leave-one-source-out evaluation\n\nconfig: `{args.config}`; public corpora: `{root}`; "
            f"{len(frame)} texts; {time.perf_counter() - t0:.0f} s\n" + table + "\n" + "\n".join(ece) + "\n")
    if not emoji.empty:
        text += "\n**Held-out rows that carry emoji** (same predictions, subset)\n" + loso.format_table(emoji) + "\n"
    (out / "cross_source.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"written: {out / 'cross_source.md'}, {out / 'cross_source.csv'}")
    return 0


def _normalized(text: str) -> str:
    return " ".join(str(text).casefold().split())


def _overlap_warnings(model: Any, meta: dict[str, Any], frame: Any, config: Any) -> list[str]:
    """Warnings when the texts given with --data overlap the rows ``model`` was fitted on (train and validation).

    The model records the hash of its labeled dataset (``dataset_hash``) and the paths, seed and split it was
    trained with. Equal hashes mean the same records; otherwise, when the recorded training data is reachable
    from the current folder, the evaluated texts are matched against its train and validation rows under the
    recorded seed and split (read as training reads them: :func:`brandfit.train.load_training_frame`). When that
    data has changed since training, the match is against its rows as they are now, and the warning says so."""
    from brandfit.data.labeled import dataset_hash
    from brandfit.train import load_training_frame

    recorded = meta.get("dataset_hash")

    def short(h: str) -> str:
        return h.split(":", 1)[-1][:10]

    if recorded and dataset_hash(frame) == recorded:
        from brandfit.data import assign_splits
        from brandfit.train import labeled_paths

        try:  # the accounts training grouped and stratified these records by
            accounts = labeled_paths(config.data, config.accounts).account_topics()
        except (OSError, ValueError):
            accounts = {}
        splits = assign_splits(frame, fractions=tuple(config.split), seed=config.seed, account_topics=accounts)
        fitted = int((splits != "test").sum())
        return [f"--data holds exactly the records {model.version} was trained on: {fitted} of these {len(frame)} "
                f"texts are its train or validation rows, so these figures overstate how it does on new texts. "
                f"Drop --data to evaluate on its held-out test split"]
    try:
        training, digest = load_training_frame(config)
    except (OSError, ValueError):  # not reachable from here: only the hash could be checked
        logger.info("%s's training data (%s) is not under the current folder: overlap checked by hash only",
                    model.version, ", ".join(config.data))
        return []
    seen = {_normalized(t) for t in training.loc[training["split"] != "test", "text"]}
    overlap = sum(_normalized(t) in seen for t in frame["text"])
    changed = digest != recorded  # a model that records no hash: its data may have changed too
    if not overlap:
        if changed:
            logger.info("%s's training data has changed since it was trained: none of these texts is among its "
                        "current train or validation rows (rows removed since cannot be checked)", model.version)
        return []
    if changed:
        when = (f"that data has changed since {model.version} was trained (dataset hash {short(digest)}, trained on "
                f"{short(recorded)})" if recorded else
                f"{model.version} records no dataset hash, so whether that data changed since cannot be told")
        return [f"{overlap} of these {len(frame)} texts are among the train or validation rows of "
                f"{', '.join(config.data)} as it is now, under {model.version}'s seed and split; {when}, so this "
                "counts its rows as they are now. The figures may overstate how it does on new texts: evaluate on "
                "texts it has not seen, or drop --data to use its held-out test split"]
    return [f"{overlap} of these {len(frame)} texts are among the train or validation rows {model.version} was "
            f"fitted on ({', '.join(config.data)}); the figures overstate how it does on new texts. Evaluate on "
            f"texts it has not seen, or drop --data to use its held-out test split"]


def _size_warnings(metrics: dict[str, Any], desc: str) -> list[str]:
    """Warnings when the evaluated texts are too few, or lack promo-positive or -negative texts, to say much."""
    t, p = metrics["topic"], metrics["promo"]
    out = []
    if t["n"] < MIN_JUDGED_TEXTS:  # as the promotion gate (docs/registry.md)
        out.append(f"only {t['n']} texts in {desc}: the figures are uncertain (use at least {MIN_JUDGED_TEXTS})")
    if p["positives"] == 0 or p["positives"] == p["n"]:
        which = "promo-positive" if p["positives"] == 0 else "promo-negative"
        out.append(f"no {which} text among the {p['n']}: promo AP is undefined and promo precision/recall/F1 say "
                   "nothing")
    return out


def _report_folder(args: argparse.Namespace, root: Any, version: str) -> tuple[Any, str]:
    """Where the report goes, and why there: ``--out``; else beside the version in the registry
    (``<registry>/_reports/<name>@<version>/``) when the registry is one of your own and writable; else, for the
    read-only registry bundled with brandfit (inside the installed package) or one you cannot write,
    ``./brandfit-reports/<name>@<version>/`` under the current folder."""
    import os
    from pathlib import Path

    from brandfit.settings import bundled_registry

    if args.out:
        return Path(args.out), ""
    root = Path(root)
    if root.resolve() == bundled_registry().resolve():
        why = " (the model is in the read-only registry bundled with brandfit; --out PATH to choose)"
    elif not os.access(root, os.W_OK):
        why = f" (the registry {root} is not writable; --out PATH to choose)"
    else:
        return root / "_reports" / version, ""
    return Path.cwd() / LOCAL_REPORTS / version, why


def _evaluate(args: argparse.Namespace) -> int:
    if args.cross_source:
        return _cross_source(args)

    from brandfit.config import TrainConfig
    from brandfit.data import load_labeled
    from brandfit.errors import MissingFileError
    from brandfit.evaluation.report import evaluate_frame, write_report
    from brandfit.model import default_registry_root, load_model
    from brandfit.registry import ModelRegistry
    from brandfit.train import labeled_paths, load_training_frame

    root = Path(args.registry) if args.registry else default_registry_root()
    model = load_model(args.model, registry=root, backend=args.backend)
    meta = ModelRegistry(root).resolve_version(model.version).metadata
    config = TrainConfig.from_dict(model.config) if model.config else TrainConfig()
    warnings: list[str] = []
    if args.data:  # read as training reads its data: a labeled folder is its texts/ (and accounts/)
        labeled = load_labeled(labeled_paths(args.data).text_files)
        labeled.raise_if_problems()
        frame, desc = labeled.frame, ", ".join(args.data)
        warnings += _overlap_warnings(model, meta, frame, config)
    else:
        try:
            frame, digest = load_training_frame(config)
        except FileNotFoundError as exc:  # a wheel install, away from the data the model was trained on
            raise MissingFileError(f"{exc}: without --data, {model.version} is evaluated on the test split of the "
                                   f"data it was trained on, {', '.join(config.data)}, read under the current folder; "
                                   "run from the folder it was trained in, or give labeled files with --data") from None
        if meta.get("dataset_hash") and digest != meta["dataset_hash"]:
            warnings.append(f"{', '.join(config.data)} has changed since {model.version} was trained (dataset hash "
                            f"{digest.split(':', 1)[-1][:10]}, trained on {meta['dataset_hash'].split(':', 1)[-1][:10]}): "
                            "its test split is recomputed on the new data and may hold rows the model was fitted on")
        frame, desc = frame[frame["split"] == "test"], "test split of " + ", ".join(config.data)
    metrics, raw = evaluate_frame(model, frame)
    warnings += _size_warnings(metrics, desc)
    if args.public:
        from brandfit.evaluation.crossdomain import evaluate_public, format_public_table
        from brandfit.evaluation.public import load_public

        corpora = load_public()
        if corpora.empty:
            print("public corpora not found: cross-domain evaluation skipped")
        else:
            metrics["public"] = evaluate_public(model, corpora)
            print(format_public_table({model.version: metrics["public"]}))
    out, why = _report_folder(args, root, model.version)
    report = write_report(out, model.version, desc, metrics, raw, warnings=warnings)
    t, p = metrics["topic"], metrics["promo"]
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{model.version} on {desc} ({t['n']} texts): topic accuracy {t['accuracy']:.3f}, macro F1 "
          f"{t['macro_f1']:.3f}, macro AP {t['macro_ap']:.3f}, ECE {t['ece']:.3f}; promo P {p['precision']:.3f} "
          f"R {p['recall']:.3f} F1 {p['f1']:.3f} AP {p['ap']:.3f}")
    print(f"report: {report}{why}")
    return 0
