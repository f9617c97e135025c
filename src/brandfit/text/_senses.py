"""Figurative senses of the verticals' words, rewritten in plain words before a text is embedded.

A frozen sentence encoder reads "makeup exam tomorrow" as beauty, "my social battery is at 2%" as electronics and
"a workout for my patience" as fitness: the vertical's word dominates the embedding whatever its sense. A linear
head on top cannot undo that (docs/quality.md, "Word senses"). This table rewrites fixed, unambiguous figurative
uses of those words (idioms, set phrases, slang) into plain words that belong to no vertical, so the encoder and
the n-gram heads see what the text is about: ``"makeup exam"`` -> ``"resit exam"``, ``"social battery"`` ->
``"social energy"``, ``"running late"`` -> ``"late"``.

Rules are chosen for precision, not recall: a phrase is listed only when its figurative sense is the only common
one ("makeup test" is not listed: beauty creators run wear tests; "nailed it" is not: manicures; "dropped the
ball" is not: goalkeepers do), or narrowed by what follows ("running late" but not "running late at night").
Puns and senses that need context are not caught. ``tests/unit/test_senses.py`` holds 50 literal captions the
rules must leave alone, many of them found rewritten by a review of the first table. The rewrite runs to a fixed
point and is idempotent (a property test).
The table is part of what a model was trained on: any change to it bumps ``NORMALIZATION_VERSION``.

>>> plain_senses("makeup exam tomorrow, wish me luck")
'resit exam tomorrow, wish me luck'
>>> plain_senses("new lipstick for the makeup class 💄")
'new lipstick for the makeup class 💄'
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

__all__ = ["SENSE_RULES", "SenseRule", "plain_senses"]


class SenseRule(NamedTuple):
    vertical: str  # the vertical whose word the phrase borrows
    pattern: str  # a regular expression, matched case-insensitively
    plain: str  # what replaces the match (``\\1`` ... refer to the pattern's groups)


SENSE_RULES: Final[tuple[SenseRule, ...]] = (
    # beauty
    SenseRule("beauty", r"\bmake[- ]?up (exams?|quiz(?:zes)?|assignments?|lectures?|midterms?|finals|tests? for "
                        r"(?:school|class|uni|college))\b(?! at the (?:academy|school of makeup))(?!.{0,40}\b(?:mua|"
                        r"makeup artist|academy|certified)\b)", r"resit \1"),
    SenseRule("beauty", r"\bmake[- ]up for (?:lost time|it all)\b", "compensate for it"),
    SenseRule("beauty", r"\bkiss(?:ed)? and make[- ]?up\b", "reconciled"),
    SenseRule("beauty", r"\bface the music\b", "accept the consequences"),
    SenseRule("beauty", r"\b(save|saving|saved) face\b(?! (?:fat|mask|masks|wash|oil|cream|serum|mist))",
              r"\1 my reputation"),
    SenseRule("beauty", r"\b(lose|losing|lost) face\b(?! (?:fat|mask|masks|wash|oil|cream|serum|mist))",
              r"\1 my reputation"),
    SenseRule("beauty", r"\b(?:straight|poker) face\b", "blank expression"),
    SenseRule("beauty", r"\blipstick on a pig\b", "dressing up a bad idea"),
    SenseRule("beauty", r"\bbrush(?:ed|ing)? up on\b", "revise"),
    SenseRule("beauty", r"\bbrushed (?:it|that|them) off\b", "shrugged it away"),
    SenseRule("beauty", r"\bgloss(?:ed|ing) over\b", "skipped over"),
    SenseRule("beauty", r"\bfoundation (year|course|degree|stones?|repairs?)\b", r"base \1"),
    SenseRule("beauty", r"\b(charitable|charity|nonprofit|non-profit|family) foundation\b", r"\1 trust"),
    SenseRule("beauty", r"\bfoundations? of (the|our|my|a|any|every) (house|home|building|relationship|company|"
                        r"business|society|democracy|friendship|marriage|church|faith|country)\b", r"basis of \1 \2"),
    SenseRule("beauty", r"\b(made|makes|making) me blush\b", r"\1 me embarrassed"),
    SenseRule("beauty", r"\bhighlight of (my|the|our|this) (day|week|weekend|month|year|trip|summer|night)\b",
              r"best part of \1 \2"),
    SenseRule("beauty", r"\bnail(?:ed|s|ing)? (the|my|that|this|an?) (interview|exam|presentation|audition|test|"
                        r"speech|pitch|landing|assignment)\b", r"aced \1 \2"),
    SenseRule("beauty", r"\bnail[- ]?biter\b|\bnail[- ]?biting (?:finish|end|ending|match|game|final|race)\b",
              "tense finish"),
    SenseRule("beauty", r"\bpolish(?:ed|ing)? (my|the|our|his|her|your|this) (essay|cv|resume|draft|speech|"
                        r"presentation|thesis|paper|code|manuscript)\b", r"refine \1 \2"),
    SenseRule("beauty", r"\bcosmetic (changes?|damage|differences?|fix(?:es)?|issues?|scratch(?:es)?)\b",
              r"surface \1"),
    SenseRule("beauty", r"\bface value\b", "apparent value"),
    SenseRule("beauty", r"\blet (?:my|your|our|her|his) hair down\b", "relax"),
    SenseRule("beauty", r"\bhair of the dog\b", "morning drink"),
    SenseRule("beauty", r"\bsplit(?:ting)? hairs\b", "quibbling"),
    SenseRule("beauty", r"\bhair[- ]raising\b", "scary"),
    SenseRule("beauty", r"\bby a hair\b|\bby the skin of (?:my|our|his|her|their|your) teeth\b", "barely"),
    SenseRule("beauty", r"\bskin in the game\b", "a stake"),
    SenseRule("beauty", r"\bthick[- ]skinned\b", "resilient"),
    SenseRule("beauty", r"\bget(?:s|ting)? under (?:my|your|his|her|their|our) skin\b", "annoys me"),
    SenseRule("beauty", r"\blip service\b", "empty words"),
    # electronics
    SenseRule("electronics", r"\bsocial battery\b", "social energy"),
    SenseRule("electronics", r"\brecharg(?:e|ed|ing) (?:my|your|our|their) (?:own )?batter(?:y|ies)\b",
              "rest and recover"),
    SenseRule("electronics", r"\bthe big apple\b", "new york city"),
    SenseRule("electronics", r"\bapple (pies?|crumble|crisp|cider|juice|picking|orchards?|trees?|sauce|tart|cake|"
                             r"slices?|core)\b", r"fruit \1"),
    SenseRule("electronics", r"\bapple of (?:my|his|her|their|our) eye\b", "dearest"),
    SenseRule("electronics", r"\b(field|pet|house|church) (?:mouse|mice)\b", r"\1 rodent"),
    SenseRule("electronics", r"\bmouse ?traps?\b", "rodent snare"),
    SenseRule("electronics", r"\bmickey mouse\b", "cartoon character"),
    SenseRule("electronics", r"\b(paracetamol|ibuprofen|headache|vitamin|iron|sleeping|pain|allergy|antibiotic|"
                             r"aspirin) tablets?\b", r"\1 pills"),
    SenseRule("electronics", r"\b(?:ball|pet|burmese|reticulated) pythons?\b", "pet snake"),
    SenseRule("electronics", r"\btired but wired\b", "tired but restless"),
    SenseRule("electronics", r"\b(guest|keynote|motivational|public) speakers?\b", r"\1 presenter"),
    SenseRule("electronics", r"\b(?:my|our) brain is (?:buffering|loading|lagging)\b", "my mind is slow"),
    SenseRule("electronics", r"\bglitch in the matrix\b", "strange coincidence"),
    SenseRule("electronics", r"\bphon(?:ed|ing|e) it in\b", "did the minimum"),
    SenseRule("electronics", r"\bcrash(?:ed|ing)? (on|at) (the|my|a|his|her|their|our) (couch|sofa|bed|floor|"
                             r"friend's|mate's|place)\b", r"slept \1 \2 \3"),
    SenseRule("electronics", r"\b(movie|film|series|franchise) reboot\b", r"\1 remake"),
    SenseRule("electronics", r"\btears (?:were )?streaming\b", "tears flowing"),
    SenseRule("electronics", r"\bpull(?:ed|ing|s)? the plug\b", "cancelled"),
    SenseRule("electronics", r"\bpush(?:es|ed|ing)? (?:my|his|her|your|their|our) buttons\b", "provoking me"),
    SenseRule("electronics", r"\bon the same wavelength\b", "in agreement"),
    SenseRule("electronics", r"\bhard[- ]?wired to (think|believe|want|feel|love|fear|prefer|seek)\b", r"innately \1"),
    SenseRule("electronics", r"\b(stomach|tummy|flu|winter) bug\b", r"\1 illness"),
    SenseRule("electronics", r"\bblackberr(?:y|ies) (jam|pie|picking|bush|bushes|crumble|season)\b", r"berry \1"),
    SenseRule("electronics", r"\b(?:was|were|been|got|get|being|is|are) charged with (murder|manslaughter|assault|"
                             r"theft|fraud|robbery|burglary|battery|a crime|a felony|a misdemeanor|drunk driving|"
                             r"dui|possession|trespassing|arson|kidnapping|treason|contempt)\b", r"accused of \1"),
    SenseRule("electronics", r"\bpower nap\b", "short nap"),
    SenseRule("electronics", r"\bmonitor(?:ing)? the situation\b", "watching the situation"),
    SenseRule("electronics", r"\bdron(?:ed|ing) on\b", "went on and on"),
    SenseRule("electronics", r"\bremote (work|job|jobs|worker|workers|working|village|island|area|location|cabin)\b",
              r"distant \1"),
    SenseRule("electronics", r"\bcamera[- ]shy\b", "shy"),
    # fitness
    SenseRule("fitness", r"\bworkout for (my|your|our) (patience|brain|nerves|soul|wallet|sanity|thumbs|"
                         r"bank account)\b", r"test of \1 \2"),
    SenseRule("fitness", r"\b(?:brain|mental) workout\b", "mental challenge"),
    SenseRule("fitness", r"\bdid (?:all )?(?:of )?the heavy lifting\b", "did the hard work"),
    SenseRule("fitness", r"\bweight (?:off|lifted off|lifted from) (?:my|your|our|his|her|their) shoulders\b",
              "relief"),
    SenseRule("fitness", r"\bpull(?:ing|ed|s)? (?:my|your|our|his|her|their) (?:own )?weight\b", "doing my share"),
    SenseRule("fitness", r"\bweight of the world\b", "burden of everything"),
    SenseRule("fitness", r"\bstretch goals?\b", "ambitious target"),
    SenseRule("fitness", r"\b(?:a bit of a|bit of a|quite a|such a) stretch\b(?! for| on| in| through)", "unlikely"),
    SenseRule("fitness", r"\bstretch(?:ed|ing)? the truth\b", "bending the truth"),
    SenseRule("fitness", r"\bdiet (coke|soda|pepsi|sprite|cola)\b", r"\1"),
    SenseRule("fitness", r"\ba (steady|constant) diet of\b", r"a \1 supply of"),
    SenseRule("fitness", r"\b(news|media|information|tv) diet\b", r"\1 consumption"),
    SenseRule("fitness", r"\b(?:don'?t|dont|do not) sweat it\b", "don't worry about it"),
    SenseRule("fitness", r"\bno sweat\b", "no problem"),
    SenseRule("fitness", r"\bweird flex\b", "weird brag"),
    SenseRule("fitness", r"\bcore memor(?:y|ies)\b", "lasting memory"),
    SenseRule("fitness", r"\bcore (?:values?|beliefs?|principles?)\b", "principles"),
    SenseRule("fitness", r"\bto the core\b", "deeply"),
    SenseRule("fitness", r"\b(sales|customer service|union|pharma|account|customer) reps?\b", r"\1 representative"),
    SenseRule("fitness", r"\b(?:buy|buying|bought|order|ordering|ordered|purchase|purchased) in bulk\b",
              "stocked up"),
    SenseRule("fitness", r"\bshredded (cheese|paper|documents|lettuce|coconut|carrots?|cabbage|mozzarella|"
                         r"cheddar)\b", r"grated \1"),
    SenseRule("fitness", r"\bworking out (how|what|who|why|whether|the details|the logistics|a plan|a deal|"
                         r"a schedule)\b", r"figuring out \1"),
    SenseRule("fitness", r"\b(?:things|it|everything) (?:didn'?t|did not|don'?t|do not|never) work(?:ed)? out\b",
              "it did not go well"),
    SenseRule("fitness", r"\b(?:hope|hoping) (?:it|things|everything) works? out\b", "hope it goes well"),
    SenseRule("fitness", r"\bit(?:'ll| will) all work out\b", "it will go well"),
    SenseRule("fitness", r"\bit all work(?:ed|s) out\b", "it went well"),
    SenseRule("fitness", r"\b(?:an )?exercise in (futility|patience|frustration|restraint|humility)\b", r"lesson in \1"),
    SenseRule("fitness", r"\bmental gymnastics\b", "twisted logic"),
    SenseRule("fitness", r"\bsweat(?:ing)? the small stuff\b", "worrying about details"),
    SenseRule("fitness", r"\bstretch(?:ing)? (my|our|your|the) (budget|money|paycheck|paycheque|savings|pennies)\b",
              r"making \1 \2 last"),
    SenseRule("fitness", r"\bwork(?:ed|s)? out (the|a) (math|maths|details|bill|cost|answer|problem|puzzle|plan)\b",
              r"figured out \1 \2"),
    SenseRule("fitness", r"\blift(?:ed|s)? (my|your|our|his|her|their) (spirits|mood)\b", r"raised \1 \2"),
    SenseRule("fitness", r"\b(give|gave|need|needed|get|got|giving) (me |us |you )?a lift (to|home|back)\b",
              r"\1 \2a ride \3"),
    SenseRule("fitness", r"\bfit as a fiddle\b", "in good health"),
    # sports_outdoor
    SenseRule("sports_outdoor", r"\br(?:unning|unnin|an) late\b(?! (?:at )?night| in the| evening| (?:after|this|last|on)\b)",
              "late"),
    SenseRule("sports_outdoor", r"\br(?:unning|an|uns|un) (?:out of|low on|short (?:of|on))\b", "short of"),
    SenseRule("sports_outdoor", r"\brunning on (empty|fumes|coffee|caffeine|no sleep|\d+ hours?)\b",
              r"surviving on \1"),
    SenseRule("sports_outdoor", r"\brunning (?:a )?(fever|temperature)\b", r"having a \1"),
    SenseRule("sports_outdoor", r"\brunning (errands?|a bath)\b", r"doing \1"),
    SenseRule("sports_outdoor", r"\brunning (a|my|our|the|his|her|their) (business|company|shop|store|household|"
                                r"meeting|country|small business|bakery|cafe|restaurant)\b", r"managing \1 \2"),
    SenseRule("sports_outdoor", r"\bup and running\b", "operational"),
    SenseRule("sports_outdoor", r"\brunning (joke|gag|theme)\b", r"recurring \1"),
    SenseRule("sports_outdoor", r"\brunning (?:my|his|her|your|their) mouth\b", "talking too much"),
    SenseRule("sports_outdoor", r"\bin the running for\b", "a candidate for"),
    SenseRule("sports_outdoor", r"\bin the long run\b(?! (?:this|today|yesterday|on|at|with|of)\b)", "eventually"),
    SenseRule("sports_outdoor", r"\brun of the mill\b", "ordinary"),
    SenseRule("sports_outdoor", r"\bdry run\b", "rehearsal"),
    SenseRule("sports_outdoor", r"\bcut and run\b", "flee"),
    SenseRule("sports_outdoor", r"\br(?:un|uns|unning|an) for (office|mayor|president|congress|council|senate|governor|"
                                r"parliament|re-?election|school board|class president)\b", r"campaign for \1"),
    SenseRule("sports_outdoor", r"\b(movie|film|netflix|series|tv|show|study|gaming|cleaning|baking|binge|"
                                r"harry potter|marvel|anime) marathon\b", r"\1 binge"),
    SenseRule("sports_outdoor", r"\ba marathon,? not a sprint\b", "a long process"),
    SenseRule("sports_outdoor", r"\bballpark (figure|estimate|number)\b", r"rough \1"),
    SenseRule("sports_outdoor", r"\b(?:the )?ball(?:'s| is) in (your|their|my|our|his|her) court\b", r"the decision is \1s now"),
    SenseRule("sports_outdoor", r"\btouch(?:ing)? base\b", "check in"),
    SenseRule("sports_outdoor", r"\bout of (?:my|your|his|her|their|our) league\b", "out of reach"),
    SenseRule("sports_outdoor", r"\bstep(?:ped|ping|s)? up to the plate\b", "took responsibility"),
    SenseRule("sports_outdoor", r"\b(?:hit|knock|knocked|knocking|hitting|hits|knocks) it out of the park\b",
              "did brilliantly"),
    SenseRule("sports_outdoor", r"\bgame[- ]?changers?\b", "big improvement"),
    SenseRule("sports_outdoor", r"\bwhole (?:new|other|different) ball ?game\b", "different situation"),
    SenseRule("sports_outdoor", r"\bmov(?:e|ed|es|ing) the goal ?posts\b", "changing the rules"),
    SenseRule("sports_outdoor", r"\bpar for the course\b", "typical"),
    SenseRule("sports_outdoor", r"\bfeeling (?:a bit |a little )?(?:below|under) par\b", "feeling unwell"),
    SenseRule("sports_outdoor", r"\b(?:threw|throws|throw|throwing|thrown) (?:me|us|you|him|her|them) a curve ?ball\b",
              "surprised me"),
    SenseRule("sports_outdoor", r"\blevel playing field\b", "fair conditions"),
    SenseRule("sports_outdoor", r"\bhik(?:ing|ed|es|e) (?:up )?(?:the|our|my|their|its) (prices?|rents?|rates?|fees?|"
                                r"taxes|tax|interest|fares?|tuition|premiums?)\b", r"raising \1"),
    SenseRule("sports_outdoor", r"\b(price|rent|rate|tax|fee|fare|tuition|interest rate) hikes?\b", r"\1 increase"),
    SenseRule("sports_outdoor", r"\bswimming in (debt|work|paperwork|emails?|homework|laundry|bills|assignments|"
                                r"deadlines)\b", r"buried in \1"),
    SenseRule("sports_outdoor", r"\bclimb(?:ing|ed|s)? the corporate ladder\b", "advancing at work"),
    SenseRule("sports_outdoor", r"\b(?:bored|going stir crazy|literally|practically|kids are|dog is) climbing the walls\b",
              "restless"),
    SenseRule("sports_outdoor", r"\ban uphill (?:battle|struggle)\b", "a hard struggle"),
    SenseRule("sports_outdoor", r"\bfishing for (compliments|likes|attention|sympathy)\b", r"begging for \1"),
    SenseRule("sports_outdoor", r"\bskating on thin ice\b", "taking a risk"),
    SenseRule("sports_outdoor", r"\bsurf(?:ing|ed)? the (?:web|internet|net)\b|\bchannel surfing\b", "browsing"),
    SenseRule("sports_outdoor", r"\b(news|wash|washing|spin|billing|election|vicious|endless|business|product|hype)"
                                r" cycle\b", r"\1 loop"),
    SenseRule("sports_outdoor", r"\bracing (?:thoughts|mind)\b|\b(?:mind|brain|thoughts) (?:is |are |was |were )?"
                                r"racing\b", "anxious thoughts"),
    SenseRule("sports_outdoor", r"\b(?:a )?race against (?:the clock|time)\b", "a rush"),
    SenseRule("sports_outdoor", r"\b(relationship|couple|couples|squad|friendship|life) goals\b", r"\1 ideals"),
    SenseRule("sports_outdoor", r"\b(threw|throwing|throws|throw) a (?:hissy )?fit\b", r"\1 a tantrum"),
    SenseRule("sports_outdoor", r"\bhissy fit\b", "tantrum"),
    SenseRule("sports_outdoor", r"\bfit of (rage|laughter|giggles|anger|coughing|jealousy)\b", r"burst of \1"),
    SenseRule("sports_outdoor", r"\bfits? the (?:bill|description)\b", "is right"),
    SenseRule("sports_outdoor", r"\b(?:get|got|getting|keep|keeping) the ball rolling\b", "get started"),
    SenseRule("sports_outdoor", r"\bhit the ground running\b", "started fast"),
    SenseRule("sports_outdoor", r"\bjump(?:ed|ing|s)? the gun\b", "acted too early"),
    SenseRule("sports_outdoor", r"\bthrow(?:ing|s)? in the towel\b|\bthrew in the towel\b", "giving up"),
    SenseRule("sports_outdoor", r"\bthe whole nine yards\b", "everything"),
    SenseRule("sports_outdoor", r"\bon thin ice\b", "at risk"),
    SenseRule("sports_outdoor", r"\bcall(?:s|ed|ing)? the shots\b", "deciding"),
    SenseRule("sports_outdoor", r"\bplay(?:ing|ed|s)? hardball\b", "being tough"),
    SenseRule("sports_outdoor", r"\br(?:un|uns|an|unning) (?:its|their) course\b", "ended naturally"),
    SenseRule("sports_outdoor", r"\br(?:uns|an|un|unning) in the family\b", "inherited"),
    SenseRule("sports_outdoor", r"\br(?:an|un|uns|unning) into (an old friend|my ex|an old|someone|trouble|problems|"
                                r"issues|a problem|an issue|each other)\b", r"met \1"),
    SenseRule("sports_outdoor", r"\bfeeling (?:a bit |so |really )?run[- ]down\b", "feeling exhausted"),
    SenseRule("sports_outdoor", r"\b(?:a |like a )?fish out of water\b", "out of place"),
    SenseRule("sports_outdoor", r"\bcouch[- ]?surf(?:ing|ed)?\b", "sleeping on sofas"),
    SenseRule("sports_outdoor", r"\bswing(?:ing)? by\b|\bswung by\b", "visit"),
    SenseRule("sports_outdoor", r"\bscored? (a |some |free )?(deal|bargain|tickets|table|reservation|discount)\b",
              r"got \1\2"),
    SenseRule("sports_outdoor", r"\btouched down in\b", "landed in"),
    SenseRule("sports_outdoor", r"\bsaved by the bell\b", "rescued just in time"),
    # fashion
    SenseRule("fashion", r"\bfollow(?:ed|s|ing)? suit\b", "did the same"),
    SenseRule("fashion", r"\b(?:law ?suits?|class[- ]action suits?)\b", "legal case"),
    SenseRule("fashion", r"\bbirthday suit\b", "naked"),
    SenseRule("fashion", r"\b(?:a|got a|gave (?:me|him|her|them|us) a) dressing[- ]down\b", "a scolding"),
    SenseRule("fashion", r"\bdress rehearsals?\b", "final rehearsal"),
    SenseRule("fashion", r"\b(salad|ranch|caesar|italian|thousand island|honey mustard) dressing\b", r"\1 sauce"),
    SenseRule("fashion", r"\bdrag(?:ging|ged|s)? (?:my|our|their|his|her|your) (?:feet|heels)\b", "delaying"),
    SenseRule("fashion", r"\bhead over heels\b", "deeply in love"),
    SenseRule("fashion", r"\bhot on (?:my|our|their|his|her|your) heels\b", "close behind"),
    SenseRule("fashion", r"\bcar boot sales?\b", "flea market"),
    SenseRule("fashion", r"\bcar boot\b", "car trunk"),
    SenseRule("fashion", r"\b(?:got|get|gets|getting|given) the boot (?:from|at) (?:work|my job|the job|the company|"
                         r"the team|the band|the show)\b", "dismissed"),
    SenseRule("fashion", r"\bboots on the ground\b", "people on site"),
    SenseRule("fashion", r"\bno cap\b", "honestly"),
    SenseRule("fashion", r"\b(price|spending|salary|rent|budget) caps?\b", r"\1 limit"),
    SenseRule("fashion", r"\bknock(?:ed|s)? (?:my|your|his|her|their|our) socks off\b", "amazed me"),
    SenseRule("fashion", r"\b(?:tie|tied|tying) the knot\b(?! (?:at|in|on) the (?:front|back|side|waist|hem))",
              "got married"),
    SenseRule("fashion", r"\bsmarty[- ]?pants\b", "show off"),
    SenseRule("fashion", r"\bby the seat of (?:my|our|your|his|her|their) pants\b", "improvising"),
    SenseRule("fashion", r"\b(scared|bored|charmed) the pants off\b", r"\1 the life out of"),
    SenseRule("fashion", r"\bcuffing season\b", "dating season"),
    SenseRule("fashion", r"\boff the cuff\b", "improvised"),
    SenseRule("fashion", r"\bat the drop of a hat\b", "instantly"),
    SenseRule("fashion", r"\bhats? off to\b", "respect to"),
    SenseRule("fashion", r"\b(?:is|was|it's|its|that's|thats) old hat\b", "is old news"),
    SenseRule("fashion", r"\bwear(?:ing|s)? (?:so )?many hats\b", "having many roles"),
    SenseRule("fashion", r"\b(?:walk a mile|put yourself|if you were|if i were|been) in (?:my|your|his|her|their|our) "
                         r"shoes\b", "in that position"),
    SenseRule("fashion", r"\bif the shoe fits\b", "if it applies"),
    SenseRule("fashion", r"\bother shoe to drop\b", "next problem"),
    SenseRule("fashion", r"\bshoe ?string budget\b", "tight budget"),
    SenseRule("fashion", r"\bblue[- ]collar (jobs?|workers?|work|families|family|town|crime)\b", r"manual \1"),
    SenseRule("fashion", r"\bwhite[- ]collar (jobs?|workers?|work|crime)\b", r"office \1"),
    SenseRule("fashion", r"\bhot under the collar\b", "angry"),
    SenseRule("fashion", r"\broll(?:ed|ing)? up (?:my|our|your|his|her|their) sleeves and (?:get|got|start|started|"
                         r"dig|dug) (?:to work|stuck in|in)\b", "got to work"),
    SenseRule("fashion", r"\b(?:tricks?|aces?|something|anything|plans?) up (?:my|his|her|their|our|your) sleeves?\b",
              "a plan in reserve"),
    SenseRule("fashion", r"\bheart on (?:my|his|her|their|our|your) sleeve\b", "openly emotional"),
    SenseRule("fashion", r"\bunder (?:my|our|his|her|their|your) belts?\b", "achieved"),
    SenseRule("fashion", r"\btighten(?:ing)? (?:our|their) belts\b", "saving money"),
    SenseRule("fashion", r"\bbelow the belt\b", "unfair"),
    SenseRule("fashion", r"\bfashionably late\b", "a bit late"),
    SenseRule("fashion", r"\bcramp(?:ed|s|ing)? (?:my|your|his|her|their|our) style\b", "limit me"),
    SenseRule("fashion", r"\b(?:cash|financial|funding) runway\b|\b(?:months|years|weeks) of runway\b", "funding"),
    SenseRule("fashion", r"\brole models?\b", "inspiration"),
    SenseRule("fashion", r"\b(business|pricing|revenue|statistical|language|ml|ai|data|climate|subscription) models?\b",
              r"\1 framework"),
    SenseRule("fashion", r"\b(?:came|come|coming|comes) out of the closet\b", "came out"),
    SenseRule("fashion", r"\bskeletons? in (?:my|the|our|your|his|her|their) closet\b", "secrets"),
    SenseRule("fashion", r"\bwear and tear\b", "damage"),
    SenseRule("fashion", r"\b(?:coats?) of (paint|varnish|primer|stain)\b", r"layer of \1"),
    SenseRule("fashion", r"\bpull (?:up )?(?:my|your|our|his|her|their) socks up\b", "try harder"),
    SenseRule("fashion", r"\bput a sock in it\b|\bzip it\b(?! up| open| closed| shut| all| halfway| down)", "be quiet"),
    SenseRule("fashion", r"\bvested interests?\b", "stake"),
    SenseRule("fashion", r"\bfeather in (?:my|your|his|her|their|our) cap\b", "achievement"),
    SenseRule("fashion", r"\bthinking caps?\b", "thinking hard"),
    SenseRule("fashion", r"\bmodel (citizen|student|employee|behaviou?r|pupil)\b", r"exemplary \1"),
    SenseRule("fashion", r"\bsuit yourself\b", "as you wish"),
    SenseRule("fashion", r"\bshoo[- ]in\b", "certain winner"),
    SenseRule("fashion", r"\bbootstrap(?:ped|ping)\b", "self-funded"),
)

_COMPILED: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(r.pattern, re.IGNORECASE), r.plain) for r in SENSE_RULES)
_TOKEN: Final[re.Pattern[str]] = re.compile(r"[a-z0-9]+")
# characters re.IGNORECASE matches to ASCII letters that str.lower() leaves apart (dotless i, dotted I, long s, Kelvin)
_FOLD: Final[dict[int, str]] = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


_COMMON: Final[frozenset[str]] = frozenset(
    "a an the in on at of to for out up no is was were are be been being my our your his her their it its do don "
    "dont did didn not t s ll will get got gets getting give gave need needed keep hope hoping things everything "
    "me us you him them this that with and or by as so".split())


def _strings(pattern: str) -> list[str] | None:
    """Every string ``pattern`` can match, lower case (a repeat of unbounded length: up to two more times than its
    minimum; ``\\d``: ``0``), or None when they cannot be listed.

    Read from CPython's regex parser (``re._parser``, stable within Python 3.11, which the package requires)."""
    import re._parser as sre  # noqa: PLC0415 - at import time only

    try:
        seq = list(sre.parse(pattern, re.IGNORECASE))
    except Exception:  # noqa: BLE001 - any surprise: no shortcut for this rule
        return None
    strings: list[str] = []

    def walk(items: list, prefix: str, depth: int) -> bool:
        if depth > 200 or len(strings) > 5000:
            return False
        if not items:
            strings.append(prefix)
            return True
        (op, av), rest = items[0], items[1:]
        name = str(op)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):  # a lookahead consumes nothing: the match is the rest
            return walk(rest, prefix, depth)
        if name == "LITERAL":
            return walk(rest, prefix + chr(av).lower(), depth)
        if name == "IN":
            chars = []
            for o, v in av:
                if str(o) == "LITERAL":
                    chars.append(chr(v).lower())
                elif str(o) == "CATEGORY" and str(v) == "CATEGORY_DIGIT":
                    chars.append("0")
                else:
                    return False
            return all(walk(rest, prefix + c, depth + 1) for c in chars)
        if name == "SUBPATTERN":
            return walk(list(av[3]) + rest, prefix, depth + 1)
        if name == "BRANCH":
            return all(walk(list(alt) + rest, prefix, depth + 1) for alt in av[1])
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            lo, hi, sub = av
            return all(walk(list(sub) * n + rest, prefix, depth + 1) for n in range(lo, min(hi, lo + 2) + 1))
        return False

    return strings if walk(seq, "", 0) else None


def _index() -> tuple[dict[str, tuple[tuple[int, frozenset[str] | None], ...]], tuple[int, ...]]:
    """Key words per rule: every match of a rule holds one of its keys, so a text none of whose words is a key of
    a rule cannot match it. From each string a rule can match, the key is its word (outside :data:`_COMMON`) that
    the fewest rules use: "late" rather than "running" for "running late", so one common word of a vertical does
    not wake a dozen rules. Every rule starts and ends at a word boundary, so the words of a match are words of
    the text (as :data:`_TOKEN` cuts it).

    Each key maps to ``(rule, partners)``: a match through a string with that key also holds one of ``partners``
    (that string's next rarest word; a word with a digit never, since ``\\d`` is listed as ``0``), or ``partners``
    is None when such a string has no other word. A rule is tried only when its key and a partner are both in the
    text: the key alone wakes rules that a text of a vertical's words almost never matches ("goals" for
    "relationship goals")."""
    words_of: list[list[list[str]] | None] = []
    for rule in SENSE_RULES:
        strings = _strings(rule.pattern)
        words_of.append(None if strings is None else [_TOKEN.findall(x) for x in strings])
    used_by: dict[str, int] = {}
    for per_string in words_of:
        for w in {w for words in per_string or () for w in words}:
            used_by[w] = used_by.get(w, 0) + 1
    by_key: dict[str, dict[int, set[str] | None]] = {}
    always: list[int] = []
    for i, per_string in enumerate(words_of):
        if per_string is None or not all(per_string):
            always.append(i)
            continue
        for words in per_string:
            rare = [w for w in words if w not in _COMMON] or words
            key = min(rare, key=lambda w: (used_by[w], -len(w)))
            others = [w for w in words if w != key and not any(c.isdigit() for c in w)]
            partners = by_key.setdefault(key, {})
            if not others:
                partners[i] = None
            elif partners.get(i, set()) is not None:
                partners.setdefault(i, set()).add(min(others, key=lambda w: (w in _COMMON, used_by[w], -len(w))))
    return ({w: tuple((i, None if p is None else frozenset(p)) for i, p in rules.items())
             for w, rules in by_key.items()}, tuple(always))


_BY_KEY, _ALWAYS = _index()


_HANDLE_SO_FAR: Final[re.Pattern[str]] = re.compile(r"@[\w.]*\Z")  # the text before a match ends inside a handle


def _outside_handles(plain: str):  # noqa: ANN202 - a re.sub replacement function
    def replace(m: re.Match[str]) -> str:
        start = m.start()
        if start and m.string[start - 1] in "@." and _HANDLE_SO_FAR.search(m.string, max(0, start - 64), start):
            return m.group(0)  # "@running late@club", "@the.running late": a handle's words are its name, not an idiom
        return m.expand(plain)
    return replace


def plain_senses(text: str, *, in_handles: bool = False) -> str:
    """``text`` with every listed figurative use of a vertical's word replaced by plain words (see module doc).

    A phrase that starts inside a handle (``@running late``, ``@the.running late``) is left alone;
    ``in_handles=True`` rewrites it too, as normalisation versions 3 and 4 did (which made ``normalize`` read
    ``"@running late@club"`` differently on a second pass). Only the rules one of whose key words (:func:`_index`)
    occurs in the text, with one of its partner words, are tried: most texts, none."""
    for _ in range(16):  # to a fixed point ("diet diet coke" takes two passes)
        rules = set(_ALWAYS)
        words = set(_TOKEN.findall(text.lower().translate(_FOLD)))
        if "\u0130" in text:  # also folded before lowering: "İ" lowers to two characters ("QUİZ" is no word above),
            words |= set(_TOKEN.findall(text.translate(_FOLD).lower()))  # where re.IGNORECASE reads it as "i"
        for word in words:
            for i, partners in _BY_KEY.get(word, ()):
                if partners is None or not partners.isdisjoint(words):
                    rules.add(i)
        if not rules:
            return text
        new = text
        for i in sorted(rules):
            rx, plain = _COMPILED[i]
            new = rx.sub(plain if in_handles or "@" not in new else _outside_handles(plain), new)
        if new == text:
            return text
        text = new
    return text
