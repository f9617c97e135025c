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
    * hashtags become words: ``#TrailRunning`` -> ``trail running``, ``#fitfam`` -> ``fit fam``, ``#OOTD`` ->
      ``outfit of the day`` (a few well-known abbreviations are spelled out, see ``_ABBREVIATIONS``). Only the first
      ``MAX_HASHTAGS`` (12) distinct hashtags are kept, so hashtag walls are cut. A tag without letters (``#1``) is
      kept as it is. Glued tags (``#ad#sponsored``) count one by one.
    * @mentions are kept as written, at most ``MAX_MENTIONS`` (3) distinct ones.
    * URLs become their host: ``https://amzn.to/3xYz`` -> ``amzn.to``, ``www.nike.com/x`` -> ``nike.com`` (lower
      case, ``www.`` dropped); a bare domain with a path (``bit.ly/3abc``) keeps its domain as written. E-mail
      addresses are kept.
    * emoji are kept, but a run of the same emoji (``🔥🔥🔥``) becomes one and at most ``MAX_EMOJI`` (3) are kept in
      total.
    * repeated punctuation is squeezed (``!!!!!`` -> ``!!``, ``?!?!?`` -> ``?!``, ``.....`` -> ``...``, other
      ASCII marks to two) and elongated words too (``soooooo`` -> ``sooo``: 4+ identical letters become 3).
    * the result is cut to at most ``MAX_CHARS`` (1000) characters, at the last space before the limit (a single
      1000+ character "word" is cut inside it). The embedding model reads 256 word pieces, roughly 1000 characters
      of English; longer text would be truncated by the model anyway, and cutting here keeps the cost bounded.
    Case of ordinary words is kept; hashtag words are lower case.

Both functions are deterministic, idempotent (``f(f(x)) == f(x)``), never raise for a ``str`` and raise
``TypeError`` for anything else.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from brandfit.text._segment import ELONGATION_RE, _segment

__all__ = ["MAX_CHARS", "MAX_EMOJI", "MAX_HASHTAGS", "MAX_MENTIONS", "clean", "normalize"]

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
_ASCII_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1b\x7f]")
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

_PUNCT_TABLE: Final[dict[int, str]] = {
    **{ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc"},
    **{ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"},
    **{ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212"},
    **{ord(c): " " for c in "\u2800\u115f\u1160\u3164\uffa0"},
}


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


def clean(text: str) -> str:
    """Unicode and whitespace clean-up that keeps every cue intact; see the module docstring.

    >>> clean("  Use code\u200b GLOW20 \u2014 \u201csooo good\u201d\\n\\n#ad  ")
    'Use code GLOW20 - "sooo good" #ad'
    """
    if not isinstance(text, str):
        raise TypeError(f"clean() expects str, got {type(text).__name__}")
    if text.isascii():
        if _ASCII_CONTROL_RE.search(text):
            text = _ASCII_CONTROL_RE.sub("", text)
        return " ".join(text.split())
    # Removing characters can make NFKC compose again (e + ZWSP + combining acute), so repeat until stable;
    # every round removes at least one character, so this ends, in practice after at most two rounds.
    while True:
        normal = unicodedata.normalize("NFKC", text)
        text = _strip_invisible(normal)
        if text == normal:
            break
    return " ".join(text.translate(_PUNCT_TABLE).split())


# ------------------------------------------------------------------------------------------------ normalize

_TLDS = (
    "com|net|org|edu|gov|io|co|ly|to|gl|me|ai|app|dev|gg|tv|fm|so|sh|link|page|site|shop|store|online|blog|club"
    "|xyz|info|biz|uk|de|fr|es|it|nl|be|at|ch|eu|us|ca|au|nz|ie|in|jp|br|mx|se|no|dk|fi|pl|pt|ru"
)
_URL_BODY = f'[^\\s<>"{_EMOJI}]*+'
_HASH = r"#\w++(?!\.\w|://)"
_MENTION = r"@\w++(?:\.\w++)*+"
_TOKEN_RE = re.compile(
    f"(?P<url>(?<![\\w.@/-])(?i:https?://|w{{3,}}\\d{{0,3}}\\.){_URL_BODY})"
    r"|(?P<email>(?<![\w.+-])[\w.+-]++@[^\W_][\w-]*+(?:\.[\w-]++)++)"
    f"|(?P<chain>(?<![\\w#@])(?:{_HASH}|{_MENTION})++)"
    f"|(?P<bare>(?<![\\w.@/-])(?:[^\\W_](?:[\\w-]*[^\\W_])?\\.)+(?i:{_TLDS})(?![\\w-])(?:/{_URL_BODY})?)"
    f"|(?P<emoji>{_CLUSTER})"
)
_PART_RE = re.compile(r"[#@][^#@]+")
_LETTER_RE = re.compile(r"[^\W\d_]")
_URL_START_WORD_RE = re.compile(r"(?:^| )(?:w{3,}|https?)$")
_URL_TRAIL_RE = re.compile(r"[.,;:!?)\]}'*]+$")
_SCHEME_RE = re.compile(r"(?i)^https?://")
_AUTHORITY_END_RE = re.compile(r"[/?#\\]")
_WWW_RE = re.compile(r"^(?:www\d{0,3}\.)+")
_HOST_RE = re.compile(r"[\w-]+(?:\.[\w-]+)*")
_SQUEEZE_RE = re.compile(ELONGATION_RE.pattern + r"|[!?]{3,}|\.{4,}|([-*~=+#&^|<>'\",;\\])\2{2,}")


def _squeeze_match(m: re.Match[str]) -> str:
    s = m.group()
    if m.group(1):
        return s[:3]
    if s[0] == ".":
        return "..."
    return s[:2]


def _squeeze(text: str) -> str:
    return _SQUEEZE_RE.sub(_squeeze_match, text)


def _url_host(url: str) -> str | None:
    """``https://WWW.Nike.com:443/x?y`` -> ``nike.com``; ``None`` when there is no usable host."""
    rest = _SCHEME_RE.sub("", url, count=1)
    authority = _AUTHORITY_END_RE.split(rest, maxsplit=1)[0]
    host = authority.rpartition("@")[2].partition(":")[0].lower()
    if not host.isascii():
        host = unicodedata.normalize("NFKC", host)
    host = _WWW_RE.sub("", _squeeze(host)).strip(".")
    return host if _HOST_RE.fullmatch(host) else None


def _hashtag_words(body: str) -> str:
    words = []
    for w in _segment(body):
        words.append(_ABBREVIATIONS.get(w, w))
    return " ".join(words)


def _normalize_once(text: str) -> str:
    """One pass over already cleaned text; ``normalize`` is this plus a cut to ``MAX_CHARS``."""
    out: list[str] = []
    pos = 0
    tags: set[str] = set()
    mentions: set[str] = set()
    n_emoji = 0
    last_emoji = ""
    blank_since_emoji = False  # only whitespace or dropped tokens since the last kept emoji
    emoji_end = -1  # where the last kept or repeated emoji ended
    for m in _TOKEN_RE.finditer(text):
        start = m.start()
        if start > pos:
            gap = text[pos:start]
            out.append(gap)
            if not gap.isspace():
                blank_since_emoji = False
        pos = m.end()
        kind = m.lastgroup
        token = m.group()
        if kind == "chain":
            parts = []
            for part in _PART_RE.findall(token):
                if part[0] == "@":
                    key = _squeeze(part.lower())
                    if key in mentions or len(mentions) >= MAX_MENTIONS:
                        parts.append("")
                        continue
                    mentions.add(key)
                    parts.append(part)
                else:
                    body = part[1:]
                    if _LETTER_RE.search(body):
                        words = _hashtag_words(body)
                        key = words
                    else:
                        words = part  # "#1": no letters, not a topic hashtag
                        key = part
                    if key in tags or len(tags) >= MAX_HASHTAGS:
                        parts.append("")
                        continue
                    tags.add(key)
                    parts.append(words)
            piece = " ".join(parts)
            if start and text[start - 1] != " ":
                piece = " " + piece  # "it.#ad" -> "it. ad": words glued to "." would read as a host
            if pos < len(text) and text[pos] in ".:" and _URL_START_WORD_RE.search(piece):
                piece += " "  # "#www.", "#https://": the words must not start a URL
            out.append(piece if piece.strip() else " ")
            if piece.strip():
                blank_since_emoji = False
            continue
        if kind == "emoji":
            if blank_since_emoji and token == last_emoji:
                # a repeat: glued to the same emoji it disappears, after a space it leaves one
                out.append("" if start == emoji_end else " ")
                emoji_end = pos
                continue
            if n_emoji >= MAX_EMOJI:
                out.append(" ")
                continue
            emoji_end = pos
            n_emoji += 1
            last_emoji = token
            blank_since_emoji = True
            out.append(token)
            continue
        blank_since_emoji = False
        if kind == "email":
            out.append(token)
            continue
        trail = _URL_TRAIL_RE.search(token)
        url, tail = (token[: trail.start()], trail.group()) if trail else (token, "")
        if kind == "url":
            host = _url_host(url)
            if host is None:
                out.append(token)
            else:  # "#https://localhost" must not become the hashtag "#localhost"
                out.append((" " if start and text[start - 1] == "#" else "") + host + tail)
        else:  # bare domain: keep it as written, without the path
            out.append(url.partition("/")[0] + tail)
    if pos < len(text):
        out.append(text[pos:])
    return " ".join(_squeeze("".join(out)).split())


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


def normalize(text: str) -> str:
    """Social text as it should be embedded; see the module docstring for every rule.

    >>> normalize("Sooooo happy with my new kicks!!!!! 🔥🔥🔥 #TrailRunning #fitfam https://amzn.to/3xYz")
    'Sooo happy with my new kicks!! 🔥 trail running fit fam amzn.to'
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() expects str, got {type(text).__name__}")
    result, inside_word = _truncate(_normalize_once(clean(text)))
    # A cut inside a 1000+ character "word" can split a token (an e-mail, a host) that a second pass would read
    # differently; settle it so normalize stays idempotent. Only such degenerate input ever takes this path.
    for _ in range(8):
        if not inside_word:
            break
        again, inside_word = _truncate(_normalize_once(clean(result)))
        if again == result:
            break
        result = again
    return result
