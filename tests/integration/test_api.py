import json
import threading

import numpy as np
import pytest

import brandfit
from brandfit import Account, BrandTopic, predict_relevance, predict_relevance_batch, rank_accounts
from brandfit.cues import find_cues
from brandfit.scoring import ScoringOptions, tier_for

RUNNER = {
    "account_id": "a1",
    "handle": "@trail_tess",
    "followers": 2400,
    "bio": "🏃‍♀️ trail + ultra runner | coach | 🇨🇦",
    "posts": [
        {"text": "20 miles of hill repeats in the fog this morning, legs are toast", "likes": 120, "comments": 8},
        {"text": "new trail shoes finally arrived, first run in them tomorrow", "likes": 95, "comments": 5},
        {"text": "race report: 50k, 2nd in my age group!! #trailrunning #ultra", "likes": 300, "comments": 40},
        {"text": "Use code TESS15 for 15% off my favourite running vest, link in bio", "likes": 40, "comments": 2},
    ],
}
BEAUTY = {
    "account_id": "b1",
    "bio": "skincare nerd ✨ | acne journey | fragrance hoarder",
    "posts": ["my 5 step night skincare routine", "swatching the new matte lipstick shades",
              "this serum cleared my skin in 3 weeks #skincare", "perfume collection tour 🌸"],
}
ADS = {
    "account_id": "c1",
    "bio": "deals deals deals 🔥 running gear at the best price",
    "posts": [
        "SALE!! 40% off all running shoes today only, shop now link in bio",
        "grab yours before they're gone: trail socks 3 for $20, use code RUN20",
        "flash sale on hydration vests, ends tonight! tap the link",
        "limited stock: GPS watches half price, order now",
    ],
}


def test_predict_relevance_runner(model):
    rel = predict_relevance(RUNNER, "sports_outdoor", model=model)
    assert rel.primary_topic == "sports_outdoor"
    assert 0.5 < rel.score <= 1
    assert abs(sum(rel.topic_probs.values()) - 1) < 1e-4
    assert rel.consistency >= 0.75
    assert rel.promo_ratio == pytest.approx(0.25)
    assert not rel.too_promotional
    assert rel.undisclosed_promo == 1
    assert rel.tier == "micro"
    assert rel.engagement_rate == pytest.approx((128 + 100 + 340 + 42) / 4 / 2400)
    assert len(rel.evidence) == 3 and rel.evidence[0].topic_probability >= rel.evidence[-1].topic_probability
    assert rel.n_posts == 4 and rel.model_version.startswith("relevance@")
    assert rel.reasons and all(isinstance(r, str) for r in rel.reasons)
    json.dumps(rel.to_dict())


def test_off_topic_account_scores_low(model):
    beauty = predict_relevance(BEAUTY, "sports_outdoor", model=model)
    assert beauty.primary_topic == "beauty"
    assert beauty.score < 0.2
    assert predict_relevance(BEAUTY, "beauty", model=model).score > 0.6


def test_ad_account_is_flagged(model):
    rel = predict_relevance(ADS, "sports_outdoor", model=model)
    assert rel.promo_ratio >= 0.75 and rel.too_promotional
    assert rel.undisclosed_promo >= 3
    assert any("advertorial" in r for r in rel.reasons)


def test_custom_brand_topic(model):
    brand = BrandTopic("trail shoes", "trail running shoes and ultramarathon gear", examples=("hydration vest",))
    runner = predict_relevance(RUNNER, brand, model=model)
    beauty = predict_relevance(BEAUTY, brand, model=model)
    assert runner.brand_topic == "trail shoes"
    assert runner.score > 0.5 > beauty.score
    assert runner.consistency > beauty.consistency


def test_batch_matches_single_and_keeps_order(model):
    df = predict_relevance_batch([RUNNER, BEAUTY, ADS], "sports_outdoor", model=model)
    assert list(df["account_id"]) == ["a1", "b1", "c1"]
    single = predict_relevance(BEAUTY, "sports_outdoor", model=model)
    assert df.loc[1, "score"] == pytest.approx(single.score, abs=1e-5)


def test_no_accounts_give_the_same_columns_and_no_rows(model):
    """Code downstream of an empty shortlist reads the usual columns."""
    full = predict_relevance_batch([RUNNER], "sports_outdoor", model=model)
    empty = predict_relevance_batch([], "sports_outdoor", model=model)
    assert list(empty.columns) == list(full.columns) and empty.empty and empty["score"].tolist() == []
    ranked = rank_accounts([RUNNER], "sports_outdoor", model=model)
    none = rank_accounts([], "sports_outdoor", model=model)
    assert list(none.columns) == list(ranked.columns) and none.empty


def test_rank_penalises_advertorial(model):
    ranked = rank_accounts([BEAUTY, ADS, RUNNER], "sports_outdoor", model=model, top=2)
    assert list(ranked["account_id"])[0] == "a1" and list(ranked["rank"]) == [1, 2]
    assert "c1" not in set(ranked["account_id"])  # on topic, but all ads: penalised below the off-topic account
    unpenalised = rank_accounts([BEAUTY, ADS, RUNNER], "sports_outdoor", model=model, promo_penalty=0.0)
    assert list(unpenalised["account_id"])[:2] == ["c1", "a1"] or list(unpenalised["account_id"])[:2] == ["a1", "c1"]
    by_id = unpenalised.set_index("account_id")
    ads = by_id.loc["c1"]
    assert ads["rank_score"] == ads["score"]  # no penalty: ranked by fit alone
    assert ads["score"] > by_id.loc["b1"]["score"]  # the running-gear ads still fit sports_outdoor better


def test_empty_texts_score_zero_with_reason(model):
    rel = predict_relevance({"bio": "   ", "posts": ["", " "]}, "fashion", model=model)
    assert rel.score == 0 and rel.primary_topic is None
    assert "empty" in rel.reasons[0]


def test_long_text_is_truncated_not_rejected(model):
    rel = predict_relevance({"bio": "runner " * 20000, "posts": []}, "sports_outdoor", model=model)
    assert rel.score > 0.3


@pytest.mark.parametrize(
    "account, topic, exc, words",
    [
        ({}, "fashion", ValueError, "needs a bio or at least one post"),
        ({"bio": 3}, "fashion", TypeError, "account.bio"),
        ({"posts": ["ok", {"text": None}]}, "fashion", TypeError, "posts[1].text"),
        ({"posts": [{"likes": 3}]}, "fashion", ValueError, "posts[0].text"),
        ({"posts": ["x"], "followers": -5}, "fashion", ValueError, "followers"),
        ({"posts": ["x"]}, "golf", ValueError, "unknown topic id 'golf'"),
        ({"posts": ["x"]}, "other", ValueError, "unknown topic id 'other'"),
        ("not an account", "fashion", TypeError, "account"),
    ],
)
def test_bad_input_names_the_field(model, account, topic, exc, words):
    with pytest.raises(exc, match=words.replace("[", r"\[").replace("]", r"\]")):
        predict_relevance(account, topic, model=model)


def test_empty_brand_description_rejected():
    with pytest.raises(ValueError, match="description"):
        BrandTopic("x", "  ")


def test_tiers_follow_bands():
    assert [tier_for(n) for n in (None, 0, 999, 1000, 9999, 10_000, 99_999, 100_000, 999_999, 1_000_000)] == [
        None, "nano", "nano", "micro", "micro", "mid", "mid", "macro", "macro", "mega"]
    custom = ScoringOptions(tier_bands=(("small", 500), ("big", 5000)), top_tier="huge")
    assert [tier_for(n, custom) for n in (10, 600, 6000)] == ["small", "big", "huge"]


def test_default_model_loaded_once_and_thread_safe(production_model):
    assert brandfit.load_model() is brandfit.load_model("production")
    results, errors = [], []

    def work():
        try:
            results.append(predict_relevance(RUNNER, "sports_outdoor").score)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(round(s, 6) for s in results)) == 1


def test_account_dataclass_accepted(model):
    acc = Account(bio="sneakerhead", posts=("new jordans today", "thrifted a vintage jacket"))
    assert predict_relevance(acc, "fashion", model=model).primary_topic == "fashion"


def test_analyze_finds_cues_alongside_embedding_or_takes_them_given(model):
    texts = ["use code GLOW20 for 20% off, link in bio #ad", "long run by the river this morning"]
    a = model.analyze(texts)  # cues found on the background thread while embedding
    assert a.cues == find_cues(texts)
    b = model.apply_heads(a.embeddings, a.cues, texts)
    assert np.array_equal(a.promo_proba, b.promo_proba) and np.array_equal(a.topic_proba, b.topic_proba)
    with pytest.raises(ValueError, match="cues: 1 rows for 2 texts"):
        model.apply_heads(a.embeddings, a.cues[:1], texts)
    with pytest.raises(ValueError, match="texts: 1 texts for 2 embeddings"):
        model.apply_heads(a.embeddings, a.cues, texts[:1])


def test_analyze_rejects_cues_that_are_not_lists_of_known_names(model):
    texts = ["a", "b"]
    emb = model.embed(texts)
    with pytest.raises(ValueError, match=r"cues\[1\]: expected a list of cue names"):
        model.apply_heads(emb, [[], ["not_a_cue"]], texts)
    with pytest.raises(ValueError, match=r"cues\[0\]: expected a list of cue names"):
        model.apply_heads(emb, ["disclosure", []], texts)
