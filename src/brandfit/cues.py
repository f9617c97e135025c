"""Explicit advertorial cues, found by spaCy Matcher and PhraseMatcher patterns on cleaned text, and two cues of
phrasing found by regular expressions (:mod:`brandfit.cue_phrases`: ``gifted``, ``hard_sell``), plus three
qualifiers that say another cue is harmless in this caption (:mod:`brandfit.cue_qualifiers`).

Each cue has a name (a column of the promo model's features and what callers see in
``promo_cues``). ``disclosure`` marks an explicit ad disclosure (#ad, #sponsored, "paid
partnership", "gifted by", ...), so callers can tell a disclosed ad from an undisclosed one.

>>> from brandfit.cues import find_cues
>>> find_cues(["Use code GLOW20 for 20% off, link in bio! #ad", "went for a run this morning"])
[['disclosure', 'discount_code', 'link_in_bio', 'discount'], []]
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Final, Sequence

import numpy as np

from brandfit.account import MAX_INPUT_CHARS
from brandfit.cue_phrases import phrase_cues
from brandfit.cue_qualifiers import QUALIFIED, qualifier_cues
from brandfit.errors import InputError, InputTypeError

__all__ = ["CUES", "LEGACY_PROMO_CUES", "DISCLOSURE_CUES", "QUALIFIERS", "MAX_SYMBOL_RUN", "bounded_text", "find_cues",
           "cue_matrix", "has_disclosure"]

MAX_SYMBOL_RUN: Final[int] = 16
"""Longest run of punctuation marks / emoji (no letter, digit or space) the cue tokenizer reads (the same as
``brandfit.text.MAX_SYMBOL_RUN``)."""

CUES: Final[dict[str, str]] = {
    "disclosure": "explicit ad disclosure: #ad, #sponsored, #partner, paid partnership, gifted, in collaboration with, "
                  "and spoken: 'this episode is brought to you by', 'support for this podcast comes from', 'this video "
                  "is made possible by', 'a word from our sponsor', 'the sponsor of today's video'",
    "discount_code": "a discount code: 'use code GLOW20', 'promo code', a code-like token such as TRAIL15",
    "affiliate_link": "an affiliate or shortened shop link (amzn.to, bit.ly, liketk.it ...), 'affiliate link', or a "
                      "spoken tracking address ('go to X dot com slash Y')",
    "link_in_bio": "'link in bio', 'swipe up', 'tap the link', 'link below'",
    "link": "any URL or web address, written or spoken ('X dot com')",
    "price": "a price: $49.99, 30€, £20, Rs 499",
    "discount": "percent off, sale, half price, BOGO, free shipping",
    "urgency": "'today only', 'ends tonight', 'last chance', 'limited time', 'hurry'",
    "call_to_action": "'shop now', 'grab yours', 'order now', 'buy now', 'don't miss out'",
    "giveaway": "'giveaway', 'to enter', 'tag a friend', 'chance to win'",
    "dm_request": "'DM me', 'message me', 'inbox me', WhatsApp / Telegram contact",
    "money_pitch": "'make money', 'passive income', investment, forex, crypto profits",
    "prize_offer": "'you have won', 'claim your prize', 'free entry', 'call now', 'txt'",
    "self_promo": "'subscribe to my channel', 'check out my', 'follow me', 'like and subscribe'",
    "gifted": "a brand gave, sent or lent the product or let the author try it early: '@x sent me', 'a box from @x', "
              "'early access' (not a gift from family or friends)",
    "hard_sell": "a push to buy: 'run don't walk', 'add it to your cart', 'you need this', 'thank me later'",
    "content_link": "a 'link in bio' (or 'swipe up', ...) in a caption that names free content (a blog, vlog, race "
                    "report, playlist, recipe, results, fundraiser, petition, survey) and nothing to sell; it fires "
                    "with 'link_in_bio', which a promo head reading this column then ignores",
    "paid_price": "a price that is the author's, not an offer: paid ('got these for £12 at the thrift'), asked about "
                  "('best running watch under $200?') or complained about ('£185 road shoes?? who's paying that'), in "
                  "a caption that sells nothing; it fires with 'price', which a promo head reading this column then "
                  "ignores",
    "critical_gift": "a gift or PR disclosure ('#gifted', 'PR package') on a caption that finds fault with the "
                     "product, or holds its verdict back with no praise ('too early to tell'), and pushes nothing; it "
                     "fires with 'disclosure', which a promo head reading this column then ignores, or alone on a "
                     "brand's gift said in words that the caption finds fault with ('@x sent me this serum, did "
                     "nothing for me')",
    "partnership": "an ongoing relationship with a brand said without a disclosure word: 'repping @x', 'year three "
                   "with @x', 'the @x family', '@x athlete', '@x x me', a colourway designed with @x, #team<brand> "
                   "beside @<brand> (not a club's, team's, charity's or gym's handle)",
    "housekeeping": "a creator's housekeeping in their own video or show ('if you're new here, subscribe', 'see you in "
                    "the next one', 'let me know in the comments') that plugs no other channel and sells nothing; it "
                    "fires with 'self_promo', which a promo head reading this column then ignores",
}
"""Cue names and what each one matches, in the column order of :func:`cue_matrix`."""

LEGACY_PROMO_CUES: Final[tuple[str, ...]] = tuple(CUES)[:14]
"""The cues a promo head reads when its model config does not list them (models before ``gifted`` and
``hard_sell``, model format 7 and older)."""

DISCLOSURE_CUES: Final[frozenset[str]] = frozenset({"disclosure"})

QUALIFIERS: Final[dict[str, str]] = QUALIFIED
"""Cues that fire together with another and say it is harmless here (:mod:`brandfit.cue_qualifiers`): a promo head
that reads the qualifier's column reads it *instead of* the qualified cue's, and counts neither
(:func:`brandfit.features.cue_features`)."""

GIFT_DISCLOSURE: Final[str] = "gift_disclosure"  # a matcher label, reported as "disclosure"

_PHRASES: dict[str, tuple[str, ...]] = {
    "disclosure": (
        "#ad", "#ads", "#advert", "#advertisement", "#sponsored", "#sponsor", "#partner", "#partnership",
        "#paidpartnership", "#paidpartner", "#werbung", "#anzeige", "#collab", "#pr",
        "#publi", "#publicidad", "#sp", "#spon", "#brandambassador", "#ambassador",
        "paid partnership", "paid partnership with", "in collaboration with", "in partnership with", "sponsored by",
        "this post is sponsored",
        "sponsored post", "for sponsoring", "werbung", "anzeige", "publicidad", "ad |", "ad:", "[ad]", "(ad)",
        "#sponsoredpost", "#paidad", "#brandpartner",
        "#publicidade", "#pubblicita", "#pubblicità", "#sponsorisé", "#sponsorise", "#anuncio", "paid promotion",
        "colaboración pagada", "colaboracion pagada", "colaboração paga", "colaboracao paga", "parceria paga",
        "partenariat rémunéré", "partenariat remunere",
        # spoken disclosures (sponsor reads in podcasts and videos)
        "brought to you by", "support for this podcast comes from", "support for this show comes from",
        "support for the show comes from", "support for this episode comes from", "today's sponsor",
        "todays sponsor", "this episode is sponsored", "this video is sponsored", "today's episode is sponsored",
        "today's video is sponsored", "thanks to our sponsor",
        "thank you to our sponsor",
        # ... and the other turns into a read ("this video is made possible by", "a quick word from our sponsor",
        # "they're the sponsor of today's video"); none is in the paid-disclosure floor (brandfit.disclosure)
        "sponsor of today's", "sponsors of today's", "sponsor of todays", "sponsor of this video",
        "sponsor of this episode", "sponsor of the video", "sponsor of the episode", "sponsor of this show",
        "sponsor of this podcast", "word from our sponsor", "word from our sponsors", "message from our sponsor",
        "video is supported by", "episode is supported by", "podcast is supported by", "show is supported by",
        "channel is supported by", "ride is supported by", "vlog is supported by", "stream is supported by",
        # ("made possible by" alone is also a parent's lift or a year of training: only a video or show's)
        "video is made possible", "video was made possible", "episode is made possible", "episode was made possible",
        "podcast is made possible", "show is made possible", "vlog is made possible", "stream is made possible",
    ),
    # the disclosures that say only that the product was a gift: reported as "disclosure", and what lets
    # critical_gift qualify it (brandfit.cue_qualifiers); "#pr" stays above, since it is also a personal record
    GIFT_DISCLOSURE: (
        "#gifted", "#prproduct", "#prgift", "#giftedbybrand", "gifted by", "gifted from", "kindly gifted",
        "pr package", "pr product", "pr gift", "(gifted)", "*gifted", "gifted item", "press sample", "pr sample",
        "pr box", "pr haul", "pr unboxing",
    ),
    "discount_code": (
        "use code", "use my code", "with code", "with my code", "promo code", "discount code", "coupon code",
        "my code", "code at checkout", "use the code", "enter code", "codigo", "código", "rabattcode", "code promo",
        "coupon",
    ),
    "affiliate_link": (
        "affiliate link", "affiliate links", "#affiliate", "#affiliatelink", "#commissionsearned",
        "i earn a commission", "i earn a small commission", "small commission", "ltk", "#liketkit", "#ltkunder50",
        "shop my", "shop my ltk", "amazon storefront", "my storefront",
        "dot com slash", "dot com forward slash",  # a spoken tracking address: "go to X dot com slash Y"
    ),
    "link": ("dot com", "dot co", "dot org", "dot net", "dot io"),  # a web address read aloud
    "link_in_bio": (
        "link in bio", "link in my bio", "linked in bio", "links in bio", "link in profile", "link on my profile",
        "swipe up", "tap the link", "click the link", "link below", "link in stories", "link in my stories",
        "link in description", "link in the description", "click here", "tap to shop", "lien en bio", "link na bio",
        "linked in my bio", "links in my bio", "page in bio", "page in my bio", "link in comments",
        "link in the comments", "link in first comment", "link in the first comment",
        # said aloud in a video or show
        "linked below", "linked down below", "link down below", "links below", "links down below",
        "linked in the description", "links in the description", "link in the show notes", "links in the show notes",
        "in the show notes",
    ),
    "discount": (
        "% off", "percent off", "half price", "half off", "bogo", "buy one get one", "free shipping", "free delivery",
        "on sale", "sale ends", "flash sale", "discount", "discounted", "off everything", "off sitewide", "sitewide",
        "price drop", "save big", "lowest price", "deal of the day", "black friday", "cyber monday", "clearance",
        "descuento", "rabatt", "réduction",
    ),
    "urgency": (
        "today only", "ends tonight", "ends today", "ends soon", "ends tomorrow", "last chance", "limited time",
        "limited stock", "limited edition drop", "while stocks last", "while supplies last", "selling fast",
        "almost sold out", "only a few left", "hurry", "don't miss", "dont miss", "before it's gone",
        "before they're gone", "24 hours only", "48 hours only", "this weekend only", "act now", "final hours",
        "restocked", "back in stock",
    ),
    "call_to_action": (
        "shop now", "shop the look", "shop it", "grab yours", "grab one", "get yours", "order now", "order yours",
        "buy now", "buy it now", "pre-order", "preorder", "add to cart", "check it out", "check them out",
        "go get", "run to", "head to", "sign up", "join now", "book now", "don't wait", "dont wait",
        "you need this", "you need these", "treat yourself", "cop now", "available now", "dm to order",
        "order here", "shop here", "get it here",
    ),
    "giveaway": (
        "giveaway", "#giveaway", "give away", "to enter", "tag a friend", "tag 2 friends", "tag 3 friends",
        "tag two friends", "tag three friends", "chance to win", "enter to win", "winner will be", "winner announced",
        "winners announced", "#sorteo", "sorteo", "#concours", "#gewinnspiel",
    ),
    "dm_request": (
        "dm me", "dm us", "dm for", "message me", "inbox me", "pm me", "text me", "whatsapp", "telegram",
        "contact me", "reach out to me", "send me a message", "hit me up", "slide into my dm", "get in touch",
        "dm now",
    ),
    "money_pitch": (
        "make money", "making money", "earn money", "earn $", "passive income", "financial freedom", "investment",
        "invest", "investing", "investor", "forex", "bitcoin", "crypto", "profit", "profits", "trading account",
        "account manager", "work from home", "side hustle", "extra income", "returns", "recovered my",
        "hacked account", "per week", "per day",
    ),
    "prize_offer": (
        "you have won", "you've won", "you won", "claim your", "to claim", "claim now", "prize", "cash prize",
        "free entry", "free gift", "free trial", "won a", "winner", "congratulations you", "call now", "txt",
        "text stop", "reply stop", "unsubscribe", "guaranteed", "urgent", "reward", "voucher", "free ringtone",
        "call free", "freephone", "selected to receive",
    ),
    "self_promo": (
        "subscribe", "subscribe to my", "check out my", "check my", "my channel", "my new channel", "follow me",
        "follow my", "visit my", "please like", "like and subscribe", "support my", "my new video", "my music",
        "my videos", "sub to me", "sub 4 sub", "sub4sub", "check out this channel",
    ),
}

_URL = r"(?i)^(https?://|www\.)\S+$|^[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|net|org|io|co|to|ly|me|us|uk|de|fr|in|shop|store|link|gg|tv|app)(/\S*)?$"
_AFFILIATE_HOST = (
    r"(?i)^(https?://)?(www\.)?(amzn\.(to|eu)|a\.co|bit\.ly|tinyurl\.com|linktr\.ee|liketk\.it|shopltk\.com|ltk\.app"
    r"|rstyle\.me|shopmy\.us|go\.shopmy\.us|howl\.me|geni\.us|shrsl\.com|goo\.gl|ow\.ly|rebrand\.ly|cutt\.ly|beacons\.ai"
    r"|stan\.store|shop\.app)(/\S*)?$"
)
_PRICE = r"^([$€£₹¥]\s?\d[\d.,]*[kK]?|\d[\d.,]*\s?[$€£₹¥]|(rs\.?|inr|usd|eur|gbp)\d[\d.,]*)$"
_CODE = r"^[A-Z]{3,}[0-9]{2,3}$"

_SINGLE_TOKEN_REGEX: dict[str, tuple[str, ...]] = {
    # a cue fires when any one token's text matches (re.search), as a one-token Matcher pattern would
    "discount_code": (_CODE,),
    "affiliate_link": (_AFFILIATE_HOST,),
    "link": (_URL,),
    "price": (_PRICE,),
    "discount": (r"^-\d{1,2}%$",),
}
_SINGLE_TOKEN_FLAGS: dict[str, tuple[str, ...]] = {"link": ("like_url",)}  # lexeme flags, one token is enough

_MULTI_TOKEN_PATTERNS: dict[str, list[list[dict[str, Any]]]] = {
    "discount_code": [
        [{"LOWER": {"IN": ["code", "codes", "coupon", "promo", "kod", "código", "codigo"]}},
         {"ORTH": {"IN": [":", "-", '"', "'"]}, "OP": "?"},
         {"TEXT": {"REGEX": r"^[A-Z0-9]{4,}$"}}],
    ],
    "price": [
        [{"LOWER": {"IN": ["$", "€", "£", "₹", "rs", "rs.", "usd", "eur"]}}, {"LIKE_NUM": True}],
        [{"LIKE_NUM": True}, {"LOWER": {"IN": ["€", "$", "£", "dollars", "bucks", "euros", "usd", "eur"]}}],
    ],
    "discount": [
        [{"TEXT": {"REGEX": r"^-?\d{1,2}%$"}}, {"LOWER": {"IN": ["off", "discount", "sale", "rabatt", "descuento"]}}],
        [{"LOWER": {"IN": ["save", "saving", "savings"]}}, {"TEXT": {"REGEX": r"^(\d{1,2}%|[$€£₹]\d+)$"}}],
    ],
}


def token_patterns() -> dict[str, list[list[dict[str, Any]]]]:
    """Every token pattern as plain spaCy Matcher patterns: the one-token ones written out, plus the multi-token
    ones. The matcher below runs the one-token patterns once per distinct token text instead (same result)."""
    out: dict[str, list[list[dict[str, Any]]]] = {}
    for name, regexes in _SINGLE_TOKEN_REGEX.items():
        out.setdefault(name, []).extend([{"TEXT": {"REGEX": r}}] for r in regexes)
    for name, flags in _SINGLE_TOKEN_FLAGS.items():
        out.setdefault(name, []).extend([{flag.upper(): True}] for flag in flags)
    for name, patterns in _MULTI_TOKEN_PATTERNS.items():
        out.setdefault(name, []).extend(patterns)
    return out


def _predicate(spec: dict[str, Any]):
    """A function (lexeme) -> bool for one token spec; only the keys the patterns above use."""
    (key, value), = spec.items()
    if key in ("LOWER", "ORTH") and isinstance(value, dict) and set(value) == {"IN"}:
        allowed = frozenset(value["IN"])
        return (lambda lex: lex.lower_ in allowed) if key == "LOWER" else (lambda lex: lex.orth_ in allowed)
    if key == "TEXT" and isinstance(value, dict) and set(value) == {"REGEX"}:
        rx = re.compile(value["REGEX"])
        return lambda lex: rx.search(lex.orth_) is not None
    if key in ("LIKE_NUM", "LIKE_URL") and value is True:
        flag = key.lower()
        return lambda lex: getattr(lex, flag)
    raise InputError(f"cues: unsupported token spec {spec!r}; extend _predicate")


def _compile(patterns: dict[str, list[list[dict[str, Any]]]]):
    """Distinct token specs -> predicate functions, and each pattern as steps (cue, [(bit, optional), ...])."""
    specs: list[str] = []
    preds = []
    compiled = []
    for name, pats in patterns.items():
        for pat in pats:
            steps = []
            for tok in pat:
                tok = dict(tok)
                op = tok.pop("OP", None)
                if op not in (None, "?"):
                    raise InputError(f"cues: unsupported OP {op!r} in {pat!r}")
                key = repr(sorted(tok.items()))
                if key not in specs:
                    specs.append(key)
                    preds.append(_predicate(tok))
                steps.append((1 << specs.index(key), op == "?"))
            if steps[0][1] or steps[-1][1]:
                raise InputError(f"cues: a pattern may not start or end with an optional token: {pat!r}")
            compiled.append((name, tuple(steps)))
    return preds, compiled


def _matches(steps: tuple[tuple[int, bool], ...], masks: list[int], start: int) -> bool:
    """Whether the pattern ``steps`` matches the tokens from ``start`` on (the masks hold each token's bits)."""
    if not steps:
        return True
    bit, optional = steps[0]
    if start < len(masks) and masks[start] & bit and _matches(steps[1:], masks, start + 1):
        return True
    return optional and _matches(steps[1:], masks, start)


class _CueMatcher:
    """Finds the cues of many texts fast, with the same result as spaCy's Matcher and PhraseMatcher.

    Captions repeat their words, so everything that depends on one token is worked out once per distinct token
    and remembered: which one-token cues it fires, and which token specs of the multi-token patterns it meets
    (a bit mask). A text then costs a dictionary lookup per token, plus a short scan of the multi-token patterns
    (all of one to three tokens, at most one optional) over those masks where their first token occurs. A spaCy
    ``Matcher`` holding ``token_patterns()`` finds the same cues (tests/test_cues.py checks it on every
    labeled text, benchmarks/bench_cues.py on the public corpora too); it is ~1.7x slower on the same texts,
    because it tests every pattern on every token.
    """

    MEMO_MAX = 100_000  # distinct tokens remembered (~20 MB); cleared when full (a batch job sees a long tail)

    def __init__(self) -> None:
        from brandfit._imports import import_spacy

        import_spacy()
        from spacy.attrs import ORTH
        from spacy.matcher import PhraseMatcher

        from brandfit.text import get_nlp

        self.nlp = get_nlp()
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for name, phrases in _PHRASES.items():
            self.phrases.add(name, [self.nlp.make_doc(p) for p in phrases])
        single = {name: [[{"TEXT": {"REGEX": r}}] for r in rs] for name, rs in _SINGLE_TOKEN_REGEX.items()}
        for name, flags in _SINGLE_TOKEN_FLAGS.items():
            single.setdefault(name, []).extend([{flag.upper(): True}] for flag in flags)
        self._single_preds, single_steps = _compile(single)
        self._single = [(name, steps[0][0]) for name, steps in single_steps]
        self._preds, self._multi = _compile(_MULTI_TOKEN_PATTERNS)
        self._any_first = 0
        for _, steps in self._multi:
            self._any_first |= steps[0][0]
        self._orth = ORTH
        self._memo: dict[int, tuple[frozenset[str], int]] = {}
        self._fired: dict[int, frozenset[str]] = {}
        self.lock = threading.Lock()

    def _token(self, orth: int) -> tuple[frozenset[str], int]:
        lex = self.nlp.vocab[orth]
        bits = 0
        for i, pred in enumerate(self._single_preds):
            bits |= (1 << i) if pred(lex) else 0
        fired = self._fired.get(bits)
        if fired is None:  # one shared set per combination keeps the memo small
            fired = self._fired[bits] = frozenset(name for name, bit in self._single if bits & bit)
        mask = 0
        for i, pred in enumerate(self._preds):
            mask |= (1 << i) if pred(lex) else 0
        hit = (fired, mask)
        if len(self._memo) >= self.MEMO_MAX:
            self._memo.clear()
        self._memo[orth] = hit
        return hit

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        out: list[list[str]] = []
        memo = self._memo
        with self.lock:  # spaCy's matchers and the memo are not thread-safe
            for doc in self.nlp.tokenizer.pipe(bounded_text(t) for t in texts):
                found: set[str] = set()
                for match_id, _, _ in self.phrases(doc):
                    found.add(self.nlp.vocab.strings[match_id])
                masks = []
                seen = 0
                for orth in doc.to_array(self._orth).tolist():
                    fired, mask = memo.get(orth) or self._token(orth)
                    if fired:
                        found.update(fired)
                    masks.append(mask)
                    seen |= mask
                if seen & self._any_first:
                    for name, steps in self._multi:
                        if name not in found and any(
                            masks[i] & steps[0][0] and _matches(steps, masks, i) for i in range(len(masks))
                        ):
                            found.add(name)
                out.append(finish_cues(found, doc.text))
        return out


def finish_cues(found: set[str], text: str) -> list[str]:
    """``found`` (the matchers' names for ``text``, cleaned) with the cues that follow from them (an affiliate link is
    a link, a gift disclosure is a disclosure, the qualifiers of :mod:`brandfit.cue_qualifiers`) and the cues of
    phrasing, in :data:`CUES` order."""
    if "affiliate_link" in found:
        found.add("link")
    gift_only = GIFT_DISCLOSURE in found and "disclosure" not in found
    if GIFT_DISCLOSURE in found:
        found.add("disclosure")
    found.update(phrase_cues(text))
    found.update(qualifier_cues(found, text, gift_only=gift_only))
    return [n for n in CUES if n in found]


def bounded_text(text: str) -> str:
    """What the cue tokenizer reads: ``text`` cut to :data:`~brandfit.account.MAX_INPUT_CHARS` (its start and its end,
    :func:`brandfit.text.head_and_tail`), cleaned, its runs of
    punctuation marks / emoji bounded by :func:`brandfit.text.squeeze_repeats` (one character: at most 4; mixed: at
    most :data:`MAX_SYMBOL_RUN`). spaCy's tokenizer is quadratic in such runs (``"!" * 5000`` took seconds); no cue
    needs them."""
    from brandfit.text import clean, head_and_tail, squeeze_repeats

    cut = head_and_tail(text, MAX_INPUT_CHARS) if isinstance(text, str) else text
    return head_and_tail(squeeze_repeats(clean(cut)), MAX_INPUT_CHARS)  # clean() (NFKC) may lengthen it


@lru_cache(maxsize=1)
def _matcher() -> _CueMatcher:
    return _CueMatcher()


def find_cues(texts: Sequence[str]) -> list[list[str]]:
    """The names of the cues that fire in each text, in :data:`CUES` order."""
    if isinstance(texts, str):
        raise InputTypeError("texts: expected a sequence of strings, got a single str; wrap it in a list")
    return _matcher()(texts)


def has_disclosure(cues: Sequence[str]) -> bool:
    """True when any of ``cues`` is an explicit ad disclosure."""
    return any(c in DISCLOSURE_CUES for c in cues)


def cue_matrix(cues: Sequence[Sequence[str]], columns: Sequence[str] | None = None) -> np.ndarray:
    """One row per text, one 0/1 float32 column per cue of ``columns`` (default: all of :data:`CUES`, in order);
    cues not among ``columns`` are left out."""
    columns = list(CUES) if columns is None else list(columns)
    index = {n: i for i, n in enumerate(columns)}
    m = np.zeros((len(cues), len(columns)), dtype=np.float32)
    for r, names in enumerate(cues):
        for n in names:
            i = index.get(n)
            if i is not None:
                m[r, i] = 1.0
    return m
