"""Request and response shapes (pydantic), with the examples /docs and /openapi.json show.

Accounts are checked by :meth:`brandfit.account.Account.from_input` (the one validator every entry point uses),
so a request model holds them as plain JSON objects documented with :class:`AccountIn`; in a batch, a bad
account is then one per-item error instead of a failed request.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from brandfit.topics import BRAND_TOPICS

__all__ = ["AccountIn", "PostIn", "BrandTopicIn", "RelevanceRequest", "BatchRequest", "RankRequest",
           "TextsRequest", "EXAMPLE_ACCOUNT"]

EXAMPLE_ACCOUNT = {
    "account_id": "acc-42",
    "handle": "@trail.tessa",
    "followers": 5400,
    "bio": "trail runner | ultra training log | Boulder",
    "posts": [
        "20 miles of hill repeats in the fog this morning",
        {"text": "new trail shoes from @peakgear, use code TESSA15 #ad", "likes": 310, "comments": 12,
         "posted_at": "2026-10-01"},
    ],
}
EXAMPLE_BRAND = {"name": "trail gear", "description": "trail running shoes and ultramarathon gear",
                 "examples": ["long run on rocky singletrack in new trail shoes"]}
_POST_SCHEMA = {"anyOf": [{"type": "string"}, {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string"}, "likes": {"type": "integer", "minimum": 0},
    "comments": {"type": "integer", "minimum": 0}, "posted_at": {"type": "string"}}}]}
_ACCOUNT_SCHEMA = {
    "type": "object",
    "description": "One influencer account: a bio and/or posts (strings or objects with text). Checked by "
                   "brandfit.account.Account.from_input; errors name the field.",
    "properties": {"account_id": {"type": "string"}, "handle": {"type": "string"},
                   "followers": {"type": "integer", "minimum": 0}, "bio": {"type": "string"},
                   "posts": {"type": "array", "items": _POST_SCHEMA}},
    "examples": [EXAMPLE_ACCOUNT],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PostIn(BaseModel):
    text: str
    likes: Optional[int] = None
    comments: Optional[int] = None
    posted_at: Optional[str] = None


class AccountIn(BaseModel):
    """One influencer account: a bio and/or posts (strings or objects with ``text``)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE_ACCOUNT]})
    account_id: Optional[str] = None
    handle: Optional[str] = None
    followers: Optional[int] = Field(None, ge=0)
    bio: Optional[str] = None
    posts: list[Union[str, PostIn]] = Field(default_factory=list)


class BrandTopicIn(_Strict):
    """A brand's own topic in words (scored by similarity, calibrated like a built-in topic)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [EXAMPLE_BRAND]})
    name: str
    description: str
    examples: list[str] = Field(default_factory=list)


BrandTopicField = Field(
    ..., description=f"A built-in topic id ({', '.join(BRAND_TOPICS)}) or a brand topic in words.",
    examples=["sports_outdoor", EXAMPLE_BRAND],
)


class RelevanceRequest(_Strict):
    account: dict[str, Any] = Field(..., json_schema_extra=_ACCOUNT_SCHEMA)
    brand_topic: Union[str, BrandTopicIn] = BrandTopicField

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"account": EXAMPLE_ACCOUNT, "brand_topic": "sports_outdoor"}]})


class BatchRequest(_Strict):
    accounts: list[Any] = Field(..., json_schema_extra={"items": _ACCOUNT_SCHEMA})
    brand_topic: Union[str, BrandTopicIn] = BrandTopicField

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"accounts": [EXAMPLE_ACCOUNT, {"bio": "lipstick swatches daily"}],
                      "brand_topic": EXAMPLE_BRAND}]})


class RankRequest(_Strict):
    accounts: list[Any] = Field(..., json_schema_extra={"items": _ACCOUNT_SCHEMA})
    brand_topic: Union[str, BrandTopicIn] = BrandTopicField
    top: int = Field(40, ge=1, description="How many accounts the shortlist keeps (a program needs 20 to 40).")
    promo_penalty: float = Field(1.0, ge=0.0, le=1.0,
                                 description="rank_score = score x (1 - promo_penalty x promo_ratio)")

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"accounts": [EXAMPLE_ACCOUNT, {"bio": "gym rat", "posts": ["leg day: squats 5x5"]}],
                      "brand_topic": "fitness", "top": 20}]})


class TextsRequest(_Strict):
    texts: list[str]

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"texts": ["20 miles of hill repeats", "use my code GLOW20 for 20% off #ad"]}]})


# ------------------------------------------------------------------------------------------- responses (docs)


class EvidenceOut(BaseModel):
    text: str
    topic_probability: float
    promo: bool


class RelevanceOut(BaseModel):
    """:class:`brandfit.scoring.Relevance` as JSON, plus ``rank_score``."""

    brand_topic: str
    score: float
    topic_probs: dict[str, float]
    primary_topic: Optional[str]
    consistency: float
    promo_ratio: float
    too_promotional: bool
    undisclosed_promo: int
    evidence: list[EvidenceOut]
    reasons: list[str]
    tier: Optional[str]
    engagement_rate: Optional[float]
    n_posts: int
    model_version: str
    account_id: Optional[str] = None
    handle: Optional[str] = None
    followers: Optional[int] = None
    promo_cues: dict[str, int] = Field(default_factory=dict)
    confidence: float
    rank_score: float


class ItemError(BaseModel):
    type: str
    status: int
    field: Optional[str]
    detail: str


class BatchItem(BaseModel):
    index: int
    ok: bool
    result: Optional[RelevanceOut] = None
    error: Optional[ItemError] = None


class BatchOut(BaseModel):
    model_version: str
    n_ok: int
    n_errors: int
    results: list[BatchItem]


class RankedOut(RelevanceOut):
    rank: int
    index: int = Field(..., description="Position of the account in the request")


class RankOut(BaseModel):
    model_version: str
    n_scored: int
    results: list[RankedOut]


class TextOut(BaseModel):
    topic_probs: dict[str, float]
    top_topic: str
    promo_probability: float
    promo: bool
    cues: list[str]


class TextsOut(BaseModel):
    model_version: str
    topics: list[str]
    promo_threshold: float
    results: list[TextOut]


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``); ``field`` names the offending input."""

    type: str
    title: str
    status: int
    detail: str
    field: Optional[str] = None
    instance: Optional[str] = None
    errors: Optional[list[dict[str, Any]]] = None


class Health(BaseModel):
    status: Literal["ok", "ready", "starting"]
    model_version: Optional[str] = None
