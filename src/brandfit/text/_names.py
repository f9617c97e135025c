"""Names the encoder does not know, followed by a gloss in plain words before a text is embedded.

A small frozen sentence encoder knows the names common in its own training text and little else: "KIPCHOGE IN
BERLIN" reads as `other`, "chloe ting's 2 week shred" as `other`, "lattafa khamrah lasts longer than my
relationship" as `other`, and "ea fc 26 pack luck" as sport. Real posts carry their topic through such names all
the time (athletes, clubs, races, designers, sneaker models, fragrance houses, creators, gadgets, games). This
table follows a known name with what it is, in the words of its topic, so the encoder and the n-gram heads read
both: ``"KIPCHOGE IN BERLIN"`` -> ``"KIPCHOGE (marathon runner) IN BERLIN"``.

The table (``brandfit/resources/names.tsv``: vertical, ``|``-separated aliases, gloss) was written from general
knowledge by a helper who read only the annotation guide's topic rules, never our evaluation texts. An alias is
listed only when, in casual posts, it almost always means that entity ("steph curry", not "curry"; "chelsea fc",
not "chelsea"). Glosses of `other` entries avoid the verticals' words ("video game", "pop singer"), and no gloss
holds a selling word (``tests/unit/test_names.py``).

Rules of the match, on the text as :func:`brandfit.text.normalize` leaves it before this step:

* case-insensitive, whole words only (a handle ``@nike_running`` holds no name; ``@nike`` is one), a possessive
  ``'s`` kept ("chloe ting's (fitness youtuber)");
* the longest alias wins at each position; each entry is glossed once per text, the first time it is met, and
  at most :data:`MAX_GLOSSES` entries are met;
* a name already followed by ``"("`` is left alone, and counts as met: that makes the step idempotent.

The table is part of what a model was trained on: any change to it bumps ``NORMALIZATION_VERSION``.

>>> gloss_names("KIPCHOGE IN BERLIN")
'KIPCHOGE (marathon runner) IN BERLIN'
>>> gloss_names(gloss_names("KIPCHOGE IN BERLIN"))
'KIPCHOGE (marathon runner) IN BERLIN'
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from typing import Final, NamedTuple

__all__ = ["MAX_GLOSSES", "NameEntry", "find_names", "gloss_names", "name_entries"]

MAX_GLOSSES: Final[int] = 8
"""At most this many names are glossed in one text (the first ones)."""

VERTICALS: Final[tuple[str, ...]] = ("sports_outdoor", "fashion", "fitness", "beauty", "electronics", "other")
# a word: letters and digits, joined by an apostrophe, '&', '.', '-' (arc'teryx, h&m, xt-6); never '_' (handles)
_WORD: Final[re.Pattern[str]] = re.compile(r"[^\W_]+(?:['&.\-][^\W_]+)*")
_ALIAS_CHARS: Final[re.Pattern[str]] = re.compile(r"(?:[^\W_]|[ '&.\-])+")  # letters (any script), digits
# characters str.lower() leaves apart from the ASCII letters people mean (dotless i, dotted I, long s, Kelvin)
_FOLD: Final[dict[int, str]] = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


class NameEntry(NamedTuple):
    vertical: str  # the topic the name belongs to (what the gloss says, in its words)
    aliases: tuple[str, ...]  # lower case, words separated by one space
    gloss: str  # plain words: what the name is


def _form(word: str) -> str:
    """A word of the text without its possessive ``'s`` (a name's words are also met in that form)."""
    return word[:-2] if len(word) > 3 and word.endswith("'s") else word


def _parse(text: str) -> tuple[NameEntry, ...]:
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in VERTICALS:
            raise ValueError(f"names.tsv:{n}: expected 'vertical<TAB>aliases<TAB>gloss', got {line!r}")
        aliases = tuple(a.strip() for a in parts[1].split("|") if a.strip())
        if not aliases or not all(_ALIAS_CHARS.fullmatch(a) and a == a.lower() for a in aliases) \
                or not parts[2].strip():
            raise ValueError(f"names.tsv:{n}: an alias must be lower-case letters, digits, spaces and ' & . -, and "
                             "a gloss must be given")
        entries.append(NameEntry(parts[0], aliases, " ".join(parts[2].split())))
    return tuple(entries)


@functools.cache
def name_entries() -> tuple[NameEntry, ...]:
    """The table, read once from the package's ``resources/names.tsv``."""
    return _parse(files("brandfit").joinpath("resources", "names.tsv").read_text(encoding="utf-8"))


@functools.cache
def _index() -> tuple[dict[str, tuple[tuple[tuple[str, ...], int], ...]], int]:
    """First word -> the aliases starting with it (as word tuples, longest first) and their entry."""
    by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    longest = 1
    for i, entry in enumerate(name_entries()):
        for alias in entry.aliases:
            words = tuple(_WORD.findall(alias))
            if words:
                by_first.setdefault(words[0], []).append((words, i))
                longest = max(longest, len(words))
    return {k: tuple(sorted(v, key=lambda x: -len(x[0]))) for k, v in by_first.items()}, longest


@functools.cache
def _first_words() -> frozenset[str]:
    """Every word a name can start with, as :data:`_WORD` cuts a text (and with a possessive after it)."""
    index, _ = _index()
    return frozenset(index) | frozenset(k + "'s" for k in index)


def find_names(text: str) -> list[tuple[int, int, int]]:
    """The known names of ``text`` that the rules of the module doc reach: ``(start, end, entry)`` per name, in
    order, ``entry`` an index into :func:`name_entries`; each entry once, at most :data:`MAX_GLOSSES`."""
    lower = text.lower()
    if not text.isascii():
        lower = lower.translate(_FOLD)
        if len(lower) != len(text):  # a character whose lower case is longer: positions would drift
            lower = "".join(c.lower()[:1] for c in text).translate(_FOLD)
    if _first_words().isdisjoint(_WORD.findall(lower)):  # most texts: no name starts here
        return []
    index, _ = _index()
    words = [(m.group(), _form(m.group()), m.start(), m.end()) for m in _WORD.finditer(lower)]
    found: list[tuple[int, int, int]] = []
    seen: set[int] = set()
    i = 0
    while i < len(words) and len(seen) < MAX_GLOSSES:
        step = 1
        raw, form = words[i][0], words[i][1]
        candidates = index.get(raw, ()) if raw == form else (*index.get(raw, ()), *index.get(form, ()))
        for alias, entry in sorted(candidates, key=lambda c: -len(c[0])):
            n = len(alias)
            # a word of the text matches as written or without its possessive: "wendy's" meets "wendy's" and
            # "kipchoge's" meets "kipchoge", but "wendy" never meets "wendy's"
            if i + n > len(words) or any(w[0] != a and w[1] != a for w, a in zip(words[i:i + n], alias)):
                continue
            start, end = words[i][2], words[i + n - 1][3]
            if any(not lower[words[j][3]:words[j + 1][2]].isspace() for j in range(i, i + n - 1)):
                continue  # the words of a name are separated by spaces only
            if (start and (lower[start - 1].isalnum() or lower[start - 1] == "_")) or \
                    (end < len(lower) and (lower[end].isalnum() or lower[end] == "_")):
                continue  # inside a longer token: a handle or a word glued to others
            step = n
            if entry not in seen:
                seen.add(entry)
                found.append((start, end, entry))
            break
        i += step
    return found


def gloss_names(text: str) -> str:
    """``text`` with each known name followed by its gloss in parentheses (see the module doc)."""
    found = find_names(text)
    if not found:
        return text
    out, last = [], 0
    entries = name_entries()
    for _, end, entry in found:
        if text.startswith("(", end) or text.startswith(" (", end):
            continue  # already glossed, or followed by the writer's own parenthesis
        out.append(text[last:end])
        out.append(f" ({entries[entry].gloss})")
        last = end
    out.append(text[last:])
    return "".join(out)
