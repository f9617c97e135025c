"""Account scoring on the fake model: topic mix, confidence, consistency, promo figures, reasons, ranking."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from brandfit.account import Account, BrandTopic
from brandfit.scoring import MIN_CONFIDENCE, ScoringOptions, rank_score, tier_for

FIT = Account(bio="gym coach", posts=("heavy squat day at the gym", "protein oats after my workout",
                                       "yoga flow to cool down", "deadlift pr today"), followers=2400,
              account_id="a1")


def test_clear_account_gets_its_topic_with_full_confidence(pipeline):
    (r,) = pipeline.score([FIT], "fitness")
    assert r.primary_topic == "fitness" and r.confidence > 0.9  # the two-word bio counts two thirds
    assert r.score > 0.8 and r.consistency == 1.0
    assert r.reasons[0].endswith("(bio and 4 posts).")
    assert math.isclose(sum(r.topic_probs.values()), 1.0, abs_tol=1e-4)


def test_emoji_and_hashtag_only_account_has_no_primary_topic(pipeline):
    acc = Account(bio="🔥", posts=("🔥🔥", "#reels #fyp", "✨✨", "🥹🥹", "💯", "🔥🔥🔥"))
    (r,) = pipeline.score([acc], "fitness")
    assert r.primary_topic is None and r.confidence < MIN_CONFIDENCE
    assert r.consistency == 0.0
    assert any("No clear core topic" in x for x in r.reasons)


def test_a_single_short_topical_text_says_it_is_too_little_not_that_most_texts_are_empty(pipeline):
    (r,) = pipeline.score([Account(bio="lipstick swatches")], "beauty")
    assert r.primary_topic is None and r.confidence < MIN_CONFIDENCE
    assert any(x.startswith("No clear core topic yet: too little text to judge (1 short text, confidence")
               for x in r.reasons), r.reasons
    assert not any("most are too short" in x for x in r.reasons)


def test_an_account_clearly_about_something_else_is_called_other(pipeline):
    acc = Account(bio="home cook and bread baker", posts=("sourdough loaf came out great today",
                                                          "sunday soup for the whole family", "tomato salad again"))
    (r,) = pipeline.score([acc], "fitness")
    assert r.primary_topic == "other" and r.confidence > 0.5 and r.score < 0.2


def test_one_word_bio_is_not_a_confident_fit(pipeline):
    (r,) = pipeline.score([Account(bio="gym")], "fitness")
    assert r.primary_topic is None
    assert r.score < 0.6, "one word is an anecdote, not a 100% fit"
    (many,) = pipeline.score([FIT], "fitness")
    assert many.score > r.score


def test_more_evidence_never_lowers_confidence(pipeline):
    short = Account(posts=("squat day at the gym",))
    long = Account(posts=("squat day at the gym",) * 5)
    a, b = pipeline.score([short, long], "fitness")
    assert b.confidence >= a.confidence


def test_promo_figures_come_from_the_cues_of_posts_not_the_bio(pipeline):
    acc = Account(bio="use code GLOW20 for 20% off", posts=("new serum, use code GLOW20 for 20% off #ad",
                                                              "my skincare routine tonight"))
    (r,) = pipeline.score([acc], "beauty")
    assert r.promo_ratio == 0.5
    assert r.promo_cues.get("discount_code") == 1
    assert r.undisclosed_promo == 0


def test_reasons_use_correct_plurals(pipeline):
    (r,) = pipeline.score([Account(bio="trail runner", posts=("ultra race report",))], "sports_outdoor")
    assert "(bio and 1 post)." in r.reasons[0]
    (r2,) = pipeline.score([Account(posts=("ultra race", "", "trail hike"))], "sports_outdoor")
    assert "1 empty post ignored." in r2.reasons


def test_empty_account_scores_zero_with_a_reason(pipeline):
    (r,) = pipeline.score([Account(bio="", posts=("", "  "))], "fitness")
    assert r.score == 0.0 and r.primary_topic is None and r.confidence == 0.0
    assert "every post are empty" in r.reasons[0]


def test_brand_topic_in_words_ranks_the_matching_account_first(pipeline):
    brand = BrandTopic("cyc", "road cycling and bike racing", examples=("bike race",))
    cyclist = Account(bio="road bike racer", posts=("bike race this sunday", "cycling in the rain"))
    beauty = Account(bio="makeup artist", posts=("new lipstick", "skincare shelf"))
    a, b = pipeline.score([cyclist, beauty], brand)
    assert a.brand_topic == "cyc" and a.score > b.score


def test_evidence_option_limits_and_validates():
    with pytest.raises(ValueError, match="evidence"):
        ScoringOptions(evidence=-1)
    with pytest.raises(ValueError, match="evidence"):
        ScoringOptions(evidence=True)


def test_evidence_count_follows_options(fake_model):
    from brandfit.pipeline import Pipeline

    (r,) = Pipeline(fake_model, options=ScoringOptions(evidence=1)).score([FIT], "fitness")
    assert len(r.evidence) == 1


def test_rank_score_is_one_formula():
    assert rank_score(0.8, 0.25) == pytest.approx(0.6)
    assert rank_score(0.8, 0.25, promo_penalty=0.0) == pytest.approx(0.8)


def test_tier_bands_and_bad_followers():
    assert [tier_for(n) for n in (None, 999, 1000, 10_000, 100_000, 10**6)] == \
        [None, "nano", "micro", "mid", "macro", "mega"]
    with pytest.raises(ValueError, match="followers"):
        tier_for(float("nan"))  # type: ignore[arg-type]


def test_to_dict_is_json_safe(pipeline):
    (r,) = pipeline.score([FIT], "fitness")
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert 0 < d["confidence"] <= 1 and isinstance(d["evidence"], list)


def test_batch_is_the_same_as_one_by_one(pipeline):
    accs = [FIT, Account(bio="makeup artist", posts=("lipstick swatches",)), Account(posts=("🔥",))]
    together = pipeline.score(accs, "fitness")
    alone = [pipeline.score([a], "fitness")[0] for a in accs]
    assert [r.to_dict() for r in together] == [r.to_dict() for r in alone]


def test_each_distinct_text_is_embedded_once(fake_model):
    from brandfit.pipeline import Pipeline

    emb = fake_model.embedder
    Pipeline(fake_model).score([Account(posts=("gym day", "gym day", "Gym  day"))] * 3, "fitness")
    assert sum(emb.calls) <= 2  # "gym day" and its normalised variant at most, not nine texts


def test_heads_agree_with_numpy_reference(fake_model):
    a = fake_model.analyze(["squat at the gym", "new lipstick", "hello there"])
    assert a.topic_proba.shape == (3, 6) and np.allclose(a.topic_proba.sum(axis=1), 1)
    assert list(a.topic_proba.argmax(axis=1)) == [2, 3, 5]


def _mix(**shares: float) -> np.ndarray:
    from brandfit.topics import TOPICS

    rest = (1.0 - sum(shares.values())) / (len(TOPICS) - len(shares))
    return np.array([shares.get(t, rest) for t in TOPICS])


@pytest.mark.parametrize("mix, expected", [
    (_mix(fitness=0.55, other=0.35), "fitness"),        # a clear vertical
    (_mix(fitness=0.35, other=0.57), "fitness"),        # a fitness feed full of selfies and food: still fitness
    (_mix(fitness=0.3, other=0.62), "fitness"),         # exactly at PRIMARY_MIN_SHARE
    (_mix(beauty=0.24, other=0.6), None),               # in between: no clear core topic
    (_mix(fashion=0.25, beauty=0.25, other=0.4), None),
    (_mix(other=0.85), "other"),                        # a food or travel feed
    (_mix(fitness=0.19, other=0.7), "other"),
])
def test_core_topic_prefers_a_vertical_that_holds_a_real_share(mix, expected):
    from brandfit.scoring import core_topic

    assert core_topic(mix) == expected


def test_unclear_mix_gets_no_primary_topic_and_says_why(pipeline):
    # the fake model reads "gym" as fitness and "lipstick" as beauty: half and half, with lifestyle posts
    acc = Account(posts=("gym session done", "lipstick swatches", "sunday at the lake", "coffee with mum",
                         "gym again", "lipstick of the week", "new puppy!!", "road trip vibes"))
    (r,) = pipeline.score([acc], "fitness")
    assert r.primary_topic is None and r.confidence > MIN_CONFIDENCE  # plenty of evidence, just no single topic
    assert "No clear core topic: no topic dominates what it posts about (other 35%, fitness 28%, beauty 28%)." \
        in r.reasons


def test_a_vertical_feed_with_lifestyle_posts_keeps_its_vertical(pipeline):
    acc = Account(posts=("squat day at the gym", "sunday at the lake", "coffee with mum", "protein oats",
                         "new puppy!!", "road trip vibes", "deadlift pr today", "birthday dinner",
                         "thank you 2k!!"))
    (r,) = pipeline.score([acc], "fitness")
    assert r.topic_probs["other"] > r.topic_probs["fitness"]  # the plain argmax would say "other"
    assert r.primary_topic == "fitness"


def test_an_unknown_account_or_post_field_is_an_error_naming_it_not_ignored():
    """A typo ("post" for "posts") must not silently drop the posts and score the bio alone: the batch job refuses
    such a column, so the Python API (and HTTP, which calls the same check) refuses such a key."""
    import pytest

    from brandfit.account import Account
    from brandfit.errors import InputError

    with pytest.raises(InputError, match=r"^account: unknown field 'post' \(did you mean 'posts'\?\)"):
        Account.from_input({"bio": "coach", "post": ["leg day", "squat pr"]})
    with pytest.raises(InputError, match=r"^accounts\[0\]\.posts\[1\]: unknown field 'like'"):
        Account.from_input({"posts": ["a", {"text": "b", "like": 5}]}, where="accounts[0]")
    full = Account.from_input({"account_id": "a", "handle": "@a", "followers": 3, "bio": "b",
                               "posts": [{"text": "t", "likes": 1, "comments": 2, "posted_at": "2026-01-01"}]})
    assert Account.from_input(full.to_dict()) == full


def test_reasons_name_the_known_names_of_the_core_topic():
    """A model with a names prior says which known names of the account's core topic it read (at most three,
    possessives dropped, each once); a model without one says nothing of names."""
    from fakes import make_model

    from brandfit.model import RelevanceModel
    from brandfit.pipeline import Pipeline

    base = make_model()
    named = RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                           promo_threshold=base.promo_threshold,
                           config={**base.config, "topic": {**base.config["topic"], "names_prior": 1.0},
                                   "normalization_version": 5}, embedder=base.embedder, backend="onnx")
    acc = Account(posts=("gym day with chloe ting's plan", "jeff nippard program, week 2 at the gym", "gym again",
                         "chloe ting again at the gym", "myfitnesspal log after the gym", "strong app says gym pr",
                         "weekend in Manchester 🇬🇧"))
    (r,) = Pipeline(named).score([acc], "fitness")
    assert r.primary_topic == "fitness"
    line = [x for x in r.reasons if x.startswith("Known fitness names it mentions: ")]
    assert line == ["Known fitness names it mentions: chloe ting (home workout youtuber), jeff nippard (science-based "
                    "lifting youtuber), myfitnesspal (calorie counting app) and 1 more."], r.reasons
    (plain,) = Pipeline(base).score([acc], "fitness")
    assert not any("names it mentions" in x for x in plain.reasons)


def test_the_names_reason_names_each_entry_once_keeps_a_possessive_alias_and_words_other_apart():
    from fakes import make_model

    from brandfit.model import RelevanceModel
    from brandfit.pipeline import Pipeline

    base = make_model()
    named = Pipeline(RelevanceModel(
        topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
        promo_threshold=base.promo_threshold, config={**base.config, "topic": {**base.config["topic"],
                                                                              "names_prior": 1.0},
                                                     "normalization_version": 5},
        embedder=base.embedder, backend="onnx"))
    (r,) = named.score([Account(posts=("lipstick and kiehl's cream", "kiehl's again, lipstick swatch",
                                       "lipstick haul", "lipstick of the week"))], "beauty")
    assert r.primary_topic == "beauty"
    assert [x for x in r.reasons if "names it mentions" in x] == [
        "Known beauty names it mentions: kiehl's (skincare label)."]  # an alias ending in 's keeps it
    (r,) = named.score([Account(posts=("madden 26 franchise mode tonight", "madden again, then minecraft",
                                       "coffee with mum", "new puppy!!"))], "fitness")
    assert r.primary_topic == "other"
    assert [x for x in r.reasons if "names it mentions" in x] == [
        "Known names it mentions outside the verticals: madden 26 (video game), minecraft (video game)."]
