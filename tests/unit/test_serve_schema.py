"""The OpenAPI schema of ``brandfit serve`` holds both ways, fuzzed by schemathesis in process (ASGI, no network).

For every operation schemathesis sends schema-valid and schema-violating requests (its coverage phase, then
``EXAMPLES`` generated ones per operation) to ``create_app(...)`` on the fake model (everything but the encoder is
real: limits, validation, text cleaning, cues, heads, scoring, JSON out) and runs the checks named in ``CHECKS``
on each answer: no 5xx; every status code, content type, header and body as documented; a schema-valid request
is accepted and a schema-violating one refused with a 4xx; with an API key, a request without it gets 401.

The limits are small so that generated requests reach them; the body limit is large enough that no schema-valid
request can exceed it (a 413 would count as a valid request refused). ``BRANDFIT_FUZZ_EXAMPLES=1000`` runs
longer (random); the default run is derandomized, so CI sees the same examples every time. Below the fuzz, the
hostile inputs it found (or that it cannot reach) as plain regression tests.
"""

from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from fakes import REPO, make_model  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from brandfit.serve.app import ServeConfig, create_app  # noqa: E402
from brandfit.serve.limits import Limits  # noqa: E402

EXAMPLES = int(os.environ.get("BRANDFIT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 50,
                suppress_health_check=list(HealthCheck))
LIMITS = Limits(max_accounts=4, max_posts=4, max_chars=100, max_texts=5, max_body_bytes=1_000_000)
KEY = "fuzz-key"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, positive_data_acceptance, missing_required_header,
          unsupported_method, allow_header_conformance, ignored_auth]
PROBLEM = "application/problem+json"


def make_app(api_key: str | None = None, limits: Limits = LIMITS):
    return create_app(ServeConfig(poll_interval=0, registry=REPO / "models", limits=limits, api_key=api_key),
                      model=make_model())


# built at import: schemathesis.pytest.from_fixture reads ``request.node._nodeid``, which pytest 9 no longer has
open_schema = schemathesis.openapi.from_asgi("/openapi.json", make_app())
keyed_schema = schemathesis.openapi.from_asgi("/openapi.json", make_app(KEY))


@open_schema.parametrize()
@FUZZ
def test_schema_holds_without_an_api_key(case):
    case.call_and_validate(checks=CHECKS)


@keyed_schema.parametrize()
@FUZZ
def test_schema_holds_with_an_api_key(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS)


def test_the_schema_states_the_limits_and_every_error():
    spec = make_app(KEY).openapi()
    account = spec["components"]["schemas"]["Account"]["properties"]
    assert account["bio"]["maxLength"] == 100 and account["posts"]["maxItems"] == 4
    texts = spec["components"]["schemas"]["TextsRequest"]["properties"]["texts"]
    assert texts["maxItems"] == 5 and texts["items"]["maxLength"] == 100
    assert "x-brandfit-limit" not in str(spec) and "x-brandfit-ref" not in str(spec)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            if path.startswith("/v1/"):
                assert "401" in codes, (method, path)
                assert op["security"] == [{"HTTPBearer": []}], (method, path)
            if method == "post":
                assert {"400", "413", "415", "422", "503"} <= codes, path
            for code in codes - {"200"}:
                content = op["responses"][code]["content"]
                if path.startswith("/v1/"):
                    assert list(content) == [PROBLEM], (method, path, code)
    assert "security" not in make_app().openapi()["paths"]["/v1/relevance"]["post"]  # no key: none declared


@pytest.mark.parametrize("body,headers,status,field,detail", [
    ('{"account": {"bio": "x"}, "brand_topic": "fitness", "x": ' + "[" * 5000 + "]" * 5000 + "}", None, 400,
     "body", "nested deeper than 64 levels"),
    ('{"account": {"bio": "x", "followers": ' + "9" * 5000 + '}, "brand_topic": "fitness"}', None, 400, "body",
     "5000-digit integer"),
    (b"\xff\xfe{}", None, 400, "body", "not valid JSON"),
    ('{"account": {"bio": "x"}, "brand_topic": "fitness"}', {"content-type": "text/plain"}, 415, "content-type",
     "got text/plain"),
    ('{"account": {"bio": "x"}, "brand_topic": "fitness"}', {}, 415, "content-type", "got none"),
    ('{"account": {"bio": "x", "handle": ["@x"]}, "brand_topic": "fitness"}', None, 422, "account.handle", "list"),
    ('{"account": {"posts": [{"text": "x", "posted_at": {}}]}, "brand_topic": "fitness"}', None, 422,
     "account.posts[0].posted_at", "dict"),
    ('{"account": {"bio": "x", "account_id": 1.5}, "brand_topic": "fitness"}', None, 422, "account.account_id",
     "float"),
    ('{"account": {"bio": "x", "followers": 1e400}, "brand_topic": "fitness"}', None, 422, "account.followers",
     "whole number"),
    # JSON's non-standard NaN is no count (null is the missing value), as Infinity is not
    ('{"account": {"bio": "x", "followers": NaN}, "brand_topic": "fitness"}', None, 422, "account.followers",
     "expected a whole number, got nan"),
    ('{"account": {"posts": [{"text": "x", "likes": NaN}]}, "brand_topic": "fitness"}', None, 422,
     "account.posts[0].likes", "got nan"),
    ('{"account": {"bio": "coach", "post": ["leg day"]}, "brand_topic": "fitness"}', None, 422, "account",
     "unknown field 'post' (did you mean 'posts'?)"),
    ('{"account": {"posts": [{"text": "x", "like": 5}]}, "brand_topic": "fitness"}', None, 422,
     "account.posts[0]", "unknown field 'like'"),
    ('{"account": {"bio": "x"}, "brand_topic": {"name": "x", "description": "\\u0085\\u3000"}}', None, 422,
     "brand_topic.description", "non-empty"),
    ('{"account": {"bio": "x"}, "brand_topic": {"name": "' + "n" * 101 + '", "description": "d"}}', None, 422,
     "brand_topic.name", "at most 100 characters"),
    # a brand topic sent as an object: its own error, not the string member's "should be a valid string"
    ('{"account": {"bio": "gym"}, "brand_topic": {"name": "t"}}', None, 422, "brand_topic.description",
     "Field required"),
    ('{"account": {"bio": "gym"}, "brand_topic": {"name": "t", "description": "d", "foo": 1}}', None, 422,
     "brand_topic.foo", "Extra inputs are not permitted"),
    ('{"account": {"bio": "gym"}, "brand_topic": {"name": 5, "description": "d"}}', None, 422, "brand_topic.name",
     "valid string"),
    ('{"account": {"bio": "gym"}, "brand_topic": 5}', None, 422, "brand_topic", "valid string"),  # neither member
    # the documented nesting limit holds from level 65, not only where json.loads gives up (about 1000)
    ('{"account": {"bio": "x"}, "brand_topic": "fitness", "x": ' + "[" * 64 + "]" * 64 + "}", None, 400, "body",
     "nested deeper than 64 levels"),
    ('{"account": ' + '{"a": ' * 64 + "1" + "}" * 64 + ', "brand_topic": "fitness"}', None, 400, "body",
     "nested deeper than 64 levels"),
])
def test_hostile_bodies_get_a_4xx_naming_the_field(body, headers, status, field, detail):
    with TestClient(make_app(), raise_server_exceptions=False) as c:
        r = c.post("/v1/relevance", content=body.encode() if isinstance(body, str) else body,
                   headers={"content-type": "application/json"} if headers is None else headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM and r.json()["field"] == field and detail in r.json()["detail"]


def _nested(depth: int) -> str:
    """A /v1/relevance body ``depth`` levels deep (the outer object is level 1), its account nested inside."""
    return '{"account": ' + '{"a": ' * (depth - 1) + "1" + "}" * (depth - 1) + ', "brand_topic": "fitness"}'


@pytest.mark.parametrize("depth,status,field", [(30, 422, "account"), (64, 422, "account"), (65, 400, "body")])
def test_nesting_up_to_the_limit_is_validated_and_deeper_is_refused(depth, status, field):
    """Up to 64 levels the body is validated (its account's unknown key "a" is the error); from 65, a 400."""
    with TestClient(make_app(), raise_server_exceptions=False) as c:
        r = c.post("/v1/relevance", content=_nested(depth).encode(), headers={"content-type": "application/json"})
    assert r.status_code == status and r.json()["field"] == field, r.text
    assert ("nested deeper than 64 levels" in r.json()["detail"]) == (status == 400)


def test_the_nesting_limit_holds_on_texts_too():
    body = '{"texts": ["a"], "x": ' + "[" * 64 + "]" * 64 + "}"  # 65 levels
    with TestClient(make_app(), raise_server_exceptions=False) as c:
        r = c.post("/v1/texts", content=body.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["detail"] == "body: nested deeper than 64 levels", r.text


@pytest.mark.parametrize("path,body", [
    ("/v1/relevance/batch", {"accounts": [{"bio": "gym"}], "brand_topic": {"name": "t"}}),
    ("/v1/rank", {"accounts": [{"bio": "gym"}], "brand_topic": {"name": "t"}}),
])
def test_a_bad_brand_object_names_its_own_field_on_every_route_and_keeps_every_error(path, body):
    with TestClient(make_app(), raise_server_exceptions=False) as c:
        r = c.post(path, json=body)
    problem = r.json()
    assert r.status_code == 422 and problem["field"] == "brand_topic.description", r.text
    assert problem["detail"] == "brand_topic.description: Field required"
    assert [e["field"] for e in problem["errors"]] == ["brand_topic", "brand_topic.description"]


def test_lone_surrogates_are_answered_not_500():
    """JSON may carry a lone surrogate (``"\\ud800"``), UTF-8 cannot: texts are cleaned (U+FFFD) like every
    account text, and anything echoed back verbatim (a field name in an error) keeps its JSON escape."""
    def post(path: str, body: str):  # json.dumps keeps a lone surrogate as its \\u escape: valid JSON
        return c.post(path, content=json.dumps(body).encode(), headers={"content-type": "application/json"})

    with TestClient(make_app(), raise_server_exceptions=False) as c:
        r = post("/v1/relevance", {"account": {"bio": "x \ud800"},
                                   "brand_topic": {"name": "trail \ud800", "description": "a \udc00"}})
        assert r.status_code == 200 and r.json()["brand_topic"] == "trail \ufffd"
        r = post("/v1/relevance", {"account": {"bio": "x"}, "brand_topic": "fitness", "\ud800": 1})
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        r = post("/v1/relevance", {"account": {"bio": "x", "handle": {"\ud800": 1}}, "brand_topic": "fitness"})
        assert r.status_code == 422 and r.json()["field"] == "account.handle"
        r = post("/v1/texts", {"texts": ["\udfff", "ok \ud83c"]})
        assert r.status_code == 200 and len(r.json()["results"]) == 2


def test_rank_top_may_be_a_whole_float_as_json_schema_allows():
    with TestClient(make_app()) as c:
        body = {"accounts": [{"bio": "gym"}, {"bio": "lipstick"}], "brand_topic": "fitness"}
        assert len(c.post("/v1/rank", json={**body, "top": 1.0}).json()["results"]) == 1
        assert c.post("/v1/rank", json={**body, "top": 1.5}).status_code == 422
        assert c.post("/v1/rank", json={**body, "top": True}).status_code == 422


def test_the_app_serves_again_after_a_restart_and_refuses_while_stopped():
    """A second lifespan (in-process use: TestClient, schemathesis) gets a fresh batcher; between the two, a
    request is a 503 problem, not a 500."""
    app = make_app()
    body = {"account": {"bio": "gym"}, "brand_topic": "fitness"}
    for _ in range(2):
        with TestClient(app) as c:
            assert c.post("/v1/relevance", json=body).status_code == 200
    r = TestClient(app).post("/v1/relevance", json=body)  # no lifespan: the batcher stays closed
    assert r.status_code == 503 and r.headers["content-type"] == PROBLEM and r.headers["retry-after"]


def test_texts_an_empty_or_blank_text_is_not_read_as_the_python_api_does():
    """/v1/texts answers a text with nothing to read as ``brandfit.predict_relevance`` answers an account with
    nothing to read: no topic, every probability 0, and the reason; not a topic mix made from nothing."""
    import brandfit
    from fakes import FakeEmbedder

    embedder = FakeEmbedder()
    model = make_model(embedder)
    app = create_app(ServeConfig(poll_interval=0, registry=REPO / "models", limits=LIMITS), model=model)
    blank = ["", "   ", "\n\t ", "\u3000\u00a0"]
    with TestClient(app) as c:
        mixed = c.post("/v1/texts", json={"texts": ["leg day squats", *blank]})
        alone = c.post("/v1/texts", json={"texts": ["leg day squats"]}).json()["results"][0]
        calls = len(embedder.calls)
        only_blank = c.post("/v1/texts", json={"texts": blank})
        assert len(embedder.calls) == calls  # nothing to read: the model is not called
    assert mixed.status_code == 200 and only_blank.status_code == 200
    read, *rows = mixed.json()["results"]
    assert read == alone and read["top_topic"] == "fitness" and read["reason"] is None  # the others do not change it
    assert sum(read["topic_probs"].values()) == pytest.approx(1.0)
    assert only_blank.json()["results"] == rows
    for text, row in zip(blank, rows):
        rel = brandfit.predict_relevance({"bio": text}, "fitness", model=model)  # the Python API, same text
        assert rel.primary_topic is None and rel.reasons == ("No text to judge: the bio and every post are empty.",)
        assert row == {"topic_probs": rel.topic_probs, "top_topic": None, "promo_probability": 0.0, "promo": False,
                       "cues": [], "reason": "No text to judge: the text is empty."}, repr(text)
