"""``brandfit evaluate [--model REF] [--data PATH]``: metrics, Markdown report and plots."""

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
    p.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from brandfit.config import TrainConfig
    from brandfit.data import load_labeled
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
        frame, _ = load_training_frame(config)
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
