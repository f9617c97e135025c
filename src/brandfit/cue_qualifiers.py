"""Cues that say another cue is harmless in this caption (:data:`brandfit.cues.QUALIFIERS`).

The promo head counts its cues: whichever cue fires first adds about as much as a disclosure. By the annotation
guide (data/labeled/GUIDE.md) some of them are often organic, and the caption says so in words:

- ``content_link`` qualifies ``link_in_bio``: the caption names free content (a blog, vlog or video, a race report,
  a playlist or recipe, race results or a route, a fundraiser, petition or survey) and nothing to sell.
- ``paid_price`` qualifies ``price``: the price is the author's, not an offer: they bought or paid it ("got these
  for £12 at the thrift", "best $4 i've spent"), ask about one ("best running watch under $200?") or complain about
  one within a few words of it ("£185 road shoes?? who's paying that"), and nothing else in the caption sells (no
  other advertorial cue or web address, no shop, sale, deal, order or DM; a question or complaint also needs an amount
  in a currency and no amount that reads as an offer: "only $29", "$19.99 for all three").
- ``critical_gift`` qualifies ``disclosure``: a disclosure that says only "gifted" or "PR" (``#gifted``, "PR
  package", "press sample"; never ``#ad``, ``#partner`` or ``#pr``, which is also a personal record), on a caption that
  finds fault with the product or holds its verdict back ("testing for 2 weeks before i say anything"), praises
  nothing and shows no eagerness (not "can't wait to try, will report back", "never broke me out once 😍" or "🤍"),
  and pushes nothing: the guide's critical or neutral gifted post. It also fires alone on a brand's gift said in
  words that the caption finds fault with ("@x sent me this serum, did nothing for me"), where the ``gifted`` cue
  stands back.
- ``housekeeping`` qualifies ``self_promo``: a creator's housekeeping in their own video or show ("if you're new here
  hit subscribe", "see you in the next one", "let me know in the comments") that plugs no other channel ("check out my
  new channel", "sub4sub") and names no merch, membership, course, shop, code, sponsor or link.

A promo head that reads a qualifier's column reads it *instead of* the qualified cue's and counts neither
(:func:`brandfit.features.cue_features`); callers still see both names among a text's cues. Regular expressions on
the cleaned, lowercased caption; they run only where the qualified cue fired.

A model trained with ``promo.qualifier_ceiling`` (model format 13) never scores a text whose cues are all explained
away (:func:`only_qualified`) above that ceiling, whatever its embedding says, unless the caption turns
(:func:`held_under_ceiling`): the guide calls such a caption organic, and the embedding reads "link in bio" or "@x sent
me" as an ad whatever follows.

>>> points_to_content("race report is on the blog 📝 link in bio")
True
>>> points_to_content("new vlog up, outfit details linked in bio")
False
>>> paid_by_author("got these 90s jeans for £12 at the thrift 🙏")
True
>>> paid_by_author("these jeans are £12 today, dm to order")
False
>>> paid_by_author("best running watch under $200? need gps")
True
>>> paid_by_author("$19.99 for all three?? insane")
False
>>> critical_gift("#gifted trekking poles, the lock slipped twice, not trusting them yet 😕")
True
>>> critical_gift("#ad the new serum, not for me")
False
>>> critical_gift("#gifted serum, too early to tell, update in a month")
True
>>> critical_gift("#gifted serum, can't wait to try, will report back")
False
"""

from __future__ import annotations

import math
import re
from typing import AbstractSet, Collection, Final

import numpy as np

from brandfit.cue_phrases import CRITICAL, PENDING, PRAISE, gift_in_words

__all__ = ["QUALIFIED", "MAX_CEILING", "points_to_content", "paid_by_author", "critical_gift", "channel_housekeeping",
           "qualifier_cues", "only_qualified", "held_under_ceiling", "check_ceiling", "ceiling_logits"]

QUALIFIED: Final[dict[str, str]] = {"content_link": "link_in_bio", "paid_price": "price", "critical_gift": "disclosure",
                                     "housekeeping": "self_promo"}
"""Each qualifier cue and the cue it qualifies, in :data:`brandfit.cues.CUES` order."""

# a thing a video or show says is free (not a brand's free tier, "canva's free tools", nor a free thing that comes with
# a purchase or a sign-up: "the free guide with any tub", "free plan when you join")
_FREE_THING: Final = (
    r"(?<!'s )(?<!has a )(?<!have a )(?<!offers a )(?<!has )(?<!have )(?<!offers )"
    r"(?:completely |totally |100% |100 percent )?free (?:\w+ ){0,3}?"
    r"(?:pdf|templates?|plans?|guides?|resources?|checklists?|spreadsheets?|docs?|patterns?|calculators?|"
    r"worksheets?)(?! (?:app|with|when|from|if)\b)|(?:templates?|plans?|guides?|pdf|patterns?|spreadsheets?|docs?) "
    r"(?:is|are) (?:completely |totally |100% |also |all )?free")
# free content a link may point to (English, plus a few Spanish and Portuguese words)
_CONTENT_RE: Final = re.compile(
    r"\b(?:blog|blogpost|blog post|vlogs?|videos?|vids?|youtube|yt video|episodes?|ep \d+|podcast|interview|article|"
    r"recap|race report|trip report|write.?up|full story|diary|diaries|playlists?|spotify|recipes?|tutorial|"
    r"race results|free (?:\w+ ){0,3}?(?:class|classes|session|sessions|event|events|runs?|yoga|walks?|workshops?|"
    r"meetups?|socials?)|"
    r"club results|full results|results (?:are|is) (?:up|out|in)|strava|gpx|route|race photos|photo album|album|"
    r"gallery|live ?stream|fundrais\w*|justgiving|gofundme|donat\w*|charity|chip in|sponsor me|adopt\w*|shelter|"
    r"petition|survey|questionnaire|"
    r"volunteers?|vídeo|receta|receita|resultados|donación|donacion|doação|doacao|vaquinha|petição|peticao|"
    # ... or, said aloud, what a video or show points to: its sources, or a thing it says is free
    # (not "show notes": a read's address is there too; not a brand's free tier: "notion has a free plan")
    r"papers|studies|sources|references|" + _FREE_THING + r")\b")
# ... (a free thing, and "no sign up", are taken out before the caption is read for anything sold)
_FREE_THING_RE: Final = re.compile(r"\b(?:" + _FREE_THING + r"|no (?:sign ?ups?|signups?|email|account|strings)"
                                   r"(?: needed| required)?)\b")
# ... and nothing to sell: a shop, product, offer, booking or paid place turns the same link into a sales link
_SELLING_RE: Final = re.compile(
    r"\b(?:shop\w*|buy\w*|order\w*|purchas\w*|products?|items?|details|outfits?|fit deets|wearing|"
    r"everything i (?:used|use|wore)|code|codes|discount\w*|sale|deals?|price\w*|preorder|pre-order|restock\w*|"
    r"drop|launch\w*|tickets?|spots? (?:left|open|available)|book\w*|sign ?ups?|signups?|register|enrol\w*|"
    r"enroll\w*|course|program\w*|coaching|plans?|ebook|e-book|guide|presets?|merch|store\w*|ltk|affiliate|"
    r"commission|waitlist|subscri\w*|membership|patreon|sponsor(?:ed|ship|s)?(?! me)|partner\w*|collab\w*|gifted|"
    r"ad|compra\w*|tienda|loja|desconto|descuento|cupom|cupón|cupon|código|codigo|inscri\w*|vagas|kharid\w*|"
    # ... a sponsor, or a free trial (the guide: a free trial or first class sells)
    r"made possible|supported by|support(?:ing)? (?:the|my|this|our) (?:channel|show|podcast|video|vid)|free trial|"
    r"try (?:it |them )?(?:for )?free|(?:first|1st) (?:\w+ )?(?:month|week|class|session|lesson)s? (?:is |are )?free|"
    r"\d+ (?:days?|weeks?|months?) free|premium|pro version|upgrade|cancel anytime|when you join|gumroad|"
    r"with (?:any|every) \w+|(?<!no )(?:gear|kit)|i (?:take|use|wear|drink)|clinical\w*)\b"
    r"|[$€£₹]|(?<!\d)\d{1,3} ?%")

_AMOUNT = r"(?:[$€£₹]|rs\.? ?|r\$ ?)?\d[\d.,]*k?\s?(?:[$€£₹]|bucks|quid|euros?|dollars|rupees)?"
# an amount in a currency: "$200", "80€", "rs 499", "40 quid" (a bare number may be a size, a model or a year)
_MONEY = (r"(?:(?:[$€£₹]|rs\.? ?|r\$ ?)\d[\d.,]*k?|(?<![\w.,])\d[\d.,]*k?\s?(?:[$€£₹]|bucks|quid|euros?|dollars|"
          r"rupees)(?!\w))")
_MONEY_RE: Final = re.compile(_MONEY)
# the author bought or paid it
_BOUGHT_RE: Final = re.compile("|".join((
    r"\b(?:bought|purchased|thrifted|snagged|splurged)\b",
    r"\b(?:i|we|i've|ive|i have|i just|we just|i finally|we finally|i only|i once) (?:paid|spent)\b",
    rf"(?:^|(?<=[.!?,;:\n]))[ \t]*(?:just |only |finally )?paid (?:like |only |just |about |around |almost )?{_AMOUNT}",
    rf"(?:^|(?<=[.!?,;:\n]))[ \t]*(?:just |finally )?spent {_AMOUNT}",
    r"\bcost (?:me|us)\b",
    rf"\b(?:best|worst) {_AMOUNT}(?: \w+)? (?:i|i've|ive|i have|i ever|ever|i'?ve ever)(?: ever)? spent\b",
    r"\b(?:got|picked up|found|scored|grabbed) (?:it|them|these|this|mine|my \w+|a \w+|an \w+|the \w+)"
    r"(?: \w+){0,3} for\b",
    rf"\bfor (?:only |just )?{_AMOUNT} (?:at|from|off|on) (?:the |a |my local )?(?:thrift|charity shop|op shop|"
    r"(?:fb |facebook )?marketplace|vinted|depop|ebay|car boot|flea|market|poshmark|olx)",
    r"\b(?:compré|me costó|me costo|comprei|paguei|me custou|kharida|kharidi|kharide|le liya|liya|me salieron|"
    r"me sali[oó])\b",
    # ... or someone close did, or it was a find: "my husband paid £200", "charity shop find, £4", "these were £12 at
    # tk maxx", "treated myself to £60 trainers"
    r"\b(?:my (?:husband|wife|partner|bf|gf|boyfriend|girlfriend|mum|mom|dad|sister|brother)|hubby|dad|mum|mom) "
    r"(?:paid|spent)\b",
    r"\b(?:charity shop|thrift|thrifted|thrift store|op shop|car boot|flea market|vintage|secondhand|second hand) "
    r"(?:find|haul|score)\b",
    rf"\b(?:was|were) (?:only |just )?{_MONEY} (?:at|from|in) (?!my\b|our\b)",
    r"\btreated (?:myself|me|ourselves) to\b",
)))
# ... or asks about a price: a budget phrase in a currency and, within 120 characters of it, a question mark or an
# asking word ("best watch under $200?", "menos de 80€, ¿alguna recomendación?")
_BUDGET_RE: Final = re.compile(
    rf"\b(?:under|below|less than|no more than|max|budget(?: is| of)?(?: around| about| like)?|menos de|moins de|"
    rf"unter|sotto i|abaixo de|até|sub|around|about|roughly) {_MONEY}|{_MONEY} budget\b")
_ASKING_RE: Final = re.compile(
    r"\?|\b(?:recs?|recommend\w*|suggest\w*|suggestions?|anyone|anybody|help|pls|please|where do i|which|should i|"
    r"batao|"
    r"koi|alguna|alguém|alguem|sugerencias|dicas)\b")
# ... or complains about one, within a few words of it ("£185 road shoes?? who's paying that", "since when is a
# protein bar £3.50"); words a seller also uses for hype ("insane", "criminal") count only as a verdict on it ("£3 a
# scoop is insane"), not before it or as praise ("insane value")
_COMPLAINT_RE: Final = re.compile(
    r"\b(?:who(?:'s| is| tf is) (?:paying|buying)|rich (?:people|ppl)|steep|daylight robbery|a joke|overpriced|"
    r"can'?t justify|not worth|never again|wasted|rip.?off|since when|when did|went up|gone up|goes up|"
    r"used to be|pricey|too expensive|so expensive|way too much|too much|love that for me|oof|fell apart|"
    r"broke (?:in|after|within)|(?:it|they|they've|has|have|already|just) ripped|ripped (?:at|after|in|on|within)|"
    r"rasgou|"
    r"would (?:i|you|anyone) (?:spend|pay)|(?:is|are|was|were) (?:so |just |actually |honestly |literally |kinda )?"
    r"(?:insane|criminal|ridiculous|crazy|absurd|wild)(?! (?:value|deal|price|quality|offer))|"
    r"se les fue|muy caro|tan caro|qu[eé] caro|car[ií]simo|muito caro|caro demais|car[ií]ssimo|mehenga|mehnga)\b")
# ... or a price met with "??" or a groan near it ("£185 road shoes??", "£12 for a smoothie 💀"; "?!" is sellers' hype
# too: "can't believe the quality?!")
_QUESTIONED_RE: Final = re.compile(r"\?\?|[💀😭😩🙃😤🫠]")
# ... the asking word or complaint must sit this close to the amount (characters either side)
_NEAR: Final = 60
# ... (only the first few amounts are read, a bound on the work)
_MAX_AMOUNTS: Final = 8
# ... and an asking word, in the text this close to a budget phrase (a question may come before or after it)
_NEAR_ASKING: Final = 120
# ... and nobody selling: a shop, a sale or a deal, "our" range ("looking for a gift under £30? our candles ...")
_SELLER_RE: Final = re.compile(
    r"\b(?:our|ours|my (?:shop|store|page|stall|brand|range)|(?<!wait for a )(?<!wait for the )sale|sales|deals?|"
    r"bundle|offer|rebajas|oferta|ofertas|"
    r"promo\w*|pedidos?|encomendas?|disponibles?|dispon[ií]ve(?:l|is)|stock|value|"
    # ... or a seller's hype, a pitch or a resale page ("worth every penny?!", "try mine for £30", "in my depop")
    r"worth every penny|steal|bargain|(?:i'?ve|we'?ve) got you|got you covered|here'?s what|try (?:mine|ours)|"
    r"get in now|who wants (?:it|one|them|these)|(?:my|in my) (?:depop|vinted|etsy|poshmark|ebay)|y'?all|"
    r"still paying|tired of paying|why pay|stop paying|early bird|gifts? (?:ideas? )?under|ideas under)\b")
# ... and sells nothing, in words no cue reads
_PRICE_SELLING_RE: Final = re.compile(
    r"\b(?:(?<!charity )(?<!op )(?<!thrift )shop\w*|order\w*|for sale|selling|sell|sells|dm|inbox|available|in stock|"
    r"restock\w*|preorder|pre-order|"
    r"drop\w*|launch\w*|tickets?|spots?|book\w*|link|links|get yours|grab yours|grab one|buy (?:now|it|yours|one|here)|"
    r"was (?:[$€£₹]|rs|\d)\S* now|now (?:only|just)|only \S+ (?:today|this week|this weekend)|vendo|venta|vendas?|"
    r"bech\w*|ono|obo|ovno|yours for|letting (?:it|them|these|this) go|up for grabs|for you guys|first come|"
    r"so you don'?t have to|repass\w*|(?:la|las|lo|los) dejo|"
    # ... or a launch and a deadline ("plan is live, ₹2,999 till friday, then the price goes up")
    r"(?:is|are|now|goes|went) live|(?:till|until|til|ends?) (?:mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"(?:till|until|til) (?:midnight|tonight|sunday night|the weekend|end of)|(?:then|after that) the price)\b")
# an amount offered: "only $29", "just £5", "from £199", "now £35", "2 for £20", "£45 each", "£12 only", "$19.99
# for all three", "per session"
_OFFER_RE: Final = re.compile(
    rf"\b(?:only|just|from|now|starting at|desde|a partir de|sirf|per (?:session|class|person|head|month)|each|"
    rf"\d+ for) {_AMOUNT}|(?<![\w.,]){_AMOUNT} (?:each|per|a (?:session|class|head|person|pop)|incl\w*|off|only|"
    rf"for (?:all|both|the (?:lot|set|pair|pack|bundle)|two|three|four|five|\d+))\b")
# cues that still push with a qualifier: a code, an affiliate link, a sale, urgency, a call to act, a hard sell ...
_PUSHES: Final = frozenset({"discount_code", "affiliate_link", "link_in_bio", "discount", "urgency", "call_to_action",
                            "giveaway", "dm_request", "money_pitch", "prize_offer", "self_promo", "gifted",
                            "hard_sell"})  # not `partnership`: a model that does not read it qualifies as before
_PUSHES_BUT_SUBSCRIBE: Final = _PUSHES - {"self_promo"}  # what a creator's housekeeping may not carry


# a creator's own video or show, opened or closed: "welcome back to the channel", "see you in the next one", "if you're
# new here", "let me know in the comments", "thanks for watching"
_HOUSEKEEPING_RE: Final = re.compile(
    r"\b(?:welcome back|thanks? (?:you )?(?:so much |all |guys |everyone )?for (?:watching|tuning in|listening|"
    r"hanging out|coming along|sticking around)|(?:see|catch) (?:you|ya|y'?all)(?: guys| all| lot)? (?:in |on |at )?"
    r"(?:the |my )?next (?:one|video|vid|week|time|episode|ep|upload|stream|sunday|monday|tuesday|wednesday|thursday|"
    r"friday|saturday)|if you(?:'re| are|re) new (?:here|to (?:the|my|this) (?:channel|show|podcast))|let me know "
    r"(?:down )?(?:in the comments|below|in the comment section)|(?:hit|ring|smash|tap|click) (?:the|that) (?:\w+ )?"
    r"bell|if you (?:enjoyed|liked) (?:this|the|today'?s) (?:video|episode|vid|one)|leave (?:a|me a) like|(?:give|hit) "
    r"(?:it|this video|the video|this|that) a (?:like|thumbs up)|that'?s (?:it|all) for (?:this|today'?s|the) (?:video|"
    r"episode|week)|in (?:today'?s|this|the) (?:video|episode|vid) (?:today )?(?:we|i)(?:'re| are|'ll| will| am|'m)?)")
# ... and nothing pushed but the subscription: no other channel plugged ("check out my new channel", "sub4sub"), no
# merch, membership, course or shop
_CHANNEL_PLUG_RE: Final = re.compile(
    r"\b(?:check (?:out )?(?:my|our)|visit my|sub ?(?:4|for) ?sub|my (?:new|other|second|2nd|gaming|music) channel|"
    r"my (?:\w+ )?channel (?:too|as well)|you'?ll (?:love|like|enjoy) my|i (?:post|upload) (?:every|daily|new)|"
    r"follow (?:me|us|my)|my (?:\w+ )?(?:insta\w*|ig|twitch|tiktok|podcast|book|app|single|album|newsletter|class|"
    r"masterclass|workshop|hoodies?|tees?|brand|line|amazon)|amazon|ko-?fi|out now|enrol\w*|(?:go )?try (?:it|them)|"
    r"i do \w+ (?:edits|covers|videos|streams)|"
    r"thanks? (?:\w+ ){0,2}to (?!you\b|everyone\b|all\b|the viewers\b)\w+ for|"
    r"(?:making|made) this video (?:happen|possible)|"
    r"my (?:music|songs?|covers?|mixtape|album|beats)|support my|merch\w*|patreon|members?(?:hip)?|"
    r"join (?:the|my|our)|courses?|shop\w*|store|code|discount\w*|sale|order\w*|tickets?|pre-?order|coaching|"
    r"programs?|programmes?|presets?|e-?books?|sponsor\w*|link)\b")


def channel_housekeeping(text: str) -> bool:
    """Whether ``text`` (one caption or transcript segment, cleaned) is a creator's housekeeping in their own video or
    show ("if you're new here hit subscribe, see you in the next one") that plugs no other channel and sells nothing:
    what turns its ``self_promo`` cue into ``housekeeping`` (case does not matter). The guide: housekeeping sells
    nothing; "sub to my channel pls" under someone else's video is self-promotion.

    >>> channel_housekeeping("that's it for this haul, subscribe if you're new here and see you in the next one")
    True
    >>> channel_housekeeping("check out my new channel and subscribe, thanks for watching")
    False
    """
    low = text.lower()
    return _HOUSEKEEPING_RE.search(low) is not None and _CHANNEL_PLUG_RE.search(low) is None


def points_to_content(text: str) -> bool:
    """Whether ``text`` (one caption, cleaned) names free content a link may point to and nothing to sell: what turns
    its ``link_in_bio`` cue into ``content_link`` (case does not matter)."""
    text = text.lower()
    return _CONTENT_RE.search(text) is not None and _SELLING_RE.search(_FREE_THING_RE.sub(" ", text)) is None


def _near(pattern: re.Pattern[str], text: str, start: int, end: int, reach: int = _NEAR) -> bool:
    """Whether ``pattern`` occurs within ``reach`` characters of ``text[start:end]``."""
    return pattern.search(text, max(0, start - reach), min(len(text), end + reach)) is not None


def paid_by_author(text: str) -> bool:
    """Whether ``text`` (one caption, cleaned) says its author bought or paid; or asks about a price (a budget phrase
    in a currency, "under $200", with a question mark or asking word near it) or complains about one (a complaint
    word or "??" within a few words of an amount in a currency), when no amount reads as an offer ("only $29", "£45
    each", "$19.99 for all three") and nothing names a seller, a sale or deal, or a seller's hype ("worth every
    penny", "try mine"); and names no shop, order, DM or "for sale" anywhere: what turns a lone ``price`` cue into
    ``paid_price`` (case does not matter)."""
    text = text.lower()
    if _PRICE_SELLING_RE.search(text) is not None:
        return False
    if _BOUGHT_RE.search(text) is not None:
        return True
    if _OFFER_RE.search(text) is not None or _SELLER_RE.search(text) is not None:
        return False
    amounts = {m.group().replace(" ", "") for _, m in zip(range(_MAX_AMOUNTS), _MONEY_RE.finditer(text))}
    for _, m in zip(range(_MAX_AMOUNTS), _BUDGET_RE.finditer(text)):
        # a second price answers a budget question: a gift guide ("need a gift under £30? these candles are £18")
        if len(amounts) == 1 and _near(_ASKING_RE, text, m.start(), m.end(), _NEAR_ASKING):
            return True
    for _, m in zip(range(_MAX_AMOUNTS), _MONEY_RE.finditer(text)):
        if _near(_COMPLAINT_RE, text, m.start(), m.end()) or _near(_QUESTIONED_RE, text, m.start(), m.end()):
            return True
    return False


def critical_gift(text: str) -> bool:
    """Whether ``text`` (one caption, cleaned) finds fault with the product or holds its verdict back, praises
    nothing, and carries no paid disclosure: with a disclosure that says only "gifted" or "PR" (the matcher's gift
    disclosure phrases, which the caller checks), what turns its ``disclosure`` cue into ``critical_gift`` (case does
    not matter)."""
    from brandfit.disclosure import paid_disclosure

    low = text.lower()
    if PRAISE.search(low) is not None:  # "never broke me out once 😍": praise of a gift is the advert
        return False
    if CRITICAL.search(low) is None and PENDING.search(low) is None:
        return False
    return not bool(paid_disclosure([text])[0])


def qualifier_cues(found: AbstractSet[str], text: str, *, gift_only: bool = False) -> list[str]:
    """The qualifier cues ``text`` (cleaned) carries, given the names of the other cues that fired in it;
    ``gift_only``: its only disclosures are gift or PR wording (``#gifted``, "PR package", "press sample")."""
    out = []
    pushes = bool(found & _PUSHES)
    if "link_in_bio" in found and "disclosure" not in found and points_to_content(text):
        out.append("content_link")
    if "price" in found and not found & {"disclosure", "link"} and not pushes and paid_by_author(text):
        out.append("paid_price")
    if "self_promo" in found and not found & _PUSHES_BUT_SUBSCRIBE and "disclosure" not in found and (
            channel_housekeeping(text)):
        out.append("housekeeping")
    if not pushes and critical_gift(text) and (
            (gift_only and "disclosure" in found)
            # a brand's gift said in words ("@x sent me this serum, did nothing"): the `gifted` cue stood back
            or ("disclosure" not in found and gift_in_words(text.lower()))):
        out.append("critical_gift")
    return out


MAX_CEILING: Final[float] = 0.5
"""A ceiling must stay below 0.5: at or above it, a qualified text could still read as more likely an ad than not."""


def only_qualified(cues: Collection[str]) -> bool:
    """Whether a text's cues (its names from :func:`brandfit.cues.find_cues`) are all explained away: at least one
    qualifier fired, and every other cue is one that a qualifier which fired qualifies, or a plain web address
    (``link``, a sign *against* an ad in every promo head trained so far). Such a text is organic by the annotation
    guide: a link to free content, a price its author paid, a gift the caption finds fault with.

    >>> only_qualified(["link_in_bio", "content_link"])
    True
    >>> only_qualified(["link_in_bio", "gifted", "content_link"])  # a gift still pushes
    False
    >>> only_qualified(["critical_gift"])  # "@x sent me this serum, did nothing for me"
    True
    >>> only_qualified([])
    False
    """
    found = set(cues)
    fired = found & QUALIFIED.keys()
    return bool(fired) and found <= fired | {QUALIFIED[q] for q in fired} | {"link"}


# a critical gift that turns after its last fault ("a bit sticky, but my skin has never looked this glowy") is a mixed
# review whose praise the word lists may not read; a link to content beside a tag may be a sponsor's or a product's
_CONTRAST_RE: Final = re.compile(r"\b(?:but|tho|though|although|however)\b")
_HANDLE_RE: Final = re.compile(r"@[\w.]+")
# ... a tag that credits a backer or names a product ("powered by @x", "thanks to @x", "the new @x palette"), not a
# trailing tag of the club or show itself ("results are up, link in bio @east_quay_rc")
_BACKER_TAG_RE: Final = re.compile(
    r"\b(?:by|with|from|using|thanks(?: to)?|thank you|ty|ft|feat|featuring|x|the|my|our|new|in|on|w)\.?\s+@[\w.]+")
# ... and whatever a cue may let through that still sells: a resale or a deal after a price paid ("listing it later
# for £45", "back down to $30 rn"), a product or paid place beside free content ("vinyl in the webshop", "then the
# retreat intake opens", "my plan pdf")
_STILL_SELLS_RE: Final = re.compile(
    r"\b(?:\w*shop|listing|listed|asking|postage|comment (?:sold|if|below|to|for|link)|"
    r"(?<!welcome )back (?:down )?(?:to|at)|"
    r"price (?:drop|is back)|pdf|picks|(?:all|everything|every one|each one|products?|items?) (?:is |are )?linked|"
    r"retreat|intake|join (?:the|our|my)|members?(?:hip)?|vinyl|prints?|"
    r"cookbook|hardback|paperback|my (?:online |1:1 |new )?(?:plan|programme|program|coaching|course|class|classes))\b")


def held_under_ceiling(cues: Collection[str], text: str) -> bool:
    """Whether a model's qualifier ceiling holds ``text`` (one caption) with its ``cues``: :func:`only_qualified`, and
    the caption does not turn. A ``critical_gift`` caption with "but" (or "though", "however") after its last fault
    or held-back verdict is a mixed review, often ending in praise the word lists do not read; a ``content_link``
    caption that credits a tag ("powered by @x", "the new @x palette") may thank a sponsor or name the products; a
    ``paid_price`` caption that tags a brand or names a second amount may be a deal or a resale; and a caption that
    names a shop, a listing, a product or a paid place anywhere still sells. Each keeps the model's own score.

    >>> held_under_ceiling(["disclosure", "critical_gift"], "#gifted serum, broke me out 👎")
    True
    >>> held_under_ceiling(["disclosure", "critical_gift"], "#gifted serum, a bit too sticky but my skin is glowing")
    False
    >>> held_under_ceiling(["link_in_bio", "content_link"], "new video, thanks @squarespace for backing it, link in bio")
    False
    """
    if not only_qualified(cues):
        return False
    low = text.lower()
    if _STILL_SELLS_RE.search(_FREE_THING_RE.sub(" ", low)) is not None:
        return False
    if "paid_price" in cues and (_HANDLE_RE.search(low) is not None
                                 or len({m.group() for _, m in zip(range(_MAX_AMOUNTS), _MONEY_RE.finditer(low))}) > 1):
        return False  # a tagged brand or a second amount beside a price paid: a deal or a resale as often as not
    if "critical_gift" in cues:
        last = max((m.end() for pattern in (CRITICAL, PENDING) for m in pattern.finditer(low)), default=None)
        if last is not None and _CONTRAST_RE.search(low, last) is not None:
            return False
    return not ("content_link" in cues and _BACKER_TAG_RE.search(low) is not None)


def check_ceiling(value: object, where: str = "promo.qualifier_ceiling") -> float:
    """``value`` as a ceiling: 0 (off) or a number in (0, :data:`MAX_CEILING`); ``ValueError`` naming ``where``
    otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not (
            value == 0 or 0 < value < MAX_CEILING):
        raise ValueError(f"{where}: expected 0 (off) or a number in (0, {MAX_CEILING:g}), got {value!r}")
    return float(value)


def ceiling_logits(logits: np.ndarray, qualified: np.ndarray, ceiling: float) -> np.ndarray:
    """``logits`` lowered to ``logit(ceiling)`` where ``qualified`` (0 < ceiling < 0.5; 0 leaves them as they are).

    >>> ceiling_logits(np.array([2.0, -3.0, 2.0]), np.array([True, True, False]), 0.1).round(2).tolist()
    [-2.2, -3.0, 2.0]
    """
    if ceiling <= 0 or not np.any(qualified):
        return logits
    high = float(np.log(ceiling / (1.0 - ceiling)))
    return np.where(qualified, np.minimum(logits, high), logits)
