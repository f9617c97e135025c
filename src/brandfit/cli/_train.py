"""``brandfit train``: fit both models on labeled data and publish a new registry version."""

from __future__ import annotations

import argparse
import json
import logging

from brandfit.settings import BACKENDS

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = "training/configs/default.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the topic and promo models and publish them to the registry")
    p.add_argument("--config", default=DEFAULT_CONFIG, help=f"YAML training config (default {DEFAULT_CONFIG})")
    p.add_argument("--data", action="append", metavar="PATH",
                   help="labeled file or folder (repeatable); overrides the config's data")
    p.add_argument("--registry", default=None,
                   help="registry root (default: $BRANDFIT_REGISTRY, else ./models if it is a registry)")
    p.add_argument("--alias", action="append", default=[], metavar="ALIAS",
                   help="also point this alias at the new version (repeatable), e.g. --alias staging")
    p.add_argument("--public-data", default=None, metavar="DIR",
                   help="public corpora to train on as well (default: the config's public_data, ../shared/datasets, "
                        "resolved against the working directory and its parents, or $BRANDFIT_PUBLIC_DATA)")
    p.add_argument("--no-public", action="store_true",
                   help="train on the labeled data alone (no public corpora)")
    p.add_argument("--no-public-eval", action="store_true",
                   help="skip the cross-domain evaluation on public corpora (only run when they were not trained on)")
    p.add_argument("--dry-run", action="store_true", help="train and report, but publish nothing")
    p.add_argument("--check-backend", action="append", choices=BACKENDS, default=None, metavar="B",
                   help="also check the model with this embedding backend (default: the one it was not trained on; "
                        "heads are trained on onnx embeddings, the serving default); see --no-backend-check")
    p.add_argument("--no-backend-check", action="store_true",
                   help="validate the model with its training backend only")
    p.add_argument("--description", default=None, metavar="TEXT",
                   help="what this candidate is (stored with the version; shown by `brandfit models list/show`)")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="a key=value tag stored with the version (repeatable), e.g. --tag experiment=c4")
    p.set_defaults(func=_train)


def parse_tags(items: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` as a dict; an item without ``=`` or with an empty key is an :class:`InputError`."""
    from brandfit.errors import InputError

    tags: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise InputError(f"--tag {item!r}: expected KEY=VALUE, e.g. --tag experiment=c4")
        tags[key.strip()] = value.strip()
    return tags


def _train(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from pathlib import Path

    from brandfit.config import TrainConfig, load_config
    from brandfit.model import default_registry_root
    from brandfit.train import publish, train

    config = load_config(args.config) if Path(args.config).exists() or args.config != DEFAULT_CONFIG else TrainConfig()
    if args.data:
        config = replace(config, data=tuple(args.data), accounts=None)
    extra: dict = {}
    if args.description:
        extra["description"] = args.description
    if args.tag:
        extra["tags"] = parse_tags(args.tag)  # checked before the minutes of training
    if args.no_public:
        config = replace(config, public_data=None)
    backends = () if args.no_backend_check else tuple(args.check_backend or ("onnx", "torch"))
    result = train(config, public_eval=not args.no_public_eval, check_backends=backends,
                   public_data=None if args.no_public else args.public_data)
    if result.metrics.get("public_training"):
        seen = result.metrics["training_sources"]
        print("trained on: " + ", ".join(f"{k} ({v['n']})" for k, v in seen.items()))
    else:
        print("trained on data/labeled alone (no public corpora)")
    test = result.metrics.get("test", {})
    if test:
        t, p = test["topic"], test["promo"]
        print(f"held-out test: topic accuracy {t['accuracy']:.3f}, macro AP {t['macro_ap']:.3f}; "
              f"promo F1 {p['f1']:.3f}, AP {p['ap']:.3f}")
    pub = result.metrics.get("public")
    if pub:
        print(f"public corpora (pooled): topic macro AP {pub['pooled_topic']['macro_ap']:.3f}, "
              f"top-1 {pub['pooled_topic']['top1_accuracy']:.3f}; promo AP {pub['pooled_promo']['ap']:.3f}, "
              f"F1 {pub['pooled_promo']['f1']:.3f}")
    for name, check in result.metrics.get("backends", {}).items():
        verdict = "validated" if check["validated"] else "NOT validated (outside tolerance)"
        print(f"{name} backend: {verdict}; gaps to torch: "
              + ", ".join(f"{k} {v:+.4f}" for k, v in check["gaps"].items()))
    for src, block in (result.metrics.get("public_validation") or {}).items():
        parts = []
        if "topic" in block:
            parts.append(f"topic macro AP {block['topic']['macro_ap']:.3f} top-1 {block['topic']['accuracy']:.3f}")
        if "promo" in block:
            parts.append(f"promo AP {block['promo']['ap']:.3f} F1 {block['promo']['f1']:.3f}")
        print(f"  validation groups of {src}: " + "; ".join(parts))
    print(f"promo threshold {result.model.promo_threshold:.3f}; brand calibration "
          f"a={result.model.brand_calibration[0]:.2f} b={result.model.brand_calibration[1]:.2f}")
    print(f"validated backends: {', '.join(result.model.validated_backends)}")
    if args.dry_run:
        print(json.dumps({"dataset_hash": result.dataset_hash, "published": None}))
        return 0
    ref = publish(result, config, args.registry or default_registry_root(), aliases=tuple(args.alias),
                  extra_metadata=extra)
    print(f"published {ref}" + (f" (aliases: {', '.join(args.alias)})" if args.alias else ""))
    return 0
