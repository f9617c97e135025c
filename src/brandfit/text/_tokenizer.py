"""A spaCy tokenizer for social text: hashtags, mentions, URLs, prices, percentages and codes stay whole.

spaCy's English defaults split ``#ad`` into ``#`` + ``ad``, ``$49.99`` into ``$`` + ``49.99`` and ``20%`` into ``20``
+ ``%``. Following the spaCy "customizing the tokenizer" recipe, this module

* adds a ``token_match`` for the social tokens (checked before any affix is split off), and
* narrows the affix rules that would still cut them once punctuation is glued on (``(#ad)``, ``$49.99!``,
  ``(20%``): ``#`` and currency symbols are prefixes only when no word / digit follows, and the suffix rules that
  split ``%`` or a currency symbol off a number are dropped.

Kept whole: ``#ad``, ``#TrailRunning``, ``#ad#sponsored``, ``@nike_run``, ``@coach.mira``, URLs (spaCy's own
``url_match``), ``$49.99``, ``49,99€``, ``£20``, ``1.299,00€``, ``20%``, ``-30%``, ``+5.5%`` and discount codes:
an upper-case word of 3+ characters with at least one letter and one digit (``GLOW20``, ``TRAIL15``, ``20OFF``).
Outer punctuation is still split off: ``(#ad)`` -> ``(``, ``#ad``, ``)``.

spaCy is imported only when a tokenizer is built.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer

__all__ = ["SOCIAL_TOKEN_RE", "get_nlp", "social_tokenizer"]

_CURRENCY = "$€£¥₹₩₽₺₴₿"
SOCIAL_TOKEN_RE = re.compile(
    r"^(?:"
    r"(?:#\w+)+(?:@\w+(?:\.\w+)*)?"  # hashtags, glued hashtags
    r"|@\w+(?:\.\w+)*"  # mentions (Instagram allows dots)
    rf"|[-+]?[{_CURRENCY}]\d+(?:[.,]\d+)*(?:[kKmM])?"  # $49.99, £20, $1,299, €5k
    rf"|[-+]?\d+(?:[.,]\d+)*[{_CURRENCY}]"  # 49,99€, 1.299,00€
    r"|[-+]?\d+(?:[.,]\d+)?%"  # 20%, -30%, +5.5%
    r"|(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*[0-9])[A-Z0-9]{3,}"  # GLOW20, TRAIL15, 20OFF
    r")$"
)


def social_tokenizer(nlp: Language | None = None) -> Tokenizer:
    """A tokenizer over ``nlp``'s vocabulary (a fresh ``spacy.blank("en")`` when ``None``); see the module doc."""
    from brandfit._imports import import_spacy

    spacy = import_spacy()
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    if nlp is None:
        nlp = spacy.blank("en")
    defaults = nlp.Defaults
    prefixes = [p for p in (defaults.prefixes or []) if p not in _PREFIXES_TO_NARROW]
    prefixes += [r"#(?!\w)", rf"[{_CURRENCY}](?![0-9])"]
    suffixes = [_narrow_suffix(s) for s in (defaults.suffixes or [])]
    suffixes = [s for s in suffixes if s is not None] + [rf"(?<=[{_CURRENCY}])\."]  # "49,99€." ends a sentence
    return Tokenizer(
        nlp.vocab,
        rules=dict(defaults.tokenizer_exceptions or {}),
        prefix_search=compile_prefix_regex(prefixes).search,
        suffix_search=compile_suffix_regex(suffixes).search,
        infix_finditer=compile_infix_regex(defaults.infixes or []).finditer,
        token_match=SOCIAL_TOKEN_RE.match,
        url_match=defaults.url_match,
    )


# Default English prefixes replaced by narrower ones above: "#" and currency signs followed by a word or digit.
_PREFIXES_TO_NARROW = frozenset({"#", r"\$", "£", "€", "¥", "₹"})


def _narrow_suffix(pattern: str) -> str | None:
    """Drop the "currency after a number" suffix and the ``%`` of the "unit after a number" suffix."""
    if pattern.startswith("(?<=[0-9])(?:") and r"\$" in pattern and "€" in pattern:
        return None  # 49,99€ stays one token
    if pattern.startswith("(?<=[0-9])(?:") and "|%|" in pattern:
        return pattern.replace("|%|", "|")  # 20% stays one token; 20kg still splits
    return pattern


@functools.lru_cache(maxsize=1)
def get_nlp() -> Language:
    """``spacy.blank("en")`` with :func:`social_tokenizer` installed; built once per process."""
    from brandfit._imports import import_spacy

    spacy = import_spacy()

    nlp = spacy.blank("en")
    nlp.tokenizer = social_tokenizer(nlp)
    return nlp
