"""Cues that say another cue is harmless in this caption (:data:`brandfit.cues.QUALIFIERS`).

The promo head counts its cues: whichever cue fires first adds about as much as a disclosure. By the annotation
guide (data/labeled/GUIDE.md) some of them are often organic, and the caption says so in words:

- ``content_link`` qualifies ``link_in_bio``: the caption names free content (a blog, vlog or video, a race report,
  a playlist or recipe, race results or a route, a fundraiser, petition or survey) and nothing to sell.
- ``paid_price`` qualifies ``price``: the price is the author's, not an offer: they bought or paid it ("got these
  for £12 at the thrift", "best $4 i've spent"), ask about one ("best running watch under $200?") or complain about
  one ("£185 road shoes?? who's paying that"), and nothing else in the caption sells (no other advertorial cue or web
  address, no shop, sale, order or DM).
- ``critical_gift`` qualifies ``disclosure``: a disclosure that says only "gifted" or "PR" (``#gifted``, "PR
  package", "press sample"; never ``#ad``, ``#partner`` or ``#pr``, which is also a personal record), on a caption that
  finds fault with the product, or holds its verdict back with no praise ("testing for 2 weeks before i say
  anything"), and pushes nothing: the guide's critical or neutral gifted post.

A promo head that reads a qualifier's column reads it *instead of* the qualified cue's and counts neither
(:func:`brandfit.features.cue_features`); callers still see both names among a text's cues. Regular expressions on
the cleaned, lowercased caption; they run only where the qualified cue fired.

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
>>> critical_gift("#gifted trekking poles, the lock slipped twice, not trusting them yet 😕")
True
>>> critical_gift("#ad the new serum, not for me")
False
>>> critical_gift("#gifted serum, too early to tell, update in a month")
True
"""

from __future__ import annotations

import re
from typing import AbstractSet, Final

from brandfit.cue_phrases import CRITICAL

__all__ = ["QUALIFIED", "points_to_content", "paid_by_author", "critical_gift", "qualifier_cues"]

QUALIFIED: Final[dict[str, str]] = {"content_link": "link_in_bio", "paid_price": "price", "critical_gift": "disclosure"}
"""Each qualifier cue and the cue it qualifies, in :data:`brandfit.cues.CUES` order."""

# free content a link may point to (English, plus a few Spanish and Portuguese words)
_CONTENT_RE: Final = re.compile(
    r"\b(?:blog|blogpost|blog post|vlogs?|videos?|vids?|youtube|yt video|episodes?|ep \d+|podcast|interview|article|"
    r"recap|race report|trip report|write.?up|full story|playlists?|spotify|recipes?|tutorial|race results|"
    r"club results|full results|results (?:are|is) (?:up|out|in)|strava|gpx|route|race photos|photo album|album|"
    r"gallery|live ?stream|fundrais\w*|justgiving|gofundme|donat\w*|charity|chip in|petition|survey|questionnaire|"
    r"volunteers?|vídeo|receta|receita|resultados|donación|donacion|doação|doacao|vaquinha|petição|peticao)\b")
# ... and nothing to sell: a shop, product, offer, booking or paid place turns the same link into a sales link
_SELLING_RE: Final = re.compile(
    r"\b(?:shop\w*|buy\w*|order\w*|purchas\w*|products?|items?|details|outfits?|fit deets|wearing|"
    r"everything i (?:used|use|wore)|code|codes|discount\w*|sale|deals?|price\w*|preorder|pre-order|restock\w*|"
    r"drop|launch\w*|tickets?|spots? (?:left|open|available)|book\w*|sign ?ups?|signups?|register|enrol\w*|"
    r"enroll\w*|course|program\w*|coaching|plans?|ebook|e-book|guide|presets?|merch|store\w*|ltk|affiliate|"
    r"commission|waitlist|subscri\w*|membership|patreon|sponsor(?:ed|ship|s)?(?! me)|partner\w*|collab\w*|gifted|"
    r"ad|compra\w*|tienda|loja|desconto|descuento|cupom|cupón|cupon|código|codigo|inscri\w*|vagas|kharid\w*)\b"
    r"|[$€£₹]|(?<!\d)\d{1,3} ?%")

_AMOUNT = r"(?:[$€£₹]|rs\.? ?|r\$ ?)?\d[\d.,]*k?\s?(?:[$€£₹]|bucks|quid|euros?|dollars|rupees)?"
# the author bought or paid it
_BOUGHT_RE: Final = re.compile("|".join((
    r"\b(?:bought|purchased|thrifted|snagged|splurged)\b",
    r"\b(?:i|we|i've|ive|i have|i just|we just|i finally|we finally|i only|i once) (?:paid|spent)\b",
    rf"(?:^|[.!?,;:\n]\s*)(?:just |only |finally )?paid (?:like |only |just |about |around |almost )?{_AMOUNT}",
    r"\bcost (?:me|us)\b",
    rf"\b(?:best|worst) {_AMOUNT}(?: \w+)? (?:i|i've|ive|i have|i ever|ever|i'?ve ever)(?: ever)? spent\b",
    r"\b(?:got|picked up|found|scored|grabbed) (?:it|them|these|this|mine|my \w+|a \w+|an \w+|the \w+)"
    r"(?: \w+){0,3} for\b",
    rf"\bfor (?:only |just )?{_AMOUNT} (?:at|from|off|on) (?:the |a |my local )?(?:thrift|charity shop|op shop|"
    r"(?:fb |facebook )?marketplace|vinted|depop|ebay|car boot|flea|market|poshmark|olx)",
    r"\b(?:compré|me costó|me costo|comprei|paguei|me custou|kharida|kharidi|kharide|le liya|liya)\b",
)))
# ... or asks about a price: a budget question ("best watch under $200?", "menos de 80€, ¿alguna recomendación?")
_BUDGET_RE: Final = re.compile(
    rf"\b(?:under|below|less than|no more than|max|budget(?: is| of)?(?: around| about| like)?|menos de|moins de|"
    rf"unter|sotto i|abaixo de|até) {_AMOUNT}")
_ASKING_RE: Final = re.compile(  # searched on its own, not as a lookahead of every amount: linear time
    r"\?|\b(?:recs?|recommend\w*|suggest\w*|suggestions?|ideas|anyone|anybody|help|pls|please|where do i|batao|"
    r"koi|alguna|alguém|alguem|sugerencias|dicas)\b")
# ... or complains about one ("£185 road shoes?? who's paying that", "since when is a protein bar £3.50")
_COMPLAINT_RE: Final = re.compile(
    r"\?\?|\b(?:who(?:'s| is) (?:paying|buying)|rich (?:people|ppl)|steep|insane|criminal|daylight robbery|"
    r"ridiculous|a joke|overpriced|can'?t justify|not worth|never again|wasted|rip.?off|since when|when did|"
    r"went up|gone up|goes up|love that for me|oof|se les fue|caro|caríssimo|carissimo|mehenga|mehnga)\b")
# ... and sells nothing, in words no cue reads
_PRICE_SELLING_RE: Final = re.compile(
    r"\b(?:shop\w*|order\w*|for sale|selling|sell|sells|dm|inbox|available|in stock|restock\w*|preorder|pre-order|"
    r"drop\w*|launch\w*|tickets?|spots?|book\w*|link|links|get yours|grab yours|grab one|buy (?:now|it|yours|one|here)|"
    r"was (?:[$€£₹]|rs|\d)\S* now|now (?:only|just)|only \S+ (?:today|this week|this weekend)|vendo|venta|vendas?|"
    r"bech\w*)\b")
# an amount offered: "only $29", "just £5", "from £199", "2 for £20", "£45 each", "per session"
_OFFER_RE: Final = re.compile(
    rf"\b(?:only|just|from|starting at|desde|a partir de|sirf|per (?:session|class|person|head|month)|each|\d+ for) "
    rf"{_AMOUNT}|(?<![\w.,]){_AMOUNT} (?:each|per|a (?:session|class|head|person|pop)|incl\w*|off)\b")
# a gifted product's verdict held back ("testing for 2 weeks before i say anything", "too early to tell")
_PENDING_RE: Final = re.compile(
    r"\b(?:(?:will |i'?ll )?report back|verdict|too early to (?:tell|say)|(?:full |honest )?review (?:coming|to come|soon|"
    r"once|after|in \d)|testing (?:it|them|this|these|for|before)|haven'?t (?:tried|tested|opened|used|worn)|"
    r"not (?:tried|tested|opened|used|worn) (?:it|them|yet)|before i say anything|more soon|update (?:in|soon|to come)|"
    r"on the fence|jury'?s (?:still )?out|time will tell|nothing decided|os cuento|vou testar|ainda não testei|"
    r"je vous dirai)\b")
# ... with no praise: praise of a gift is the advert (the guide)
_PRAISE_RE: Final = re.compile(
    r"\b(?:love|loving|loved|obsessed|amazing|fave|favou?rite|best|perfect|gorgeous|stunning|beautiful|unreal|"
    r"incredible|in love|so good|game.?changer|holy grail|must.?have|10/10|already (?:love|obsessed|hooked)|amei|"
    r"encanta\w*|enamorad\w*)\b|[😍🥰😻🤩❤💕💖]")
# cues that still push with a qualifier: a code, an affiliate link, a sale, urgency, a call to act, a hard sell ...
_PUSHES: Final = frozenset({"discount_code", "affiliate_link", "link_in_bio", "discount", "urgency", "call_to_action",
                            "giveaway", "dm_request", "money_pitch", "prize_offer", "self_promo", "gifted",
                            "hard_sell"})


def points_to_content(text: str) -> bool:
    """Whether ``text`` (one caption, cleaned) names free content a link may point to and nothing to sell: what turns
    its ``link_in_bio`` cue into ``content_link`` (case does not matter)."""
    text = text.lower()
    return _CONTENT_RE.search(text) is not None and _SELLING_RE.search(text) is None


def paid_by_author(text: str) -> bool:
    """Whether ``text`` (one caption, cleaned) says its author bought or paid, or carries a budget phrase ("under
    $200") and a question mark or asking word anywhere, or a complaint word anywhere (the last two only when no
    amount reads as an offer: "only $29", "£45 each"), and names no shop, order, DM or "for sale": what turns a lone
    ``price`` cue into ``paid_price`` (case does not matter). The question and complaint checks are not tied to the
    price and are known to be loose (docs/quality.md, "Still weak")."""
    text = text.lower()
    if _PRICE_SELLING_RE.search(text) is not None:
        return False
    if _BOUGHT_RE.search(text) is not None:
        return True
    # a question or a complaint, unless the amount reads as an offer ("only $29??", "2 for £20, who's buying")
    return ((_BUDGET_RE.search(text) is not None and _ASKING_RE.search(text) is not None)
            or _COMPLAINT_RE.search(text) is not None) \
        and _OFFER_RE.search(text) is None


def critical_gift(text: str) -> bool:
    """Whether ``text`` (one caption, cleaned) finds fault with the product, or holds its verdict back and praises
    nothing, and carries no paid disclosure: with a disclosure that says only "gifted" or "PR" (the matcher's gift
    disclosure phrases, which the caller checks), what turns its ``disclosure`` cue into ``critical_gift`` (case does
    not matter)."""
    from brandfit.disclosure import paid_disclosure

    low = text.lower()
    if CRITICAL.search(low) is None and (_PENDING_RE.search(low) is None or _PRAISE_RE.search(low) is not None):
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
    if gift_only and "disclosure" in found and not pushes and critical_gift(text):
        out.append("critical_gift")
    return out
