"""Accounts and brand topics as callers give them, checked at the boundary.

>>> from brandfit.account import Account, BrandTopic
>>> acc = Account.from_input({"bio": "trail runner", "posts": ["hill repeats today", {"text": "new shoes", "likes": 12}]})
>>> len(acc.posts), acc.posts[1].likes
(2, 12)
>>> BrandTopic("trail", "trail running shoes and ultramarathon gear").texts()
('trail running shoes and ultramarathon gear',)
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from brandfit._safejson import TooManyDigits
from brandfit.errors import InputError, InputTypeError
from brandfit.topics import BRAND_TOPICS

__all__ = ["Post", "Account", "BrandTopic", "MAX_INPUT_CHARS", "MAX_COUNT", "clean_text", "parse_count", "parse_brand_topic"]

MAX_BRAND_EXAMPLES = 200
MAX_INPUT_CHARS = 5000
"""Texts longer than this are cut on input to their start and their last 1,000 characters
(:func:`brandfit.text.head_and_tail`: a closing ``#ad`` or code is kept; the embedder reads far less), never
rejected."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` cut to :data:`MAX_INPUT_CHARS` (its start and its end), with lone surrogates (valid JSON, invalid
    UTF-8) replaced by U+FFFD, so every text scored and written is valid UTF-8."""
    from brandfit.text import head_and_tail

    value = head_and_tail(value, MAX_INPUT_CHARS)
    return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputTypeError(f"{where}: expected a string, got {type(value).__name__}")
    return clean_text(value)


MAX_COUNT = 10**12
"""Largest follower, like or comment count accepted (far above any real account; keeps arithmetic finite)."""


def _is_nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (OverflowError, ValueError, TypeError):
        return False


def parse_count(value: Any, where: str) -> int | None:
    """A follower/like/comment count: None or NaN (pandas' missing value: a DataFrame's empty cell) for missing, or a
    whole number in [0, MAX_COUNT].

    Any real number is taken (``int``, ``float``, numpy integer and floating scalars, ...; never a ``bool``) as
    long as it is whole; infinities are errors naming the field. Files are stricter: ``brandfit tag`` sets aside a
    row whose count is ``NaN`` (:mod:`brandfit.tagging`), where an empty CSV cell or ``null`` is the missing value."""
    if value is None or (isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
                         and not isinstance(value, bool) and _is_nan(value)):
        return None
    if isinstance(value, TooManyDigits):  # an integer literal too long to parse (see brandfit._safejson)
        raise InputError(f"{where}: must be between 0 and {MAX_COUNT:,}, got a {value.digits}-digit number")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy's bool_ is not a numbers.Real
        raise InputTypeError(f"{where}: expected a number, got {type(value).__name__}")
    if not isinstance(value, numbers.Integral):
        try:
            as_float: float | None = float(value)
        except OverflowError:  # a Fraction too large for a float: out of range below, if whole
            as_float = None
        if (as_float is not None and not math.isfinite(as_float)) or value != int(value):
            shown = repr(as_float) if as_float is not None else f"a {type(value).__name__} too large for a float"
            raise InputError(f"{where}: expected a whole number, got {shown}")
    if not 0 <= value <= MAX_COUNT:
        shown = value if abs(value) < 10**15 else f"a {_digits(value)}-digit number"
        raise InputError(f"{where}: must be between 0 and {MAX_COUNT:,}, got {shown}")
    return int(value)


def _str(value: Any) -> str:
    """``str(value)``; an int too long for ``str()`` (``sys.set_int_max_str_digits``) is shown by its length."""
    try:
        return str(value)
    except ValueError:
        return f"<a {_digits(value)}-digit number>" if isinstance(value, int) else f"<a {type(value).__name__}>"


def _digits(value: int | float) -> int:
    """How many decimal digits ``abs(value)`` has, without ``str()`` (which Python refuses past 4300 digits)."""
    n = abs(int(value))
    approx = max(1, int(n.bit_length() * 0.30102999566398120))  # log10(2); exact or one short
    return approx + 1 if n >= 10**approx else approx



ACCOUNT_FIELDS: tuple[str, ...] = ("account_id", "handle", "followers", "bio", "posts")
"""The fields an account mapping may carry (:meth:`Account.from_input`); any other is an error, not ignored."""
POST_FIELDS: tuple[str, ...] = ("text", "likes", "comments", "posted_at")
"""The fields a post mapping may carry."""


def _no_unknown(values: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    """:class:`InputError` naming the first unknown key of ``values`` (a typo such as ``post`` must not silently
    drop the posts), with the known field it most resembles."""
    import difflib

    for key in values:
        if key not in known:
            shown = repr(key)[:60]
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6) if isinstance(key, str) else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"{where}: unknown field {shown}{hint}; expected only {', '.join(known)}")

@dataclass(frozen=True, slots=True)
class Post:
    text: str
    likes: int | None = None
    comments: int | None = None
    posted_at: str | None = None


@dataclass(frozen=True)
class Account:
    """An influencer account: a bio and posts, with optional id, handle and follower count."""

    bio: str = ""
    posts: tuple[Post, ...] = ()
    account_id: str | None = None
    handle: str | None = None
    followers: int | None = None

    @classmethod
    def from_input(cls, account: "Account | Mapping[str, Any]", *, where: str = "account") -> "Account":
        """Build an Account from a mapping (or return it): errors name the offending field."""
        if isinstance(account, Account):
            return account
        if not isinstance(account, Mapping):
            raise InputTypeError(f"{where}: expected a mapping or an Account, got {type(account).__name__}")
        _no_unknown(account, ACCOUNT_FIELDS, where)
        bio = _text(account.get("bio"), f"{where}.bio")
        raw_posts = account.get("posts")
        if raw_posts is None:
            raw_posts = []
        if isinstance(raw_posts, (str, bytes)) or not isinstance(raw_posts, Sequence):
            raise InputTypeError(f"{where}.posts: expected a list of strings or of mappings with 'text'")
        posts = []
        for i, p in enumerate(raw_posts):
            pw = f"{where}.posts[{i}]"
            if isinstance(p, str):
                posts.append(Post(clean_text(p)))
            elif isinstance(p, Mapping):
                _no_unknown(p, POST_FIELDS, pw)
                if "text" not in p:
                    raise InputError(f"{pw}.text: missing")
                if not isinstance(p["text"], str):
                    raise InputTypeError(f"{pw}.text: expected a string, got {type(p['text']).__name__}")
                posted_at = p.get("posted_at")
                posts.append(Post(
                    _text(p.get("text"), f"{pw}.text"),
                    likes=parse_count(p.get("likes"), f"{pw}.likes"),
                    comments=parse_count(p.get("comments"), f"{pw}.comments"),
                    posted_at=None if posted_at is None else clean_text(_str(posted_at)),
                ))
            else:
                raise InputTypeError(f"{pw}: expected a string or a mapping with 'text', got {type(p).__name__}")
        if not bio and not posts and account.get("bio") is None:
            raise InputError(f"{where}: needs a bio or at least one post")
        acc_id = account.get("account_id")
        handle = account.get("handle")
        return cls(
            bio=bio,
            posts=tuple(posts),
            account_id=None if acc_id is None else clean_text(_str(acc_id)),
            handle=None if handle is None else clean_text(_str(handle)),
            followers=parse_count(account.get("followers"), f"{where}.followers"),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe mapping that :meth:`from_input` reads back into an equal account."""
        return {
            "account_id": self.account_id,
            "handle": self.handle,
            "followers": self.followers,
            "bio": self.bio,
            "posts": [{"text": p.text, "likes": p.likes, "comments": p.comments, "posted_at": p.posted_at}
                      for p in self.posts],
        }

    @property
    def has_bio(self) -> bool:
        return bool(self.bio.strip())

    def post_indices(self) -> list[int]:
        """Indices of the posts with text (empty posts are counted but not scored)."""
        return [i for i, p in enumerate(self.posts) if p.text.strip()]

    def scored_texts(self) -> list[str]:
        """The texts the model reads, in the one order every caller relies on: the bio (when not blank), then each
        non-empty post."""
        return ([self.bio] if self.has_bio else []) + [p.text for p in self.posts if p.text.strip()]

    def __post_init__(self) -> None:
        if not isinstance(self.bio, str):
            raise InputTypeError(f"account.bio: expected a string, got {type(self.bio).__name__}")
        if isinstance(self.posts, (str, bytes)):
            raise InputTypeError("account.posts: expected a sequence of posts, got a single string")
        object.__setattr__(self, "posts", tuple(p if isinstance(p, Post) else Post(_text(p, "account.posts[]"))
                                                for p in self.posts))


@dataclass(frozen=True)
class BrandTopic:
    """A brand's own core topic in words, e.g. ``BrandTopic("trail", "trail running shoes and ultra gear")``.

    Scored by similarity to the description and examples, mapped to a probability with the
    calibration the model learned on its built-in topics (see :mod:`brandfit.brand`). Without examples, models
    from ``relevance@70`` on borrow the 10 of their stored labelled texts nearest the description as examples
    (``brand.expand``); giving one example or more replaces them.
    """

    name: str
    description: str
    examples: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("brand_topic.name: must be a non-empty string")
        if not isinstance(self.description, str) or not self.description.strip():
            raise InputError("brand_topic.description: must be a non-empty string")
        if isinstance(self.examples, (str, bytes)):
            raise InputTypeError("brand_topic.examples: expected a list of strings, got a single string; wrap it "
                                 "in a list")
        ex = tuple(self.examples)
        if len(ex) > MAX_BRAND_EXAMPLES:
            raise InputError(f"brand_topic.examples: at most {MAX_BRAND_EXAMPLES}, got {len(ex)}")
        for i, e in enumerate(ex):
            if not isinstance(e, str) or not e.strip():
                raise InputError(f"brand_topic.examples[{i}]: must be a non-empty string")
        object.__setattr__(self, "examples", ex)

    def texts(self) -> tuple[str, ...]:
        return (self.description, *self.examples)


def parse_brand_topic(brand_topic: "str | BrandTopic | Mapping[str, Any]") -> "str | BrandTopic":
    """A built-in topic id (one of the five) or a :class:`BrandTopic`; ``ValueError`` names what is wrong."""
    if isinstance(brand_topic, BrandTopic):
        return brand_topic
    if isinstance(brand_topic, Mapping):
        examples = brand_topic.get("examples", ())
        if isinstance(examples, (str, bytes)):
            raise InputTypeError("brand_topic.examples: expected a list of strings, got a single string")
        return BrandTopic(str(brand_topic.get("name", "")), brand_topic.get("description", ""),
                          tuple(examples or ()))
    if isinstance(brand_topic, str):
        if brand_topic in BRAND_TOPICS:
            return brand_topic
        raise InputError(
            f"brand_topic: unknown topic id {brand_topic!r}; expected one of {', '.join(BRAND_TOPICS)} "
            "or a BrandTopic(name, description)"
        )
    raise InputTypeError(f"brand_topic: expected a topic id or a BrandTopic, got {type(brand_topic).__name__}")
