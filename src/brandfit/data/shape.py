"""Surface shape of labeled texts: do they look like real captions, and do surface marks give the label away?

Real posts are short, emoji-heavy, rarely end with a full stop, and carry @mentions, hashtags and links in
organic posts too. :func:`shape_stats` measures that on posts, plus the *shortcut rates*: the share of promo among
texts carrying an @mention, a hashtag or a link (if that share is far above the overall promo share, a model can
learn "has a link" instead of "sells something").

>>> import pandas as pd
>>> df = pd.DataFrame({"kind": ["post", "post", "bio"], "text": ["leg day 💪 #gym", "Use code X10 at shop.com.", "coach"],
...                    "promo": [False, True, False], "account_id": ["a", None, "a"]})
>>> s = shape_stats(df)
>>> s["posts"], s["post_under_40"], s["post_emoji"], s["promo_given_link"], s["grouped"]
(2, 1.0, 0.5, 1.0, 0.6666666666666666)
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from brandfit.text import EMOJI_PATTERN as _EMOJI

__all__ = ["SHAPE_LABELS", "shape_stats", "shape_table"]

_HASHTAG = re.compile(r"(?<![\w&])#\w+")
_MENTION = re.compile(r"(?<![\w.])@[A-Za-z0-9_.]+")
_LINK = re.compile(r"https?://\S+|www\.\S+|\b[\w-]+\.(?:com|co|io|ly|to|me|gg|ee|app|shop|store|link|net|org|de|uk|in)"
                   r"(?:/\S*)?\b|linktr\.ee|\blink in (?:my )?bio\b|\blink below\b|\bbio link\b", re.I)
_EMOJI_RE = re.compile(f"[{_EMOJI}]")
_DIGIT = re.compile(r"\d")

SHAPE_LABELS = {
    "posts": "posts",
    "post_under_40": "posts < 40 chars",
    "post_median_words": "post median words",
    "post_hashtag": "posts with #",
    "post_3_hashtags": "posts with 3+ #",
    "post_emoji": "posts with emoji",
    "post_digit": "posts with a digit",
    "post_end_punct": "posts ending .!?",
    "promo": "promo share (all texts)",
    "promo_given_mention": "promo | @mention",
    "promo_given_hashtag": "promo | hashtag",
    "promo_given_link": "promo | link",
    "grouped": "texts in accounts",
}


def _share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else float("nan")


def shape_stats(df: pd.DataFrame) -> dict[str, Any]:
    """Shape shares over posts (``kind == "post"``) and shortcut rates over all texts of ``df``."""
    text = df["text"].astype(str)
    posts = text[df["kind"] == "post"]
    n_hash = posts.map(lambda t: len(_HASHTAG.findall(t)))
    promo = df["promo"].astype(bool)
    has_mention = text.map(lambda t: bool(_MENTION.search(t)))
    has_hash = text.map(lambda t: bool(_HASHTAG.search(t)))
    has_link = text.map(lambda t: bool(_LINK.search(t)))
    return {
        "posts": int(len(posts)),
        "post_under_40": _share(posts.str.len() < 40),
        "post_median_words": float(posts.str.split().str.len().median()) if len(posts) else float("nan"),
        "post_hashtag": _share(n_hash >= 1),
        "post_3_hashtags": _share(n_hash >= 3),
        "post_emoji": _share(posts.map(lambda t: bool(_EMOJI_RE.search(t)))),
        "post_digit": _share(posts.map(lambda t: bool(_DIGIT.search(t)))),
        "post_end_punct": _share(posts.str.rstrip().str[-1:].isin([".", "!", "?"])),
        "promo": _share(promo),
        "promo_given_mention": _share(promo[has_mention]),
        "promo_given_hashtag": _share(promo[has_hash]),
        "promo_given_link": _share(promo[has_link]),
        "grouped": _share(df["account_id"].notna()),
    }


def shape_table(df: pd.DataFrame, by: str | None = "source") -> pd.DataFrame:
    """:func:`shape_stats` for all of ``df`` (row ``all``) and, if ``by`` is a column, for each of its values."""
    rows = {"all": shape_stats(df)}
    if by and by in df.columns:
        for key, part in df.groupby(by, sort=True):
            rows[str(key).rsplit("/", 1)[-1]] = shape_stats(part)
    table = pd.DataFrame(rows).T
    table["posts"] = table["posts"].astype(int)
    return table.rename(columns=SHAPE_LABELS)
