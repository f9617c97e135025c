"""``brandfit train``: fit both models on labeled data and publish a new registry version."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from brandfit.settings import BACKENDS, MIN_JUDGED_TEXTS

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = "training/configs/default.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the topic and promo models and publish them to the registry")
    p.add_argument("--config", default=DEFAULT_CONFIG, help=f"YAML training config (default {DEFAULT_CONFIG})")
    p.add_argument("--data", action="append", metavar="PATH",
                   help="labeled file or folder (repeatable); overrides the config's data. A folder holding texts/ and "
                        "accounts/ (as `brandfit data check` reads it) brings its accounts, checked with the texts")
    p.add_argument("--accounts", default=None, metavar="PATH",
                   help="accounts file or folder of the --data texts that are not labeled folders (default: the "
                        "config's accounts, none with --data); a missing path is an error")
    p.add_argument("--registry", default=None,
                   help="registry root (default: $BRANDFIT_REGISTRY, else ./models if it is a registry)")
    p.add_argument("--alias", action="append", default=[], metavar="ALIAS",
                   help="also point this alias at the new version (repeatable), e.g. --alias staging")
    p.add_argument("--public-data", default=None, metavar="DIR",
                   help="public corpora to train on as well; a DIR that is absent or holds no known source is an error "
                        "(default: the config's public_data, ../shared/datasets, resolved against the working "
                        "directory and its parents, or $BRANDFIT_PUBLIC_DATA; when that default is absent, training "
                        "uses the labeled data alone and says so)")
    p.add_argument("--no-public", action="store_true",
                   help="train on the labeled data alone (no public corpora)")
    p.add_argument("--no-public-eval", action="store_true",
                   help="skip the cross-domain evaluation on public corpora (only run when they were not trained on)")
    p.add_argument("--dry-run", action="store_true", help="train and report, but publish nothing (no registry needed)")
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


def _fig(value: object, *, promo: bool = False) -> str:
    """A figure for the printout: 3 decimals, or n/a when it could not be computed (NaN)."""
    if isinstance(value, float) and value != value:
        return "n/a (no promo text in the split)" if promo else "n/a"
    return f"{value:.3f}" if isinstance(value, (int, float)) else str(value)


def _print_problems(exc: Exception) -> None:
    """The problems of a refused training set, one a line on stderr (at most MAX_SHOWN_PROBLEMS)."""
    from brandfit.train import MAX_SHOWN_PROBLEMS

    problems = getattr(exc, "problems", ())
    for problem in problems[:MAX_SHOWN_PROBLEMS]:
        print(f"  {problem}", file=sys.stderr)
    if len(problems) > MAX_SHOWN_PROBLEMS:
        print(f"  ... and {len(problems) - MAX_SHOWN_PROBLEMS} more", file=sys.stderr)


def _load_config(args: argparse.Namespace):
    """The config of ``--config`` (every key and value checked: a one-line error, exit 2), with the command line's
    overrides; the built-in defaults (the same values) when the default config file is absent (an installed wheel)."""
    from dataclasses import replace
    from pathlib import Path

    from brandfit.config import TrainConfig, load_config

    if args.config == DEFAULT_CONFIG and not Path(args.config).exists():
        logger.info("%s not found: using the built-in defaults (the same values)", DEFAULT_CONFIG)
        config = TrainConfig()
    else:
        config = load_config(args.config)
    if args.data:
        config = replace(config, data=tuple(args.data), accounts=args.accounts)  # accounts belong to their texts
    elif args.accounts is not None:
        config = replace(config, accounts=args.accounts)
    if args.no_public:
        config = replace(config, public_data=None)
    return config


def _train(args: argparse.Namespace) -> int:
    from brandfit.errors import DataError
    from brandfit.model import default_registry_root
    from brandfit.train import check_publish_target, publish, save_unpublished, train

    config = _load_config(args)
    extra: dict = {}
    if args.description:
        extra["description"] = args.description
    if args.tag:
        extra["tags"] = parse_tags(args.tag)  # checked before the minutes of training
    aliases = tuple(args.alias)
    # everything that can be checked is checked before the minutes of training: the name and aliases, the registry
    if args.dry_run:
        from brandfit.registry import validate_name

        validate_name(config.name)
        for alias in aliases:
            validate_name(alias, kind="alias")
        root = None
    else:
        root = check_publish_target(args.registry or default_registry_root(), config.name, aliases)
    backends = () if args.no_backend_check else tuple(args.check_backend or ("onnx", "torch"))
    try:
        result = train(config, public_eval=not args.no_public_eval, check_backends=backends,
                       public_data=None if args.no_public else args.public_data)
    except DataError as exc:
        _print_problems(exc)
        raise
    _report(result)
    if args.dry_run:
        print(json.dumps({"dataset_hash": result.dataset_hash, "published": None}))
        return 0
    logger.info("publishing into %s", root)
    try:
        ref = publish(result, config, root, aliases=aliases, extra_metadata=extra)
    except (Exception, KeyboardInterrupt):  # keep the trained model: a late failure must not cost the training
        import time

        from brandfit.errors import BrandfitError

        folder = Path.cwd() / f"brandfit-unpublished-{time.strftime('%Y%m%d-%H%M%S')}"
        try:
            save_unpublished(result, config, folder, extra_metadata=extra)
        except (BrandfitError, OSError) as save_exc:
            logger.error("the trained model could not be saved either (%s)", save_exc)
        else:
            code = (f"import json; from brandfit.registry import ModelRegistry; ModelRegistry({str(root)!r}).publish("
                    f"{config.name!r}, {str(folder / 'model')!r}, metadata=json.load(open({str(folder / 'metadata.json')!r})),"
                    f" card=open({str(folder / 'README.md')!r}).read())")
            print(f"brandfit: publishing failed; the trained model is kept in {folder} (model/, metadata.json, "
                  f"README.md). Once the cause below is fixed, publish it with:\n  python -c \"{code}\"",
                  file=sys.stderr)
        raise
    print(f"published {ref}" + (f" (aliases: {', '.join(aliases)})" if aliases else ""))
    return 0


def _report(result) -> None:
    """The training printout: what the model was trained on, its held-out figures (with the warnings that qualify
    them), the backend checks, the threshold."""
    metrics = result.metrics
    ours = metrics.get("training_sources", {}).get("ours", {})
    data = ", ".join(ours.get("path_as_given") or ours.get("path") or ())
    seen = {k: v for k, v in metrics.get("training_sources", {}).items() if k != "ours"}
    print(f"trained on {data} ({ours.get('n', len(result.frame))} texts)"
          + (": " + ", ".join(f"{k} ({v['n']})" for k, v in seen.items()) if seen else ", no public corpora"))
    test = metrics.get("test", {})
    n = metrics.get("n_texts", {})
    # the splits check_trainable warned about as too small (fewer than MIN_JUDGED_TEXTS of our texts): exactly that
    # condition, never another warning about a split (e.g. one that holds no promo text)
    small = [s for s in ("validation", "test") if isinstance(n.get(s), int) and n[s] < MIN_JUDGED_TEXTS]
    if test:
        t, p = test["topic"], test["promo"]
        promo = (f"promo {_fig(p['ap'], promo=True)}" if p["ap"] != p["ap"] else
                 f"promo F1 {_fig(p['f1'])}, AP {_fig(p['ap'])}")
        print(f"held-out test ({t['n']} texts): topic accuracy {_fig(t['accuracy'])}, macro AP {_fig(t['macro_ap'])}; "
              + promo)
    if small:  # the warnings themselves were logged before training, once
        print(f"  (validation {n.get('validation', '?')} texts, test {n.get('test', '?')} texts: too few for these"
              " figures to mean much; see the warnings above)")
    pub = metrics.get("public")
    if pub:
        print(f"public corpora (pooled): topic macro AP {pub['pooled_topic']['macro_ap']:.3f}, "
              f"top-1 {pub['pooled_topic']['top1_accuracy']:.3f}; promo AP {pub['pooled_promo']['ap']:.3f}, "
              f"F1 {pub['pooled_promo']['f1']:.3f}")
    for name, check in metrics.get("backends", {}).items():
        verdict = "validated" if check["validated"] else "NOT validated (outside tolerance, or nothing to compare)"
        gaps = [f"{k} {v:+.4f}" if v == v else f"{k} n/a" for k, v in check["gaps"].items()]
        gaps += [f"{k} not computable" for k in check.get("not_compared", ())]
        print(f"{name} backend: {verdict}; gaps to {result.model.backend}: " + ", ".join(gaps))
    for src, block in (metrics.get("public_validation") or {}).items():
        parts = []
        if "topic" in block:
            parts.append(f"topic macro AP {_fig(block['topic']['macro_ap'])} top-1 {_fig(block['topic']['accuracy'])}")
        if "promo" in block:
            parts.append(f"promo AP {_fig(block['promo']['ap'])} F1 {_fig(block['promo']['f1'])}")
        print(f"  validation groups of {src}: " + "; ".join(parts))
    print(f"promo threshold {result.model.promo_threshold:.3f}; brand calibration "
          f"a={result.model.brand_calibration[0]:.2f} b={result.model.brand_calibration[1]:.2f}")
    print(f"validated backends: {', '.join(result.model.validated_backends)}")
