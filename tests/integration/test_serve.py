"""``brandfit serve`` on the real production model: every route and error, hot swap, and a real server process."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402
from serve_process import publish_copy, start_server  # noqa: E402

from brandfit.serve.app import ServeConfig, create_app  # noqa: E402
from brandfit.serve.limits import Limits  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PROD = json.loads((REPO / "models" / "_aliases" / "production.json").read_text())
PROD = f"{PROD['name']}@{PROD['version']}"  # the version the repository's production alias points to
ACC = {"account_id": "a1", "handle": "@trail", "followers": 5400, "bio": "trail runner | ultra training log",
       "posts": ["20 miles of hill repeats in the fog", {"text": "new trail shoes, code TESS15 #ad", "likes": 30}]}
BEAUTY = {"bio": "makeup hobbyist | swatches", "posts": ["lipstick swatches: 12 nude shades", "my skincare routine"]}
PROBLEM = "application/problem+json"


def make_client(model, **cfg):
    cfg.setdefault("poll_interval", 0)
    cfg.setdefault("registry", REPO / "models")
    return TestClient(create_app(ServeConfig(**cfg), model=model))


@pytest.fixture(scope="module")
def client(production_model):
    with make_client(production_model, limits=Limits(max_accounts=5, max_posts=3, max_chars=200,
                                                     max_body_bytes=20_000, max_texts=4)) as c:
        yield c


def problem(resp, status, field):
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    assert body.get("field") == field, body
    return body


def test_relevance_matches_the_pipeline(client, production_model):
    from brandfit.account import Account
    from brandfit.pipeline import Pipeline

    r = client.post("/v1/relevance", json={"account": ACC, "brand_topic": "sports_outdoor"})
    assert r.status_code == 200 and r.headers["x-request-id"]
    body = r.json()
    want = Pipeline(production_model).score([Account.from_input(ACC)], "sports_outdoor")[0]
    assert body["model_version"] == production_model.version
    assert body["score"] == pytest.approx(want.score) and body["primary_topic"] == want.primary_topic
    assert body["rank_score"] == pytest.approx(want.rank_score) and body["handle"] == "@trail"


def test_relevance_with_a_brand_topic_in_words(client):
    brand = {"name": "trail gear", "description": "trail running shoes and ultramarathon gear",
             "examples": ["long run on rocky singletrack"]}
    r = client.post("/v1/relevance", json={"account": ACC, "brand_topic": brand})
    assert r.status_code == 200 and r.json()["brand_topic"] == "trail gear"


def test_batch_keeps_order_and_reports_bad_items(client):
    r = client.post("/v1/relevance/batch", json={"accounts": [ACC, {"bio": 5}, BEAUTY, "text", {}],
                                                 "brand_topic": "beauty"})
    assert r.status_code == 200
    body = r.json()
    assert body["n_ok"] == 2 and body["n_errors"] == 3 and body["model_version"] == PROD
    res = body["results"]
    assert [x["index"] for x in res] == [0, 1, 2, 3, 4]
    assert res[0]["ok"] and res[0]["result"]["account_id"] == "a1"
    assert res[2]["result"]["score"] > res[0]["result"]["score"]
    assert res[1]["error"]["field"] == "accounts[1].bio" and res[1]["error"]["status"] == 422
    assert res[3]["error"]["field"] == "accounts[3]" and res[4]["error"]["field"] == "accounts[4]"


def test_rank_sorts_by_rank_score_and_keeps_top(client):
    r = client.post("/v1/rank", json={"accounts": [ACC, BEAUTY, {"bio": "phone teardowns"}], "brand_topic": "beauty",
                                      "top": 2})
    body = r.json()
    assert r.status_code == 200 and body["n_scored"] == 3 and len(body["results"]) == 2
    assert [x["rank"] for x in body["results"]] == [1, 2] and body["results"][0]["index"] == 1
    scores = [x["rank_score"] for x in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_texts(client, production_model):
    r = client.post("/v1/texts", json={"texts": ["use my code GLOW20 for 20% off #ad", "squats and deadlifts"]})
    body = r.json()
    assert r.status_code == 200 and body["topics"][0] == "sports_outdoor" and len(body["results"]) == 2
    first, second = body["results"]
    assert first["promo"] and "discount_code" in first["cues"] and second["top_topic"] == "fitness"
    assert sum(second["topic_probs"].values()) == pytest.approx(1.0, abs=1e-4)


def test_texts_an_empty_or_blank_text_has_no_topic_as_in_python(client, production_model):
    import brandfit

    r = client.post("/v1/texts", json={"texts": ["", " \n\t", "squats and deadlifts"]})
    assert r.status_code == 200
    empty, blank, read = r.json()["results"]
    rel = brandfit.predict_relevance({"bio": "", "posts": [" \n\t"]}, "fitness", model=production_model)
    for row in (empty, blank):
        assert row["top_topic"] is None and rel.primary_topic is None
        assert row["topic_probs"] == rel.topic_probs and set(rel.topic_probs.values()) == {0.0}
        assert not row["promo"] and row["promo_probability"] == 0.0 and row["cues"] == []
        assert row["reason"] == "No text to judge: the text is empty."
    assert read["top_topic"] == "fitness" and read["reason"] is None


def test_texts_merged_from_concurrent_requests_match_one_by_one(production_model):
    """Concurrent /v1/texts requests share one encoder call on the real model, and each gets the rows it would
    have got alone."""
    import asyncio

    import httpx

    batches = [["use my code GLOW20 for 20% off #ad", "squats and deadlifts"], ["trail shoes for the ultra"],
               ["new phone camera test", "red lip tutorial", "linen summer outfit"], ["morning yoga flow"]]
    app = create_app(ServeConfig(poll_interval=0, registry=REPO / "models", max_delay=1.0),
                     model=production_model)
    async def together():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answers = await asyncio.gather(*(http.post("/v1/texts", json={"texts": t}) for t in batches))
            metrics = (await http.get("/metrics")).text
        await app.state.serve.batcher.close()
        return [r.json()["results"] for r in answers], metrics

    merged, metrics = asyncio.run(together())
    assert "brandfit_serve_batch_texts_count 1.0" in metrics  # one model call for the four requests
    with TestClient(app) as c:
        alone = [c.post("/v1/texts", json={"texts": t}).json()["results"] for t in batches]
    for rows_alone, rows_merged in zip(alone, merged):
        assert [r["cues"] for r in rows_alone] == [r["cues"] for r in rows_merged]
        assert [r["top_topic"] for r in rows_alone] == [r["top_topic"] for r in rows_merged]
        for a, m in zip(rows_alone, rows_merged):
            assert m["promo_probability"] == pytest.approx(a["promo_probability"], abs=1e-4)
            assert list(m["topic_probs"].values()) == pytest.approx(list(a["topic_probs"].values()), abs=1e-4)


def test_models_health_ready_metrics_openapi(client):
    models = client.get("/v1/models").json()
    assert models["model_version"] == PROD and PROD in [v["ref"] for v in models["versions"]]
    assert client.get("/healthz").json() == {"status": "ok", "model_version": PROD}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready" and ready.json()["refused"] is None
    metrics = client.get("/metrics").text
    for name in ("brandfit_serve_requests_total", "brandfit_serve_request_duration_seconds_bucket",
                 "brandfit_serve_batch_accounts_bucket", f'brandfit_serve_model_info{{backend="onnx",version="{PROD}"}}'):
        assert name in metrics
    spec = client.get("/openapi.json").json()
    assert {"/v1/relevance", "/v1/relevance/batch", "/v1/rank", "/v1/texts", "/v1/models"} <= set(spec["paths"])
    assert "examples" in json.dumps(spec["components"]["schemas"]["RelevanceRequest"])
    # the interactive pages load their scripts from files installed with the package, never from a CDN
    for page, scripts in (("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")), ("/redoc", ("redoc.standalone.js",))):
        html = client.get(page)
        assert html.status_code == 200 and "cdn." not in html.text and "googleapis" not in html.text
        for name in scripts:
            assert f"/static-docs/{name}" in html.text
            asset = client.get(f"/static-docs/{name}")
            assert asset.status_code == 200 and len(asset.content) > 100_000
    bundle = client.get("/static-docs/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle and '"5.' in bundle  # Swagger UI 5 renders OpenAPI 3.1 (4.x does not)


@pytest.mark.parametrize("payload,status,field", [
    ({"account": ACC, "brand_topic": "nope"}, 422, "brand_topic"),
    ({"account": ACC, "brand_topic": 3}, 422, "brand_topic"),
    ({"account": ACC}, 422, "brand_topic"),
    ({"account": [1], "brand_topic": "fitness"}, 422, "account"),
    ({"account": {"posts": [{"likes": 3}]}, "brand_topic": "fitness"}, 422, "account.posts[0].text"),
    ({"account": {"bio": "x", "followers": -1}, "brand_topic": "fitness"}, 422, "account.followers"),
    ({"account": ACC, "brand_topic": {"name": "x", "description": ""}}, 422, "brand_topic.description"),
    ({"account": ACC, "brand_topic": "fitness", "extra": 1}, 422, "extra"),
    ({"account": {"bio": "x" * 201}, "brand_topic": "fitness"}, 422, "account.bio"),
    ({"account": {"posts": ["a", "b", "c", "d"]}, "brand_topic": "fitness"}, 422, "account.posts"),
])
def test_relevance_errors_name_the_field(client, payload, status, field):
    problem(client.post("/v1/relevance", json=payload), status, field)


def test_other_errors(client):
    problem(client.post("/v1/relevance", content=b"{not json", headers={"content-type": "application/json"}),
            400, "body")
    problem(client.post("/v1/relevance", content=b"x" * 30_000, headers={"content-type": "application/json"}),
            413, "body")
    problem(client.post("/v1/relevance/batch", json={"accounts": [ACC] * 6, "brand_topic": "fitness"}), 422,
            "accounts")
    problem(client.post("/v1/rank", json={"accounts": [ACC, {"bio": 1}], "brand_topic": "fitness"}), 422,
            "accounts[1].bio")
    problem(client.post("/v1/rank", json={"accounts": [ACC], "brand_topic": "fitness", "top": 0}), 422, "top")
    problem(client.post("/v1/texts", json={"texts": ["a"] * 5}), 422, "texts")
    problem(client.post("/v1/texts", json={"texts": ["ok", 3]}), 422, "texts[1]")
    problem(client.post("/v1/texts", json={"texts": ["y" * 201]}), 422, "texts[0]")
    assert client.get("/v1/nothing").status_code == 404
    assert client.get("/v1/relevance").status_code == 405


def test_schema_fuzz_on_the_real_model(production_model):
    """The schema fuzz of tests/unit/test_serve_schema.py, briefly, on the real encoder (hostile Unicode reaches
    the real tokenizer): generated requests for every operation, no 5xx, answers as documented both ways."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import (
        content_type_conformance,
        negative_data_rejection,
        not_a_server_error,
        positive_data_acceptance,
        response_schema_conformance,
        status_code_conformance,
    )

    from brandfit.serve.models import warm_up

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
              negative_data_rejection, positive_data_acceptance]
    warm_up(production_model)  # the first encode may export the onnx model (~30 s): not within a request timeout
    limits = Limits(max_accounts=3, max_posts=4, max_chars=200, max_texts=4, max_body_bytes=1_000_000)
    app = create_app(ServeConfig(poll_interval=0, registry=REPO / "models", limits=limits), model=production_model)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(checks=checks)

        fuzz()


def test_request_id_is_echoed_and_access_log_has_no_body(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="brandfit.serve.access"):
        r = client.post("/v1/relevance", json={"account": {"bio": "secret-bio-text"}, "brand_topic": "fitness"},
                        headers={"X-Request-ID": "req-123"})
    assert r.headers["x-request-id"] == "req-123"
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "brandfit.serve.access"]
    assert any(line["request_id"] == "req-123" and line["status"] == 200 for line in lines)
    assert "secret-bio-text" not in caplog.text


def test_api_key(production_model):
    with make_client(production_model, api_key="s3cret") as c:
        body = {"account": ACC, "brand_topic": "fitness"}
        r = c.post("/v1/relevance", json=body)
        problem(r, 401, "authorization")
        assert r.headers["www-authenticate"].startswith("Bearer")
        problem(c.post("/v1/relevance", json=body, headers={"Authorization": "Bearer wrong"}), 401, "authorization")
        assert c.post("/v1/relevance", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/v1/models").status_code == 401
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200


def test_hot_swap_and_refused_version(tmp_path, production_model):
    from brandfit.registry import ModelRegistry

    root = tmp_path / "models"
    shutil.copytree(REPO / "models", root)
    reg = ModelRegistry(root)
    with make_client(None, registry=root) as c:
        mgr = c.app.state.serve.manager
        assert c.get("/healthz").json()["model_version"] == PROD
        before = c.post("/v1/relevance", json={"account": ACC, "brand_topic": "fitness"}).json()
        assert c.portal.call(mgr.check) == "unchanged"

        new = publish_copy(reg, root / PROD.replace("@", "/"), tmp_path, "copy")
        reg.promote(new.ref)
        assert c.portal.call(mgr.check) == "swapped"
        after = c.post("/v1/relevance", json={"account": ACC, "brand_topic": "fitness"}).json()
        assert after["model_version"] == new.ref and after["score"] == pytest.approx(before["score"])
        assert c.get("/readyz").json()["model_version"] == new.ref

        bad = publish_copy(reg, root / PROD.replace("@", "/"), tmp_path, "bad")
        reg.promote(bad.ref)
        heads = bad.path / "heads.npz"
        heads.chmod(0o644)
        heads.write_bytes(heads.read_bytes()[:-10] + b"tampered!!")
        assert c.portal.call(mgr.check) == "refused"
        r = c.post("/v1/relevance", json={"account": ACC, "brand_topic": "fitness"})
        assert r.status_code == 200 and r.json()["model_version"] == new.ref  # the old one keeps serving
        ready = c.get("/readyz").json()
        assert ready["status"] == "ready" and ready["refused"]["version"] == bad.ref
        assert "IntegrityError" in ready["refused"]["error"]
        metrics = c.get("/metrics").text
        assert "brandfit_serve_model_swap_refused 1.0" in metrics
        assert f'brandfit_serve_model_info{{backend="onnx",version="{new.ref}"}} 1.0' in metrics

        reg.rollback()  # back to the good one: the refusal clears
        assert c.portal.call(mgr.check) == "unchanged" and c.get("/readyz").json()["refused"] is None


@pytest.mark.loopback
def test_real_server_process(tmp_path):
    """``brandfit serve`` as a process on loopback: answers, request ids, access log, and a clean SIGTERM exit.
    (SIGTERM and a hot swap under 16 clients' load: tests/integration/test_serve_load.py.)"""
    import httpx

    server = start_server(tmp_path, REPO / "models", "--poll-interval", "0.5")
    try:
        with httpx.Client(base_url=server.base, timeout=30) as http:
            r = http.post("/v1/relevance", json={"account": ACC, "brand_topic": "sports_outdoor"},
                          headers={"X-Request-ID": "proc-1"})
            assert r.status_code == 200 and r.json()["model_version"] == PROD
            assert r.headers["x-request-id"] == "proc-1"
            assert http.post("/v1/relevance", json={"account": ACC, "brand_topic": "x"}).status_code == 422
            assert "brandfit_serve_requests_total" in http.get("/metrics").text
        server.proc.send_signal(signal.SIGTERM)
        # uvicorn drains, runs the lifespan shutdown, then re-raises SIGTERM to itself (exit -15)
        assert server.proc.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        server.stop()
    text = server.text()
    assert "Application shutdown complete" in text
    access = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(a["request_id"] == "proc-1" and a["path"] == "/v1/relevance" for a in access)
