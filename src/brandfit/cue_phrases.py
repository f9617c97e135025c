"""Three advertorial cues that live in how a caption is phrased, not in a tag, code or link.

- ``gifted``: a brand gave, sent or lent the author the product, or let them try it early ("@x sent me",
  "a box from @x", "the team at @x hooked me up", "early access", "me mandaron"), with or without a disclosure
  word. Gifts from a friend, partner or family member named as such do not count ("my sister sent me"), nor a
  gift the caption finds fault with ("@x sent me this serum, did nothing for me"): that is a review.
- ``hard_sell``: the author pushes followers to buy ("run don't walk", "add it to your cart", "you need this",
  "thank me later", "cómprenlo").
- ``partnership``: an ongoing relationship with a brand said without a disclosure word ("repping @x", "year three
  with @x", "the @x family", "@x athlete", "@x x me", a colourway designed with @x, ``#teamferro`` beside
  ``@ferro.cycles``); not when the handle is a club's, team's, charity's, school's or gym's ("@kendalharriers",
  "@east_quay_rc"), whose relationships sell nothing.

By the annotation guide (data/labeled/GUIDE.md) gifted praise, hard sells and brand relationships are promo even with
no ``#ad``; a critical gifted post is not. These are features the promo head weighs with everything else, not
verdicts: the embedding tells praise from complaint. All three are regular expressions over the cleaned caption
because spaCy's token patterns cannot say "an @handle, up to three words, then a verb of giving, then me" compactly;
they cost a few microseconds per caption.

>>> phrase_cues("came home to a box from @ridgeline 😭 obsessed")
['gifted']
>>> phrase_cues("my sister sent me these socks 🥹")
[]
>>> phrase_cues("run don't walk, the lip oil is back in stock")
['hard_sell']
>>> phrase_cues("year three repping @cliffline_gear 🧗")
['partnership']
>>> phrase_cues("year three with @kendalharriers 🏃")
[]
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["PHRASE_CUES", "CRITICAL", "PENDING", "PRAISE", "phrase_cues", "gift_in_words"]

_HANDLE = r"@[\w.]+"
# a brand named as the giver: an @handle, or "the team at / the folks from <name>"
_GIVER = rf"(?:{_HANDLE}|the (?:team|crew|folks|people|lovely (?:team|people|folks)) (?:at|from|over at) @?[\w.&']+)"
_ME = r"(?:me|us|my|myself)"
_GIVE = (r"(?:sent|send|sends|sending|mailed|shipped|posted|couriered|gave|gives|gifted|surprised|spoiled|spoilt|"
         r"spoiling|spoil|treated|treating|hooked|blessed|lent|loaned)")
_INVITE = r"(?:let|letting|asked|invited|inviting|picked|chose|selected|trusted)"
_PARCEL = r"(?:box|package|parcel|pkg|hamper|goodies|goodie bag|goody bag|gift bag|care package|welcome pack)"
# what a handle is thanked for doing that is giving: "for sending", "for having me at", not "for pacing me"
_GIVING = (r"(?:sending|gifting|sponsoring|spoiling|treating|hooking|fuel?ling|kitting|flying|including|choosing|"
           r"picking|selecting|inviting|featuring|dressing|supporting (?!me\b|us\b)|"
           r"(?:having|hosting|letting|bringing|trusting|thinking of) (?:me|us)\b|bringing (?:these|this|them|it)\b|"
           r"making (?:me|us) (?:an?|your|part)\b|"
           r"keeping (?:me|us) (?:fuel\w*|warm|dry|hydrated|charged|powered)\b)")
_NOT_HOME = r"(?! (?:home|off|away|back|out|to (?:the|my|bed|school|work|hospital)))"  # "sent me home": no gift
_GIFTED = (
    # the brand gives: "@x sent me", "@x really spoiled me", "the team at @x hooked me up", "@x let me try"
    rf"{_GIVER}(?:'s? team| team| crew| fam)?(?: \w+){{0,3}} {_GIVE} (?:\w+ ){{0,3}}?{_ME}\b{_NOT_HOME}",
    rf"{_GIVER}(?:'s? team| team)?(?: \w+){{0,2}} {_INVITE} {_ME}\b(?: \w+){{0,2}} (?:to )?(?:try|test|review|"
    r"road.?test|be one of|be part|join)",
    rf"{_GIVER}(?: \w+){{0,2}} (?:reached out|got in touch|dm'?d me|slid into)",
    # the brand's parcel arrives: "a box from @x", "@x's goodie bag", "pr box"
    rf"\b(?:{_PARCEL}|delivery|surprise|present|kit|bundle) (?:from|by|courtesy of) {_GIVER}",
    rf"{_HANDLE}(?:'s)? (?:pr |press )?{_PARCEL}\b",
    # sent to the author: "i was sent", "they sent me", "sent to me by", "sent me their new"
    rf"\b(?:i|we) (?:was|were|got|have been|'ve been|had been) (?:kindly |lucky enough to be |so lucky to be )?sent\b"
    rf"{_NOT_HOME}",
    rf"\b(?:they|you guys|y'all) (?:sent|spoiled|spoilt|surprised|treated|hooked) (?:me|us)\b{_NOT_HOME}",
    r"\bsent (?:to )?me by\b",
    r"\bsent (?:me|us) (?:their|these|this|some|the|a) (?:new|latest|whole|full|entire)\b",
    # trying it before the public
    r"\b(?:early access|sneak peek of|first (?:look|dibs) at|before anyone else|ahead of (?:the )?(?:launch|release)|"
    r"before (?:it|they)(?:'s| is| are)? (?:even )?(?:out|launches|launched|released|drops|available)|"
    r"tester (?:program|group|team|list)|review unit|test unit|road.?test(?:ing)? (?:the|their|this|these|@))",
    # mail-day language
    r"\b(?:happy mail|mail ?day|in the (?:mail|post) from|pr (?:haul|unboxing|box|package))\b",
    # thanks to a handle for a thing (not for the support, the photos, a session, a cut or a recipe), or for giving
    # it ("for sending these", "for having me at the launch"); not for another act ("for pacing me", "for fixing my
    # laptop", "for keeping me alive through exam season")
    rf"\b(?:thank you|thanks|thank u|thx|ty|tysm|grateful to|shout ?out to) (?:so much )?{_HANDLE} for "
    r"(?!(?:\w+ ){0,3}?(?:support|love|session|class|lesson|pics?|photos?|shots?|shoot|edit|video|vid|cut|ride|run|"
    r"race|workout|training|help|advice|tips?|motivation|company|hospitality|laughs|memories|feature|shout ?out|"
    r"follow|words|makeup|hair|nails|coaching|spot|lift|chat|interview|opportunity|flow|recipe|recs?|"
    r"recommendation|space|swap|patience|miles|everything|anything|nothing)\b)"
    # ... nor for a season of a club's ("for an amazing season"), though a sponsor's is ("for sponsoring my season")
    r"(?!(?:an? |the |this |another |such an? )?(?:\w+ )?season\b)"
    r"(?!(?:(?:always|literally|actually|just|not|never|still|basically|honestly|constantly|kindly|once again) )?"
    rf"(?!{_GIVING})(?!\w*thing\b)\w+ing\b)\w+",
    # code-mixed: Spanish, Portuguese, Hinglish
    r"\bme (?:mandó|mando|mandaron|envió|envio|enviaron|regaló|regalo|regalaron|consintió|consintio|consintieron|"
    r"sorprendió|sorprendio|sorprendieron)\b",
    r"\bme (?:mandou|enviou|enviaram|mandaram|presenteou|presentearam|surpreendeu)\b|\brecebi (?:da|do|de) @",
    r"\b(?:bhej(?:a|i|e)?|bhej (?:diya|di|diye)|gift (?:kiya|kari)|ka parcel|ka hamper|ka package)\b",
)
# an ongoing relationship with a brand, said without a disclosure word (the guide: "the relationship itself is the
# advert"): "repping @x", "year three with @x", "on the @x team", "the @x family", "@x athlete", "my own colourway", a
# capsule designed with @x, "@x x me"; not the looser "made dinner with @x" or "one year with @x" (friends, partners)
_NUMBER = r"(?:\d+(?:st|nd|rd|th)?|two|three|four|five|six|seven|eight|nine|ten|second|third|fourth|fifth|another)"
_SEASON = r"(?:year|yr|season)s?"
_RELATION = (
    rf"\brepp(?:ing|in'?|ed)? (?:for )?{_HANDLE}",
    # ... also in Spanish and Portuguese ("familia @x", "faço parte do time @x"), signed, or hosting a brand's event
    rf"\b(?:familia|família|equipo|equipe|parte del? (?:team|equipo)|parte do time) {_HANDLE}",
    rf"\bsigned (?:with|w/?|to|for) {_HANDLE}",
    rf"\bhost(?:ing|ed)? (?:the |a |an )?{_HANDLE}(?:'s)? (?:\w+ )?(?:launch|event|run|class|masterclass|workout|"
    r"session|pop.?up|meet.?up|shakeout|workshop)",
    rf"\b(?:on|in|join(?:ed|ing)?|part of|welcome to|member of|officially|proud) (?:the |my |our )?{_HANDLE}"
    r" (?:team|crew|family|fam|squad|roster|athletes?|creators?)\b",
    # ... "@x's family" is the relatives of @x; "the @x family photo" a picture
    rf"{_HANDLE} (?:fam|family|crew|squad|athletes?|creator (?:team|squad|program\w*|family)|creators)\b"
    r"(?! (?:photo|pic|pics|day|dinner|lunch|recipe|reunion|holiday|trip|time|meal|bbq|wedding|came|night|party|"
    r"christmas|xmas|birthday|bday)s?\b)",
    rf"\b(?:{_NUMBER} {_SEASON}|{_SEASON} {_NUMBER}) (?!volunteer|coach|teach|train|work|study)(?:\w+ )?(?:with|on|"
    r"for|repping|(?:riding|running|racing|"
    rf"lifting|climbing|skating|surfing) (?:for|with)) (?:the )?{_HANDLE}",
    rf"\b(?:athlete|face|creator) (?:of|for) {_HANDLE}|{_HANDLE} athlete\b",
    # ... "@x x me", the creators' word for a collaboration (friends use it too: a known misfire)
    rf"{_HANDLE} x me\b|\bme x {_HANDLE}",
    rf"\b(?:designed|co-?designed|dreamed up|developed) (?:\w+ )?with {_HANDLE}",
    rf"\b(?:capsule|colou?rway|collection) (?:\w+ ){{0,4}}?with {_HANDLE}",
    rf"\bmy (?:\w+ )?(?:range|line|edit|drop|signature \w+) with {_HANDLE}|\b(?:we|i) (?:built|designed|created) with "
    rf"{_HANDLE}",
)
# ... or the brand named the author's own line ("they gave me my own colourway")
_OWN_LINE = r"\b(?:my own|gave me my own|named after me) (?:colou?rway|signature|shade|flavou?r|edition)\b"
# ... but not a club, team, charity, school or gym's (the guide: the same words about them are not promo): a club word
# ending the handle or one of its parts ("@kendalharriers", "@ironhouse_gym", "@east_quay_rc"), not starting it
# ("@gymshark", "@clubmonaco")
_CLUB_HANDLE = re.compile(
    r"(?:club|harriers|runners|rowing|athletics|triclub|society|trust|charity|foundation|school|academy|volunteers?|"
    r"barbell|crossfit|gym|dojo|boxing|scouts|church|choir|league|community|united|rovers|wanderers)(?:$|[._\d])|"
    r"(?:^|[._])(?:rc|ac|fc|cc|rfc|tri|bc|utd|uni|uniof\w*)(?:$|[._\d])|parkrun")
_RELATION_RE: Final = re.compile("|".join(f"(?:{p})" for p in (*_RELATION, _OWN_LINE)))
_OWN_LINE_RE: Final = re.compile(_OWN_LINE)
_HANDLE_RE: Final = re.compile(_HANDLE)
# a brand's team hashtag: #team followed by the start of a tagged handle ("#teamferro" with @ferro.cycles)
_TEAM_TAG_RE: Final = re.compile(r"#team([a-z0-9]{4,})")
# ... not a word every team hashtag uses ("#teamwork", "#teambride")
_TEAM_WORDS: Final = frozenset({"work", "bride", "groom", "nosleep", "family", "mom", "mum", "dad", "baby", "boy",
                                "girl", "natural", "fit", "fitness", "usa", "run", "running", "spirit", "building"})
_MAX_TAGS: Final = 16  # distinct #team tags and handles compared
_NAME_CHARS: Final = 64  # ... each cut to this many characters

# a gift from someone the caption names as family, a friend or a partner is not a brand's
_PERSONAL = re.compile(
    r"\b(?:my|our|ur|your) (?:mom|mum|mam|mama|mother|dad|papa|father|parents|sis|sister|brother|bro|fam|family|"
    r"friend|friends|bestie|bff|bf|gf|boyfriend|girlfriend|husband|hubby|wife|wifey|partner|fianc[eé]e?|grandma|"
    r"granny|nan|nana|grandpa|aunt|auntie|uncle|cousin|roomie|roommate|flatmate|coworker|colleague|neighbou?r|"
    r"teammate|son|daughter|kids?)\b|\b(?:mi|mis) (?:mamá|mama|madre|papá|padre|hermana|hermano|amiga|amigo|novio|"
    r"novia|abuela|abuelo|tía|tia)\b|\b(?:minha|meu) (?:mãe|mae|pai|irmã|irma|irmão|irmao|amiga|amigo|namorado|"
    r"namorada|avó|avo)\b|\b(?:didi|bhaiya|dost|bestie|besties|bff|best friend|bestfriend|hubby|wifey)\b")

# a post that finds fault with the gift is a review, not gifted praise (the guide: critical or neutral, no push)
CRITICAL: Final = re.compile(
    # ... unless negated: "isn't too sweet", "zero pilling", "doesn't run small", "never leaks"
    r"\b(?<!n't )(?<!isnt )(?<!doesnt )(?<!didnt )(?<!hasnt )(?<!wasnt )(?<!dont )(?<!arent )(?<!wont )(?<!cant )"
    r"(?<!not )(?<!no )(?<!zero )(?<!never )(?<!without )(?<!n't feel )(?<!n't look )(?<!n't seem )(?<!n't get )"
    r"(?:not (?:for me|worth|impressed|a fan|convinced|sold|great|the best|my (?:fave|favou?rite|thing))|"
    r"did nothing|does nothing(?! but)|do nothing|didn'?t work|"
    r"doesn'?t work|didn'?t do (?:anything|much)|meh|(?<!n't )(?<!not )(?<!never )disappoint\w*|underwhelm\w*|"
    r"overrated|wouldn'?t recommend|"
    r"would not recommend|won'?t (?:be )?repurchas\w*|won'?t be buying|skip it|broke (?:me )?out|stung|"
    r"flimsy|cheaply made|fell apart|smells? (?:weird|bad|off|awful)|nothing special|just ok(?:ay)?|"
    r"(?:decent|fine|nice|ok|okay|cute|pretty) but|returned (?:it|them)|sending (?:it|them) back|no me convence\w*|"
    # ... or says what went wrong: "gave me blisters", "battery died", "runs small", "mixed feelings"
    r"gave me (?:a |an )?(?:blisters?|rash|breakouts?|spots|headache|cramps|hives)|battery died|"
    r"(?:runs?|came up|fits?) (?:small|big|large|tiny|huge)|mixed feelings|didn'?t (?:love|like|vibe|rate|suit)|"
    r"(?:leaked|leaks|leaking)|too (?:strong|sweet|greasy|sticky|thick|heavy|tight|loose|chalky|scratchy)|"
    r"shr[au]nk|pill(?:ed|ing)|bobbl(?:ed|ing)|frayed|hurts? (?:my|after|within)|"
    r"(?<!non-)(?<!non)(?<!my )(?:itchy|irritated|irritating)|itched|irritates|oxidi[sz]\w*|"
    r"(?:is|was|'s|are|were|way|bit|just) too much|too much for me|not my (?:style|colou?r|shade|size|vibe|scent)|"
    r"no me gust\w*|não gostei|nao gostei|bekaar|faltu)\b|[👎😕😒]")

# a gifted product's verdict held back ("testing for 2 weeks before i say anything", "too early to tell")
PENDING: Final = re.compile(
    r"\b(?:(?:will |i'?ll )?report back|verdict (?:to come|soon|pending|tbc|tbd|in \d|after|once|next)|"
    r"too early to (?:tell|say)|(?:full |honest )?review (?:coming|to come|soon|once|after|in \d)|"
    r"testing (?:it|them|this|these|for|before)|haven'?t (?:tried|tested|opened|used|worn) (?:it|them|this|these)"
    r"(?: \w+)? yet|not (?:tried|tested|opened|used|worn) (?:it|them) yet|before i say anything|more soon|"
    r"update (?:in|soon|to come)|on the fence|not sure (?:yet|about (?:it|them|these) yet)|"
    r"jury(?:'s| is) (?:still )?out|time will tell|nothing decided|os cuento|will (?:let (?:you|u) know|update)|"
    r"first impressions (?:later|soon|to come|next|in)|"
    r"vou testar|ainda não testei|je vous dirai)\b")
# ... with no praise or eagerness: praise of a gift is the advert (the guide)
PRAISE: Final = re.compile(
    r"\b(?:(?<!n't )(?<!not )(?<!dont )lov(?:e|es|ed|ing|ely|in)|obsess\w*|amazing|fave|faves|favou?rites?|"
    r"(?<!not the )(?<!not my )(?<!not )best|perfect\w*|gorgeous|stunning|but mighty|"
    r"beautiful|unreal|incredible|in love|so good|game.?changer|holy grail|must.?have|10/10|chef'?s kiss|"
    r"can'?t wait|cannot wait|so excited|excited|hooked|(?<!not )impressed|wow|yay|stoked|thrilled|"
    # ... slang, praise said through a negation, a superlative ("didn't disappoint", "does nothing but slay")
    r"slaps?|slay\w*|goated|no notes|understood the assignment|grateful|can'?t take (?:it|them|these) off|"
    r"never (?:going|goin) back|never felt|(?:didn'?t|doesn'?t|don'?t|did not|does not|never) disappoint\w*|"
    r"does nothing but|(?<!not )(?<!n't )worth (?:it|every)|(?!worst\b)\w+i?est (?:\w+ )?ever|"
    r"amei|amo|encanta\w*|enamorad\w*|me flipa|maravilh\w*|incr[ií]ble|bahut (?:accha|achha|badhiya)|mast)\b"
    r"|[😍🥰😻🤩❤💕💖💗💓💞🤍🖤💛💚💙💜🧡🔥✨🫶💯⭐🌟👌🙌🤌👏🥹💅]")

# who a push is said to; "go" and "girls" alone are too common ("let's go get it", "girls get it done")
_AUDIENCE = (r"(?:pls|please|plz|seriously|y'?all|you guys|u guys|lads|ladies|fellas|babes|people|everyone|chicas|"
             r"bhai|yaar)")
_HARD_SELL = (
    rf"\b{_AUDIENCE}[,!]? (?:go |just |and )?(?:buy|grab|cop|order|pick up) (?:it|this|these|them|one|yours|"
    r"yourself|a pair)\b",
    rf"\b{_AUDIENCE}[,!]? (?:go |just )?get (?:yourself|yours|one|a pair|these|this one)\b",
    r"\b(?:go|just) (?:buy|cop|order) (?:it|this|these|them|one|yours|a pair)\b",
    r"\b(?:you|u|y'?all|ya) (?:all |guys )?(?:need|neeed+|need to (?:try|get|buy|grab|cop)) (?:this|these|it|them|"
    r"one|to try|in your life)\b",
    r"\badd (?:it|this|these|them|one) to (?:your|ur|the) (?:cart|basket|bag)\b",
    r"\bthank me later\b", r"\brun,? don'?t walk\b", r"\bstop sleeping on\b", r"\bdo yo?urself a fav(?:ou)?r\b",
    r"\bwhat are (?:you|u) waiting for\b", r"\bstop (?:what (?:you'?re|ur) doing|scrolling)\b",
    r"\b(?:cop|grab|buy) (?:it|them|yours|one|these|this) (?:before|while)\b",
    r"\bbefore (?:it|they)(?:'re| are|'s| is)? (?:sold out|sells? out)\b",
    r"\b(?:back in stock|selling out fast)\b", r"\bdon'?t sleep on\b", r"\byou won'?t regret (?:it|this)\b",
    r"\bneeds? to be in (?:your|ur) (?:cart|bag|routine|closet|wardrobe|kit)\b",
    r"\b(?:compren|cómprenlo|comprenlo|cómpralo|compralo|cómprala|comprala|corran|compre já|comprem|corre (?:lá|pra))\b",
    r"\b(?:le lo|khareed lo|kharid lo|order karo|mangwa lo|le aao)\b",
)
# "não comprem", "don't buy": a warning, not a push (the negation right before the match, up to one word between)
_NEGATED_SELL = re.compile(r"\b(?:no|não|nao|don'?t|do not|never|nunca)\s+(?:\w+\s+)?$")
_NOT_A_NEGATION = re.compile(r"\bno (?:cap|lie|joke|kidding|cuz|bc)\s+$")  # "no cap you need this" insists
_NEGATION_WINDOW = 24  # characters before a match that the negation check reads


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    # matched against lowercased text: about twice as fast as re.IGNORECASE over these alternations
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_GIFTED_RE: Final = _compile(_GIFTED)
_HARD_SELL_RE: Final = _compile(_HARD_SELL)

PHRASE_CUES: Final[tuple[str, ...]] = ("gifted", "hard_sell", "partnership")
"""The cue names this module finds, in :data:`brandfit.cues.CUES` order."""


def gift_in_words(text: str) -> bool:
    """Whether ``text`` (one caption, cleaned, lowercased) says a brand gave or sent the author something ("@x sent
    me", "a box from @x"), not family or a friend: the ``gifted`` cue when the caption does not find fault with it."""
    return _GIFTED_RE.search(text) is not None and _PERSONAL.search(text) is None


def _gifted(text: str) -> bool:
    # a gift the caption finds fault with, or whose verdict it holds back with no praise, is the guide's critical or
    # neutral gifted post, not gifted praise
    return gift_in_words(text) and CRITICAL.search(text) is None and (
        PENDING.search(text) is None or PRAISE.search(text) is not None)


def _hard_sell(text: str) -> bool:
    for m in _HARD_SELL_RE.finditer(text):
        before = text[max(0, m.start() - _NEGATION_WINDOW):m.start()]
        if not _NEGATED_SELL.search(before) or _NOT_A_NEGATION.search(before):
            return True
    return False


def _brand_handle(handle: str) -> bool:
    return _CLUB_HANDLE.search(handle.lstrip("@").rstrip(".")) is None


def _partnership(text: str) -> bool:
    if "@" not in text:  # every relation names its brand's handle, but "my own colourway"
        return ("own" in text or "named after" in text) and _OWN_LINE_RE.search(text) is not None
    for m in _RELATION_RE.finditer(text):
        handles = _HANDLE_RE.findall(m.group())
        if not handles or any(_brand_handle(h) for h in handles):
            return True
    # (the first few distinct tags and handles only: a bound on the work for hostile text)
    tags = [t for t in dict.fromkeys(t[:_NAME_CHARS] for _, t in zip(range(_MAX_TAGS), _TEAM_TAG_RE.findall(text)))
            if t not in _TEAM_WORDS]
    if tags:
        handles = dict.fromkeys(h[:_NAME_CHARS] for _, h in zip(range(4 * _MAX_TAGS), _HANDLE_RE.findall(text)))
        names = [re.sub(r"[^a-z0-9]", "", h) for h in list(handles)[:_MAX_TAGS] if _brand_handle(h)]
        return any(n.startswith(t[:8]) or t.startswith(n[:8]) for t in tags for n in names if len(n) >= 4)
    return False


def phrase_cues(text: str) -> list[str]:
    """The names of :data:`PHRASE_CUES` that ``text`` (one caption, cleaned) carries (case does not matter)."""
    text = text.lower()
    out = []
    if _gifted(text):
        out.append("gifted")
    if _hard_sell(text):
        out.append("hard_sell")
    if _partnership(text):
        out.append("partnership")
    return out
