"""Training-time decoration of organic texts with neutral @mentions, hashtags and links.

Our authored data and the public spam corpora put @mentions, hashtags and links mostly in ads, so a head learns
"a link = an ad". Adding decorated copies of texts labelled *not promo* (a friend tagged, an everyday hashtag, a
news or map link) teaches it that these are ordinary social text. Seeded and deterministic.

>>> decorate(["great hike today"], seed=1)[0].startswith("great hike today ")
True
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["decorate", "MENTIONS", "HASHTAGS", "LINKS"]

# everyday decorations; none of them is a disclosure, a shop or a shortener (those are real promo cues)
MENTIONS = ("@sam_k", "@lena.h", "@mike_runs", "@the.ortiz.family", "@anna_b", "@jk_photos", "@dad_jokes_daily",
            "@maria.lopez", "@tom_w", "@coffee_club_nyc", "@ravi.s", "@oldfriend88")
HASHTAGS = ("#weekend", "#mood", "#family", "#sunset", "#tbt", "#friends", "#mondaymotivation", "#happy",
            "#nofilter", "#throwback", "#photooftheday", "#love", "#life", "#goodvibes", "#saturday", "#memories",
            "#travel", "#home", "#nature", "#fun")
LINKS = ("https://en.wikipedia.org/wiki/Main_Page", "https://www.bbc.co.uk/news/world-123456",
         "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://github.com/someone/project",
         "https://maps.google.com/?q=park", "https://www.nytimes.com/2017/05/02/science/story.html",
         "https://www.reddit.com/r/AskReddit/comments/abc123/", "https://imgur.com/a/Xy12Ab",
         "https://twitter.com/someone/status/123456789", "https://www.theguardian.com/sport/2018/jun/01/report")
_KINDS = ("mention", "hashtag", "link", "mention+hashtag", "hashtag+link", "all")


def decorate(texts: Sequence[str], *, seed: int = 0) -> list[str]:
    """Each text with one randomly chosen decoration appended (a mention, one to three hashtags, a link, or a mix)."""
    rng = np.random.default_rng(seed)
    out = []
    for t in texts:
        kind = _KINDS[rng.integers(len(_KINDS))]
        parts = []
        if "mention" in kind or kind == "all":
            parts.append(MENTIONS[rng.integers(len(MENTIONS))])
        if "hashtag" in kind or kind == "all":
            parts.extend(rng.choice(HASHTAGS, size=int(rng.integers(1, 4)), replace=False).tolist())
        if "link" in kind or kind == "all":
            parts.append(LINKS[rng.integers(len(LINKS))])
        out.append(f"{t} {' '.join(parts)}")
    return out
