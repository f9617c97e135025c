"""Names the encoder does not know, followed by a gloss in plain words before a text is embedded.

A small frozen sentence encoder knows the names common in its own training text and little else: "KIPCHOGE IN
BERLIN" reads as `other`, "chloe ting's 2 week shred" as `other`, "lattafa khamrah lasts longer than my
relationship" as `other`, and "ea fc 26 pack luck" as sport. Real posts carry their topic through such names all
the time (athletes, clubs, races, designers, sneaker models, fragrance houses, creators, gadgets, games). This
table follows a known name with what it is, in the words of its topic, so the encoder and the n-gram heads read
both: ``"KIPCHOGE IN BERLIN"`` -> ``"KIPCHOGE (marathon runner) IN BERLIN"``.

The table (``brandfit/resources/names.tsv``: vertical, ``|``-separated aliases, gloss) was written from general
knowledge by a helper who read only the annotation guide's topic rules, never our evaluation texts; normalisation
versions 5 and 6 read it with the additions of ``brandfit/resources/names_v5.tsv`` (a second helper, same brief, with
product models, regional and mid-level names), version 4 without them, and version 7 adds ``names_v7.tsv`` (a third
helper: indie, regional and Instagram-native labels, mid-level athletes, gyms, device models; games, shows and food
chains as `other`), from which two reviews of the diff and two reviewers who read every line dropped 343 of 2,402
aliases found in everyday use or completed by an emoji's name (:data:`TABLES`). Version 8 reads the same three files
without the aliases of the first two that reviewers reading every line found in everyday use
(``names_retired_v8.tsv``, :data:`RETIRED`). An alias is
meant to be listed only when, in casual posts, it usually means that entity ("steph curry", not "curry"; "chelsea
fc", not "chelsea"); two reviews dropped aliases that are also common words, names or places, but some phrases
remain ("new balance" in "finding a new balance"). Glosses of `other` entries avoid the verticals' words ("video game", "pop singer"), and no gloss
holds a selling word (``tests/unit/test_names.py``).

Rules of the match, on the text as :func:`brandfit.text.normalize` leaves it before this step:

* case-insensitive, whole words only, with exactly the alias's spaces and marks between its words ("dr.
  martens", "dolce & gabbana"); a name glued to a word, a hashtag, an e-mail address or a path is not one
  (``@nike_running`` holds no name; ``@nike`` is one);
* a possessive on the name's last word is kept ("chloe ting's (home workout youtuber)", "adidas' (sportswear
  maker)"), never on another word ("steph's curry" is no name);
* the longest alias wins at each position; each entry is glossed once per text, the first time it is met, and at
  most :data:`MAX_GLOSSES` entries are met.

:func:`strip_glosses` undoes :func:`gloss_names`; ``normalize`` strips every gloss before it glosses (also one the
hashtag step reveals: ``#Nike (sportswear maker)``), so it stays idempotent, and it glosses after the cut to
``MAX_CHARS``, adding glosses only while the text stays within it.

The table is part of what a model was trained on: any change to it, or to these rules, bumps
``NORMALIZATION_VERSION``, and a new version's table is a new file added on top, or a file of aliases it retires
(a model trained with version 4 keeps reading exactly the names it was trained with).

>>> gloss_names("KIPCHOGE IN BERLIN")
'KIPCHOGE (marathon runner) IN BERLIN'
>>> strip_glosses(gloss_names("KIPCHOGE IN BERLIN"))
'KIPCHOGE IN BERLIN'
>>> gloss_names("mail me at kipchoge@example.com or @kipchoge_fans")
'mail me at kipchoge@example.com or @kipchoge_fans'
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from typing import Collection, Final, NamedTuple

__all__ = ["MAX_GLOSSES", "TABLES", "KnownName", "NameEntry", "find_names", "gloss_names", "known_names", "name_entries",
           "named_verticals", "strip_glosses"]

MAX_GLOSSES: Final[int] = 8
"""At most this many names are glossed in one text (the first ones)."""

TABLES: Final[dict[int, tuple[str, ...]]] = {4: ("names.tsv",), 5: ("names.tsv", "names_v5.tsv"),
                                             6: ("names.tsv", "names_v5.tsv"),
                                             7: ("names.tsv", "names_v5.tsv", "names_v7.tsv"),
                                             8: ("names.tsv", "names_v5.tsv", "names_v7.tsv")}
"""Normalisation version -> the table files (in ``brandfit/resources``) it reads, in order: entries keep their index
from one version to the next. Version 6 changed how some flags are written, not the table; version 8 retires
aliases (:data:`RETIRED`)."""
RETIRED: Final[dict[int, tuple[str, ...]]] = {8: ("names_retired_v8.tsv",)}
"""Normalisation version -> files of aliases (``alias<TAB>why``) that its table, and every later one, no longer lists:
aliases of the older tables that reviewers found in everyday use ("summer 2k25 dump" names no video game). An entry
keeps its index; one whose aliases are all retired names nothing."""
LATEST: Final[int] = max(TABLES)

VERTICALS: Final[tuple[str, ...]] = ("sports_outdoor", "fashion", "fitness", "beauty", "electronics", "other")
# a word: letters and digits, joined by an apostrophe, '&', '.', '-' (arc'teryx, h&m, xt-6); never '_' (handles)
_WORD: Final[re.Pattern[str]] = re.compile(r"[^\W_]+(?:['&.\-][^\W_]+)*")
# the same cut of lower-case ASCII text, about a fifth faster than the Unicode classes above (most texts are ASCII)
_ASCII_WORD: Final[re.Pattern[str]] = re.compile(r"[a-z0-9]+(?:['&.\-][a-z0-9]+)*")
_ALIAS_CHARS: Final[re.Pattern[str]] = re.compile(r"(?:[^\W_]|[ '&.\-])+")  # letters (any script), digits
# characters str.lower() leaves apart from the ASCII letters people mean (dotless i, dotted I, long s, Kelvin)
_FOLD: Final[dict[int, str]] = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


class NameEntry(NamedTuple):
    vertical: str  # the topic the name belongs to (what the gloss says, in its words)
    aliases: tuple[str, ...]  # lower case, words separated by one space
    gloss: str  # plain words: what the name is


def _form(word: str) -> str:
    """A word of the text without its possessive ``'s`` (a name's words are also met in that form)."""
    return word[:-2] if len(word) > 2 and word.endswith("'s") else word


def _parse(text: str, name: str = "names.tsv") -> tuple[NameEntry, ...]:
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in VERTICALS:
            raise ValueError(f"{name}:{n}: expected 'vertical<TAB>aliases<TAB>gloss', got {line!r}")
        aliases = tuple(a.strip() for a in parts[1].split("|") if a.strip())
        if not aliases or not all(_ALIAS_CHARS.fullmatch(a) and a == a.lower() and a[0].isalnum() and a[-1].isalnum()
                                  for a in aliases) or not parts[2].strip():
            raise ValueError(f"{name}:{n}: an alias must be lower-case letters, digits, spaces and ' & . -, "
                             "start and end with a letter or digit, and a gloss must be given")
        entries.append(NameEntry(parts[0], aliases, " ".join(parts[2].split())))
    return tuple(entries)


@functools.cache
def _table_version(version: int) -> int:
    """The table a normalisation version reads: the newest at or below it (a ``ValueError`` outside 4 to the latest)."""
    if isinstance(version, bool) or not isinstance(version, int) or not min(TABLES) <= version <= LATEST:
        raise ValueError(f"known names are glossed in normalisation versions {min(TABLES)} to {LATEST}, got {version!r}")
    return max(v for v in TABLES if v <= version)


def _read(name: str) -> str:
    return files("brandfit").joinpath("resources", name).read_text(encoding="utf-8")


def _parse_retired(text: str, name: str) -> list[str]:
    aliases = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        alias = parts[0]
        if len(parts) != 2 or not parts[1].strip() or not _ALIAS_CHARS.fullmatch(alias) or alias != alias.lower() \
                or alias != " ".join(alias.split()):
            raise ValueError(f"{name}:{n}: expected 'alias<TAB>why', the alias as a table lists it, got {line!r}")
        aliases.append(alias)
    return aliases


@functools.cache
def _entries(table: int) -> tuple[NameEntry, ...]:
    entries: list[NameEntry] = []
    for name in TABLES[table]:
        entries.extend(_parse(_read(name), name))
    listed = {a for e in entries for a in e.aliases}
    for version, names in sorted(RETIRED.items()):
        if version > table:
            continue
        for name in names:
            retired = _parse_retired(_read(name), name)
            if unknown := [a for a in retired if a not in listed]:
                raise ValueError(f"{name}: retires aliases no table of version {version} lists: {unknown[:5]}")
            gone = set(retired)
            listed -= gone
            entries = [e._replace(aliases=tuple(a for a in e.aliases if a not in gone)) for e in entries]
    return tuple(entries)


def name_entries(version: int = LATEST) -> tuple[NameEntry, ...]:
    """The table normalisation ``version`` reads (the latest by default), read once from the package's resources."""
    return _entries(_table_version(version))


class _Alias(NamedTuple):
    words: tuple[str, ...]  # as :data:`_WORD` cuts the alias
    gaps: tuple[str, ...]  # what stands between them, exactly (" ", " & ", ". ")
    entry: int


@functools.cache
def _index(table: int) -> dict[str, tuple[_Alias, ...]]:
    """First word -> the aliases starting with it, longest first."""
    by_first: dict[str, list[_Alias]] = {}
    for i, entry in enumerate(_entries(table)):
        for alias in entry.aliases:
            spans = [m.span() for m in _WORD.finditer(alias)]
            words = tuple(alias[a:b] for a, b in spans)
            gaps = tuple(alias[spans[k][1]:spans[k + 1][0]] for k in range(len(spans) - 1))
            by_first.setdefault(words[0], []).append(_Alias(words, gaps, i))
    return {k: tuple(sorted(v, key=lambda x: -len(x.words))) for k, v in by_first.items()}


@functools.cache
def _starts(table: int) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """What a name can start with, as :data:`_WORD` cuts a text: the word of a one-word name, the first two words of
    a longer one (each also with a possessive after it): the quick test that most texts hold no name."""
    one: set[str] = set()
    two: set[tuple[str, str]] = set()
    for first, aliases in _index(table).items():
        for alias in aliases:
            if len(alias.words) == 1:
                one.update((first, first + "'s"))
            else:
                two.update(((first, alias.words[1]), (first, alias.words[1] + "'s")))
    return frozenset(one), frozenset(two)


# ASCII bytes -> the same byte for a lower-case letter or a digit, the lower-case letter for an upper-case one, and a
# space for everything else: what cuts an ASCII text into its runs of letters and digits in one C-level pass
_RUNS: Final[bytes] = bytes(c if c in b"abcdefghijklmnopqrstuvwxyz0123456789" else c + 32 if 65 <= c <= 90 else 32
                            for c in range(256))


class _AsciiStarts(NamedTuple):
    """:func:`_starts` in runs of ASCII letters and digits (:data:`_RUNS`): the quick test of :func:`find_names` on
    ASCII text. Where it finds a name, the alias's runs are whole runs of the text, one after the other ("kipchoge's"
    is the runs ``kipchoge s``, "dr. martens" ``dr martens``), so a text holds no name when none of its runs is in
    ``one``, or when no two runs in a row are a key of ``longer`` followed by the rest of one of its aliases."""

    one: frozenset[bytes]  # the aliases of one run ("kipchoge")
    two: frozenset[tuple[bytes, bytes]]  # the first two runs of every other ("the north", "arc teryx", "h m")
    longer: dict[tuple[bytes, bytes], tuple[tuple[bytes, ...], ...]]  # those two runs -> the aliases' runs


@functools.cache
def _ascii_starts(table: int) -> _AsciiStarts:
    one: set[bytes] = set()
    longer: dict[tuple[bytes, bytes], set[tuple[bytes, ...]]] = {}
    for aliases in _index(table).values():
        for alias in aliases:
            written = _joined(alias)
            if not written.isascii():  # never meets an ASCII text
                continue
            runs = tuple(written.encode("ascii").translate(_RUNS).split())
            if len(runs) == 1:
                one.add(runs[0])
            else:
                longer.setdefault(runs[:2], set()).add(runs)
    return _AsciiStarts(frozenset(one), frozenset(longer),
                        {k: tuple(sorted(v, key=len)) for k, v in longer.items()})


def _no_ascii_name(text: str, table: int) -> bool:
    """True when the ASCII ``text`` surely holds no name of ``table`` (the quick test of :class:`_AsciiStarts`)."""
    starts = _ascii_starts(table)
    runs = text.encode("ascii").translate(_RUNS).split()
    if not starts.one.isdisjoint(runs):
        return False
    if starts.two.isdisjoint(zip(runs, runs[1:])):
        return True
    return not any(tuple(runs[i:i + len(full)]) == full for i, pair in enumerate(zip(runs, runs[1:]))
                   if pair in starts.two for full in starts.longer[pair])


_BEFORE: Final[frozenset[str]] = frozenset("([{\"'")  # what may stand right before a name (or a space, or "@")
_AFTER: Final[frozenset[str]] = frozenset(",.!?;:)]}\"'…")  # what may stand right after one (or a space)


def _lower(text: str) -> str:
    """``text`` in lower case, one character for one (positions in it are positions in ``text``)."""
    lower = text.lower()
    if not text.isascii():
        lower = lower.translate(_FOLD)
        if len(lower) != len(text):  # a character whose lower case is longer
            lower = "".join(c.lower()[:1] for c in text).translate(_FOLD)
    return lower


def _standalone(lower: str, start: int, end: int) -> bool:
    """A name stands alone: not glued to a word, a handle's other half, a hashtag, an e-mail address or a path.
    ``@name`` counts (a handle that is exactly the name)."""
    if start:
        before = lower[start - 1]
        if before == "@":
            if start > 1 and not lower[start - 2].isspace():
                return False  # an e-mail address or a glued handle
        elif not before.isspace() and before not in _BEFORE:
            return False
    return end == len(lower) or lower[end].isspace() or lower[end] in _AFTER


def find_names(text: str, version: int = LATEST, *, skip: Collection[str] = ()) -> list[tuple[int, int, int]]:
    """The known names of ``text`` that the rules of the module doc reach: ``(start, end, entry)`` per name, in
    order, ``entry`` an index into :func:`name_entries` of the same ``version``; each entry once, at most
    :data:`MAX_GLOSSES`. An alias in ``skip`` (lower case) is never matched: a shorter alias at the same place, or
    a later mention of the same entry, still is."""
    table = _table_version(version)
    if text.isascii() and _no_ascii_name(text, table):  # most texts
        return []
    lower = _lower(text)
    one, two = _starts(table)
    tokens = _ASCII_WORD.findall(lower) if lower.isascii() else _WORD.findall(lower)
    if one.isdisjoint(tokens) and two.isdisjoint(zip(tokens, tokens[1:])):  # most texts: no name starts here
        return []
    starts = [i for i, w in enumerate(tokens) if w in one or (i + 1 < len(tokens) and (w, tokens[i + 1]) in two)]
    index = _index(table)
    spans: list[tuple[int, int]] = []  # the words' positions, the same cut as ``tokens``: found when first needed
    found: list[tuple[int, int, int]] = []
    seen: set[int] = set()
    free = 0  # the first word not inside a name already found
    for i in starts:
        if i < free:
            continue
        if len(seen) >= MAX_GLOSSES:
            break
        raw = tokens[i]
        form = _form(raw) if raw.endswith("'s") else raw
        if raw == form:
            candidates = index.get(raw, ())
        else:
            candidates = tuple(sorted((*index.get(raw, ()), *index.get(form, ())), key=lambda c: -len(c.words)))
        for alias in candidates:
            n = len(alias.words)
            if i + n > len(tokens):
                continue
            if skip and _joined(alias) in skip:
                continue
            # a word matches as written; the last one also without its possessive ("kipchoge's" meets "kipchoge",
            # "steph's curry" never meets "steph curry", and "wendy" never meets "wendy's")
            last = tokens[i + n - 1]
            if (last != alias.words[-1] and _form(last) != alias.words[-1]) or \
                    any(tokens[i + k] != alias.words[k] for k in range(n - 1)):
                continue
            if not spans:
                spans = [m.span() for m in _WORD.finditer(lower)]
            if any(lower[spans[i + k][1]:spans[i + k + 1][0]] != alias.gaps[k] for k in range(n - 1)):
                continue  # between the words, exactly what the alias has: "dr. martens", "dolce & gabbana"
            start, end = spans[i][0], spans[i + n - 1][1]
            if alias.words[-1].endswith("s") and lower.startswith("'", end) and last == alias.words[-1]:
                end += 1  # a plural possessive: "adidas' new drop"
            if not _standalone(lower, start, end):
                continue
            free = i + n
            if alias.entry not in seen:
                seen.add(alias.entry)
                found.append((start, end, alias.entry))
            break
    return found


class NamePairs(NamedTuple):
    """Every two words that follow each other in an alias of a table (as :data:`_WORD` cuts it), and the words on
    each side of such a pair: a name runs across a boundary of a text only where such a pair meets there."""

    pairs: frozenset[tuple[str, str]]
    firsts: frozenset[str]  # words another word of a name follows
    seconds: frozenset[str]  # words that follow another word of a name


@functools.cache
def _pairs(table: int) -> NamePairs:
    pairs = frozenset((alias.words[k], alias.words[k + 1]) for aliases in _index(table).values()
                      for alias in aliases for k in range(len(alias.words) - 1))
    return NamePairs(pairs, frozenset(a for a, _ in pairs), frozenset(b for _, b in pairs))


def name_pairs(version: int = LATEST) -> NamePairs:
    """The :class:`NamePairs` of normalisation ``version``'s table, lower case: the quick test of
    :func:`names_across`."""
    return _pairs(_table_version(version))


_LAST_WORD: Final[re.Pattern[str]] = re.compile(r"[^\W_]+(?:['&.\-][^\W_]+)*$")


def first_word(text: str) -> str:
    """The first word of ``text`` as :func:`find_names` cuts it, in lower case ("" when there is none); marks before
    it are skipped ("(free" -> "free"). Reads at most the first 64 characters: no word of a name is longer."""
    found = _WORD.search(_lower(text[:64]))
    return found.group() if found else ""


def last_word(text: str) -> str:
    """The word ``text`` ends with, as :func:`find_names` cuts it, in lower case, after any space or mark a name
    holds between its words ("pull &" -> "pull"); "" when it ends with another mark or a run of letters longer than
    64 characters."""
    text = text.rstrip(" &.-'")
    word = text.rpartition(" ")[2].lstrip("([{\"'@")
    if word.isalnum() and len(word) <= 64:  # the common case, without the pattern
        return _lower(word)
    end = text[-64:]
    found = _LAST_WORD.search(end)
    if found is None or (found.start() == 0 and len(text) > len(end)):
        return ""
    return _lower(found.group())


def names_across(before: str, words: str, after: str, version: int = LATEST) -> tuple[bool, bool]:
    """Whether a known name would run across either end of ``words`` (an emoji's words) written between ``before``
    and ``after`` with one space on each side: ``(from before into words, from words into after)``. A name the
    words finish ("free" + 🔥 "fire"), start ("👨 united": "man united") or sit inside ("the 👨 company") is one
    that no writer typed; normalisation 8 and later keep such words apart with commas (``brandfit.text.normalize``).

    >>> names_across("shipping is free", "fire", "on all orders")
    (True, False)
    >>> names_across("", "man", "united we stand"), names_across("the", "man", "company rocks")
    ((False, True), (True, True))
    >>> names_across("kipchoge", "goat", "in berlin"), names_across("free!", "fire", "")
    ((False, False), (False, False))
    """
    before, words, after = before.strip(), words.strip(), after.strip()
    pairs = name_pairs(version).pairs
    left = (last_word(before), first_word(words)) in pairs
    right = (last_word(words), first_word(after)) in pairs
    if not (left or right):
        return False, False
    text = (before + " " if before else "") + words + (" " + after if after else "")
    start_words = len(before) + 1 if before else 0
    end_words = start_words + len(words)
    into = out = False
    for start, end, _ in find_names(text, version):
        if start < end_words and end > start_words:  # the name holds some of the words
            into = into or start < start_words
            out = out or end > end_words
    return into, out


class KnownName(NamedTuple):
    """A known name as a text writes it (``"Kipchoge's"``), the alias it matched (``"kipchoge"``), the table entry
    (an index into :func:`name_entries`), and that entry's vertical and gloss."""

    written: str
    alias: str
    entry: int
    vertical: str
    gloss: str


def known_names(text: str, version: int = LATEST, *, skip: Collection[str] = ()) -> list[KnownName]:
    """The known names ``text`` names (:func:`find_names`, ``skip`` included; a normalised text's glosses name
    nothing), from the table of normalisation ``version``, in order.

    >>> known_names("KIPCHOGE (marathon runner) in berlin", version=5)
    [KnownName(written='KIPCHOGE', alias='kipchoge', entry=350, vertical='sports_outdoor', gloss='marathon runner')]
    >>> [n.written for n in known_names("breaking bad habits, then breaking bad s5", version=5)]
    ['breaking bad']
    >>> known_names("breaking bad habits", version=5, skip={"breaking bad"})
    []
    """
    entries = name_entries(version)
    out = []
    for a, b, k in find_names(text, version, skip=skip):
        words = _lower(text)[a:b] if not text.isascii() else text[a:b].lower()
        alias = words if words in entries[k].aliases else _form(words) if _form(words) in entries[k].aliases \
            else words.rstrip("'")
        out.append(KnownName(text[a:b], alias, k, entries[k].vertical, entries[k].gloss))
    return out


def named_verticals(text: str, version: int = LATEST, *, skip: Collection[str] = ()) -> frozenset[str]:
    """The verticals of :func:`known_names` (the same arguments).

    >>> sorted(named_verticals("kipchoge (marathon runner) and the new pegasus", version=5))
    ['sports_outdoor']
    >>> named_verticals("hill repeats in the fog", version=5)
    frozenset()
    """
    return frozenset(n.vertical for n in known_names(text, version, skip=skip))


def _joined(alias: _Alias) -> str:
    return alias.words[0] + "".join(g + w for g, w in zip(alias.gaps, alias.words[1:]))


def _gloss(entry: int, version: int) -> str:
    return f" ({name_entries(version)[entry].gloss})"


def gloss_names(text: str, limit: int | None = None, version: int = LATEST) -> str:
    """``text`` with each known name followed by its gloss in parentheses (see the module doc), from the table of
    normalisation ``version``. With ``limit``, glosses are added in order while the result stays within ``limit``
    characters."""
    found = find_names(text, version)
    if not found:
        return text
    out, last, size = [], 0, len(text)
    for _, end, entry in found:
        gloss = _gloss(entry, version)
        if limit is not None and size + len(gloss) > limit:
            break
        out.append(text[last:end])
        out.append(gloss)
        last, size = end, size + len(gloss)
    out.append(text[last:])
    return "".join(out)


def strip_glosses(text: str, version: int = LATEST) -> str:
    """The inverse of :func:`gloss_names` of the same ``version``: every gloss it would have put after a name of
    ``text``, removed."""
    if "(" not in text:
        return text
    found = find_names(text, version)
    out, last = [], 0
    for _, end, entry in found:
        gloss = _gloss(entry, version)
        if text.startswith(gloss, end):
            out.append(text[last:end])
            last = end + len(gloss)
    out.append(text[last:])
    return "".join(out)
