"""``brandfit predict --brand-topic T ACCOUNT.json``: one account's brand fit, readable or as JSON."""

from __future__ import annotations

from brandfit.settings import BACKENDS

import argparse
import json
from pathlib import Path

from brandfit.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="score one account (a JSON file) against a brand topic")
    p.add_argument("account", metavar="ACCOUNT.json", help="a JSON object with bio, posts, optional followers; - for stdin")
    p.add_argument("--brand-topic", required=True,
                   help="one of sports_outdoor, fashion, fitness, beauty, electronics, or a brand description "
                        "in words (then --brand-name names it)")
    p.add_argument("--brand-name", default=None, help="name of a custom brand topic given in words")
    p.add_argument("--example", action="append", default=[], help="an example text of the custom brand topic")
    p.add_argument("--model", default="production", help="registry ref (default production)")
    p.add_argument("--registry", default=None, help="registry root (default: $BRANDFIT_REGISTRY, else ./models if it is a registry, else the bundled one)")
    p.add_argument("--backend", choices=BACKENDS, default=None, help="embedding backend")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(func=_predict)


def brand_from_args(topic: str, name: str | None, examples: list[str]):
    """``--brand-topic`` (a built-in topic id, or the brand's topic in words), ``--brand-name`` and ``--example``
    as :func:`brandfit.predict_relevance` takes them; :class:`InputError` for a combination that means nothing."""
    from brandfit.account import BrandTopic
    from brandfit.topics import BRAND_TOPICS, TOPICS

    words = topic.strip()
    if topic in BRAND_TOPICS and name is None and not examples:
        return topic
    if words.lower() in TOPICS:  # a topic id with a name or examples, or a topic id in other letters
        if name is None and not examples:
            raise InputError(f"--brand-topic: unknown topic id {topic!r}"
                             + (f" (did you mean {words.lower()!r}?)" if words.lower() in BRAND_TOPICS else "")
                             + f"; use one of {', '.join(BRAND_TOPICS)} or describe the brand's topic in words")
        raise InputError(f"--brand-topic {topic}: a built-in topic id takes no --brand-name or --example; those "
                         "describe a brand topic given in words, e.g. --brand-topic 'kettlebells and home gym "
                         "training' --brand-name kettlebells")
    if " " not in words and name is None and not examples:
        raise InputError(f"--brand-topic: unknown topic id {topic!r}; use one of {', '.join(BRAND_TOPICS)} "
                         "or describe the brand's topic in words")
    if name is not None and not name.strip():
        raise InputError("--brand-name: must not be empty")
    return BrandTopic(name or "custom", topic, tuple(examples))


def read_account_file(path: str) -> object:
    """The JSON document at ``path`` (``-``: stdin), within the batch job's limits (nesting, digits, UTF-8);
    :class:`InputError` naming the file for anything it cannot read."""
    import sys

    from brandfit._safejson import JSONLimitError, loads_bounded
    from brandfit.errors import MissingFileError

    if path == "-":
        raw = sys.stdin.buffer.read()
    else:
        p = Path(path)
        if not p.exists():
            raise MissingFileError(f"{path}: no such file")
        if not p.is_file():
            raise InputError(f"{path}: not a file (a folder?); give one account's JSON file, or - for stdin")
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return loads_bounded(raw.removeprefix(b"\xef\xbb\xbf"))
    except JSONLimitError as exc:
        raise InputError(f"{path}: {exc}") from None


def _predict(args: argparse.Namespace) -> int:
    from brandfit.account import Account
    from brandfit.api import predict_relevance
    from brandfit.model import load_model

    account = read_account_file(args.account)
    brand = brand_from_args(args.brand_topic, args.brand_name, args.example)
    account = Account.from_input(account)  # bad input is reported before the model loads
    model = load_model(args.model, registry=args.registry, backend=args.backend)
    rel = predict_relevance(account, brand, model=model)
    if args.json:
        print(json.dumps(rel.to_dict(), indent=2, ensure_ascii=False))
        return 0
    who = rel.handle or rel.account_id or "account"
    print(f"{who}: {100 * rel.score:.0f}% fit with {rel.brand_topic} (model {rel.model_version})")
    print(f"  primary topic {rel.primary_topic}, consistency {100 * rel.consistency:.0f}%, "
          f"promo {100 * rel.promo_ratio:.0f}%{' TOO PROMOTIONAL' if rel.too_promotional else ''}, "
          f"undisclosed ads {rel.undisclosed_promo}")
    if rel.tier:
        er = f", engagement {100 * rel.engagement_rate:.1f}%" if rel.engagement_rate is not None else ""
        print(f"  tier {rel.tier} ({rel.followers} followers){er}")
    for r in rel.reasons:
        print(f"  - {r}")
    for e in rel.evidence:
        print(f"  > [{100 * e.topic_probability:.0f}%] {e.text[:100]}")
    return 0
