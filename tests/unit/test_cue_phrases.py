"""The cues of phrasing (``brandfit.cue_phrases``: ``gifted``, ``hard_sell``, ``partnership``): what counts and what
does not, their place in find_cues and cue_matrix, the promo head's cue columns (``promo.cues``, model format 8;
``partnership``, format 14) and older models that never read them, and hostile text handled in bounded time."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.cue_phrases import PHRASE_CUES, phrase_cues
from brandfit.cues import CUES, LEGACY_PROMO_CUES, QUALIFIERS, cue_matrix, find_cues
from brandfit.errors import IntegrityError
from brandfit.model import RelevanceModel
from brandfit.model_format import FORMAT_VERSION

GIFTED = [
    "came home to a box from @ridgeline 😭 obsessed",
    "@velourlab sent me their new setting spray and wow",
    "the team at @peakfuel hooked me up with their new bars 🙌",
    "@kestrel let me test their new switches before launch ⌨️",
    "thank you @auraskin for the serum 🥹 skin is glowing",
    "got early access to the new trail shoe 👀",
    "happy mail day 📦✨",
    "PR unboxing 📦 lip oils from @lushley",
    "i was sent these to try and honestly obsessed",
    "@luna.joyas me mandaron estos aretes 🤩",
    "@zentrix walon ne review unit bhej diya 🤯",
    "a @stridex me mandou um tênis novo",
    "@velourlab sent me their new setting spray 😍 will report back",
    "@trailmark sent me their new poles and they didn't disappoint",
    # thanks for giving (session 22)
    "thanks @voltnest for sending these 🎧 obsessed", "thank you @glowhaus for having me at the launch ✨",
    "ty @fernskin for thinking of me 💌 new fave blush", "thanks @peakbar for keeping me fuelled all block 🍌",
    "thanks @glowhaus for bringing these to my door 😍", "thanks @glowhaus for something new to try 😍",
    "thanks @peakbar for sponsoring my season 🙏",
]
NOT_GIFTED = [
    "my sister sent me these socks 🥹",
    "@jess.runs surprised me with a cake, my bestie 🎂 love my friends",
    "thank u @jess.shoots for the pics 📸",
    "thanks @fadesbyjay for the cut, clean as always 💈",
    "sent my mom the race photo 😂",
    "my order arrived 3 weeks late 📦😤",
    "mi abuela me mandó un audio de 9 minutos",
    "bought the tent myself after saving for months 🥹 @bigagnes",
    "📸 @hannah.frames 🌾",
    "@dewlab sent me this serum, smells weird and did nothing for me tbh",  # a critical gift is a review
    "@glowco sent me their new toner 😕 not for me",
    "@kai.lifts surprised me with new lifting straps 🥹 best friend ever",
    # a verdict held back with no praise is the guide's neutral gifted post (session 21); with praise it is the advert
    "@velourlab sent me their new setting spray, testing it for 2 weeks before i say anything",
    "@trailmark sent me their new poles, will report back after the fells",
    # a review's look-alikes (session 11): everyday wording the patterns must leave alone
    "finally got to try the new ramen place", "passed my road test", "ran 12k before it hit 30 degrees",
    "my passport came in the mail", "unboxing my new laptop i saved for", "thank you @runclub for the support",
    "thanks @coach.mia for the brutal session", "weekly @traderjoes haul", "new @arsenal kit, bought it",
    "the girls from work surprised me", "@jess dropped me off", "@tom.k dropped out at mile 18",
    "they sent me home with leftovers", "i got sent home early",
    # thanks for an act, a recipe or a season is not a gift (session 22)
    "ty @jo.runs for pacing me to a pb 🙏", "thx @nat for fixing my laptop 💻", "thanks @katie_bakes for the recipe 💛",
    "thanks @jo.runs for always pacing me 🙏", "ty @nat for literally carrying me up that climb",
    "thank you @riverside_rowing for an amazing season 🚣", "thanks @corner.coffee for keeping me alive this week ☕",
    "thanks @mo.physio for getting me back running 🦵", "thanks @tom for everything",
    "",
]
HARD_SELL = [
    "run don't walk, the lip oil is back in stock",
    "stop what you're doing and go buy this cleanser 🛑",
    "ladies get yourself the high rise ones, thank me later",
    "you need this in your life 😍",
    "add it to your cart rn",
    "compren este sérum ya 😍",
    "bhai ye earbuds le lo 🔥",
    "grab this yoga mat before it sells out",  # "mat" is not the Hindi negation here
    "no cap you need this",
    "no lie, run don't walk",
]
NOT_HARD_SELL = [
    "não comprem esse pó, sério 🙅‍♀️",
    "don't grab this before it sells out, it overheats",
    "please don't buy it",
    "should i just get a laptop for uni?",
    "ran 10k this morning, legs are toast",
    "go team!! 🏆",
    "let's go get it 💪", "girls get it done", "last of summer before it's gone", "the shop restocked oat milk",
]


PARTNERSHIP = [
    "year three repping @cliffline_gear 🧗", "officially part of the @stridex crew 🥹👟",
    "another season on @ferro.cycles wheels 🚴 #teamferro", "year three repping @gymshark 🏋️", "@voltaudio x me 🎧",
    "part of the @jcrew family now 🤍", "#teamgymshark all year @gymshark",
    "4 yrs with @matterra_mats 🧘‍♀️", "the @velotangle crew flew us out for climbing week ☀️",
    "@brimfuel athlete since day one 💪", "my colourway with @kitefoot_sneakers drops friday 😭",
    "they gave me my own colourway 🥹 @kitefoot", "welcome to the @pixelforge creator squad, me 🤭",
    "proud to be part of the @northpeak family another year 🏔️",
    "familia @solana_padel 🖤 tercera temporada", "faço parte do time @fibra_sports ⚽",
    "signed with @kinetik.run 🖊️👟", "hosting the @glossbar launch night tmrw ✨",
]
NOT_PARTNERSHIP = [
    "year two with @kendalharriers and still the slowest on hills 😂", "repping @uniofleeds_rowing at henley 🚣‍♀️",
    "the @east_quay_rc crew dragged me out at 6am 🌅", "proud to be part of the @parkrun volunteer family 🧡",
    "3rd season with @calder_roadrunners 🏃‍♂️", "@lakeside.triclub family photo 🏊🚴🏃", "#teamgb all the way 🇬🇧",
    "new @gymshark leggings, bought them myself", "#teamnosleep @ferro.cycles", "family day at @legoland 🎢",
    "@sarah.k family dinner 🍝", "signed for @bramley_united reserves ⚽", "hosting the @ironbarn.gym novice meet 🏋️",
    # friends and partners (the review of session 22): tags and anniversaries are not brand relationships
    "one year with @jamie.k today 💍", "made dinner with @sarah.k 🍝", "on the start line with @jo.runs 🏁",
    "at the driving range with @dad.golf ⛳", "hosting @sarah.k's birthday party 🎉", "season 3 volunteering with @trailcare.uk",
    "@jess.m's family came over", "back on my feet in no time @jo.physio", "#teamwork with @workout.with.jo 💪",
    "#teambride @bride.jess 💍",
]


CASES = ([(t, "gifted", True) for t in GIFTED] + [(t, "gifted", False) for t in NOT_GIFTED]
         + [(t, "hard_sell", True) for t in HARD_SELL] + [(t, "hard_sell", False) for t in NOT_HARD_SELL]
         + [(t, "partnership", True) for t in PARTNERSHIP] + [(t, "partnership", False) for t in NOT_PARTNERSHIP])


@pytest.mark.parametrize("text, cue, fires", CASES, ids=lambda v: v[:50] if isinstance(v, str) else str(v))
def test_which_captions_carry_a_cue_of_phrasing(text, cue, fires):
    """A brand giving the product is ``gifted``, a push to buy is ``hard_sell``, a brand relationship is
    ``partnership``; gifts from people, reviews that find fault, credits, thanks for an act, other sendings, warnings,
    questions and clubs' relationships are not."""
    assert (cue in phrase_cues(text)) == fires


def test_find_cues_reports_them_in_cues_order_and_cue_matrix_can_leave_them_out():
    texts = ["run don't walk 🏃 @glowco sent me their new balm, use code GLOW10", "went for a run"]
    cues = find_cues(texts)
    assert cues[0] == [n for n in CUES if n in {"discount_code", "gifted", "hard_sell"}]
    assert cues[1] == []
    assert PHRASE_CUES == ("gifted", "hard_sell", "partnership") and tuple(CUES)[-7:-5] == PHRASE_CUES[:2]
    assert tuple(CUES)[-2:] == ("partnership", "housekeeping")  # a new cue is always the last column
    assert tuple(CUES)[:len(LEGACY_PROMO_CUES)] == LEGACY_PROMO_CUES
    full = cue_matrix(cues)
    legacy = cue_matrix(cues, LEGACY_PROMO_CUES)
    assert full.shape == (2, len(CUES)) and legacy.shape == (2, len(LEGACY_PROMO_CUES))
    assert full[0].sum() == 3 and legacy[0].sum() == 1  # only the code is a legacy column


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("@ab .'sent me from box thanks you need 😍#\n")), max_size=400))
def test_any_text_gives_a_subset_of_the_names_and_never_raises(text):
    got = phrase_cues(text)
    assert set(got) <= set(PHRASE_CUES) and got == [n for n in PHRASE_CUES if n in got]


def test_hostile_text_is_handled_in_bounded_time():
    for text in ("@a " * 20_000, "@x.y sent " * 5_000 + "!", "the team at @" * 5_000, "you " * 20_000,
                 "no " * 20_000 + "compren", "no back in stock " * 2_000, "thanks @a for " * 3_000,
                 # the partnership cue: many relation phrases, many handles, a long #team tag
                 "repping @a.club " * 3_000, "year with @a_fc " * 3_000, "@a " * 10_000 + "family",
                 "#team" + "a" * 20_000 + " @" + "a" * 20_000, "#teama @a " * 5_000, "with @" + "a." * 10_000):
        t0 = time.perf_counter()
        phrase_cues(text)
        assert time.perf_counter() - t0 < 0.25, text[:30]  # inputs are capped at 5,000 characters before this


def _model(cues: list[str] | None, extra: int = 0) -> RelevanceModel:
    from brandfit.embedding import DIM
    from brandfit.heads import LogisticHead
    from tests.fakes import make_model

    base = make_model()
    promo = dict(base.config["promo"])
    coef = base.promo_head.coef
    if cues is not None:
        promo["cues"] = cues
        coef = np.zeros(DIM + len(cues) + 1 + extra)
        coef[DIM:DIM + len(cues)] = 3.0
    return RelevanceModel(topic_head=base.topic_head, promo_head=LogisticHead(coef, -2.0),
                          descriptions=base.descriptions, promo_threshold=0.5,
                          config={**base.config, "promo": promo}, embedder=base.embedder)


TEXTS = ["@glowco sent me their new balm 😍", "run don't walk 🏃", "went for a run"]


def test_a_model_reads_the_cue_columns_it_lists_and_an_older_one_ignores_the_new_cues():
    legacy, new = _model(None), _model(list(CUES))
    a, b = legacy.analyze(TEXTS), new.analyze(TEXTS)
    assert a.cues == b.cues and "gifted" in a.cues[0]  # both report every cue found
    assert legacy.promo_cue_columns == LEGACY_PROMO_CUES and new.promo_cue_columns == tuple(CUES)
    assert new.promo_cues(TEXTS) == a.cues  # the public method still answers what fired
    assert a.promo_proba[0] == pytest.approx(a.promo_proba[2])  # the legacy head has no gifted column
    assert b.promo_proba[0] > b.promo_proba[2] and b.promo_proba[1] > b.promo_proba[2]


def test_a_model_with_the_new_cues_is_format_8_and_round_trips_and_mismatches_are_refused():
    new = _model([n for n in CUES if n not in QUALIFIERS and n != "partnership"])  # later: formats 12 and 14
    files = new.to_files()
    assert json.loads(files["model.json"])["format_version"] == 8 <= FORMAT_VERSION
    back = RelevanceModel.from_files(files)
    back._embedder = new.embedder
    np.testing.assert_allclose(back.analyze(TEXTS).promo_proba, new.analyze(TEXTS).promo_proba)
    assert json.loads(_model(None).to_files()["model.json"])["format_version"] < 8  # older readers still load it
    for bad in (["gifted", "gifted"], ["no_such_cue"], "gifted", [1]):
        meta = json.loads(files["model.json"])
        meta["config"]["promo"]["cues"] = bad
        with pytest.raises(IntegrityError, match="promo.cues"):
            RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})
    meta = json.loads(files["model.json"])
    meta["config"]["promo"]["cues"] = list(LEGACY_PROMO_CUES)  # fewer columns than the head has weights
    with pytest.raises(IntegrityError, match="promo head has"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


def test_a_model_reading_the_partnership_column_is_format_14_and_an_older_format_is_refused():
    texts = ["year three repping @cliffline_gear 🧗", "year three with @kendalharriers 🏃"]
    m = _model([n for n in CUES if n != "housekeeping"])  # the housekeeping column came later (format 15)
    files = m.to_files()
    meta = json.loads(files["model.json"])
    assert meta["format_version"] == 14 <= FORMAT_VERSION
    back = RelevanceModel.from_files(files)
    back._embedder = m.embedder
    p = back.analyze(texts).promo_proba
    np.testing.assert_allclose(p, m.analyze(texts).promo_proba)
    assert p[0] > p[1]  # the column is read: the brand's relationship weighs, the club's does not fire
    meta["format_version"] = 13  # an older brandfit would leave the column empty
    with pytest.raises(IntegrityError, match="partnership"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


def test_a_trained_models_config_with_its_cue_columns_reads_back_as_a_training_config():
    """`brandfit evaluate` rebuilds the training config from a model's config: the stored cue list is not a knob."""
    from brandfit.config import TrainConfig

    d = TrainConfig().to_dict()
    d["promo"]["cues"] = list(CUES)
    d["normalization_version"] = 2
    assert TrainConfig.from_dict(d) == TrainConfig()
    d["promo"]["no_such_key"] = 1
    with pytest.raises(ValueError, match="no_such_key"):
        TrainConfig.from_dict(d)
