"""Explicit *paid* ad disclosures, and the promo floor they set.

A caption that says ``#ad``, ``#sponsored``, "paid partnership with", "sponsored by @brand" or "this video is
brought to you by" is an advert by the annotation guide's first rule (``data/labeled/GUIDE.md``: paid / sponsored
posts are promo, disclosed or not). Of the 437 labelled texts (ours and the public corpora) that carry one, 433 are
promo. The heads are additive, though: in a long caption the story around ``#ad`` outweighs the cue (a 1,400
character race report ending ``#ad #sponsored`` scored 0.27 under ``relevance@18``, below its threshold 0.46). A model
trained with ``promo.disclosure_floor`` never scores a text that carries a paid disclosure below that floor.

Gifted / PR wording is not a paid disclosure here: a gifted item reviewed critically is not promo by the guide.
What counts: paid hashtags (``#ad``, ``#sponsored``, ``#paidpartnership``, ``#anzeige`` ...), phrases ("paid
partnership", "sponsored by", "brought to you by" ...) and labels at the start of a line ("AD:", "[ad]",
"Anzeige:"). What cancels one: a negation up to four words back in the same clause with only fillers between ("not
an #ad", "I am not being sponsored by"; "believe it or not" is not one), "sponsored by nobody", German labels that
say unpaid ("#werbung wegen Markennennung", "unbezahlt"), and "AD:" among photo credits (an art director).

>>> from brandfit.disclosure import paid_disclosure
>>> paid_disclosure(["long story of my race ... #ad #sponsored", "not sponsored by anyone lol", "#adventure time"])
array([ True, False, False])
"""

from __future__ import annotations

import re
from typing import Final, Sequence

import numpy as np

from brandfit.errors import InputTypeError
from brandfit.text import head_and_tail

__all__ = ["PAID_HASHTAGS", "PAID_PHRASES", "MIN_FLOOR", "MAX_FLOOR", "check_floor", "paid_disclosure", "floor_logits"]

PAID_HASHTAGS: Final[tuple[str, ...]] = (
    "ad", "ads", "advert", "advertisement", "sponsored", "sponsoredpost", "partnership", "paidpartnership",
    "paidpartner", "paidad", "brandpartner", "brandambassador", "anzeige", "werbung", "publi", "publicidad",
    "publicidade", "pubblicita", "pubblicità", "sponsorisé", "sponsorise", "anuncio",
)
"""Hashtags (without ``#``, any case) that declare a paid relationship. ``#partner``, ``#sponsor`` and
``#ambassador`` are advertorial cues (:mod:`brandfit.cues`) but not here: "my #partner", "looking for a #sponsor",
"UN Goodwill #Ambassador"."""

PAID_PHRASES: Final[tuple[str, ...]] = (
    "paid partnership", "in partnership with", "in collaboration with",
    "sponsored by", "this post is sponsored", "sponsored post", "thanks for sponsoring", "for sponsoring",
    "this video is sponsored", "this episode is sponsored", "today's video is sponsored", "today's episode is sponsored",
    "brought to you by", "today's sponsor", "todays sponsor", "thanks to our sponsor", "thank you to our sponsor",
    "support for this podcast comes from", "support for this show comes from", "support for the show comes from",
    "support for this episode comes from", "paid promotion", "colaboración pagada", "colaboracion pagada",
    "colaboração paga", "colaboracao paga", "parceria paga", "partenariat rémunéré", "partenariat remunere",
)
"""Phrases (whole words, any case, any run of spaces) that declare a paid relationship."""

# Labels: "[ad]", "(ad)", "AD: ...", "ad | ...", "Anzeige:", "*Werbung" at the start of the text or of a line, or
# after a separator; "[ad]" / "(ad)" also at the very end ("(AD)" mid-sentence is atopic dermatitis, Alzheimer's ...)
_LINE_START = r"(?:\A|(?<=\n)|(?<=[|•·]\s)|(?<=[|•·]))[ \t]*"
_LABELS = (
    _LINE_START + r"(?:\[ad\]|\(ad\)|ad[ \t]*[:|])",
    r"(?:\[ad\]|\(ad\))[ \t]*(?:\Z|(?=\n))",
    _LINE_START + r"(?:[*\[(][ \t]*)?(?:anzeige|werbung)(?:[ \t]*[\]):|*]|[ \t]*(?:\Z|(?=\n)))",
)
_AD_LABEL = re.compile(r"ad[ \t]*[:|]\Z", re.IGNORECASE)
_CREDITS = re.compile(r"(?im)^[ \t]*(?:mua|dp|photo(?:grapher|graphy)?|styl(?:ing|ist|ed by)|hair|makeup|model|"
                      r"director|producer|edit(?:or|ing)?)[ \t]*[:|]")  # "AD:" among these is an art director

_NEGATIONS: Final[frozenset[str]] = frozenset({
    "not", "no", "non", "never", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "ain't", "nothing",
    "without", "keine", "kein", "nicht", "não", "nao", "pas",
})
_FILLERS: Final[frozenset[str]] = frozenset({
    "a", "an", "the", "even", "being", "been", "really", "actually", "this", "that", "it", "is", "was", "my",
    "any", "officially", "technically", "at", "all", "in", "way", "sort", "of", "kind",
})
_UNPAID = re.compile(r"(?i)\b(?:unbezahlt\w*|unbeauftragt\w*|markennennung|selbst gekauft|ohne auftrag|unpaid)\b")
_NOBODY = re.compile(r"[\s:.…-]*(?:(?:absolutely|literally)\s+)?(?:nobody|no[\s-]*one|noone|none|myself|me\b)",
                     re.IGNORECASE)
_ENDS_BY = re.compile(r"\bby\Z", re.IGNORECASE)
_CLAUSE = re.compile(r"[.!?\n]")
_WORDS = re.compile(r"[\w'’]+")


def _pattern() -> re.Pattern[str]:
    tags = "|".join(sorted(PAID_HASHTAGS, key=len, reverse=True))
    phrases = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in
                       sorted(PAID_PHRASES, key=len, reverse=True))
    return re.compile(rf"(?<![\w#@/])#(?:{tags})(?!-?\w)|(?<![\w#@/])(?:{phrases})(?![\w-])|{'|'.join(_LABELS)}",
                      re.IGNORECASE)


_PAID: Final[re.Pattern[str]] = _pattern()
MAX_SCAN: Final[int] = 10_000  # characters read per text (the rest of brandfit reads less)


def _negated(text: str, start: int, end: int) -> bool:
    """A negation up to four words back in the same clause, with only fillers between ("not an #ad", "I am not
    being sponsored by"), but not "or not" ("believe it or not #sponsored"); or a sponsor that is nobody."""
    before = text[max(0, start - 80):start]
    cut = max((m.end() for m in _CLAUSE.finditer(before)), default=0)
    words = [w.lower().replace("’", "'") for w in _WORDS.findall(before[cut:])][-5:]
    for i in range(len(words) - 1, -1, -1):
        if words[i] in _NEGATIONS:
            return not (words[i] == "not" and i > 0 and words[i - 1] == "or")
        if words[i] not in _FILLERS:
            break
    return _ENDS_BY.search(text, start, end) is not None and _NOBODY.match(text, end) is not None


def _counts(text: str, m: re.Match[str]) -> bool:
    if _negated(text, m.start(), m.end()):
        return False
    found = m.group(0).lower()
    if ("anzeige" in found or "werbung" in found) and _UNPAID.search(text):
        return False  # German law's "Werbung wegen Markennennung" / "unbezahlt": labelled, not paid
    if _AD_LABEL.search(found.strip()) and _CREDITS.search(text):
        return False
    return True


def _one(text: str) -> bool:
    text = head_and_tail(text, MAX_SCAN).replace("’", "'")  # a closing "#ad" of a long caption is read too
    return any(_counts(text, m) for m in _PAID.finditer(text))


MIN_FLOOR: Final[float] = 0.5
MAX_FLOOR: Final[float] = 0.999


def check_floor(value: object, where: str = "promo.disclosure_floor") -> float:
    """``value`` as a floor: 0 (off) or a number in [:data:`MIN_FLOOR`, :data:`MAX_FLOOR`] (a floor below 0.5 would
    not make a paid disclosure read as promo); ``ValueError`` naming ``where`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            value == 0 or MIN_FLOOR <= value <= MAX_FLOOR):
        raise ValueError(f"{where}: expected 0 (off) or a number in [{MIN_FLOOR}, {MAX_FLOOR}], got {value!r}")
    return float(value)


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
