"""Explicit paid disclosures (``brandfit.disclosure``) and the promo floor they set (``promo.disclosure_floor``):
what counts and what does not, the floor in the model, in training and in leave-one-source-out, format 7, bad
values refused, and hostile text handled in bounded time."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from brandfit.config import PromoConfig, TrainConfig
from brandfit.disclosure import floor_logits, paid_disclosure
from brandfit.errors import InputError, InputTypeError, IntegrityError
from brandfit.model import RelevanceModel
from brandfit.model_format import FORMAT_VERSION

STORY = ("Sunday long run along the river with the crew, legs felt heavy for the first few miles but then it "
         "clicked. Coffee halfway, talked pacing and fueling for the spring race. ") * 8

PAID = [
    "#ad new protein bars from @oatbar are out, chocolate chip is the one",
    STORY + " #AD #sponsored @stridelab",
    "#Sponsored: the new rain shell from @trailco",
    "in paid partnership with @glowlab ✨ serum of the month",
    "Paid Partnership with @peak",
    "this video is sponsored by nordvpn… ok back to the ride",
    "today's session is brought to you by @hydralyte",
    "AD | my autumn capsule with @knitco",
    "[ad] gym bag essentials",
    "(AD) new lipstick shades",
    "ad: the headphones I use every day",
    "yoga retreat in collaboration with @mats",
    "Anzeige: neue Laufschuhe von @stride",
    "support for this podcast comes from squarespace",
    "thanks to today’s sponsor @gritfuel",
    "#brandambassador for @peakgear",
    # at the end of a caption, after a sentence that happens to end in a negation word
    "Would I buy it again? Absolutely not.\n\n#ad",
    "Believe it or not #sponsored",
    "Last race of the season? Never!\n\n#ad @brand",
    "Chocolate cake is basically a sin #ad",
    "💪#ad",
    "#sponsoredpost", "#paidad",
    "Werbung: @brand", "[Werbung] neue Schuhe", "*Anzeige", "new shades [ad]",
    # code-mixed captions
    "Colaboración pagada con @lenovo 💻", "partenariat rémunéré avec @solenne.skin", "look do dia #publicidade",
    "outfit del giorno #pubblicità", "this video includes paid promotion",
]
NOT_PAID = [
    "not sponsored by anyone, I just love these boots",
    "no #ad here, bought them myself",
    "this is NOT sponsored by the brands in the video",
    "ride sponsored by nobody, powered by peanut butter",
    "keine #werbung, ehrliche Meinung",
    "This is not an #ad", "Not an #ad, just obsessed", "this is not a paid partnership",
    "I am not being sponsored by them", "no, this isn't a #sponsored post",
    "sponsored\nby nobody", "sponsored by: nobody", "sponsored by me", "sponsored by absolutely nobody",
    # German "Anzeige" / "Werbung" outside a label, or labelled unpaid
    "Ich habe Anzeige erstattet gegen den Dieb", "Die Anzeige auf meiner Uhr zeigt 42 km",
    "#werbung wegen Markennennung", "*Anzeige (unbezahlt)", "unbezahlte #werbung",
    # "(AD)" in a sentence, "AD:" among credits (an art director), hashtags with other meanings, look-alikes
    "Living with atopic dermatitis (AD) since I was a kid", "Photographer: @x\nAD: @y\nMUA: @z",
    "Happy anniversary to my #partner ❤️", "UN Goodwill #Ambassador", "looking for a #sponsor for my race",
    "#ad-free life", "https://example.com/#ad", "ambassador for @peakgear #ambassador",
    "no paid promotion in this video, I bought everything", "#adv #motorcycle trip",
    "#adventure #adidas #adulting #headband",
    "my #partnerworkout with @sam",
    "#gifted crash pad, straps feel flimsy already",
    "PR sample from @lumen, too strong a scent for me tbh",
    "deadlift PR 140 😭",
    "bad ad: this billboard is ugly",  # "ad:" inside a word is not a label
    "made a road trip playlist",
    "ad-free podcast episode this week",
    "head: down, hips: up",
    "",
]


def test_paid_disclosures_are_found_and_negations_and_look_alikes_are_not():
    assert paid_disclosure(PAID).tolist() == [True] * len(PAID)
    found = paid_disclosure(NOT_PAID)
    assert not found.any(), [t for t, f in zip(NOT_PAID, found) if f]


def test_non_strings_are_false_and_a_single_string_is_refused():
    assert paid_disclosure(["#ad", None, 3]).tolist() == [True, False, False]  # type: ignore[list-item]
    with pytest.raises(InputTypeError, match="single str"):
        paid_disclosure("#ad")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#@adsponredby ()[]:|'’notkeinNOT\n\u200d😀")), max_size=400))
def test_hostile_text_is_read_in_bounded_time(text):
    t0 = time.perf_counter()
    out = paid_disclosure([text, text * 30])
    assert out.dtype == bool and out.shape == (2,)
    assert time.perf_counter() - t0 < 1.0


def test_floor_logits_raises_only_paid_rows_and_only_to_the_floor():
    logits = np.array([-3.0, 2.5, -1.0, 0.0])
    paid = np.array([True, True, False, False])
    out = floor_logits(logits, paid, 0.9)
    np.testing.assert_allclose(expit(out), [0.9, expit(2.5), expit(-1.0), 0.5])
    assert floor_logits(logits, paid, 0.0) is logits  # off: untouched


def _model(floor: float | None) -> RelevanceModel:
    from tests.fakes import make_model

    base = make_model()
    promo = dict(base.config.get("promo") or {})
    if floor is not None:
        promo["disclosure_floor"] = floor
    return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                          promo_threshold=0.5, config={**base.config, "promo": promo}, embedder=base.embedder)


TEXTS = [STORY + " #ad #sponsored", STORY, "use code GLOW20 link in bio", "not sponsored, just love it"]


def test_the_model_floors_paid_disclosures_in_analyze_and_apply_heads_alike():
    plain, floored = _model(None), _model(0.9)
    assert plain.disclosure_floor == 0.0 and floored.disclosure_floor == 0.9
    a, b = plain.analyze(TEXTS), floored.analyze(TEXTS)
    assert a.promo_proba[0] < 0.8 and b.promo_proba[0] == pytest.approx(0.9)  # the fake head scores the long #ad story low: now lifted
    np.testing.assert_allclose(b.promo_proba[1:], a.promo_proba[1:])  # nothing else moves
    np.testing.assert_allclose(b.topic_proba, a.topic_proba)
    again = floored.apply_heads(b.embeddings, b.cues, TEXTS)
    np.testing.assert_allclose(again.promo_proba, b.promo_proba)
    with pytest.raises(InputError, match="disclosure floor"):
        floored.apply_heads(b.embeddings, b.cues)


def test_a_floored_model_is_format_7_round_trips_and_bad_floors_are_refused():
    floored = _model(0.9)
    files = floored.to_files()
    assert json.loads(files["model.json"])["format_version"] == 7 < FORMAT_VERSION  # 8: promo.cues
    back = RelevanceModel.from_files(files)
    back._embedder = floored.embedder
    np.testing.assert_allclose(back.analyze(TEXTS).promo_proba, floored.analyze(TEXTS).promo_proba)
    assert json.loads(_model(None).to_files()["model.json"])["format_version"] < 7  # older readers still load it
    meta = json.loads(files["model.json"])
    meta["config"]["promo"]["disclosure_floor"] = 1.5
    with pytest.raises(IntegrityError, match="disclosure_floor"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})
    for bad in (-0.1, 0.3, 1.0, True, "0.9"):
        with pytest.raises(ValueError, match="disclosure_floor"):
            PromoConfig(disclosure_floor=bad)  # type: ignore[arg-type]


def test_leave_one_source_out_applies_the_floor_as_the_model_does():
    from types import SimpleNamespace

    from brandfit.evaluation.loso import floored, production_candidate

    assert production_candidate(TrainConfig()).disclosure_floor == PromoConfig().disclosure_floor > 0
    d = SimpleNamespace(paid=np.array([True, False, True]))
    np.testing.assert_allclose(floored(np.array([0.2, 0.2, 0.95]), d, np.arange(3), 0.9), [0.9, 0.2, 0.95])
    with pytest.raises(ValueError, match="paid-disclosure flags"):
        floored(np.array([0.2]), SimpleNamespace(paid=None), np.arange(1), 0.9)



def test_a_closing_disclosure_of_a_long_or_padded_caption_is_still_read():
    """Texts are cut to a bounded length on input; the cut keeps the end, where a sponsor line or "#ad" usually is,
    so padding a caption does not hide its disclosure (the floor, the cues and the account all see it)."""
    from brandfit.account import MAX_INPUT_CHARS, Account
    from brandfit.cues import find_cues
    from brandfit.disclosure import paid_disclosure

    for text in ("squats and deadlifts today " * 400 + " use code FIT10 #ad",  # 10,819 characters
                 "leg day " + "\U0001f525" * 6000 + " new lipstick shade, love it #ad"):
        assert paid_disclosure([text]).tolist() == [True]
        assert {"disclosure", "discount_code"} & set(find_cues([text])[0])
        post = Account.from_input({"posts": [text]}).posts[0].text
        assert len(post) == MAX_INPUT_CHARS and post.endswith("#ad") and post.startswith(text[:100])
    short = "new lipstick, love it #ad"
    assert Account.from_input({"posts": [short]}).posts[0].text == short
