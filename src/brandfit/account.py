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
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from brandfit.topics import BRAND_TOPICS

__all__ = ["Post", "Account", "BrandTopic", "MAX_INPUT_CHARS", "parse_brand_topic"]

MAX_INPUT_CHARS = 5000
"""Texts longer than this are truncated on input (the embedder reads far less), never rejected."""


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{where}: expected a string, got {type(value).__name__}")
    return value[:MAX_INPUT_CHARS]


def _count(value: Any, where: str) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{where}: expected a number, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{where}: must be >= 0, got {value}")
    return int(value)


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
            raise TypeError(f"{where}: expected a mapping or an Account, got {type(account).__name__}")
        bio = _text(account.get("bio"), f"{where}.bio")
        raw_posts = account.get("posts")
        if raw_posts is None:
            raw_posts = []
        if isinstance(raw_posts, (str, bytes)) or not isinstance(raw_posts, Sequence):
            raise TypeError(f"{where}.posts: expected a list of strings or of mappings with 'text'")
        posts = []
        for i, p in enumerate(raw_posts):
            pw = f"{where}.posts[{i}]"
            if isinstance(p, str):
                posts.append(Post(p[:MAX_INPUT_CHARS]))
            elif isinstance(p, Mapping):
                if "text" not in p:
                    raise ValueError(f"{pw}.text: missing")
                if not isinstance(p["text"], str):
                    raise TypeError(f"{pw}.text: expected a string, got {type(p['text']).__name__}")
                posted_at = p.get("posted_at")
                posts.append(Post(
                    _text(p.get("text"), f"{pw}.text"),
                    likes=_count(p.get("likes"), f"{pw}.likes"),
                    comments=_count(p.get("comments"), f"{pw}.comments"),
                    posted_at=None if posted_at is None else str(posted_at),
                ))
            else:
                raise TypeError(f"{pw}: expected a string or a mapping with 'text', got {type(p).__name__}")
        if not bio and not posts and account.get("bio") is None:
            raise ValueError(f"{where}: needs a bio or at least one post")
        acc_id = account.get("account_id")
        handle = account.get("handle")
        return cls(
            bio=bio,
            posts=tuple(posts),
            account_id=None if acc_id is None else str(acc_id),
            handle=None if handle is None else str(handle),
            followers=_count(account.get("followers"), f"{where}.followers"),
        )

    def __post_init__(self) -> None:
        if not isinstance(self.bio, str):
            raise TypeError(f"account.bio: expected a string, got {type(self.bio).__name__}")
        object.__setattr__(self, "posts", tuple(p if isinstance(p, Post) else Post(_text(p, "account.posts[]"))
                                                for p in self.posts))


@dataclass(frozen=True)
class BrandTopic:
    """A brand's own core topic in words, e.g. ``BrandTopic("trail", "trail running shoes and ultra gear")``.

    Scored by similarity to the description and examples, mapped to a probability with the
    calibration the model learned on its built-in topics (see :mod:`brandfit.scoring`).
    """

    name: str
    description: str
    examples: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("brand_topic.name: must be a non-empty string")
        if not isinstance(self.description, str) or not self.description.strip():
            raise ValueError("brand_topic.description: must be a non-empty string")
        ex = tuple(self.examples)
        for i, e in enumerate(ex):
            if not isinstance(e, str) or not e.strip():
                raise ValueError(f"brand_topic.examples[{i}]: must be a non-empty string")
        object.__setattr__(self, "examples", ex)

    def texts(self) -> tuple[str, ...]:
        return (self.description, *self.examples)


def parse_brand_topic(brand_topic: "str | BrandTopic | Mapping[str, Any]") -> "str | BrandTopic":
    """A built-in topic id (one of the five) or a :class:`BrandTopic`; ``ValueError`` names what is wrong."""
    if isinstance(brand_topic, BrandTopic):
        return brand_topic
    if isinstance(brand_topic, Mapping):
        return BrandTopic(str(brand_topic.get("name", "")), brand_topic.get("description", ""),
                          tuple(brand_topic.get("examples", ())))
    if isinstance(brand_topic, str):
        if brand_topic in BRAND_TOPICS:
            return brand_topic
        raise ValueError(
            f"brand_topic: unknown topic id {brand_topic!r}; expected one of {', '.join(BRAND_TOPICS)} "
            "or a BrandTopic(name, description)"
        )
    raise TypeError(f"brand_topic: expected a topic id or a BrandTopic, got {type(brand_topic).__name__}")
