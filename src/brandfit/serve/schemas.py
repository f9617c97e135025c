"""Request and response shapes (pydantic), with the examples /docs and /openapi.json show.

Accounts are checked by :meth:`brandfit.account.Account.from_input` (the one validator every entry point uses),
so a request model holds them as plain JSON objects documented with :data:`ACCOUNT_SCHEMA`; in a batch, a bad
account is then one per-item error instead of a failed request. The documented schemas say exactly what the
server accepts (the schema fuzz in tests/unit/test_serve_fuzz.py holds them to it both ways): a schema-valid
request is scored, a schema-invalid one is refused with a 4xx naming the field. The size limits of the running
server are written in by :func:`document_limits` (``x-brandfit-limit`` markers become ``maxLength``/``maxItems``).
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from brandfit.account import MAX_BRAND_EXAMPLES, MAX_COUNT
from brandfit.topics import BRAND_TOPICS

__all__ = ["ACCOUNT_SCHEMA", "BrandTopicIn", "RelevanceRequest", "BatchRequest", "RankRequest", "TextsRequest",
           "EXAMPLE_ACCOUNT", "finish_openapi"]

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

LIMIT_KEY = "x-brandfit-limit"
"""Marks where a configurable :class:`~brandfit.serve.limits.Limits` field bounds a string or an array."""
NOT_BLANK = r"[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""A character ``str.strip()`` keeps: the whitespace spelled out, since ``\\s`` differs between regex dialects."""
REF_KEY = "x-brandfit-ref"
ACCOUNT_REF = {REF_KEY: "Account"}  # pydantic would try to resolve a "$ref" itself: finish_openapi writes it

_COUNT = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_COUNT}
_TEXT = {"type": "string", LIMIT_KEY: "max_chars"}
_POST_SCHEMA = {"anyOf": [_TEXT, {
    "type": "object", "required": ["text"], "additionalProperties": False,
    "properties": {"text": _TEXT, "likes": _COUNT, "comments": _COUNT, "posted_at": {"type": ["string", "null"]}}}]}
ACCOUNT_SCHEMA = {
    "type": "object",
    "description": "One influencer account: a bio and/or posts (strings or objects with text); any other key is "
                   "a 422 naming it. Checked by brandfit.account.Account.from_input; errors name the field.",
    "additionalProperties": False,
    "properties": {"account_id": {"type": ["string", "integer", "null"]}, "handle": {"type": ["string", "null"]},
                   "followers": _COUNT, "bio": {"type": ["string", "null"], LIMIT_KEY: "max_chars"},
                   "posts": {"type": ["array", "null"], "items": _POST_SCHEMA, LIMIT_KEY: "max_posts"}},
    "anyOf": [{"required": ["bio"], "properties": {"bio": {"type": "string"}}},
              {"required": ["posts"], "properties": {"posts": {"type": "array", "minItems": 1}}}],
    "examples": [EXAMPLE_ACCOUNT],
    "title": "Account",
}
_BRAND_SCHEMA = {
    "anyOf": [
        {"type": "string", "enum": list(BRAND_TOPICS), "title": "A built-in topic id"},
        {"type": "object", "title": "A brand topic in words", "additionalProperties": False,
         "required": ["name", "description"],
         "description": "A brand's own topic in words (scored by similarity, calibrated like a built-in topic).",
         "properties": {
             "name": {"type": "string", "pattern": NOT_BLANK, LIMIT_KEY: "max_chars"},
             "description": {"type": "string", "pattern": NOT_BLANK, LIMIT_KEY: "max_chars"},
             "examples": {"type": "array", "maxItems": MAX_BRAND_EXAMPLES,
                          "items": {"type": "string", "pattern": NOT_BLANK, LIMIT_KEY: "max_chars"}}}},
    ],
    "description": f"A built-in topic id ({', '.join(BRAND_TOPICS)}) or a brand topic in words.",
    "examples": ["sports_outdoor", EXAMPLE_BRAND],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class BrandTopicIn(_Strict):
    """A brand's own topic in words (scored by similarity, calibrated like a built-in topic)."""

    name: str
    description: str
    examples: list[str] = Field(default_factory=list)


BrandTopicField = Annotated[Union[str, BrandTopicIn], WithJsonSchema(_BRAND_SCHEMA)]
AccountField = Annotated[dict[str, Any], WithJsonSchema(ACCOUNT_REF)]
AccountsField = Annotated[list[Any], WithJsonSchema({"type": "array", "items": ACCOUNT_REF,
                                                     LIMIT_KEY: "max_accounts"})]
AnyAccountsField = Annotated[list[Any], WithJsonSchema({
    "type": "array", LIMIT_KEY: "max_accounts",
    "items": {"anyOf": [ACCOUNT_REF, {"description": "anything else: answered with a per-item error"}]}})]


def _whole(value: Any) -> Any:
    """JSON Schema counts 3.0 as an integer: so do we (strict mode would refuse a float)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class RelevanceRequest(_Strict):
    account: AccountField
    brand_topic: BrandTopicField

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"account": EXAMPLE_ACCOUNT, "brand_topic": "sports_outdoor"}]})


class BatchRequest(_Strict):
    accounts: AnyAccountsField = Field(..., description="A bad account is a per-item error in the answer, not a "
                                                        "422 for the whole batch.")
    brand_topic: BrandTopicField

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"accounts": [EXAMPLE_ACCOUNT, {"bio": "lipstick swatches daily"}],
                      "brand_topic": EXAMPLE_BRAND}]})


class RankRequest(_Strict):
    accounts: AccountsField
    brand_topic: BrandTopicField
    top: Annotated[int, BeforeValidator(_whole)] = Field(
        40, ge=1, description="How many accounts the shortlist keeps (a program needs 20 to 40).")
    promo_penalty: float = Field(1.0, ge=0.0, le=1.0,
                                 description="rank_score = score x (1 - promo_penalty x promo_ratio)")

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"accounts": [EXAMPLE_ACCOUNT, {"bio": "gym rat", "posts": ["leg day: squats 5x5"]}],
                      "brand_topic": "fitness", "top": 20}]})


class TextsRequest(_Strict):
    texts: Annotated[list[str], WithJsonSchema({"type": "array", "items": _TEXT, LIMIT_KEY: "max_texts"})]

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"texts": ["20 miles of hill repeats", "use my code GLOW20 for 20% off #ad"]}]})


def finish_openapi(spec: dict[str, Any], limits: Any) -> dict[str, Any]:
    """``spec`` (FastAPI's OpenAPI document, changed in place) made exact: the shared schemas (account, problem)
    in its components, their references written, and this server's limits filled in."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Account"] = copy.deepcopy(ACCOUNT_SCHEMA)
    schemas["Problem"] = Problem.model_json_schema()
    return document_limits(spec, limits)


def document_limits(node: Any, limits: Any) -> Any:
    """``node`` (an OpenAPI document, changed in place) with each ``x-brandfit-limit`` marker replaced by the
    ``maxLength`` (strings) or ``maxItems`` (arrays) this server enforces, each ``x-brandfit-ref`` by a ``$ref``."""
    if isinstance(node, dict):
        ref = node.pop(REF_KEY, None)
        if ref is not None:
            node["$ref"] = f"#/components/schemas/{ref}"
        name = node.pop(LIMIT_KEY, None)
        if name is not None:
            types = node.get("type")
            types = types if isinstance(types, list) else [types]
            node["maxItems" if "array" in types else "maxLength"] = getattr(limits, name)
        for value in node.values():
            document_limits(value, limits)
    elif isinstance(node, list):
        for value in node:
            document_limits(value, limits)
    return node


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
    """One text's row. An empty or blank text is not read (as an empty bio or post is not read for an account):
    ``top_topic`` null, every ``topic_probs`` value and ``promo_probability`` 0, ``promo`` false, no cues, and a
    ``reason``."""

    topic_probs: dict[str, float] = Field(..., description="Per topic id, summing to 1; all 0 for a blank text")
    top_topic: Optional[str] = Field(..., description="The most likely topic; null for an empty or blank text")
    promo_probability: float
    promo: bool
    cues: list[str]
    reason: Optional[str] = Field(None, description="Why the text was not read (empty or blank); null when it was")


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
    status: Literal["ok"]
    model_version: Optional[str] = None


class Refusal(BaseModel):
    """The last version the alias pointed to that failed to load or verify (the old one kept serving)."""

    version: str
    error: str
    at: str


class ServingStatus(BaseModel):
    model_version: Optional[str] = Field(..., description="The version being served (null while loading)")
    backend: str
    loaded_at: Optional[str]
    ref: str = Field(..., description="The registry ref (alias) the server follows")
    alias_target: Optional[str]
    registry: str
    swaps: int
    refused: Optional[Refusal]
    last_check: Optional[str]
    last_check_error: Optional[str]


class VersionOut(BaseModel):
    ref: str
    aliases: list[str]
    published_at: Optional[str]
    description: Optional[str]


class ModelsOut(ServingStatus):
    versions: list[VersionOut]


class Ready(ServingStatus):
    status: Literal["ready", "starting"]
    queued_accounts: int = Field(..., description="Accounts and texts waiting for the model")
