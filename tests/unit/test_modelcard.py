"""The model card written into every published version says what the model was trained on and how it scores
text it did not write, from the metadata training records."""

from __future__ import annotations

from brandfit.modelcard import render_card

TEST = {"topic": {"accuracy": 0.78, "macro_f1": 0.78, "macro_ap": 0.88, "ece": 0.03, "n": 799},
        "promo": {"precision": 0.8, "recall": 0.9, "f1": 0.86, "ap": 0.95, "threshold": 0.35}}


def _meta(**metrics):
    return {"embedding_model": "m", "embedding_dim": 384, "backend": "onnx", "n_texts": 5292,
            "dataset_hash": "sha256:abc",
            "config": {"topic": {"prior_weight": 1.0, "one_label_weight": 0.1,
                                 "description_templates": ["{}", "a post about {}"]},
                       "promo": {"threshold": "mean_f1", "calibrate": True, "augment": 300}},
            "metrics": {"test": TEST, **metrics}}


def test_a_model_trained_on_public_corpora_lists_them_and_their_held_out_groups():
    card = render_card("relevance", _meta(
        training_sources={"ours": {"n": 5292, "sha256": "e7"},
                          "sms_spam": {"n": 1892, "sha256": "6c14d4271f4e0030ffff"}},
        public_validation={"sms_spam": {"promo": {"n": 281, "ap": 0.988, "f1": 0.919}},
                           "reddit_where2spreddit": {"topic": {"n": 332, "macro_ap": None, "accuracy": 0.913}}}))
    assert "`sms_spam`: 1892 texts, sha256 `6c14d4271f4e0030`" in card
    assert "| sms_spam | 281 | – | – | 0.988 | 0.919 |" in card
    assert "| reddit_where2spreddit | 332 | – | 0.913 | – | – |" in card
    assert "leave-one-source-out" in card and "Not measured" not in card
    assert "Trained only on our own" not in card
    assert "`a post about {}`" in card and "weighted x0.1" in card and "best mean per-source F1" in card


def test_a_model_trained_on_our_data_alone_says_so():
    card = render_card("relevance", _meta())
    assert "Not measured: the public corpora were absent" in card
    assert "Trained only on our own hand-written English captions" in card
    assert "public corpora read in place" not in card


def test_the_card_says_when_our_own_data_weighs_more_in_the_promo_head():
    public = {"training_sources": {"ours": {"n": 5292, "sha256": "e7"}, "sms_spam": {"n": 1892, "sha256": "6c"}}}
    meta = _meta(**public)
    assert "weighted x6" not in render_card("relevance", meta)
    meta["config"]["promo"]["ours_weight"] = 6.0
    assert "`data/labeled` is weighted x6 in it;" in render_card("relevance", meta)  # no lexical promo layer
    meta["config"]["lexical"] = {"promo_weight": 0.15}
    assert "`data/labeled` is weighted x6 in it and in the lexical promo layer" in render_card("relevance", meta)
    alone = _meta()  # trained on our data alone: one source, nothing to weigh it against
    alone["config"]["promo"]["ours_weight"] = 6.0
    assert "weighted x6" not in render_card("relevance", alone)


def test_the_card_names_the_cues_of_phrasing_when_the_promo_head_reads_them():
    from brandfit.cues import CUES, LEGACY_PROMO_CUES, QUALIFIERS

    meta = _meta()
    assert "cues of phrasing" not in render_card("relevance", meta)  # models before promo_cues was recorded
    meta["promo_cues"] = list(LEGACY_PROMO_CUES)
    assert "cues of phrasing" not in render_card("relevance", meta)
    meta["promo_cues"] = [n for n in CUES if n not in QUALIFIERS and n != "partnership"]
    assert "cues of phrasing (`gifted`, `hard_sell`: a brand gave the product, a push to buy)" in \
        render_card("relevance", meta)
    meta["promo_cues"] = [n for n in CUES if n not in QUALIFIERS]  # relevance@58
    assert ("cues of phrasing (`gifted`, `hard_sell`, `partnership`: a brand gave the product, a push to buy, an "
            "ongoing brand relationship)") in render_card("relevance", meta)
    assert "content_link" not in render_card("relevance", meta)
    meta["promo_cues"] = list(CUES)
    assert ("not counted: `content_link` (a link in bio to free content), `paid_price` (a price the author paid, "
            "asks about or complains about), `critical_gift` (a gifted post that finds fault or "
            "holds its verdict back), `housekeeping` (a creator's own 'subscribe, see you in the next one')") in \
        render_card("relevance", meta)
    meta["promo_cues"] = [n for n in CUES if n not in ("paid_price", "critical_gift", "housekeeping")]  # relevance@47
    assert "not counted: `content_link` (a link in bio to free content), Platt" in render_card("relevance", meta)


def test_the_card_names_the_qualifier_ceiling_when_the_model_has_one():
    meta = _meta()
    assert "explains away" not in render_card("relevance", meta)  # models before relevance@54: no key
    meta["config"]["promo"]["qualifier_ceiling"] = 0.1
    assert ("a text whose every cue a qualifier explains away (a link to free content, a price its author paid, a gift"
            " the caption finds fault with) scores at most 0.1 unless the caption turns or still sells") in \
        render_card("relevance", meta)


def test_the_card_names_the_caption_layer_when_the_model_has_one():
    meta = _meta()
    assert "caption layer" not in render_card("relevance", meta)  # models before relevance@29: no key
    meta["config"]["promo"]["caption_weight"] = 0.35
    assert "caption layer" not in render_card("relevance", meta)  # no lexical head, no layer
    meta["config"]["lexical"] = {"promo_weight": 0.15}
    assert "plus 0.35 x a caption layer (hashed n-grams fitted on `data/labeled` alone" in \
        render_card("relevance", meta)


def test_the_card_names_the_topic_caption_layer_when_the_model_has_one():
    meta = _meta()
    meta["config"]["topic"] = {"caption_weight": 0.2}
    assert "topic caption layer" not in render_card("relevance", meta)  # no lexical head, no layer
    meta["config"]["lexical"] = {"topic_weight": 0.3}
    assert "plus 0.2 x a topic caption layer (hashed n-grams fitted on `data/labeled` alone)" in \
        render_card("relevance", meta)


def test_the_card_says_when_the_names_prior_is_applied():
    with_prior = _meta()
    with_prior["config"]["topic"]["names_prior"] = 1.0
    assert "+1 to the log probability of each vertical the text names" in render_card("relevance", with_prior)
    assert "vertical the text names" not in render_card("relevance", _meta())
