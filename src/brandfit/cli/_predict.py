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
    from brandfit.account import BrandTopic
    from brandfit.topics import BRAND_TOPICS

    if topic in BRAND_TOPICS and name is None and not examples:
        return topic
    if " " not in topic.strip() and name is None and not examples:
        raise InputError(f"--brand-topic: unknown topic id {topic!r}; use one of {', '.join(BRAND_TOPICS)} "
                         "or describe the brand's topic in words")
    return BrandTopic(name or "custom", topic, tuple(examples))


def _predict(args: argparse.Namespace) -> int:
    import sys

    from brandfit.account import Account
    from brandfit.api import predict_relevance
    from brandfit.model import load_model

    src = sys.stdin.read() if args.account == "-" else Path(args.account).read_text(encoding="utf-8")
    try:
        account = json.loads(src)
    except json.JSONDecodeError as exc:
        raise InputError(f"{args.account}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    brand = brand_from_args(args.brand_topic, args.brand_name, args.example)
    account = Account.from_input(account)  # bad input is reported before the model loads
    model = load_model(args.model, registry=args.registry, backend=args.backend)
    rel = predict_relevance(account, brand, model=model)
    if args.json:
        print(json.dumps(rel.to_dict(), indent=2, ensure_ascii=False))
        return 0
    who = rel.handle or rel.account_id or "account"
    print(f"{who}: {100 * rel.score:.0f}% fit with {rel.brand_topic}  (model {rel.model_version})")
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
