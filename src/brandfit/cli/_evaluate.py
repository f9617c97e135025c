"""``brandfit evaluate [--model REF] [--data PATH]``: metrics, Markdown report and plots; ``--cross-source``: the
leave-one-source-out table of the training recipe and the baselines (brandfit.evaluation.loso)."""

from __future__ import annotations

from brandfit.settings import BACKENDS

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate a model version; writes a Markdown report with plots")
    p.add_argument("--model", default="production", help="registry ref (default production)")
    p.add_argument("--registry", default=None, help="registry root (default: the bundled models/)")
    p.add_argument("--data", action="append", metavar="PATH",
                   help="labeled file/folder to evaluate on (all rows); default: the test split of data/labeled")
    p.add_argument("--out", default=None,
                   help="report folder (default: models/_reports/<name>@<version>/, beside the version)")
    p.add_argument("--public", action="store_true", help="also run the cross-domain harness on ../shared/datasets")
    p.add_argument("--backend", choices=BACKENDS, default=None)
    p.add_argument("--cross-source", action="store_true",
                   help="leave-one-source-out table instead: for every source (data/labeled and each public corpus) "
                        "train the recipe of --config and the baselines on all the others, score the one left out")
    p.add_argument("--config", default="training/configs/default.yaml",
                   help="training config whose recipe --cross-source evaluates (default training/configs/default.yaml)")
    p.add_argument("--public-data", default=None, metavar="DIR",
                   help="public corpora for --cross-source (default: ../shared/datasets or $BRANDFIT_PUBLIC_DATA)")
    p.set_defaults(func=_evaluate)


def _cross_source(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from brandfit.config import TrainConfig, load_config
    from brandfit.evaluation import loso
    from brandfit.train import resolve_public_root

    t0 = time.perf_counter()
    config = load_config(args.config) if Path(args.config).exists() else TrainConfig()
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


def _evaluate(args: argparse.Namespace) -> int:
    if args.cross_source:
        return _cross_source(args)
    from pathlib import Path

    from brandfit.config import TrainConfig
    from brandfit.data import load_labeled
    from brandfit.errors import MissingFileError
    from brandfit.evaluation.report import evaluate_frame, write_report
    from brandfit.model import default_registry_root, load_model
    from brandfit.train import load_training_frame

    root = Path(args.registry) if args.registry else default_registry_root()
    model = load_model(args.model, registry=root, backend=args.backend)
    if args.data:
        labeled = load_labeled(args.data)
        labeled.raise_if_problems()
        frame, desc = labeled.frame, ", ".join(args.data)
    else:
        config = TrainConfig.from_dict(model.config) if model.config else TrainConfig()
        try:
            frame, _ = load_training_frame(config)
        except FileNotFoundError as exc:  # a wheel install, away from the repository's data/labeled
            raise MissingFileError(f"{exc}: the test split of {model.version}'s training data is read from "
                                    f"{', '.join(config.data)} under the current folder; run from the repository "
                                    "or give labelled files with --data") from None
        frame, desc = frame[frame["split"] == "test"], "test split of " + ", ".join(config.data)
    metrics, raw = evaluate_frame(model, frame)
    if args.public:
        from brandfit.evaluation.crossdomain import evaluate_public, format_public_table
        from brandfit.evaluation.public import load_public

        corpora = load_public()
        if corpora.empty:
            print("public corpora not found: cross-domain evaluation skipped")
        else:
            metrics["public"] = evaluate_public(model, corpora)
            print(format_public_table({model.version: metrics["public"]}))
    out = Path(args.out) if args.out else root / "_reports" / model.version
    report = write_report(out, model.version, desc, metrics, raw)
    t, p = metrics["topic"], metrics["promo"]
    print(f"{model.version} on {desc}: topic accuracy {t['accuracy']:.3f}, macro F1 {t['macro_f1']:.3f}, "
          f"macro AP {t['macro_ap']:.3f}, ECE {t['ece']:.3f}; promo P {p['precision']:.3f} R {p['recall']:.3f} "
          f"F1 {p['f1']:.3f} AP {p['ap']:.3f}")
    print(f"report: {report}")
    return 0
