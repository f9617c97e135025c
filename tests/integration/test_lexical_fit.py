"""The lexical head against scikit-learn: the same n-grams, and a fitted head that learns its words."""

from __future__ import annotations

import numpy as np
import pytest

from brandfit.lexical import LexicalHead, _grams, fit_lexical_head

TEXTS = ["new lens day 📷 #photography", "leg day, squats 5x5", "GRWM: glass skin routine ✨", "a", "",
         "brought to you by our sponsor, use code RUN20", "ça va? très bien 🇫🇷", "🔥🔥🔥"]


@pytest.mark.parametrize("text", TEXTS)
def test_ngrams_are_cut_as_scikit_learn_cuts_them(text):
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    got_words, got_chars = _grams(text)
    assert sorted(got_words) == sorted(words(text))
    assert sorted(got_chars) == sorted(chars(text))


def _fitted(nb: int = 1024) -> LexicalHead:
    texts = ["squat day at the gym", "protein oats", "lipstick swatches", "skincare routine", "use code GLOW20",
             "link in bio for 20% off", "sunday at the lake", "coffee with mum"] * 3
    y_topic = np.array([2, 2, 3, 3, 3, 3, 5, 5] * 3)
    y_promo = np.array([0, 0, 0, 0, 1, 1, 0, 0] * 3)
    rows = np.arange(len(texts))
    head, topic_logits, promo_logits, caption_logits = fit_lexical_head(
        texts, idf_rows=rows, topic_rows=rows, y_topic=y_topic, topic_weight=np.ones(len(rows)), promo_rows=rows,
        y_promo=y_promo, promo_weight=np.ones(len(rows)), n_topics=6, n_buckets=nb)
    t2, p2 = head.logits(texts)
    assert np.allclose(t2, topic_logits, atol=1e-4) and np.allclose(p2, promo_logits, atol=1e-4)
    assert head.topic_intercept[0] < -100  # sports_outdoor never seen: ~0 probability
    assert caption_logits is None and head.caption_coef is None  # no caption rows, no caption layer
    return head


def test_a_fitted_head_learns_its_words():
    head = _fitted()
    topic, promo = head.logits(["gym squat", "lipstick", "use code GLOW20 link in bio"])
    assert topic[0].argmax() == 2 and topic[1].argmax() == 3
    assert promo[2] > promo[0]


def test_a_caption_layer_is_fitted_on_its_rows_alone():
    texts = ["@glowco sent me this balm", "bought this balm myself", "use code GLOW20", "sunday at the lake",
             "win a free phone now!!", "call me later"] * 3
    y_promo = np.array([1, 0, 1, 0, 1, 0] * 3)
    rows, captions = np.arange(len(texts)), np.array([i for i in range(len(texts)) if i % 6 < 4])
    head, _, _, caption_logits = fit_lexical_head(
        texts, idf_rows=rows, topic_rows=rows, y_topic=np.arange(len(texts)) % 2, topic_weight=np.ones(len(rows)),
        promo_rows=rows, y_promo=y_promo, promo_weight=np.ones(len(rows)), n_topics=6, n_buckets=1024,
        caption_rows=captions, y_caption=y_promo[captions])
    assert np.allclose(head.caption_logits(texts), caption_logits, atol=1e-4)
    got = head.caption_logits(["@glowco sent me this balm", "bought this balm myself", "win a free phone now!!"])
    assert got[0] > 0 > got[1] and abs(got[2]) < abs(got[0])  # never saw the spam rows
    with pytest.raises(ValueError, match="promo and not-promo"):
        fit_lexical_head(texts, idf_rows=rows, topic_rows=rows, y_topic=np.arange(len(texts)) % 2,
                         topic_weight=np.ones(len(rows)), promo_rows=rows, y_promo=y_promo,
                         promo_weight=np.ones(len(rows)), n_topics=6, n_buckets=1024, caption_rows=captions[:1],
                         y_caption=y_promo[captions[:1]])


def test_a_topic_caption_layer_is_fitted_on_its_rows_alone():
    texts = ["leg day squats", "new lipstick shade", "trail run at dawn", "unboxing my new phone", "sunday roast",
             "protein oats", "skincare night routine", "cycling the coast road"] * 3
    y_topic = np.array([2, 3, 0, 4, 5, 2, 3, 0] * 3)
    rows = np.arange(len(texts))
    captions = rows[:16]
    head, _, _, _ = fit_lexical_head(
        texts, idf_rows=rows, topic_rows=rows, y_topic=y_topic, topic_weight=np.ones(len(rows)), promo_rows=rows,
        y_promo=np.arange(len(texts)) % 2, promo_weight=np.ones(len(rows)), n_topics=6, n_buckets=1024,
        caption_topic_rows=captions, y_caption_topic=y_topic[captions])
    z = head.caption_topic_logits(["squats and protein", "lipstick and skincare"])
    assert z.shape == (2, 6) and z[0].argmax() == 2 and z[1].argmax() == 3
    assert (head.caption_topic_coef[1] == 0).all()  # fashion never seen: no evidence either way
    with pytest.raises(ValueError, match="three topics"):
        fit_lexical_head(texts, idf_rows=rows, topic_rows=rows, y_topic=y_topic, topic_weight=np.ones(len(rows)),
                         promo_rows=rows, y_promo=np.arange(len(texts)) % 2, promo_weight=np.ones(len(rows)),
                         n_topics=6, n_buckets=1024, caption_topic_rows=captions[:2], y_caption_topic=y_topic[:2])
