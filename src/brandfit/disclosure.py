"""Explicit *paid* ad disclosures, and the promo floor they set.

A caption that says ``#ad``, ``#sponsored``, "paid partnership with", "sponsored by @brand" or "this video is
brought to you by" is an advert by the annotation guide's first rule (``data/labeled/GUIDE.md``: paid / sponsored
posts are promo, disclosed or not). Of the 458 labelled texts (ours and the public corpora) that carry one, 453 are
promo. The heads are additive, though: in a long caption the story around ``#ad`` outweighs the cue (a 1,400
character race report ending ``#ad #sponsored`` scored 0.27 under ``relevance@18``, below its threshold 0.46). A model
trained with ``promo.disclosure_floor`` never scores a text that carries a paid disclosure below that floor.

Gifted / PR wording is not a paid disclosure here: a gifted item reviewed critically is not promo by the guide.
A negation right before the phrase ("not sponsored by", "no #ad", "keine Werbung") or "sponsored by nobody"
cancels it.

>>> from brandfit.disclosure import paid_disclosure
>>> paid_disclosure(["long story of my race ... #ad #sponsored", "not sponsored by anyone lol", "#adventure time"])
array([ True, False, False])
"""

from __future__ import annotations

import re
from typing import Final, Sequence

import numpy as np

from brandfit.errors import InputTypeError

__all__ = ["PAID_HASHTAGS", "PAID_PHRASES", "paid_disclosure", "floor_logits"]

PAID_HASHTAGS: Final[tuple[str, ...]] = (
    "ad", "ads", "advert", "advertisement", "sponsored", "sponsor", "sponsoredpost", "partner", "partnership",
    "paidpartnership", "paidpartner", "paidad", "anzeige", "werbung", "publi", "publicidad", "brandambassador",
    "ambassador", "brandpartner",
)
"""Hashtags (without ``#``, any case) that declare a paid relationship."""

PAID_PHRASES: Final[tuple[str, ...]] = (
    "paid partnership", "in paid partnership with", "in partnership with", "in collaboration with",
    "sponsored by", "this post is sponsored", "sponsored post", "thanks for sponsoring", "for sponsoring",
    "this video is sponsored", "this episode is sponsored", "today's video is sponsored", "today's episode is sponsored",
    "brought to you by", "today's sponsor", "todays sponsor", "thanks to our sponsor", "thank you to our sponsor",
    "support for this podcast comes from", "support for this show comes from", "support for the show comes from",
    "support for this episode comes from", "anzeige",
)
"""Phrases (whole words, any case, any run of spaces) that declare a paid relationship."""

# "[AD]", "(ad)" anywhere; "AD: ..." / "ad | ..." as a label: at the start of the text or of a line, or after a separator
_BRACKETED = (r"\[ad\]", r"\(ad\)", r"(?:\A|(?<=\n)|(?<=[|•·]\s)|(?<=[|•·]))[ \t]*ad[ \t]*[:|]")

_NEGATIONS: Final[frozenset[str]] = frozenset({
    "not", "no", "non", "never", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "ain't", "nothing",
    "without", "keine", "kein", "nicht", "sin", "não", "nao", "pas",
})
_NOBODY = re.compile(r"\s*(?:nobody|no\s*one|noone|myself|me,|literally no)", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"([\w'’]+)\W*$")


def _pattern() -> re.Pattern[str]:
    tags = "|".join(sorted(PAID_HASHTAGS, key=len, reverse=True))
    phrases = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in
                       sorted(PAID_PHRASES, key=len, reverse=True))
    return re.compile(rf"(?<![\w#@])#(?:{tags})(?![\w])|(?<![\w#@])(?:{phrases})(?![\w])|{'|'.join(_BRACKETED)}",
                      re.IGNORECASE)


_PAID: Final[re.Pattern[str]] = _pattern()
MAX_SCAN: Final[int] = 10_000  # characters read per text (the rest of brandfit reads less)


def _negated(text: str, start: int, end: int) -> bool:
    before = _WORD_BEFORE.search(text[max(0, start - 24):start])
    if before and before.group(1).lower().replace("’", "'") in _NEGATIONS:
        return True
    return text[start:end].lower().endswith(" by") and _NOBODY.match(text, end) is not None


def _one(text: str) -> bool:
    text = text[:MAX_SCAN].replace("’", "'")
    return any(not _negated(text, m.start(), m.end()) for m in _PAID.finditer(text))


def paid_disclosure(texts: Sequence[str]) -> np.ndarray:
    """One bool per text: does it carry an explicit paid disclosure (not negated)? Non-strings are False."""
    if isinstance(texts, str):
        raise InputTypeError("texts: expected a sequence of strings, got a single str; wrap it in a list")
    return np.fromiter((isinstance(t, str) and _one(t) for t in texts), dtype=bool, count=len(texts))


def floor_logits(logits: np.ndarray, paid: np.ndarray, floor: float) -> np.ndarray:
    """``logits`` raised to ``logit(floor)`` where ``paid`` (0 < floor < 1; ``floor`` 0 leaves them as they are)."""
    if floor <= 0 or not paid.any():
        return logits
    low = float(np.log(floor / (1.0 - floor)))
    return np.where(paid, np.maximum(logits, low), logits)
