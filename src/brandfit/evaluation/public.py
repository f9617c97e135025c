"""Public corpora that nobody at brandfit wrote, read in place for cross-domain evaluation.

They live outside the repository (default ``../shared/datasets``, or ``$BRANDFIT_PUBLIC_DATA``);
their text is never copied into the project. Every loader returns a DataFrame with ``text``,
``source``, ``topic`` (a topic id or ``None``), ``promo`` (bool or ``None``) and ``group`` (what must stay on
one side of a train/validation split: an episode, a video or pin id, a subreddit; else the text's row), deduplicated,
with a seeded cap per source that balances its labels (at most ``cap // n_labels`` texts each) so runs are
comparable and fast. When the folder is absent, :func:`available` is False and :func:`load_public` returns an
empty frame; a missing source folder is skipped with a log line.
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

__all__ = ["subtopic_tasks", "TOPIC_SOURCES", "PROMO_SOURCES", "default_root", "available", "load_public", "AMAZON_SUBCATEGORY_TOPIC"]

TOPIC_SOURCES = ("amazon_in_products_2023", "reddit_cycling_mtb_velo", "reddit_climbing_yoga", "reddit_where2spreddit",
                 "yt_trending_us_2017", "reddit_titles_6topics")
PROMO_SOURCES = ("youtube_spam", "instagram_scam_spam_comments", "sms_spam", "podcast_ad_reads",
                 "affiliate_disclosures_yt_pin")
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
        parts.append(pd.DataFrame({"text": df["text"].map(_clean), "topic": topic, "stratum": df["label"],
                                   "group": df["label"].map(lambda v: f"label{v}")}))
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


PODCAST_WINDOW = 4  # transcript segments per text (an ad span is ~11 segments)


def _podcast(root: Path) -> pd.DataFrame:
    """Windows of ``PODCAST_WINDOW`` consecutive segments of one episode: all inside an ad span -> promo,
    all outside -> not promo (hard negatives from the same speakers), mixed windows dropped. Group = episode."""
    rows = []
    for f in sorted((root / "podcast_ad_reads").glob("*.csv")):
        tags, segs = [], []
        with f.open(encoding="utf-8", errors="replace", newline="") as fh:
            for r in csv.reader(fh):
                if len(r) >= 2:
                    tags.append(r[0].strip())
                    segs.append(",".join(r[1:]))
        for i in range(0, len(segs) - PODCAST_WINDOW + 1, PODCAST_WINDOW):
            win = tags[i:i + PODCAST_WINDOW]
            is_ad = [t.endswith("AD") for t in win]
            if all(is_ad) or not any(is_ad):
                rows.append((_clean(" ".join(segs[i:i + PODCAST_WINDOW])), all(is_ad), f.stem))
    return pd.DataFrame(rows, columns=["text", "promo", "group"])


# the authors' manual coding of clusters (SOURCE.txt): affiliate link / explanation / support-the-channel disclosures
_YT_DISCLOSURE = {372, 382, 383, 384, 385, 388, 389, 390, 370, 377, 378, 379, 380, 381, 386, 387,
                  363, 364, 366, 367, 368, 369}
_PIN_DISCLOSURE = {99, 100, 101, 103, 104, 106, 137, 138, 139, 226, 764, 833, 836, 1668, 1493, 1494,
                   *range(1495, 1558)}


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) >= 0.8 * len(letters)


def _affiliate(root: Path) -> pd.DataFrame:
    """Sentences of affiliate descriptions: coded disclosure clusters -> promo, the rest ("none": gear lists,
    links, chit-chat of the same descriptions) -> not promo. Mostly non-Latin sentences left out. Group = id."""
    parts = []
    for name, coded in (("youtube_clusters.csv", _YT_DISCLOSURE), ("pinterest_clusters.csv", _PIN_DISCLOSURE)):
        df = pd.read_csv(root / "affiliate_disclosures_yt_pin" / name, dtype={"id": str})
        text = df["sentence"].map(_clean)
        keep = text.map(_mostly_latin)
        parts.append(pd.DataFrame({"text": text, "promo": df["ward_euclidean_cluster"].astype(int).isin(coded),
                                   "group": name[:3] + df["id"].astype(str)})[keep])
    return pd.concat(parts, ignore_index=True)


_YT_CATEGORY = {17: "sports_outdoor", 28: "electronics"}
_YT_HOWTO = 26
_YT_HOWTO_WORDS = {  # Howto & Style only where the title/tags make the vertical obvious (exactly one vertical)
    "beauty": ("makeup", "make up", "skincare", "skin care", "lipstick", "eyeshadow", "foundation", "mascara",
               "beauty", "hairstyle", "haircut", "nail art", "nails", "contour", "eyebrow", "cosmetics"),
    "fashion": ("fashion", "outfit", "lookbook", "haul", "clothing", "what i wore", "style guide", "dress",
                "sneakers", "jewelry", "jewellery"),
    "fitness": ("workout", "fitness", "gym", "yoga", "abs", "weight loss", "exercise"),
}
YT_MAX_TAGS = 15


def _yt_howto_topic(text: str) -> str | None:
    low = f" {text.lower()} "
    hits = [t for t, words in _YT_HOWTO_WORDS.items() if any(f" {w}" in low for w in words)]
    return hits[0] if len(hits) == 1 else None


def _yt_trending(root: Path) -> pd.DataFrame:
    """Title + the first ``YT_MAX_TAGS`` tags of each video (deduplicated by video_id); category 17 -> sports_outdoor,
    28 -> electronics, 26 (Howto & Style) only where one vertical is obvious, every other category -> other."""
    df = pd.read_csv(root / "yt_trending_us_2017" / "USvideos.csv").drop_duplicates(subset=["video_id"])
    rows = []
    for vid, title, tags, cat in zip(df["video_id"], df["title"], df["tags"], df["category_id"]):
        tag_list = [t.strip().strip('"') for t in str(tags).split("|") if t.strip() and t.strip() != "[none]"]
        text = _clean(f"{title} " + ", ".join(tag_list[:YT_MAX_TAGS]) if tag_list else str(title))
        cat = int(cat)
        topic = _YT_CATEGORY.get(cat) or (_yt_howto_topic(text) if cat == _YT_HOWTO else "other")
        if topic is not None:
            rows.append((text, topic, f"cat{cat}" if topic == "other" else topic, str(vid)))
    return pd.DataFrame(rows, columns=["text", "topic", "stratum", "group"])


_TITLES_TOPIC = {"sports": "sports_outdoor", "technology": "electronics", "business": "other", "politics": "other",
                 "entertainment": "other", "health": "other"}


def _reddit_titles(root: Path) -> pd.DataFrame:
    """One Reddit title per line; label = file name (sports -> sports_outdoor, technology -> electronics, rest other)."""
    parts = []
    for name, topic in _TITLES_TOPIC.items():
        f = root / "reddit_titles_6topics" / f"{name}.txt"
        if f.exists():
            lines = [_clean(x) for x in f.read_text(encoding="utf-8", errors="replace").splitlines()]
            parts.append(pd.DataFrame({"text": lines, "topic": topic, "stratum": name}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["text", "topic"])


_LOADERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "amazon_in_products_2023": _amazon,
    "reddit_cycling_mtb_velo": _cycling,
    "reddit_climbing_yoga": _climbing_yoga,
    "reddit_where2spreddit": _where2spreddit,
    "youtube_spam": _youtube,
    "instagram_scam_spam_comments": _instagram,
    "sms_spam": _sms,
    "podcast_ad_reads": _podcast,
    "affiliate_disclosures_yt_pin": _affiliate,
    "yt_trending_us_2017": _yt_trending,
    "reddit_titles_6topics": _reddit_titles,
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
    """Load the public corpora as ``text, source, topic, promo, group``; empty (with a log line) when absent."""
    root = root or default_root()
    cols = ["text", "source", "topic", "promo", "group"]
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
        df = _cap(df, "stratum" if "stratum" in df else label, cap)
        df = df.assign(source=name)
        if "group" not in df:
            df["group"] = [f"row{i}" for i in range(len(df))]
        df["group"] = name + ":" + df["group"].astype(str)
        for c in cols:
            if c not in df:
                df[c] = None
        frames.append(df[cols])
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ sub-topics for brand topics

YT_CATEGORY_NAMES = {1: "film and animation", 2: "cars and vehicles", 10: "music", 15: "pets and animals",
                     17: "sports", 19: "travel and events", 20: "video games", 22: "people and blogs", 23: "comedy",
                     24: "entertainment", 25: "news and politics", 26: "how-to and style", 27: "education",
                     28: "science and technology"}
SUBTOPIC_WORDS = {  # reddit pools: the brand topic as a brand manager might write it
    "cycling": "cycling, road bikes and mountain biking",
    "climbing": "rock climbing and bouldering",
    "yoga": "yoga practice and yoga poses",
}


def subtopic_tasks(root: Path | None = None, *, per_topic: int = 60, min_items: int = 60) -> dict[str, pd.DataFrame]:
    """Real sub-topics as custom brand topics described in words, for evaluating brand-topic relevance.

    Returns ``{source: frame}`` with columns ``text, subtopic, words``: Amazon sub-categories (the sub-category
    name is the brand's words; ``per_topic`` titles each, sub-categories with at least ``min_items``), Reddit
    cycling / climbing / yoga, and YouTube trending categories (category name as words). Empty when absent.
    """
    root = root or default_root()
    out: dict[str, pd.DataFrame] = {}
    f = root / "amazon_in_products_2023" / "Amazon-Products.csv"
    if f.exists():
        df = pd.read_csv(f, usecols=["name", "sub_category"]).dropna()
        df = df.assign(text=df["name"].map(_clean)).drop_duplicates(subset=["text"])
        counts = df["sub_category"].value_counts()
        keep = counts[counts >= min_items].index
        df = df[df["sub_category"].isin(keep)]
        df = df.groupby("sub_category").sample(n=per_topic, random_state=SEED)
        out["amazon_subcategories"] = pd.DataFrame({"text": df["text"].to_numpy(),
                                                    "subtopic": df["sub_category"].to_numpy(),
                                                    "words": df["sub_category"].to_numpy()})
    parts = []
    if (root / "reddit_cycling_mtb_velo").is_dir():
        c = _cycling(root)
        c = c[c["text"].str.len() > 0].drop_duplicates(subset=["text"])
        parts.append(c.sample(n=min(len(c), 300), random_state=SEED).assign(subtopic="cycling"))
    if (root / "reddit_climbing_yoga").is_dir():
        cy = _climbing_yoga(root).dropna(subset=["topic"])
        cy = cy[cy["text"].str.len() > 0].drop_duplicates(subset=["text"])
        for topic, name in (("sports_outdoor", "climbing"), ("fitness", "yoga")):
            g = cy[cy["topic"] == topic]
            parts.append(g.sample(n=min(len(g), 300), random_state=SEED).assign(subtopic=name))
    if parts:
        r = pd.concat(parts, ignore_index=True)
        out["reddit_cycling_climbing_yoga"] = pd.DataFrame({"text": r["text"], "subtopic": r["subtopic"],
                                                            "words": r["subtopic"].map(SUBTOPIC_WORDS)})
    f = root / "yt_trending_us_2017" / "USvideos.csv"
    if f.exists():
        df = pd.read_csv(f).drop_duplicates(subset=["video_id"])
        df = df[df["category_id"].isin(list(YT_CATEGORY_NAMES))]
        rows = []
        for title, tags, cat in zip(df["title"], df["tags"], df["category_id"]):
            tag_list = [t.strip().strip('"') for t in str(tags).split("|") if t.strip() and t.strip() != "[none]"]
            rows.append((_clean(f"{title} " + ", ".join(tag_list[:YT_MAX_TAGS])), YT_CATEGORY_NAMES[int(cat)]))
        y = pd.DataFrame(rows, columns=["text", "subtopic"])
        counts = y["subtopic"].value_counts()
        y = y[y["subtopic"].isin(counts[counts >= 25].index)]
        y = pd.concat([g.sample(n=min(len(g), 120), random_state=SEED) for _, g in y.groupby("subtopic")])
        out["yt_categories"] = y.assign(words=y["subtopic"]).reset_index(drop=True)
    return out
