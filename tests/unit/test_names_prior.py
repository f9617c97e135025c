"""The names prior (``topic.names_prior``, model format 18): the vertical of each name a text names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fakes import make_model
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.config import TopicConfig
from brandfit.errors import FormatVersionError, InputError, IntegrityError
from brandfit.model import RelevanceModel
from brandfit.names_prior import MAX_NAMES_PRIOR, PHRASE_ALIASES, RULES, name_matches, name_presence, with_names_prior
from brandfit.text import named_verticals, normalize
from brandfit.text._names import name_entries
from brandfit.topics import TOPICS

SPORT, OTHER, ELEC = TOPICS.index("sports_outdoor"), TOPICS.index("other"), TOPICS.index("electronics")


def presence(*raw: str, version: int = 5, **kw) -> np.ndarray:
    return name_presence(list(raw), [normalize(t, version=min(version, 5)) for t in raw], version=version, **kw)


def test_presence_is_one_per_vertical_named_not_a_count():
    has = presence("arsenal, chelsea fc and spurs all lost", "madden 26 on my ps5", "hill repeats")
    assert has.shape == (3, len(TOPICS)) and set(np.unique(has)) <= {0.0, 1.0}
    assert has[0, SPORT] == 1.0 and has[0].sum() == 1.0  # several clubs: one vertical, once
    assert has[1, OTHER] == 1.0 and has[1, ELEC] == 1.0  # a game (other) on a console (electronics)
    assert not has[2].any()


def test_each_normalisation_version_reads_its_own_tables():
    text = "tret purge wk 5"  # "tret" is in the table version 5 added
    assert named_verticals(text, version=5) == {"beauty"}
    assert named_verticals(text, version=4) == frozenset()
    assert not presence(text, "kipchoge", version=3).any()  # before names: nothing to read
    assert presence("kipchoge", version=4)[0, SPORT] == 1.0


def test_version_7_reads_the_third_table_and_skips_its_emoji_completions():
    text = "replica jazz club lasts all day"  # an entry of the table version 7 added
    assert named_verticals(text, version=7) == {"beauty"} and named_verticals(text, version=6) == frozenset()
    raw = [text, "brunch with chelsea 👭"]
    found = name_matches(raw, [normalize(t, version=7) for t in raw], version=7)
    assert [[n.written for n in f] for f in found] == [["replica jazz club"], []]  # no "chelsea women" (a club)


def test_glosses_name_nothing_so_normalising_first_changes_nothing():
    for raw in ["KIPCHOGE IN BERLIN", "madden 26 franchise mode", "new pegasus from nike", "dior lipstick"]:
        assert named_verticals(normalize(raw)) == named_verticals(raw)


@pytest.mark.parametrize("text", [
    "Weekend in Manchester 🇬🇧☔",  # "manchester united kingdom"
    "Family man 🇺🇸 | Husband | Dad of 3",  # "man united states"
    "Proposal pics 💍📸 she said yes!",  # "ring camera with flash"
    "Shipping is free 🔥 link in bio",  # "free fire"
])
def test_a_name_assembled_from_the_words_of_emoji_does_not_count(text):
    assert named_verticals(normalize(text, version=5), version=5)  # the glossing step of version 5 reads one ...
    assert not presence(text).any()  # ... the prior does not


@pytest.mark.parametrize("text", ["Weekend in Manchester 🇬🇧☔", "Family man 🇺🇸 | Husband", "Leeds 🇬🇧 rainy days"])
def test_since_version_6_a_flag_makes_no_name_in_the_embedded_text_either(text):
    assert not named_verticals(normalize(text)) and not presence(text).any()
    assert "united (football club)" in normalize(text, version=5)


@pytest.mark.parametrize("text", [
    "Free fireworks show tonight! Entry is free 🔥",  # "free fire" is a word of "fireworks" away
    "Spring camera roll 💍📸",
    "game boys 🎮👦",
])
def test_no_name_is_made_of_emoji_words_even_next_to_a_word_that_starts_like_one(text):
    assert not presence(text).any()


@pytest.mark.parametrize("text, written", [
    ("new pegasus 41🔥 from nike👟", ["pegasus 41", "nike"]),  # glued to an emoji, a name still stands alone
    ("New iPad Pro🖤 just arrived", ["iPad Pro"]),
    ("my new iPhone 15 Pro🔥", ["iPhone 15 Pro"]),
    ("Apple Watch Ultra⌚ for trail runs", ["Apple Watch Ultra"]),
    ("#ManUnited 🔴 what a win", ["man united"]),  # a name in a hashtag
    ("kipchoge's 🐐 run in berlin", ["kipchoge's"]),
    ("playing free fire 🔥 all night", ["free fire"]),  # the game, named in words
    ("Oura 💍 sleep score 92", ["Oura"]),  # not swallowed by "oura ring", which the emoji's word would make
    ("♌ Messi birthday post", ["Messi"]),  # nor by "leo messi"
    ("Manchester 🇬🇧 | Man Utd season ticket holder", ["Man Utd"]),  # an emoji-made name hides no later one
    ("Big bash for dad's 60th, then the Big Bash League final", ["Big Bash League"]),  # nor does a skipped phrase
])
def test_a_name_next_to_emoji_or_after_a_false_one_still_counts(text, written):
    # version 7: version 8 retires "big bash" (an everyday phrase) and keeps an emoji's words apart from "free fire",
    # not the rules tested here
    (found,) = name_matches([text], [normalize(text, version=7)], version=7)
    assert [n.written for n in found] == written


@pytest.mark.parametrize("text", ["Breaking bad habits one day at a time 💪", "A rare beauty of a morning on the lake",
                                  "We had a big bash for Dad's 60th 🎂", "Epic games of padel tonight 🎾"])
def test_aliases_that_are_everyday_phrases_do_not_count(text):
    assert named_verticals(normalize(text, version=7), version=7)  # glossed (version 8 retires some of them)
    assert not presence(text).any()
    assert presence(text, skip=()).any()  # the skip list is what keeps them out
    assert set(PHRASE_ALIASES) <= {a for e in name_entries(5) for a in e.aliases}  # each one of the tables'


def test_the_prior_moves_only_texts_that_name_something():
    p = np.array([[0.65, 0.0, 0.0, 0.0, 0.05, 0.30], [0.9, 0.0, 0.1, 0.0, 0.0, 0.0]])
    raw = ["madden 26 franchise mode, drafted a qb", "hill repeats in the fog"]
    norm = [normalize(t) for t in raw]
    q = with_names_prior(p, raw, norm, 1.0, version=5)
    assert q.argmax(axis=1).tolist() == [OTHER, SPORT]
    np.testing.assert_allclose(q.sum(axis=1), 1.0)
    np.testing.assert_array_equal(q[1], p[1])
    assert q[0, OTHER] / q[0, SPORT] == pytest.approx(np.e * 0.30 / 0.65)
    assert with_names_prior(p, raw, norm, 0.0, version=5) is p  # off: the same array back
    assert with_names_prior(p, raw, raw, 1.0, version=3) is p  # text without names
    assert with_names_prior(p, ["a", "b"], ["a", "b"], 1.0) is p  # nothing named
    for bad in ([], raw[:1]):  # the lengths are checked first, whatever the weight
        with pytest.raises(ValueError, match="rows"):
            with_names_prior(p, bad, bad, 0.0)
    with pytest.raises(ValueError, match="normalised texts"):
        name_presence(raw, norm[:1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=5), st.floats(0.0, MAX_NAMES_PRIOR))
def test_the_prior_keeps_rows_a_distribution_on_any_text(texts, weight):
    rng = np.random.default_rng(len(texts))
    p = rng.dirichlet(np.ones(len(TOPICS)), size=len(texts))
    raw = [t + " kipchoge" if i % 2 else t for i, t in enumerate(texts)]
    q = with_names_prior(p, raw, [normalize(t) for t in raw], weight)
    assert q.shape == p.shape and np.isfinite(q).all() and (q >= 0).all()
    np.testing.assert_allclose(q.sum(axis=1), 1.0)
    assert (q[1::2, SPORT] >= p[1::2, SPORT] - 1e-12).all()  # a named vertical never loses


def _with(config_topic: dict, normalization_version: int = 5) -> RelevanceModel:
    base = make_model()
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                          promo_threshold=base.promo_threshold,
                          config={**base.config, "topic": {**base.config["topic"], **config_topic},
                                  "normalization_version": normalization_version},
                          embedder=base.embedder, backend="onnx")


def test_a_model_with_the_prior_scores_named_texts_higher_and_is_format_18():
    texts = ["kipchoge again", "hill repeats in the fog", "breaking bad habits"]
    plain = _with({})
    named = _with({"names_prior": 2.0, "names_prior_skip": ["breaking bad"]})
    assert plain.names_prior == 0.0 and named.names_prior == 2.0 and named.names_prior_skip == {"breaking bad"}
    a, b = plain.topic_proba(texts), named.topic_proba(texts)
    assert b.iloc[0]["sports_outdoor"] > a.iloc[0]["sports_outdoor"]
    np.testing.assert_allclose(b.iloc[1:].to_numpy(), a.iloc[1:].to_numpy())  # nothing named, a skipped alias
    files = named.to_files()
    meta = json.loads(files["model.json"])
    assert meta["format_version"] == 18 and json.loads(plain.to_files()["model.json"])["format_version"] == 17
    back = RelevanceModel.from_files(files)
    back._embedder = named.embedder
    assert back.names_prior == 2.0 and back.names_prior_skip == {"breaking bad"}
    np.testing.assert_allclose(back.topic_proba(texts).to_numpy(), b.to_numpy())
    # an older file claiming format 17 must not carry the prior: an older brandfit would leave it out
    assert meta["config"]["names_prior_rules"] == RULES
    with pytest.raises(IntegrityError, match="names_prior.*needs model format 18"):
        RelevanceModel.from_files({**files, "model.json": json.dumps({**meta, "format_version": 17}).encode()})
    # the rules it was trained with are recorded: newer rules are refused, missing ones are an integrity error
    for rules, error, words in ((RULES + 1, FormatVersionError, "upgrade brandfit"), (None, IntegrityError, "rules"),
                                (True, IntegrityError, "rules")):
        bad = {**meta, "config": {**meta["config"], "names_prior_rules": rules}}
        with pytest.raises(error, match=words):
            RelevanceModel.from_files({**files, "model.json": json.dumps(bad).encode()})


def test_every_entry_point_applies_the_prior_but_a_brands_words_read_the_heads_alone():
    m = _with({"names_prior": 2.0})
    texts = ["kipchoge again", "madden 26 on my ps5"]
    emb, cues = m.embed(texts), [[], []]
    full = m.analyze(texts).topic_proba
    np.testing.assert_allclose(m.apply_heads(emb, cues, texts).topic_proba, full)
    np.testing.assert_allclose(m.topic_proba(texts).to_numpy(), full)
    # vote=False (a brand's words): no prior, as training reads the descriptions' verticals
    np.testing.assert_allclose(m.apply_heads(emb, cues, texts, vote=False).topic_proba,
                               _with({}).apply_heads(emb, cues, texts, vote=False).topic_proba)
    with pytest.raises(InputError, match="names prior"):
        m.apply_heads(emb, cues)  # the prior needs the texts: never silently left out
    m.apply_heads(emb, cues, vote=False)  # the heads alone need none


def test_the_prior_needs_text_that_knows_names():
    with pytest.raises(InputError, match="normalisation version 3 knows no names"):
        _with({"names_prior": 1.0}, normalization_version=3)
    assert _with({"names_prior": 0.0}, normalization_version=3).names_prior == 0.0


@pytest.mark.parametrize("bad", [-1.0, MAX_NAMES_PRIOR + 1, True, "1", float("nan")])
def test_a_bad_weight_is_a_clear_error(bad):
    with pytest.raises(InputError, match="topic.names_prior"):
        _with({"names_prior": bad})
    with pytest.raises(ValueError, match="topic.names_prior"):
        TopicConfig(names_prior=bad)


@pytest.mark.parametrize("bad", ["big bash", ["Big Bash"], [3], [""], ["x" * 101], ["a"] * 1001])
def test_a_bad_skip_list_is_a_clear_error(bad):
    with pytest.raises(InputError, match="topic.names_prior_skip"):
        _with({"names_prior": 1.0, "names_prior_skip": bad})
    with pytest.raises(ValueError, match="topic.names_prior_skip"):
        TopicConfig(names_prior_skip=bad)


def test_the_recipe_and_its_loso_candidate_apply_the_prior_to_held_out_rows():
    import pandas as pd

    from brandfit.config import TrainConfig
    from brandfit.evaluation import loso

    assert TopicConfig().names_prior == 1.0 and TopicConfig().names_prior_skip == PHRASE_ALIASES
    assert TrainConfig().to_dict()["topic"]["names_prior_skip"] == list(PHRASE_ALIASES)
    raw = ["kipchoge again", "hill repeats", "weekend in manchester 🇬🇧", "breaking bad habits"]
    d = loso.LosoData.__new__(loso.LosoData)
    d.frame = pd.DataFrame({"text": raw})
    d.norm = {"emoji": [normalize(t) for t in raw]}
    flat = np.full((4, len(TOPICS)), 1 / len(TOPICS))

    def base(dd, task, fit, w, out):
        return flat[out] if task == "topic" else np.full(len(out), 0.5)

    fp = loso.names_prior(base, 1.0, skip=PHRASE_ALIASES)
    out = np.arange(4)
    q = fp(d, "topic", np.array([], int), np.array([]), out)
    assert q[0].argmax() == SPORT and q[0, SPORT] > flat[0, SPORT]
    np.testing.assert_allclose(q[1:], flat[1:])  # nothing named, a name of emoji words, a skipped phrase
    np.testing.assert_array_equal(fp(d, "promo", np.array([], int), np.array([]), out), np.full(4, 0.5))
    on = loso.production_candidate(TrainConfig())
    off = loso.production_candidate(TrainConfig(topic=TopicConfig(names_prior=0.0)))
    assert on.fit_predict.__qualname__.startswith("names_prior")
    assert not off.fit_predict.__qualname__.startswith("names_prior")


def test_version_8_counts_no_retired_alias_and_agrees_with_its_embedded_text():
    raw = ["yaar kal gym nahi ja saka", "shipping is free 🔥 link in bio", "👨 united we stand", "SAKA's finish 🔥 #AFC"]
    at7 = name_matches(raw, [normalize(t, version=7) for t in raw], version=7)
    at8 = name_matches(raw, [normalize(t, version=8) for t in raw], version=8)
    assert [[n.written for n in found] for found in at7] == [["saka"], [], [], ["SAKA's"]]  # 7 reads the footballer
    assert at8 == [[], [], [], []]  # "saka" is retired (Hindi "could"); the emoji never made a name the prior counts
    for text in raw[1:3]:  # ... and since version 8 the embedded text does not make one either
        assert not named_verticals(normalize(text, version=8), version=8)
        assert named_verticals(normalize(text, version=7), version=7)
