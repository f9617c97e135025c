"""Social-text normalisation: the step between a raw caption or bio and the embedder / cue matcher.

* :func:`clean` - Unicode NFKC, invisible characters out, typographic quotes and dashes made plain, whitespace
  collapsed. Hashtags, @mentions, URLs, emoji, prices and codes stay as written: this is what the promo-cue matcher
  reads.
* :func:`normalize` - what gets embedded: :func:`clean`, then hashtags become words (``#TrailRunning`` -> ``trail
  running``), mention / hashtag / emoji walls are capped, URLs become their host, repeated punctuation and
  elongations are squeezed, emoji become words (``💄`` -> ``lipstick``), figurative senses of the verticals' words
  are written in plain words (``makeup exam`` -> ``resit exam``), known names are followed by what they are
  (``kipchoge`` -> ``kipchoge (marathon runner)``), and the text is cut at a word boundary to :data:`MAX_CHARS`
  characters.
* :func:`known_names` / :func:`named_verticals` - the known names a text names, with their vertical and gloss
  (``"kipchoge (marathon runner)"`` -> ``{"sports_outdoor"}``), and :func:`names_text`, the text a model's names
  prior reads them in (emoji written as a mark, so that no name is made of their words; :mod:`brandfit.names_prior`).
* :func:`squeeze_repeats` - runs of one punctuation mark, symbol or emoji longer than 4 cut to 4, and runs of more
  than 16 such characters to their first 16 (what keeps a ``"!" * 5000`` post cheap).
* :func:`segment_hashtag` - ``"#skincareroutine"`` -> ``["skincare", "routine"]``.
* :func:`get_nlp` / :func:`tokenizer` - a spaCy ``blank("en")`` pipeline whose tokenizer keeps hashtags, mentions,
  URLs, prices, percentages and discount codes whole (spaCy is imported only when these are called).

>>> from brandfit.text import normalize
>>> normalize("Use code GLOW20 for -30%!!!! 🔥🔥 #SkinCareRoutine #ad @glowlab https://www.glowlab.com/shop")
'Use code GLOW20 for -30%!! fire skin care routine ad @glowlab glowlab.com'

All functions are deterministic and never raise on a ``str`` (a non-``str`` is a ``TypeError``);
``normalize`` and ``clean`` are idempotent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brandfit.text._normalize import _EMOJI as EMOJI_PATTERN
from brandfit.text._names import KnownName, known_names, named_verticals
from brandfit.text._normalize import MAX_CHARS, NORMALIZATION_VERSION, clean, emoji_words, names_text, normalize
from brandfit.text._repeats import MAX_RUN, MAX_SCAN_CHARS, MAX_SYMBOL_RUN, head_and_tail, squeeze_repeats
from brandfit.text._segment import segment_hashtag

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer

__all__ = ["EMOJI_PATTERN", "MAX_CHARS", "MAX_RUN", "MAX_SCAN_CHARS", "MAX_SYMBOL_RUN", "NORMALIZATION_VERSION", "clean", "head_and_tail",
           "emoji_words", "get_nlp", "KnownName", "known_names", "named_verticals", "names_text", "normalize", "segment_hashtag", "squeeze_repeats", "tokenizer"]


def tokenizer(nlp: Language | None = None) -> Tokenizer:
    """A spaCy tokenizer for social text, sharing ``nlp``'s vocabulary (a new ``spacy.blank("en")`` if ``None``).

    Install it with ``nlp.tokenizer = tokenizer(nlp)``; :func:`get_nlp` returns a pipeline that already has it.
    """
    from brandfit.text._tokenizer import social_tokenizer

    return social_tokenizer(nlp)


def get_nlp() -> Language:
    """The process-wide ``spacy.blank("en")`` pipeline with :func:`tokenizer` installed (built once, cached)."""
    from brandfit.text._tokenizer import get_nlp as _get_nlp

    return _get_nlp()
