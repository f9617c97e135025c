"""``clean`` (what the cue matcher reads) and ``normalize`` (what gets embedded).

``clean(text)``
    1. Unicode NFKC (full-width letters, ligatures, styled "𝐛𝐨𝐥𝐝" letters and ``…`` become plain characters).
    2. Invisible characters are removed: format characters (zero-width space/joiners, bidi marks and isolates, BOM,
       soft hyphen), control characters other than whitespace, and lone surrogates. A zero-width joiner survives
       only inside an emoji sequence (👩‍💻) and tag characters only in a subdivision flag (🏴 + tags).
    3. Typographic quotes become ``'`` / ``"``, dashes and the minus sign become ``-``; invisible "blank"
       characters (U+2800 used for Instagram line breaks, Hangul fillers) become spaces.
    4. Whitespace runs (newlines included) become one space; the ends are trimmed.
    Hashtags, @mentions, URLs, e-mail addresses, emoji, prices and codes are left as they are.

``normalize(text)`` = ``clean`` and then, in one left-to-right pass:
    * hashtags become words: ``#TrailRunning`` -> ``trail running``, ``#fitfam`` -> ``fit fam``, ``#trail-running``
      -> ``trail running``, ``#OOTD`` -> ``outfit of the day`` (a few well-known abbreviations are spelled out, see
      ``_ABBREVIATIONS``). Only the first ``MAX_HASHTAGS`` (12) distinct hashtags are kept, so hashtag walls are
      cut. A tag without letters (``#1``) is kept as it is. Glued tags (``#ad#sponsored``) count one by one and are
      set apart from glued text (``loved it.#ad`` -> ``loved it. ad``).
    * @mentions are kept as written, at most ``MAX_MENTIONS`` (3) distinct ones.
    * URLs become their host: ``https://amzn.to/3xYz`` -> ``amzn.to``, ``www.nike.com/x`` -> ``nike.com`` (lower
      case, ``www.`` dropped); a bare domain with a path (``bit.ly/3abc``) keeps its domain as written; a URL
      without a usable host (``https://`` alone) is dropped. E-mail addresses are kept.
    * emoji: a run of the same emoji (``🔥🔥🔥``, ``🔥 🔥``) becomes one and at most ``MAX_EMOJI`` (3) are kept in
      total. A flag, a keycap (1️⃣) or a ZWJ sequence (👩‍💻) counts as one emoji. Each kept emoji is then written
      as its English CLDR name (``emoji.demojize``; underscores and punctuation become spaces, lower case, skin tone
      dropped): ``💄`` -> ``lipstick``, ``👩‍💻`` -> ``woman technologist``, ``🇺🇸`` -> ``the united states``.
      From version 6 a flag whose name starts with "united" (the United States, Kingdom, Arab Emirates, Nations) is
      said with "the" before it, so the word before it never makes a name with "united": version 5 read "Family
      man 🇺🇸" as "man united states" and "Leeds 🇬🇧" as "leeds united kingdom", football clubs. From version 7
      the "the" is left out when the word before the flag is already "the" ("back in the 🇺🇸" -> "back in the
      united states", not "the the"; a handle ``@the`` is not the word). From version 8 an emoji's words that would
      make a known name with the words next to them are kept apart from them by a comma ("shipping is free 🔥" ->
      "shipping is free , fire", not the game "free fire"; "👨 united" -> "man , united"), except a flag's ("tour de
      🇫🇷" is the race): no name is made of the words of emoji, as the names prior has always read them.
      MiniLM's tokenizer reads every emoji as ``[UNK]``; the words carry the meaning into the embedding.
      ``normalize(text, emoji_words=False)`` keeps the emoji characters (as normalisation version 1 did);
      without the ``emoji`` package installed emoji are kept too, with a warning logged once.
    * repeated punctuation is squeezed (``!!!!!`` -> ``!!``, ``?!?!?`` -> ``?!``, ``.....`` -> ``...``, other
      ASCII marks to two) and elongated words too (``soooooo`` -> ``sooo``: 4+ identical letters become 3).
    * figurative senses of the verticals' words are written in plain words (``makeup exam`` -> ``resit exam``,
      ``social battery`` -> ``social energy``, ``running late`` -> ``late``): a fixed table of unambiguous idioms
      and set phrases, ``brandfit.text._senses``; a phrase that starts inside a handle (``@running late``,
      ``@the.running late``) is left alone (from version 5). ``normalize(text, senses=False)`` skips it.
    * known names are followed by what they are, in plain words (``KIPCHOGE IN BERLIN`` -> ``KIPCHOGE (marathon
      runner) IN BERLIN``): a fixed table of unambiguous names of athletes, clubs, races, labels, products,
      creators and games, ``brandfit.text._names``, after the cut below and only while the text stays within
      ``MAX_CHARS``; version 5 reads a larger table than version 4, version 7 a larger one again, and version 8
      the same table without the aliases a review found in everyday use.
      ``normalize(text, names=False)`` skips it.
    * ``normalize(text, version=N)`` is exactly what normalisation version ``N`` wrote (1 to
      :data:`NORMALIZATION_VERSION`): a model reads text the way it was trained.
    * the result is cut to at most ``MAX_CHARS`` (1000) characters, at the last space before the limit (a single
      1000+ character "word" is cut inside it). The embedding model reads 256 word pieces, roughly 1000 characters
      of English; longer text would be truncated by the model anyway, and cutting here keeps the cost bounded.
    Case of ordinary words is kept; hashtag words are lower case.

Idempotence is kept by construction: whatever ``normalize`` drops leaves a space, and hashtag words are set apart
from neighbours they would otherwise fuse with (``#www.`` would read as a URL on a second pass). A property test
(hypothesis) checks it on arbitrary text and on text built from the tricky pieces.

Speed: text is scanned one space-separated chunk at a time; chunks that cannot hold a token are passed through
with a few ``str`` checks, and the plan for the others (hashtags, emoji runs, links) is cached per chunk, like
hashtag segmentations, with ``functools.lru_cache``.

Both functions are deterministic, idempotent (``f(f(x)) == f(x)``), never raise for a ``str`` and raise
``TypeError`` for anything else.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from typing import Callable, Final, NamedTuple, Union, cast

from brandfit.text._names import NamePairs, gloss_names, last_word, name_pairs, names_across, strip_glosses
from brandfit.text._repeats import MAX_SCAN_CHARS, squeeze_repeats
from brandfit.text._segment import _segment
from brandfit.text._senses import plain_senses

__all__ = ["EMOJI_MARK", "MAX_CHARS", "MAX_EMOJI", "MAX_HASHTAGS", "MAX_MENTIONS", "NORMALIZATION_VERSION", "clean",
           "emoji_words", "names_text",
           "normalize"]

NORMALIZATION_VERSION: Final[int] = 8
"""Bumped whenever ``normalize`` output changes for the same input (models record the version they were trained
with). 1: emoji kept as characters; 2: emoji written as words; 3: figurative senses of the verticals' words in
plain words (``brandfit.text._senses``); 4: known names glossed (``brandfit.text._names``); 5: a larger table of
names (``resources/names_v5.tsv`` added), and no figurative sense read inside a handle; 6: "the" before a flag whose
name starts with "united" (``🇺🇸`` -> ``the united states``), so no name is made of the word before it and the
flag's ("family man" + "united states" read as Manchester United); 7: a third table of names
(``resources/names_v7.tsv``), and no second "the" before such a flag ("in the 🇺🇸" -> ``in the united states``);
8: aliases of the older tables found in everyday use retired (``resources/names_retired_v8.tsv``: "summer 2k25
dump" names no video game), and an emoji's words never make a name with the words next to them (``free 🔥`` ->
``free , fire``, not the game "free fire"; flags excepted: ``tour de 🇫🇷``)."""

MAX_CHARS: Final[int] = 1000
"""``normalize`` output is at most this many characters (cut at a word boundary)."""
MAX_HASHTAGS: Final[int] = 12
MAX_MENTIONS: Final[int] = 3
MAX_EMOJI: Final[int] = 3

_ABBREVIATIONS: Final[dict[str, str]] = {
    "ootd": "outfit of the day",
    "ootn": "outfit of the night",
    "grwm": "get ready with me",
    "motd": "makeup of the day",
    "fotd": "face of the day",
    "sotd": "scent of the day",
    "wiw": "what i wore",
    "tbt": "throwback thursday",
    "fbf": "flashback friday",
    "wod": "workout of the day",
    "nyfw": "new york fashion week",
    "lfw": "london fashion week",
    "pfw": "paris fashion week",
    "pnw": "pacific northwest",
    "edc": "everyday carry",
}

# ---------------------------------------------------------------------------------------------------- clean


def _invisible_class() -> str:
    """Format characters (Unicode 14 ``Cf``) but ZWJ and tags, non-whitespace controls, surrogates."""
    cf = (
        "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200c\u200e\u200f\u202a-\u202e"
        "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
        "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    )
    controls = "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"  # \t\n\v\f\r, \x1c-\x1f and \x85 are whitespace
    return f"[{cf}{controls}\ud800-\udfff]"


def _emoji_class() -> str:
    """Body of a character class of emoji bases: symbols and pictographs that NFKC leaves alone and ``\\w`` misses."""
    blocks = (
        (0x2190, 0x21FF), (0x2300, 0x23FF), (0x25A0, 0x27BF), (0x2900, 0x297F), (0x2B00, 0x2BFF),
        (0x3030, 0x3030), (0x303D, 0x303D), (0x1F000, 0x1FAFF),
    )  # fmt: skip
    cps = [
        cp
        for lo, hi in blocks
        for cp in range(lo, hi + 1)
        if not chr(cp).isalnum()
        and unicodedata.category(chr(cp))[0] != "M"
        and unicodedata.normalize("NFKC", chr(cp)) == chr(cp)
    ]
    parts = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(chr(cps[i]) if i == j else f"{chr(cps[i])}-{chr(cps[j])}")
        i = j + 1
    return "".join(parts)


_INVISIBLE_RE = re.compile(_invisible_class())
_TAGS = "\U000e0020-\U000e007f"
_TAG_RE = re.compile(f"(\U0001f3f4[{_TAGS}]+)|[{_TAGS}]")
_EMOJI = _emoji_class()
_MOD = f"[\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff{_TAGS}]"
_CLUSTER = (
    f"[\U0001f1e6-\U0001f1ff]{{2}}"  # a flag: two regional indicators
    f"|[#*0-9]\ufe0f?\u20e3"  # a keycap
    f"|[{_EMOJI}]{_MOD}*(?:\u200d[{_EMOJI}]{_MOD}*)*"  # an emoji, its modifiers, ZWJ sequences
)
_ZWJ_RE = re.compile(f"({_CLUSTER})|\u200d")

_PUNCT_MAP: Final[dict[str, str]] = {
    **{c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc"},
    **{c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"},
    **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212"},
    **{c: " " for c in "\u2800\u115f\u1160\u3164\uffa0"},
}
_PUNCT_RE = re.compile(f"[{''.join(_PUNCT_MAP)}]")
# one scan decides whether any of the slower steps is needed
_SPECIAL_RE = re.compile(f"{_INVISIBLE_RE.pattern[:-1]}\u200d{_TAGS}{''.join(_PUNCT_MAP)}]")
_ASCII_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1b\x7f]")


def _keep_group(m: re.Match[str]) -> str:
    return m.group(1) or ""


def _strip_invisible(text: str) -> str:
    if _INVISIBLE_RE.search(text):
        text = _INVISIBLE_RE.sub("", text)
    if _TAG_RE.search(text):
        text = _TAG_RE.sub(_keep_group, text)
    if "\u200d" in text:
        text = _ZWJ_RE.sub(_keep_group, text)
    return text


def _map_punct(m: re.Match[str]) -> str:
    return _PUNCT_MAP[m.group()]


def clean(text: str) -> str:
    """Unicode and whitespace clean-up that keeps every cue intact; see the module docstring.

    >>> clean("  Use code\u200b GLOW20 \u2014 \u201csooo good\u201d\\n\\n#ad  ")
    'Use code GLOW20 - "sooo good" #ad'
    """
    if not isinstance(text, str):
        raise TypeError(f"clean() expects str, got {type(text).__name__}")
    if text.isascii():
        if not text.isprintable() and _ASCII_CONTROL_RE.search(text):
            text = _ASCII_CONTROL_RE.sub("", text)
        return " ".join(text.split())
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _SPECIAL_RE.search(text):
        # Removing characters can make NFKC compose again (e + ZWSP + combining acute), so repeat until stable;
        # every round removes at least one character, so this ends, in practice after at most two rounds.
        while True:
            stripped = _strip_invisible(text)
            if stripped == text:
                break
            text = unicodedata.normalize("NFKC", stripped)
        if _PUNCT_RE.search(text):
            text = _PUNCT_RE.sub(_map_punct, text)
    return " ".join(text.split())


# ------------------------------------------------------------------------------------------------ normalize

_log = logging.getLogger(__name__)
_SKIN_TONE_RE = re.compile(r"\b(?:medium light|medium dark|light|medium|dark) skin tone\b|\bskin tone\b")
_NOT_WORD_RE = re.compile(r"[^\w' ]+")
_demojize: object = None


_demojize_lock = threading.RLock()
_demojize_loading = False  # set while the emoji package is imported: a re-entry means something ran brandfit again


def _load_demojize() -> None:
    """Import ``emoji`` and build its name table and search tree once, under a lock. The package builds both lazily
    on its first call and is not thread-safe while doing so: two threads converting their first emoji at once (the
    cue thread and the encoder's, a Ray actor's, the server's) could see a half-built tree, leave an emoji
    unconverted, and :func:`emoji_words` would then cache that wrong answer for the life of the process.

    A module named ``emoji`` that is not the package (a user's own ``emoji.py`` in the working folder) is an
    :class:`ImportError` naming its file: emoji written as themselves would quietly change what every model reads,
    and importing such a script can run brandfit again from inside this lock (which is then refused, not a hang)."""
    global _demojize, _demojize_loading
    with _demojize_lock:
        if _demojize is not None:
            return
        if _demojize_loading:
            raise ImportError("importing the emoji package ran brandfit again: a file named emoji.py (in the working "
                              "folder or on sys.path) hides the emoji package; rename it")
        _demojize_loading = True
        try:
            import emoji
        except ModuleNotFoundError as exc:  # pragma: no cover - emoji is a dependency
            if exc.name != "emoji":
                raise
            _log.warning("the emoji package is not installed: emoji are embedded as written (normalisation v1)")
            _demojize = False
            return
        finally:
            _demojize_loading = False
        demojize = getattr(emoji, "demojize", None)
        if not callable(demojize):
            raise ImportError(f"'emoji' is {getattr(emoji, '__file__', None) or emoji!r}, not the emoji package that "
                              "brandfit needs: rename that file")
        demojize("\U0001f525", delimiters=("\x00", "\x00"))  # loads the English names and the search tree
        _demojize = demojize


@functools.lru_cache(maxsize=1 << 12)
def emoji_words(cluster: str) -> str:
    """One emoji (or flag, keycap, ZWJ sequence) as lower-case words: ``"💄"`` -> ``"lipstick"``.

    Returns ``cluster`` unchanged when the ``emoji`` package does not know it (or is not installed).
    """
    if _demojize is None:
        _load_demojize()
    if not _demojize:
        return cluster
    name = _demojize(cluster, delimiters=("\x00", "\x00"))  # type: ignore[operator]
    if "\x00" not in name:
        return cluster
    words = _NOT_WORD_RE.sub(" ", name.replace("\x00", " ").replace("_", " ").replace("-", " ").lower())
    words = " ".join(_SKIN_TONE_RE.sub(" ", words).split())
    return words or " "

_TLDS = (
    "com|net|org|edu|gov|io|co|ly|to|gl|me|ai|app|dev|gg|tv|fm|so|sh|link|page|site|shop|store|online|blog|club"
    "|xyz|info|biz|uk|de|fr|es|it|nl|be|at|ch|eu|us|ca|au|nz|ie|in|jp|br|mx|se|no|dk|fi|pl|pt|ru"
)
_URL_BODY = f'[^\\s<>"{_EMOJI}]*+'
_WORD_CHAR = r"(?:(?![0-9]\ufe0f?\u20e3)\w)"  # a keycap (1️⃣) is an emoji, not the end of a tag or a name
_HASH = f"#{_WORD_CHAR}++(?:-{_WORD_CHAR}++)*+(?!\\.{_WORD_CHAR}|://)"  # "#trail-running" is one tag
_MENTION = f"@{_WORD_CHAR}++(?:\\.{_WORD_CHAR}++)*+"
# Tokens never contain a space and every look-around is satisfied by a space as by the string's ends, so text is
# tokenized one space-separated chunk at a time, and chunks are cached (hashtags and emoji runs repeat a lot).
_TOKEN_RE = re.compile(
    f"(?P<url>(?<![\\w.@/-])(?i:https?://|w{{3,}}\\d{{0,3}}\\.){_URL_BODY})"
    r"|(?P<email>(?<![\w.+-])[\w.+-]++@[^\W_][\w-]*+(?:\.[\w-]++)++)"
    f"|(?P<chain>(?<![\\w#@])(?:{_HASH}|{_MENTION})++)"
    f"|(?P<bare>(?<![\\w.@/-])(?:[^\\W_](?:[\\w-]*[^\\W_])?\\.)+(?i:{_TLDS})(?![\\w-])(?:/{_URL_BODY})?)"
    f"|(?P<emoji>{_CLUSTER})"
)
_DOT_HOT_RE = re.compile(r"\.\w|[wW\d]\.")  # a "." that may belong to a domain or "www."
_PART_RE = re.compile(r"[#@][^#@]+")
_LETTER_RE = re.compile(r"[^\W\d_]")
# An e-mail address right after a tag or mention: "#ad+x@y.de" or "@a@b@c@d+x@y.de". Its start must not depend on
# whether the tag before it is kept, so it is read from there on, whatever precedes it.
_EMAIL_AT_RE = re.compile(r"[\w.+-]++@[^\W_][\w-]*+(?:\.[\w-]++)++")
_URL_START_WORD_RE = re.compile(r"(?i)(?<![\w.@/-])(?:w{3,}|https?)$")  # as in the "url" pattern
_URL_TRAIL_RE = re.compile(r"[.,;:!?)\]}'*]+$")
_SCHEME_RE = re.compile(r"(?i)^https?://")
_AUTHORITY_END_RE = re.compile(r"[/?#\\]")
_WWW_RE = re.compile(r"^(?:www\d{0,3}\.)+")
_HOST_RE = re.compile(r"[\w-]+(?:\.[\w-]+)*")
_RUN_RE = re.compile(r"(.)\1\1+")
_BANG_RE = re.compile(r"[!?]{3,}")
_SQUEEZE_TO_TWO = frozenset("!?-*~=+#&^|<>'\",;\\")


def _squeeze_run(m: re.Match[str]) -> str:
    run = m.group()
    c = run[0]
    if c in _SQUEEZE_TO_TWO:
        return c + c
    if c == ".":
        return "..." if len(run) > 3 else run
    if len(run) > 3 and c.isalnum() and not c.isdecimal():  # a letter, as in _segment.ELONGATION_RE
        return c * 3
    return run


def _squeeze(text: str) -> str:
    """``!!!!!`` -> ``!!``, ``?!?!?`` -> ``?!``, ``.....`` -> ``...``, ``-----`` -> ``--``, ``soooo`` -> ``sooo``."""
    if "!?" in text or "?!" in text:
        text = _BANG_RE.sub(lambda m: m.group()[:2], text)
    return _RUN_RE.sub(_squeeze_run, text)


@functools.lru_cache(maxsize=1 << 16)
def _hashtag_words(body: str) -> str:
    return " ".join(_ABBREVIATIONS.get(w, w) for w in _segment(body))


def _url_host(url: str) -> str | None:
    """``https://WWW.Nike.com:443/x?y`` -> ``nike.com``; ``None`` when there is no usable host."""
    rest = _SCHEME_RE.sub("", url, count=1)
    authority = _AUTHORITY_END_RE.split(rest, maxsplit=1)[0]
    host = authority.rpartition("@")[2].partition(":")[0].lower()
    if not host.isascii():
        host = unicodedata.normalize("NFKC", host)
    host = _squeeze(host)
    while True:  # "..www.www.x" -> "x"
        stripped = _WWW_RE.sub("", host.strip(".")).strip(".")
        if stripped == host:
            break
        host = stripped
    return host if _HOST_RE.fullmatch(host) else None


def _chain_parts(token: str) -> tuple[tuple[bool, str, str], ...]:
    """``#ad#TrailRunning@nike`` -> ((False, "ad", "ad"), (False, ..., "trail running"), (True, "@nike", "@nike")).

    Each part is (is a mention, key that repeats are recognised by, text to keep). A hashtag without letters
    (``#1``) is kept as written.
    """
    parts = []
    for part in _PART_RE.findall(token):
        if part[0] == "@":
            parts.append((True, part.lower(), part))
        elif _LETTER_RE.search(part):
            words = _hashtag_words(part[1:])
            parts.append((False, words, words))
        else:
            parts.append((False, part, part))
    return tuple(parts)


def _link(kind: str, token: str, glued_to_hash: bool) -> str:
    """What a URL, bare domain or e-mail address becomes."""
    if kind == "email":
        return token
    trail = _URL_TRAIL_RE.search(token)
    url, tail = (token[: trail.start()], trail.group()) if trail else (token, "")
    if kind == "bare":  # keep the domain as written, without the path
        return url.partition("/")[0] + tail
    host = _url_host(url)
    if host is None:  # "https://", "www." alone or junk: nothing worth embedding
        return " " + tail
    return (" " if glued_to_hash else "") + host + tail  # "#https://localhost" must not become "#localhost"


def _fuses(chunk: str, end: int, words: str) -> bool:
    """Would hashtag ``words`` put where the tag ended at ``end`` fuse with what follows into another token?

    "#www." / "#https://" would start a URL, "#o--x.to/y" a domain with a path, a combining mark would compose
    with the lower-cased last letter ("#OOTD" + U+0301) and "#a_1" + U+20E3 would make a keycap.
    """
    if end >= len(chunk):
        return False
    c = chunk[end]
    if c == "-" or (c in ".:" and _URL_START_WORD_RE.search(words)):
        return True
    return not c.isascii() and unicodedata.category(c)[0] == "M"


class _Chain(NamedTuple):
    """Glued hashtags and mentions (``#ad``, ``#ad#sponsored``, ``@nike``) as planned for one chunk."""

    parts: tuple[tuple[bool, str, str], ...]  # see _chain_parts
    all_kept: str  # the replacement when no part is dropped
    space_before: bool  # "it.#ad" -> "it. ad": words glued to "." would read as a host
    space_after: bool  # when the last part is kept: its words would fuse with what follows (see _fuses)


_Step = tuple[str, int, int, Union[str, _Chain]]  # (kind, start, end, emoji text | link replacement | _Chain)


@functools.lru_cache(maxsize=1 << 15)
def _chunk_plan(chunk: str) -> tuple[_Step, ...]:
    """The tokens of one space-free chunk, with all about them that does not depend on the rest of the text."""
    plan: list[_Step] = []
    pos = 0
    while (m := _TOKEN_RE.search(chunk, pos)) is not None:
        kind, start, end = m.lastgroup or "", m.start(), m.end()
        token = m.group()
        pos = end
        if kind == "emoji":
            plan.append(("emoji", start, end, token))
        elif kind != "chain":
            plan.append(("link", start, end, _link(kind, token, start > 0 and chunk[start - 1] == "#")))
        else:
            parts = _chain_parts(token)
            before = start > 0
            is_mention, _, last = parts[-1]
            # mentions and "#1" are kept as written, so a second pass reads them the same; hashtag words are not
            after = not is_mention and not last.startswith("#") and _fuses(chunk, end, last)
            all_kept = (" " if before else "") + " ".join(p[2] for p in parts) + (" " if after else "")
            plan.append(("chain", start, end, _Chain(parts, all_kept, before, after)))
            if (email := _EMAIL_AT_RE.match(chunk, end)) is not None:
                plan.append(("link", end, email.end(), email.group()))
                pos = email.end()
    return tuple(plan)


_REGION_FLAG_RE = re.compile("[\U0001f1e6-\U0001f1ff]{2}")


_NO_PAIRS = NamePairs(frozenset(), frozenset(), frozenset())


def _emoji_text(token: str, the_united: int, out: list[str], pieces: list[str], apart: int = 0,
                pairs: NamePairs = _NO_PAIRS,
                ahead: Callable[[int], str] = lambda n: "") -> str:
    """An emoji as the words it is embedded as; with ``the_united`` (version 6), a flag whose name starts with
    "united" is said with "the" before it (``🇬🇧`` -> ``the united kingdom``); from 2 (version 7), not when the text
    written before it (``out`` and the current chunk's ``pieces``) already ends with the word "the".

    With ``apart`` (a normalisation version, 8 on; ``pairs`` its :func:`~brandfit.text._names.name_pairs`), words
    that would make a known name of that version's table with the words written before them or with the text
    ``ahead(n)`` (the raw text of the next ``n`` chunks) are kept apart from them by a comma (``free 🔥`` -> ``free ,
    fire``, not the game "free fire"; ``👨 united`` -> ``man , united``), except a flag's: a country that finishes a
    name is mostly meant (``tour de 🇫🇷``, ``team 🇮🇳``)."""
    words = emoji_words(token)
    if the_united and words.startswith("united ") and _REGION_FLAG_RE.fullmatch(token):
        if the_united >= 2 and _ENDS_WITH_THE_RE.search(_written_before(out, pieces)):
            return words
        return "the " + words
    if apart and words != token:
        # quick tests first: a name runs across an end of the words only where two of its words meet there
        first, last, first_meets, last_meets = _ends(words, pairs)
        left = first_meets and \
            (_last_word(_written_before(out, pieces)) or _last_word(_written_tail(out, pieces)), first) in pairs.pairs
        right = last_meets and (last, _next_word(ahead(1))) in pairs.pairs
        if (left or right) and not _FLAG_RE.fullmatch(token):
            into, onward = names_across(_written_tail(out, pieces), words, ahead(4), apart)
            return (", " if into else "") + words + (" ," if onward else "")
    return words


@functools.lru_cache(maxsize=1 << 10)
def _ends(words: str, pairs: NamePairs) -> tuple[str, str, bool, bool]:
    """An emoji's words (lower case, spaced): the first and the last, and whether a word of a name can come before
    the first (it is a name's second word or later) and after the last (it is a word of a name before its last)."""
    first, last = words.partition(" ")[0], words.rpartition(" ")[2]
    return first, last, first in pairs.seconds, last in pairs.firsts


_last_word = functools.lru_cache(maxsize=1 << 14)(last_word)  # the same few words end what an emoji follows


def _next_word(text: str) -> str:
    """The first space-separated token of ``text`` in lower case, when it is a plain word (a quote or bracket before
    it aside): "" for a handle, a tag or an emoji, which :func:`_emoji_text` need not read on from."""
    token = text.lstrip().partition(" ")[0].lstrip("([{\"'").rstrip(",.!?;:)]}\"'…")
    return token.lower() if token.isalnum() else ""


_FLAG_RE = re.compile("[\U0001f1e6-\U0001f1ff]{2}|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")  # a country's


_ENDS_WITH_THE_RE = re.compile(r"(?:^|[^\w'@])the\s*$", re.IGNORECASE)  # the word, not "@the" (a handle)


def _written_before(out: list[str], pieces: list[str]) -> str:
    """The last chunk of output before the current position that is not blank (what an emoji follows)."""
    here = "".join(pieces)
    if here.strip():
        return here
    for chunk in reversed(out):
        if chunk.strip():
            return chunk
    return ""


def _written_tail(out: list[str], pieces: list[str]) -> str:
    """The last few chunks written before the current position that are not blank (a dropped tag leaves one), as
    they stand in the output so far."""
    kept: list[str] = []
    for chunk in reversed(out):
        if chunk.strip():
            kept.append(chunk)
            if len(kept) == 4:
                break
    return " ".join([*reversed(kept), "".join(pieces)]).strip()


def _normalize_once(text: str, as_words: bool = False, mark: str | None = None, the_united: int = 0,
                    apart: int = 0) -> str:
    """Everything ``normalize`` does to cleaned text but the cut to ``MAX_CHARS``; with ``mark``, each kept emoji is
    written as that mark instead of its words (what :func:`names_text` reads); with ``the_united``, a flag whose name
    starts with "united" gets "the" before it, and with ``apart``, an emoji's words never make a name with the words
    next to them (see :func:`_emoji_text`)."""
    out: list[str] = []
    pairs = name_pairs(apart) if apart else _NO_PAIRS
    tags: set[str] = set()
    mentions: set[str] = set()
    # blank_since_emoji: only spaces or dropped tokens since the last kept emoji
    n_emoji, last_emoji, dropped, blank_since_emoji = 0, "", False, False
    chunks = _squeeze(text).split(" ")
    for index, chunk in enumerate(chunks):
        if chunk.isalpha() or (chunk.isascii() and "#" not in chunk and "@" not in chunk and "://" not in chunk
                               and ("." not in chunk or not _DOT_HOT_RE.search(chunk))) \
                or not (plan := _chunk_plan(chunk)):
            out.append(chunk)  # no token can start in it (URL, e-mail, tag, mention, domain, emoji) or none did
            blank_since_emoji = False
            continue
        pieces, pos, emoji_end = [], 0, -1  # emoji_end: where the last kept or repeated emoji ended in this chunk
        for step in plan:
            kind, start, end = step[0], step[1], step[2]
            if start > pos:
                pieces.append(chunk[pos:start])
                blank_since_emoji = False
            pos = end
            if kind == "emoji":
                token = cast(str, step[3])
                if blank_since_emoji and token == last_emoji:
                    # a run of the same emoji: glued to it a repeat disappears, after a space it leaves a space
                    if start != emoji_end:
                        pieces.append(" ")
                    emoji_end = end
                    dropped = True
                elif n_emoji >= MAX_EMOJI:
                    pieces.append(" ")
                    dropped = True
                else:
                    if mark is not None:
                        pieces.append(f" {mark} ")
                    elif as_words:
                        words = _emoji_text(token, the_united, out, pieces, apart, pairs,
                                            lambda n: f"{chunk[end:]} {' '.join(chunks[index + 1:index + 1 + n])}")
                        pieces.append(f" {words} ")
                    else:
                        pieces.append(token)
                    dropped = dropped or as_words  # with words, the spaces around them are squeezed below
                    n_emoji += 1
                    last_emoji = token
                    blank_since_emoji = True
                    emoji_end = end
            elif kind == "link":
                link = cast(str, step[3])
                pieces.append(link)
                if link.isspace():
                    dropped = True
                else:
                    blank_since_emoji = False
            else:
                chain = cast(_Chain, step[3])
                piece = _chain_piece(chain, tags, mentions)
                pieces.append(piece)
                if piece is not chain.all_kept:
                    dropped = True
                    if piece == " ":
                        continue
                blank_since_emoji = False
        if pos < len(chunk):
            pieces.append(chunk[pos:])
            blank_since_emoji = False
        out.append("".join(pieces))
    return _squeeze_spaces(" ".join(out), dropped)


def _squeeze_spaces(result: str, dropped: bool) -> str:
    """Collapse runs of spaces and strip the ends, when something was dropped or the text has such spaces."""
    if dropped or result[:1] == " " or result[-1:] == " " or "  " in result:
        result = " ".join(result.split())
    return result


def _chain_piece(chain: _Chain, tags: set[str], mentions: set[str]) -> str:
    """The replacement of ``chain``: ``chain.all_kept`` itself when every tag and mention is kept, else the words
    with the repeats and those over the caps dropped (``" "`` when nothing is left). Records the kept keys in
    ``tags`` / ``mentions``."""
    kept = []
    for is_mention, key, words in chain.parts:
        seen = mentions if is_mention else tags
        if key in seen or len(seen) >= (MAX_MENTIONS if is_mention else MAX_HASHTAGS):
            kept.append("")  # a repeat or over the cap: dropped, leaving a space
        else:
            seen.add(key)
            kept.append(words)
    if all(kept):
        return chain.all_kept
    piece = " ".join(kept)
    if not piece or piece.isspace():
        return " "
    if chain.space_before:
        piece = " " + piece
    if chain.space_after and kept[-1]:
        piece += " "
    return piece


def _truncate(text: str) -> tuple[str, bool]:
    """Cut to ``MAX_CHARS`` at the last space; returns (text, cut inside a word)."""
    if len(text) <= MAX_CHARS:
        return text, False
    cut = text.rfind(" ", 0, MAX_CHARS + 1)
    if cut > 0:
        return text[:cut], False
    cut = MAX_CHARS
    while cut > 0 and text[cut - 1] == "\u200d":  # never leave a dangling zero-width joiner
        cut -= 1
    return text[:cut], True


class _Steps(NamedTuple):
    as_words: bool  # emoji written as words (version 2)
    senses: bool  # figurative senses in plain words (version 3)
    names: int  # the normalisation version whose names table is read (0: no names; 4 to 8)
    in_handles: bool  # senses read inside a handle too (versions 3 and 4)
    mark: str | None = None  # each kept emoji written as this instead of its words (names_text)
    the_united: int = 0  # "the" before a flag whose name starts with "united": 1 (version 6); 2, not after "the" (7)
    apart: int = 0  # the version whose names an emoji's words may not make with their neighbours (8 on; 0: off)


def _pass(text: str, steps: _Steps) -> str:
    once = _normalize_once(text, steps.as_words, steps.mark, steps.the_united, steps.apart)
    once = plain_senses(once, in_handles=steps.in_handles) if steps.senses else once
    if steps.names:  # a gloss the steps above revealed ("#Nike (sportswear maker)" -> "nike (sportswear maker)")
        for _ in range(4):
            stripped = strip_glosses(once, steps.names)
            if stripped == once:
                break
            once = stripped
    return once


def normalize(text: str, *, emoji_words: bool = True, senses: bool = True, names: bool = True,
              version: int = NORMALIZATION_VERSION) -> str:
    """Social text as it should be embedded; see the module docstring for every rule. ``version`` (1 to
    :data:`NORMALIZATION_VERSION`) writes what that normalisation version wrote; the flags turn a step off.

    >>> normalize("Sooooo happy with my new kicks!!!!! 🔥🔥🔥 #TrailRunning #fitfam https://amzn.to/3xYz")
    'Sooo happy with my new kicks!! fire trail running fit fam amzn.to'
    >>> normalize("new shade 💄💄", emoji_words=False)
    'new shade 💄'
    >>> normalize("#MakeupExam tomorrow 😭", senses=False), normalize("#MakeupExam tomorrow 😭")
    ('makeup exam tomorrow loudly crying face', 'resit exam tomorrow loudly crying face')
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= NORMALIZATION_VERSION:
        raise ValueError(f"normalize(): version must be an integer from 1 to {NORMALIZATION_VERSION}, got {version!r}")
    steps = _Steps(emoji_words and version >= 2, senses and version >= 3, version if names and version >= 4 else 0,
                   version < 5, the_united=2 if version >= 7 else 1 if version >= 6 else 0,
                   apart=version if names and version >= 8 else 0)
    return _normalized(text, steps, gloss=True)


EMOJI_MARK: Final[str] = "\u00b7"
"""What :func:`names_text` writes for each kept emoji: a middle dot, which no name contains."""


def names_text(text: str, version: int = NORMALIZATION_VERSION) -> str:
    """The text in which a model's names prior reads known names (:mod:`brandfit.names_prior`): ``text`` normalised
    as ``normalize(text, version=version)`` does, but with each kept emoji written as :data:`EMOJI_MARK` instead of
    its words, and no gloss added. No name is then made of the words of emoji ("Manchester 🇬🇧" does not read
    "manchester united kingdom"), and a name glued to an emoji still stands alone ("iPad Pro🖤").

    >>> names_text("Weekend in Manchester 🇬🇧☔ #ManUtd")
    'Weekend in Manchester · · man utd'
    """
    if not isinstance(text, str):
        raise TypeError(f"names_text() expects str, got {type(text).__name__}")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= NORMALIZATION_VERSION:
        raise ValueError(f"names_text(): version must be an integer from 1 to {NORMALIZATION_VERSION}, "
                         f"got {version!r}")
    steps = _Steps(version >= 2, version >= 3, version if version >= 4 else 0, version < 5, EMOJI_MARK)
    return _normalized(text, steps, gloss=False)


def _normalized(text: str, steps: _Steps, *, gloss: bool) -> str:
    # bounded first: at most MAX_SCAN_CHARS characters, runs of symbols squeezed (see _repeats); a squeezed run can
    # end on a joiner that clean() drops, so clean again when squeezing changed anything (idempotence)
    cleaned = clean(text[:MAX_SCAN_CHARS])
    if steps.names:  # glosses this function added (a text normalised twice) are read as the text they were added to
        cleaned = strip_glosses(cleaned, steps.names)
    squeezed = squeeze_repeats(cleaned)
    if squeezed != cleaned:
        squeezed = clean(squeezed)
    result, inside_word = _truncate(_pass(squeezed, steps))
    # A cut inside a 1000+ character "word" can split a token (an e-mail, a host) that a second pass would read
    # differently; settle it so normalize stays idempotent. Only such degenerate input ever takes this path.
    for _ in range(8):
        if not inside_word:
            break
        again, inside_word = _truncate(_pass(clean(result), steps))
        if again == result:
            break
        result = again
    return gloss_names(result, limit=MAX_CHARS, version=steps.names) if steps.names and gloss else result
