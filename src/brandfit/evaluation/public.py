"""Public corpora that nobody at brandfit wrote, read in place for cross-domain evaluation.

They live outside the repository (default ``../shared/datasets``, or ``$BRANDFIT_PUBLIC_DATA``);
their text is never copied into the project. Every loader returns a DataFrame with ``text``,
``source``, ``topic`` (a topic id or ``None``) and ``promo`` (bool or ``None``), deduplicated, with
a seeded cap per source that balances its labels (at most ``cap // n_labels`` texts each) so runs are comparable and fast. When the folder is
absent, :func:`available` is False and :func:`load_public` returns an empty frame.
"""

from __future__ import annotations

import csv
import html
import logging
import os
import re
from pathlib import Path
from typing import Callable

import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["TOPIC_SOURCES", "PROMO_SOURCES", "default_root", "available", "load_public", "AMAZON_SUBCATEGORY_TOPIC"]

TOPIC_SOURCES = ("amazon_in_products_2023", "reddit_cycling_mtb_velo", "reddit_climbing_yoga", "reddit_where2spreddit")
PROMO_SOURCES = ("youtube_spam", "instagram_scam_spam_comments", "sms_spam")
DEFAULT_CAP = 2500
SEED = 7

_FASHION_SUBS = (
    "Fashion & Silver Jewellery", "Gold & Diamond Jewellery", "Jewellery", "Handbags & Clutches", "Sunglasses",
    "Watches", "Innerwear", "Jeans", "Shirts", "T-shirts & Polos", "Clothing", "Ethnic Wear", "Lingerie & Nightwear",
    "Western Wear", "Casual Shoes", "Formal Shoes", "Ballerinas", "Fashion Sandals", "Shoes", "Amazon Fashion",
    "Fashion Sales & Deals", "Men's Fashion", "Women's Fashion", "The Designer Boutique", "Kids' Clothing",
    "Kids' Fashion", "Kids' Shoes", "Baby Fashion", "Kids' Watches",
)
AMAZON_SUBCATEGORY_TOPIC: dict[str, str] = {
    **{s: "sports_outdoor" for s in (
        "Badminton", "Camping & Hiking", "Cricket", "Cycling", "Football", "Running",
        "All Sports, Fitness & Outdoors", "Sports Shoes", "Sportswear", "Rucksacks")},
    **{s: "fitness" for s in (
        "All Exercise & Fitness", "Cardio Equipment", "Fitness Accessories", "Strength Training", "Yoga",
        "Diet & Nutrition")},
    **{s: "beauty" for s in ("Beauty & Grooming", "Luxury Beauty", "Make-up")},
    **{s: "fashion" for s in _FASHION_SUBS},
}
_AMAZON_ELECTRONICS_MAIN = "tv, audio & cameras"
_AMAZON_OTHER_MAIN = (
    "home & kitchen", "grocery & gourmet foods", "pet supplies", "toys & baby products", "car & motorbike",
    "industrial supplies", "appliances", "home, kitchen, pets",
)
_W2S_LABELS = {15: "sports_outdoor", 5: None}  # sports -> sports_outdoor; technology is tech news: left out


def default_root() -> Path:
    env = os.environ.get("BRANDFIT_PUBLIC_DATA")
    if env:
        return Path(env)
    here = Path.cwd()
    for base in (here, *here.parents):
        cand = base.parent / "shared" / "datasets"
        if cand.is_dir():
            return cand
    return here.parent / "shared" / "datasets"


def available(root: Path | None = None) -> bool:
    root = root or default_root()
    return root.is_dir() and any((root / s).is_dir() for s in (*TOPIC_SOURCES, *PROMO_SOURCES))


_TAG = re.compile(r"<[^>]+>")


def _clean(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return " ".join(_TAG.sub(" ", html.unescape(text)).split())


def _amazon(root: Path) -> pd.DataFrame:
    rows = []
    with (root / "amazon_in_products_2023" / "Amazon-Products.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            sub, main = r.get("sub_category", ""), r.get("main_category", "")
            topic = AMAZON_SUBCATEGORY_TOPIC.get(sub)
            if topic is None and main == _AMAZON_ELECTRONICS_MAIN:
                topic = "electronics"
            if topic is None and main in _AMAZON_OTHER_MAIN:
                topic = "other"
            if topic is not None:
                rows.append((_clean(r.get("name")), topic))
    return pd.DataFrame(rows, columns=["text", "topic"])


def _cycling(root: Path) -> pd.DataFrame:
    df = pd.read_csv(root / "reddit_cycling_mtb_velo" / "bike.csv")
    return pd.DataFrame({"text": df["text"].map(_clean), "topic": "sports_outdoor"})


def _climbing_yoga(root: Path) -> pd.DataFrame:
    parts = [pd.read_csv(f) for f in sorted((root / "reddit_climbing_yoga").glob("reddit_climb_yoga*.csv"))]
    df = pd.concat(parts, ignore_index=True).drop_duplicates(subset=["title", "selftext"])
    text = (df["title"].fillna("").astype(str) + " " + df["selftext"].fillna("").astype(str)).map(_clean)
    topic = df["subreddit"].map({"climbing": "sports_outdoor", "yoga": "fitness"})
    return pd.DataFrame({"text": text, "topic": topic})


def _where2spreddit(root: Path) -> pd.DataFrame:
    parts = []
    for f in sorted((root / "reddit_where2spreddit").glob("*_top_10000.csv")):
        df = pd.read_csv(f)
        topic = df["label"].map(lambda v: _W2S_LABELS.get(int(v), "other"))
        parts.append(pd.DataFrame({"text": df["text"].map(_clean), "topic": topic, "group": df["label"]}))
    return pd.concat(parts, ignore_index=True)


def _youtube(root: Path) -> pd.DataFrame:
    parts = [pd.read_csv(f) for f in sorted((root / "youtube_spam").glob("Youtube*.csv"))]
    df = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"text": df["CONTENT"].map(_clean), "promo": df["label"].astype(int) == 1})


def _instagram(root: Path) -> pd.DataFrame:
    df = pd.read_csv(root / "instagram_scam_spam_comments" / "comments-rating.csv")
    return pd.DataFrame({"text": df["msg"].map(_clean), "promo": df["scam"].astype(int) == 1})


def _sms(root: Path) -> pd.DataFrame:
    df = pd.read_csv(root / "sms_spam" / "SMSSpamCollection", sep="\t", quoting=csv.QUOTE_NONE, names=["label", "text"],
                     header=0)
    return pd.DataFrame({"text": df["text"].map(_clean), "promo": df["label"] == "spam"})


_LOADERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "amazon_in_products_2023": _amazon,
    "reddit_cycling_mtb_velo": _cycling,
    "reddit_climbing_yoga": _climbing_yoga,
    "reddit_where2spreddit": _where2spreddit,
    "youtube_spam": _youtube,
    "instagram_scam_spam_comments": _instagram,
    "sms_spam": _sms,
}


def _cap(df: pd.DataFrame, by: str, cap: int | None) -> pd.DataFrame:
    if cap is None or len(df) <= cap:
        return df
    per_label = max(1, cap // df[by].nunique(dropna=False))
    parts = [g.sample(n=min(len(g), per_label), random_state=SEED) for _, g in df.groupby(by, dropna=False, sort=True)]
    return pd.concat(parts)


def load_public(
    root: Path | None = None,
    *,
    sources: tuple[str, ...] | None = None,
    cap: int | None = DEFAULT_CAP,
) -> pd.DataFrame:
    """Load the public corpora as ``text, source, topic, promo``; empty (with a log line) when absent."""
    root = root or default_root()
    cols = ["text", "source", "topic", "promo"]
    if not available(root):
        logger.info("public corpora not found at %s: skipping cross-domain evaluation", root)
        return pd.DataFrame(columns=cols)
    frames = []
    for name in sources or (*TOPIC_SOURCES, *PROMO_SOURCES):
        if not (root / name).is_dir():
            logger.info("public corpus %s not found under %s: skipped", name, root)
            continue
        df = _LOADERS[name](root)
        df = df[df["text"].str.len() > 0]
        label = "topic" if "topic" in df else "promo"
        df = df.dropna(subset=[label]).drop_duplicates(subset=["text"])
        df = _cap(df, "group" if "group" in df else label, cap)
        df = df.assign(source=name)
        for c in cols:
            if c not in df:
                df[c] = None
        frames.append(df[cols])
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)
