"""The qualifier cues (``brandfit.cue_qualifiers``): a "link in bio" to free content (``content_link``), a price the
author paid (``paid_price``) and a critical gifted review's disclosure (``critical_gift``) are not signs of an ad by
the annotation guide. Each fires with the cue it qualifies; a promo head that reads its column (model format 12) reads
it instead of that cue and counts neither, and older heads are unchanged. A model with ``promo.qualifier_ceiling``
(format 13) holds a text whose every cue is explained away under that ceiling."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.cue_qualifiers import (ceiling_logits, channel_housekeeping, check_ceiling, critical_gift,
                                     held_under_ceiling, only_qualified, paid_by_author, points_to_content)
from brandfit.cues import CUES, LEGACY_PROMO_CUES, QUALIFIERS, find_cues
from brandfit.errors import IntegrityError
from brandfit.features import cue_features, promo_features
from brandfit.model import RelevanceModel

CONTENT = [
    "race report is on the blog 📝 link in bio",
    "alps vlog part 2 is up 🏔️ link in bio",
    "leg day playlist 🎧 link in bio",
    "pancake recipe 🥞 linked in bio",
    "club champs results are up 🏅 link in bio @east_quay_rc",
    "running the half for the children's hospice 🧡 donation link in my bio",
    "please sponsor me for the marathon, charity link in bio",  # sponsoring a charity run sells nothing
    "sign the petition to keep the river path lit 🔦 link in bio",
    "gpx for sunday's loop ⛰️ link in bio",
    "vídeo novo no canal 🎥 link na bio",
    # more pointers ("page in bio", "linked in my bio") to more free things (a diary, a free class, an adoption page)
    "raising money for the children's ward with this half 🧡 donation page in my bio",
    "japan travel diary pt 2 🇯🇵 linked in my bio",
    "free yoga in the park on sunday 🧘 all welcome, link in bio for the map",
    "🐾 shelter page in bio #adoptdontshop",
    # said aloud in a video or show (session 23)
    "links to all the studies are in the show notes",
    "the free budgeting spreadsheet i made is linked below, make a copy",
    "the sewing pattern is a free pdf, linked below",
    "made a free couch to 5k plan for my mum, google doc linked in bio",
]
SELLING = [
    "new vlog up, outfit details linked in bio",
    "skincare results with @glowlab serum, link in bio",  # before/after results sell
    "new video! use code ANNA10 for 10% off, link in bio",
    "my 12 week plan is live 💪 link in bio",
    "recipe ebook out now 🥞 link in bio",
    "sponsored by @x 🎥 new video link in bio",
    "playlist for the new drop 🎧 shop link in bio",
    "blog post: my fave products this month 💄 link in bio",
    "3 spots left for the retreat 🧘 link in bio",
    # a sponsor or a free trial sells (the guide: "a free trial or free first class")
    "new vlog 🎬 made possible by @trailco, link in bio",
    "new podcast ep, supported by @fuelco 🎧 link in bio",
    "yoga flow video ft @calmapp, first month free via the link in bio",
    "the app i log my runs in, 14 days free, link in bio 🏃",
    "my lip combo is linked in my bio 💋 #ltk",
    "adopt a road bike from our shop, link in bio",
    "",
    # said aloud in a video or show (session 23)
    "my 12 week plan is linked below, first week free",
    # the session 23 review: a read's address in the show notes, a brand's free tier, a free thing with a purchase
    "find them at greenleaf dot com, the link is in the show notes",
    "notion has a free plan that honestly covers everything i do, links in the description",
    "get the free guide with any tub of whey, linked below",
    "grab the free template pack from my gumroad, links below, the premium pack unlocks the rest",
    "grab my free guide linked below and join my coaching waitlist",
    "all the products are linked below, some are affiliate links",
]


@pytest.mark.parametrize("text", CONTENT, ids=lambda t: t[:40])
def test_a_link_to_free_content_is_a_content_link(text):
    assert points_to_content(text)
    assert {"link_in_bio", "content_link"} <= set(find_cues([text])[0])


@pytest.mark.parametrize("text", SELLING, ids=lambda t: t[:40] or "empty")
def test_a_link_beside_anything_for_sale_is_not(text):
    assert not points_to_content(text)
    assert "content_link" not in find_cues([text])[0]


PAID = [
    # someone close paid, a find, a price at a shop, a treat, a groan beside the amount, a budget said another way
    "my husband paid £200 for this rain jacket and it leaked in a week 🙃",
    "charity shop find, £4 🙏 wool blazer",
    "these were £12 at tk maxx 🙌 no notes",
    "treated myself to £60 trainers, first pair in 3 years 🥲",
    "$7 for an oat latte now 😭",
    "on a £50 budget for trail shoes, recs?",
    "sub $200 gps watch recs 🙏",
    "me salieron 20€ en el mercadillo 😅",
    "got these 90s carhartts for £12 at the thrift 🙏",
    "bought my own barbell off marketplace for $60, rusty but mine 🏋️",
    "best £4 i've spent all year ngl, the decathlon pump",
    "paid $180 for the race entry 😭 worth it",
    "comprei esse casaco por 15€ no brechó 😂",
    "₹499 mein kharida tha ye earphone, sound is decent",
    # a price asked about or complained about is the author's too
    "best running watch under $200? need gps + decent battery",
    "buscando botas por menos de 80€, ¿alguna recomendación? 🏔️",
    "£185 road shoes?? who's paying that 💀",
    "since when is a protein bar £3.50 😭",
    "lift pass is £700 this year, skiing is a rich ppl sport fr 🎿",
    "budget is around 300€, any recs for a first road bike? 🚴",
    "whey went up to £45 a tub?! rip off 😤",
    "looking for a gift for my dad under £50, any recs? he runs a lot",
    "spent £90 on a haircut and my mum said it looks the same",
    "£8 for a coffee?? no thanks",
]
NOT_PAID = [
    "only £15 each 😭 who wants them, dm me",  # a groan beside an offer is a seller's
    "the £40 ones are back in my shop 💀 last few",
    # a launch or a deadline on the price: an offer, whatever complaint words surround it
    "my 8-week plan is live, £49 until sunday, then the price goes up",
    "presets are £30 till midnight, then back to £45",
    "these jeans are £12 today, dm to order",
    "only $29 this weekend 🛍️",
    "got these for $40, link in bio to shop",  # a pointer pushes
    "was £60 now £35 🔥",
    "£35",
    "earned $200 in prize money at the crit 🚴",  # a price, nobody paid
    "just got paid $4000 by @fx.tips 📊",  # an investment pitch, not a purchase
    "i was paid $4000 by @fx.tips",  # someone paid the author
    "brand paid $500 for this post lol",
    "new merch just dropped 🧢 hoodies $45",  # a drop is a launch, not a purchase
    "we dropped the price to $20 for the weekend",
    "all under £15, going up on my page tonight, the suede one will go first",  # no question, no complaint
    "only $29 for the whole bundle?? insane value 🔥",  # an offer, however excited
    "2 for £20 this week, who's buying 👀",
    "tech gifts under $50 🎁 all linked",  # a gift guide points to shops
    "best serum under £20? this one, dm me to order",
    # sellers' hype, a rhetorical question, a model name and a sale are not the author's price (a review of the
    # wider rules of relevance@50)
    "$19.99 for all three?? insane 🔥",
    "£15 for a class pack? ridiculous value",
    "looking for a gift under £30? our candles are perfect 🕯️",
    "iphone 15 pro max 256gb, £899, anyone?",
    "big sale this weekend, tees under $20, who needs one?",
    "£12 only, grab before they're gone",
    "insane drop of the year?? trainers £60",
    "ciao caro! the new tote is £40 😘",
    "under 20 minutes to the summit? anyone done it",  # no currency: not a budget
    # sellers' hype and pitches after the tightening (a probe of 18 seller captions; 7 were still qualified)
    "my preset pack is $15, worth every penny?!",
    "£25 tees, can't believe the quality?!",
    "under £20 stocking fillers?? I've got you 🎁",
    "skincare under $30? here's what i'd buy 👇",
    "price went up to £45 from monday, get in now",
    "pilates mat £18 in my depop, who wants it??",
    "can't justify £150 for a serum? try mine for £30",
    # resale, pitches and gift guides a second review found (they passed the bought, budget or complaint path)
    "bought these for £120, worn twice, £60 ono 👟 collection leeds",
    "snagged extra pairs for you guys 👀 £25 each, first come first served",
    "i spent £3k on courses so you don't have to 🧠 my 6-week guide is £27",
    "cost me £80 new, yours for £45",
    "tired of paying £60 a month for a gym?? train with me, £20 a month, no contract 🏋️",
    "gift ideas under £20 🎁 for the runner in your life, swipe for all 10",
    "price goes up to £150 on monday, early bird £99 till sunday night ⏰",
    "still paying $40 for lashes?? mine are $15",
    "need a gift under £30? these candles are £18",
]
CRITICAL_GIFTS = [
    "#gifted trekking poles from @fellrunr, the lock slipped twice, not trusting them yet 😕",
    "PR package from @noirpeak, smells like every other blue fragrance, not for me",
    "press sample of the new serum, broke me out 👎",
    # a verdict held back, with no praise, is the guide's neutral gifted post
    "#gifted new trekking poles from @ridgeline 🏔️ first hike sunday, will report back",
    "gifted by @kite.audio, still on the fence. verdict in 2 weeks",
    "#gifted serum, too early to tell, update in a month",
    "#gifted the new trail shoes from @ridgeline, jury is still out tbh",
    "#gifted earbuds, haven't tried them yet, review in 2 weeks",
    "#gifted the new pads from @kite, honestly not sure yet",
    # what went wrong, said plainly; and a PR box is a gift disclosure
    "#gifted @stridelab trail shoes gave me blisters on the first run 🤕",
    "#gifted leggings from @kinetic, sizing runs small, not the best fit for me",
    "#gifted serum from @glowlab, didn't love the texture",
    "PR box from @velvetlab came today 📦 testing for 2 weeks before i say anything",
    # session 22: it hurts, itches, oxidises, is too much, or is not the author's shade
    "#gifted lip tint from @rosewell, oxidised orange on me within the hour",
    "#gifted wool socks from @fellknit, so itchy i took them off by lunch",
    "PR sample of the new scent, way too much for me 😬",
    "#gifted lipstick from @velvetlab, not my shade at all, my sister's now",
    "#gifted zapatillas de @rutaviva, no me convencen, muy duras",
]
# a brand's gift said in words, found fault with: the `gifted` cue stands back and the qualifier fires alone
CRITICAL_GIFTS_IN_WORDS = [
    "@dewlab sent me this serum, smells weird and did nothing for me tbh",
    "the team at @peakfuel sent me their new bars, honestly not for me, too sweet 😕",
    "a box from @gritline came, the gels gave me cramps at km 15, would not recommend",
]
NOT_CRITICAL_GIFTS_IN_WORDS = [
    "my mum sent me this serum, did nothing for me tbh",  # family, not a brand
    # praise in the new fault words' neighbourhood (the review of session 22): the gifted cue, not a critical gift
    "@balmco sent me their new balm, soothes my irritated skin 😍", "@velvetlab sent me this lipstick, i love it too much",
    "@kinetic sent me these joggers, so excited 😬", "@balmco sent me their non-irritating sunscreen 🤍",
    "@dewlab sent me this serum and i'm obsessed 😍",  # praise: the gifted cue
    "@dewlab sent me this serum, did nothing for my acne but smells amazing 😍",  # praise beside fault
    "this serum did nothing for me tbh 👎",  # no gift
    "@dewlab sent me this serum, not for me, use code DEW10 if you want to try it",  # a code still pushes
]
NOT_CRITICAL_GIFTS = [
    "#gifted trekking poles from @fellrunr, obsessed already 😍",
    # session 22: a fault word negated is no fault ("isn't too sweet", "zero pilling", "doesn't run small")
    "#gifted joggers from @kinetic, zero pilling after ten washes",
    "#gifted protein from @peakfuel, isn't too sweet for once",
    "#gifted trail shoes from @ridgeline, doesn't run small like the last pair",
    "#gifted trail shoes from @ridgeline, they dont run small", "#gifted leggings, they arent too tight",
    "#gifted merino top, doesn't feel too scratchy at all",
    "#ad the new serum broke me out 👎 lol jk it's amazing",  # a paid disclosure is never qualified
    "#gifted serum, not for me but use code GLOW10 if you want to try 🤷",  # a code still pushes
    "not for me tbh 😕",  # no gift wording
    "#partner new 5k pr today 😕 legs were dead",  # only a gift or PR disclosure is qualified
    "#ambassador @trailpeak gift guide is live, the vest is nice but the poles are a must",
    "#collab with @noirpeak, holiday gifting season 🎁 not for me personally",
    "new pr today #pr 😕 legs dead",  # "#pr" is also a personal record
    "#gifted trekking poles from @ridgeline, obsessed already, will report back 😍",  # praise is the advert
    "#ad new serum from @glowlab, too early to tell",  # a paid disclosure is never qualified
    # praise or eagerness in held-back wording is the advert too
    "#gifted new serum from @glowlab, verdict: chef's kiss 💋",
    "#gifted @glowlab sent the new set, can't wait to try, will report back",
    "#gifted these joggers from @kinetic, haven't worn anything else all week",
    "#gifted the new earbuds from @kite.audio, testing them this week 🤍✨",
    "#gifted @glowlab's cleanser, she loves it, full review soon",
    # praise beside fault words is praise: "never broke me out once 😍"
    "#gifted @glowlab cleanser, sensitive skin approved, never broke me out once 😍",
    "#gifted @kinetic never disappoints 😍 these joggers are everything",
    # praise through a negation, slang or a superlative
    "#gifted @ridgeline boots didn't disappoint, comfiest hike ever",
    "#gifted this concealer does nothing but slay",
    "#gifted @fuelco bars, the peanut one slaps, will report back on the rest",
    "#gifted @kite.audio buds, took a day to pair, now can't take them off 🎧",
]


@pytest.mark.parametrize("text", PAID, ids=lambda t: t[:40])
def test_a_price_the_author_paid_is_a_paid_price(text):
    assert paid_by_author(text)
    assert {"price", "paid_price"} <= set(find_cues([text])[0])


@pytest.mark.parametrize("text", NOT_PAID, ids=lambda t: t[:40])
def test_a_price_that_sells_or_that_nobody_paid_is_not(text):
    assert "paid_price" not in find_cues([text])[0]


@pytest.mark.parametrize("text", CRITICAL_GIFTS, ids=lambda t: t[:40])
def test_a_critical_gifted_review_qualifies_its_disclosure(text):
    assert critical_gift(text)
    assert find_cues([text])[0] == ["disclosure", "critical_gift"]  # reported as a disclosure all the same


@pytest.mark.parametrize("text", NOT_CRITICAL_GIFTS, ids=lambda t: t[:40])
def test_praise_a_paid_disclosure_a_push_or_no_gift_is_not_qualified(text):
    assert "critical_gift" not in find_cues([text])[0]


@pytest.mark.parametrize("text", CRITICAL_GIFTS_IN_WORDS, ids=lambda t: t[:40])
def test_a_brands_gift_found_fault_with_in_words_is_a_critical_gift(text):
    assert find_cues([text])[0] == ["critical_gift"]
    assert only_qualified(find_cues([text])[0])


@pytest.mark.parametrize("text", NOT_CRITICAL_GIFTS_IN_WORDS, ids=lambda t: t[:40])
def test_family_praise_no_gift_or_a_push_is_no_critical_gift(text):
    assert "critical_gift" not in find_cues([text])[0]


def test_content_link_needs_a_pointer():
    """Naming a blog or a playlist is not a link: the cue only qualifies ``link_in_bio``."""
    cues = find_cues(["new blog post about my first ultra 📝", "race report on the blog 📝 link in bio",
                      "this video is brought to you by @roamly 🎥 link in bio"])
    assert cues[0] == [] and cues[1] == ["link_in_bio", "content_link"]
    assert cues[2] == ["disclosure", "link_in_bio"]  # a disclosed ad's link is not free content
    assert tuple(CUES)[-5:-2] + tuple(CUES)[-1:] == tuple(QUALIFIERS) == ("content_link", "paid_price",
                                                                            "critical_gift", "housekeeping")
    assert not set(QUALIFIERS) & set(LEGACY_PROMO_CUES)
    assert QUALIFIERS == {"content_link": "link_in_bio", "paid_price": "price", "critical_gift": "disclosure",
                          "housekeeping": "self_promo"}


def test_cue_features_read_the_qualifier_instead_of_the_cue_and_count_neither():
    cues = [["link_in_bio", "content_link"], ["link_in_bio"], ["link_in_bio", "price", "content_link"], []]
    f = cue_features(cues)
    lib, cl = list(CUES).index("link_in_bio"), list(CUES).index("content_link")
    assert f.shape == (4, len(CUES) + 1) and f.dtype == np.float32
    assert f[0, lib] == 0 and f[0, cl] == 1 and f[0, -1] == 0  # a link to a blog: its own column, no count
    assert f[1, lib] == 1 and f[1, cl] == 0 and f[1, -1] == pytest.approx(np.log(2))
    assert f[2, -1] == pytest.approx(np.log(2))  # the price still counts
    assert not f[3].any()
    legacy = cue_features(cues, [n for n in CUES if n not in QUALIFIERS])  # a head without the column: as before
    assert legacy[0, lib] == 1 and legacy[0, -1] == pytest.approx(np.log(2))
    emb = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(promo_features(emb, cues, cue_scale=0.5), np.hstack([emb, 0.5 * f]))


def _model(columns: list[str]) -> RelevanceModel:
    from brandfit.embedding import DIM
    from brandfit.heads import LogisticHead
    from tests.fakes import make_model

    base = make_model()
    coef = np.zeros(DIM + len(columns) + 1)
    coef[-1] = 4.0  # the count of cues
    return RelevanceModel(topic_head=base.topic_head, promo_head=LogisticHead(coef, -2.0),
                          descriptions=base.descriptions, promo_threshold=0.5,
                          config={**base.config, "promo": {**base.config["promo"], "cues": columns}},
                          embedder=base.embedder)


TEXTS = ["race report is on the blog 📝 link in bio", "new drop, link in bio 🛍️", "went for a run"]


def test_a_format_12_head_does_not_count_a_link_to_a_blog_and_an_older_head_still_does():
    new, old = _model(list(CUES)), _model([n for n in CUES if n not in QUALIFIERS])
    p_new, p_old = new.analyze(TEXTS).promo_proba, old.analyze(TEXTS).promo_proba
    assert p_new[0] == pytest.approx(p_new[2]) and p_new[0] < p_new[1]  # the blog link counts for nothing
    assert p_old[0] == pytest.approx(p_old[1]) and p_old[0] > p_old[2]  # the old head reads both links alike
    assert new.analyze(TEXTS).cues == old.analyze(TEXTS).cues  # every caller still sees what fired


def _round_trip(m: RelevanceModel, texts: list[str]) -> tuple[dict[str, bytes], dict]:
    """``m``'s files and metadata, after checking that the model read back from them scores ``texts`` the same."""
    files = m.to_files()
    back = RelevanceModel.from_files(files)
    back._embedder = m.embedder
    np.testing.assert_allclose(back.analyze(texts).promo_proba, m.analyze(texts).promo_proba)
    return files, json.loads(files["model.json"])


def test_a_model_with_content_link_is_format_12_round_trips_and_an_older_format_is_refused():
    new = _model([n for n in CUES if n not in ("partnership", "housekeeping")])  # later columns (formats 14, 15)
    files, meta = _round_trip(new, TEXTS)
    assert meta["format_version"] == 12
    older = _model([n for n in CUES if n not in QUALIFIERS and n != "partnership"])  # housekeeping is a qualifier
    assert json.loads(older.to_files()["model.json"])["format_version"] < 12
    meta["format_version"] = 11  # an older brandfit would read the column and count the link
    with pytest.raises(IntegrityError, match="content_link"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


@pytest.mark.parametrize("cues, expected", [
    (["link_in_bio", "content_link"], True),
    (["link_in_bio", "link", "content_link"], True),  # a web address beside a link to a blog
    (["price", "paid_price"], True),
    (["disclosure", "critical_gift"], True),
    (["critical_gift"], True),
    (["link_in_bio", "gifted", "content_link"], False),  # the gift still pushes
    (["price", "discount_code", "paid_price"], False),
    (["disclosure", "link_in_bio", "critical_gift"], False),  # critical_gift explains the disclosure, not the link
    (["link_in_bio"], False), (["link"], False), ([], False),
])
def test_only_qualified_needs_every_cue_explained_away(cues, expected):
    assert only_qualified(cues) is expected


HELD = [  # organic by the guide, every cue explained away: the ceiling holds them
    "@dewlab sent me this serum, smells weird and did nothing for me tbh",
    "#gifted trekking poles, the lock slipped twice, not trusting them yet 😕",
    "club champs results are up 🏅 link in bio @east_quay_rc",  # a trailing tag of the club itself
    "pancake recipe 🥞 linked in bio",  # "linked" points; "all linked" would name products
    "got these 90s jeans for £12 at the thrift 🙏",
    "£185 road shoes?? who's paying that 💀",
]
NOT_HELD = [  # a qualifier fired, but the caption turns or still sells: the model's own score stands
    "#gifted @glowlab serum, too sticky for daytime but my skin has never looked this plump",  # a mixed review
    "kindly gifted by @ridgewear, the leggings run small so size up, though they're buttery soft",
    "ep 12 of the podcast is live 🎙️ powered by @fuelco, link in bio to listen",  # a backer's tag
    "new tutorial using the new @rarebeauty palette is up, link in bio",
    "our new album is out 💿 vinyl in the webshop, link in bio",  # a product beside free content
    "free yoga session sunday, then the 6 week retreat intake opens, link in bio",
    "new blog post: my 10 winter skincare picks, all linked in bio 🧴",
    "thrifted this 90s jacket for £8, listing it later for £45 👀",  # a resale after a price paid
    "i paid £40 for these @crocs and they're back down to £30 rn",  # a tagged brand and a second amount
]


@pytest.mark.parametrize("text", HELD, ids=lambda t: t[:40])
def test_the_ceiling_holds_a_caption_whose_cues_are_explained_away(text):
    assert held_under_ceiling(find_cues([text])[0], text)


@pytest.mark.parametrize("text", NOT_HELD, ids=lambda t: t[:40])
def test_the_ceiling_lets_a_caption_that_turns_or_still_sells_keep_its_score(text):
    cues = find_cues([text])[0]
    assert only_qualified(cues) and not held_under_ceiling(cues, text)


def test_the_ceiling_is_checked_and_lowers_only_qualified_logits():
    for bad in (0.5, 0.7, -0.1, float("nan"), True, "0.1", None):
        with pytest.raises(ValueError, match="qualifier_ceiling"):
            check_ceiling(bad)
    assert check_ceiling(0) == 0.0 and check_ceiling(0.1) == 0.1
    logits = np.array([3.0, -4.0, 3.0])
    out = ceiling_logits(logits, np.array([True, True, False]), 0.2)
    np.testing.assert_allclose(out, [np.log(0.25), -4.0, 3.0])
    assert ceiling_logits(logits, np.array([True, True, True]), 0.0) is logits  # 0 = off
    from brandfit.config import PromoConfig

    with pytest.raises(ValueError, match="qualifier_ceiling"):
        PromoConfig(qualifier_ceiling=0.6)


def _ceiling_model(ceiling: float) -> RelevanceModel:
    m = _model([c for c in CUES if c not in ("partnership", "housekeeping")])  # later columns (formats 14, 15)
    config = {**m.config, "promo": {**m.config["promo"], "qualifier_ceiling": ceiling}}
    return RelevanceModel(topic_head=m.topic_head, promo_head=m.promo_head, descriptions=m.descriptions,
                          promo_threshold=0.5, config=config, embedder=m.embedder)


def test_a_model_with_a_ceiling_holds_qualified_texts_under_it_is_format_13_and_older_formats_refuse_it():
    texts = ["race report is on the blog 📝 link in bio", "new drop, link in bio 🛍️",
             "@dewlab sent me this serum, smells weird and did nothing for me tbh", "went for a run"]
    plain = _model([c for c in CUES if c not in ("partnership", "housekeeping")]).analyze(texts).promo_proba
    capped = _ceiling_model(0.1).analyze(texts).promo_proba
    assert capped[0] <= 0.1 + 1e-9 and capped[2] <= 0.1 + 1e-9  # every cue explained away
    np.testing.assert_allclose(capped[[1, 3]], plain[[1, 3]])  # a drop still pushes; no cue: untouched
    m = _ceiling_model(0.1)
    files = m.to_files()
    meta = json.loads(files["model.json"])
    assert meta["format_version"] == 13 and meta["config"]["promo"]["qualifier_ceiling"] == 0.1
    back = RelevanceModel.from_files(files)
    back._embedder = m.embedder
    np.testing.assert_allclose(back.analyze(texts).promo_proba, capped)
    meta["format_version"] = 12  # an older brandfit would ignore the ceiling and flag the blog link
    with pytest.raises(IntegrityError, match="qualifier_ceiling"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})
    meta["format_version"], meta["config"]["promo"]["qualifier_ceiling"] = 13, 0.9
    with pytest.raises(IntegrityError, match="qualifier_ceiling"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("blog vlink in bio shop $%5😍#@\n")), max_size=400))
def test_any_text_is_answered_without_raising(text):
    assert isinstance(points_to_content(text), bool)


def test_hostile_text_is_handled_in_bounded_time():
    """Long runs of digits, words the patterns start on and repeated phrases: each check and the whole cue finder stay
    fast (inputs are capped at 5,000 characters before this; the runs below are longer)."""
    texts = ("blog " * 20_000, "link in bio " * 10_000, "donat" * 20_000 + "e", "a" * 100_000,
             "blog link in bio " + "1" * 20_000, "paid " + "1" * 20_000, "best " + "1" * 20_000 + " i spent",
             "got it for " + "1" * 20_000, "for " + "1" * 20_000 + " at the thrift",
             "#gifted not for me " + "1" * 20_000,
             "i paid " * 5_000, "was $1 now " * 3_000, "under $" + "1" * 20_000 + " ?", "£1?? " * 4_000,
             "under $1 " * 5_000 + "?", "#gifted will report back " * 3_000, "only " + "1" * 20_000 + " each",
             "1" * 20_000 + "??", "1." * 10_000 + "??", "1 " * 10_000 + "??",
             "\n" * 20_000 + "paid $1", ",\n" * 10_000, "£1 " * 5_000 + "??", "under £1 " * 4_000 + "anyone",
             "$1?! " * 4_000, "#gifted " + "report back " * 3_000 + "😍", "see you " * 10_000 + "next",
             "free " * 20_000 + "pdf", "in this video " * 5_000, "let me know " * 8_000 + "subscribe")
    for text in texts:
        for check in (points_to_content, paid_by_author, critical_gift, channel_housekeeping):
            t0 = time.perf_counter()
            check(text)
            assert time.perf_counter() - t0 < 0.25, (check.__name__, text[:30])
        t0 = time.perf_counter()
        find_cues([text[:5_000]])
        assert time.perf_counter() - t0 < 0.25, text[:30]


# said in a video or show (the guide's "Spoken text"): a creator's own housekeeping, and pointers to free things
HOUSEKEEPING = [
    "so yeah that's it for this haul, subscribe if you're new here and i'll see you in the next one",
    "hey guys welcome back to the channel, if you're new here hit subscribe",
    "if you enjoyed this episode don't forget to subscribe and leave us a review",
    "thanks so much for watching, hit subscribe and let me know in the comments what you want next",
]
NOT_HOUSEKEEPING = [
    "check out my new channel, leave a like and subscribe, thanks for watching",  # another channel plugged
    # the session 23 review: a comment plugging its own channel, a book or class sold, a sponsor thanked
    "if you liked this video pls subscribe to my channel too, i post every day 🙏",
    "great vid! if you enjoyed this video you'll love my channel, subscribe ❤️",
    "thanks for watching! my new book run slow is out now, subscribe and see you in the next one",
    "thanks for watching and huge thanks to notion for making this video happen, subscribe and see you in the next one",
    "welcome back to the channel, if you want the exact camera i use it's on my amazon page, subscribe",
    "sub4sub? see you in the next one",
    "subscribe to my channel for more",  # no video or show of one's own around it
    "new merch is live, subscribe and i'll see you next week",  # merch sells
    "join the members tier, thanks for watching and subscribe",
    "subscribe and use code MIA10, see you in the next one",  # a code is another push
]


@pytest.mark.parametrize("text", HOUSEKEEPING, ids=lambda t: t[:40])
def test_a_creators_own_subscribe_is_housekeeping_and_held_under_the_ceiling(text):
    cues = find_cues([text])[0]
    assert "self_promo" in cues and "housekeeping" in cues and channel_housekeeping(text)
    assert held_under_ceiling(cues, text)


@pytest.mark.parametrize("text", NOT_HOUSEKEEPING, ids=lambda t: t[:40])
def test_a_plug_for_a_channel_or_anything_sold_is_still_self_promotion(text):
    assert "housekeeping" not in find_cues([text])[0]


@pytest.mark.parametrize("text, fires", [
    ("this video is made possible by cypher nest", True),
    ("a quick shout out to the sponsor of today's video", True),
    ("today's ride is supported by velo cadence", True),
    ("but first a word from our sponsor", True),
    ("huge thanks to our sponsors at the club champs", False),  # a race thanks its sponsors: not a read
    ("my argument is supported by the data", False),
    ("this trip was made possible by my parents driving 6 hours to crew for me", False),  # the session 23 review
    ("rolex has been the main sponsor of the show jumping at hickstead for years", False),
])
def test_spoken_turns_into_a_read_are_disclosure_cues(text, fires):
    assert ("disclosure" in find_cues([text])[0]) == fires


def test_a_model_reading_the_housekeeping_column_is_format_15_and_an_older_format_is_refused():
    texts = ["thanks for watching, if you're new here hit subscribe", "subscribe to my channel for more"]
    m = _model(list(CUES))
    files, meta = _round_trip(m, texts)
    assert meta["format_version"] == 15
    older = _model([n for n in CUES if n != "housekeeping"])
    p_old, p_new = older.analyze(texts).promo_proba, m.analyze(texts).promo_proba
    assert p_new[0] < p_old[0] and p_new[1] == pytest.approx(p_old[1])  # only the housekeeping is read differently
    meta["format_version"] = 14  # an older brandfit would read the subscribe as self-promotion
    with pytest.raises(IntegrityError, match="housekeeping"):
        RelevanceModel.from_files({**files, "model.json": json.dumps(meta).encode()})


def test_a_model_that_does_not_read_housekeeping_is_not_held_by_it():
    """The ceiling of a format-13/14 model holds what it held before: a qualifier it does not read explains nothing."""
    text = "thanks for watching, if you're new here hit subscribe"
    m = _ceiling_model(0.1)  # no housekeeping column
    plain = _model([c for c in CUES if c not in ("partnership", "housekeeping")]).analyze([text]).promo_proba
    np.testing.assert_allclose(m.analyze([text]).promo_proba, plain)
