"""Figurative senses of the verticals' words in plain words (normalisation v3); pure functions and a fake model."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.text import NORMALIZATION_VERSION, normalize
from brandfit.text._senses import SENSE_RULES, plain_senses
from brandfit.topics import TOPICS

FIGURATIVE = [
    # (text, what normalize makes of it): the vertical's word is gone, the rest of the text is kept
    ("makeup exam tomorrow, wish me luck", "resit exam tomorrow, wish me luck"),
    ("#MakeUpExam at 9 😭", "resit exam at 9 loudly crying face"),
    ("my social battery is at 2% today", "my social energy is at 2% today"),
    ("this week has been a workout for my patience lol", "this week has been a test of my patience lol"),
    ("Running late again, the bus never came", "late again, the bus never came"),
    ("netflix marathon all weekend 🍿", "netflix binge all weekend popcorn"),
    ("landlord hiking the rent AGAIN", "landlord raising rent AGAIN"),
    ("no cap this is the best pizza in town", "honestly this is the best pizza in town"),
    ("my nan's apple crumble >>>", "my nan's fruit crumble >>"),
    ("sorry, brain is buffering. our brain is buffering", "sorry, brain is buffering. my mind is slow"),
    ("this movie bored the pants off me", "this movie bored the life out of me"),
    ("it'll all work out", "it will go well"),
    ("she gave me a lift home", "she gave me a ride home"),
    ("diet diet coke", "coke"),
    ("my socıal battery", "my social energy"),  # dotless i: re.IGNORECASE matches it, so must the key-word index
    ("we tied the knot!! 💍", "we got married!! ring"),
    ("ran out of milk, ran out of patience", "short of milk, short of patience"),
]

LITERAL = [
    # the same words in the vertical's own sense: left exactly as v2 writes them
    "makeup test before the wedding: 12 hours and no creasing",
    "her makeup game is strong 💄",
    "nailed it 💅 first gel mani at home",
    "keeper dropped the ball and we lost 2-1",
    "new wireless mouse, side buttons are so handy",
    "heart racing after those hill sprints",
    "dressing down a blazer with white sneakers",
    "two under par through nine ⛳",
    "sand in my shoes after the beach run",
    "my apple watch battery lasts two days",
    "running a 10k on sunday",
    "new foundation shade finally matches",
    "marathon training week 6, 50k done",
    "fit check: linen shirt or black tee?",
    "tablet stand for the kitchen, so handy",
    "core day: planks, dead bugs, hollow holds",
    # literal captions a review found the first table rewriting
    "Makeup for this look: fenty foundation + rare beauty blush",
    "How to lose face fat in 2 weeks?", "let it bake, then brush it off", "put gloss over my lipstick",
    "use a primer on your eyelids first", "I have thick skin so retinol is fine", "my foundation cracks around my nose",
    "passed my makeup exam at the academy, certified MUA 💄", "flying drones on the weekend",
    "this tiny mouse is perfect for travel", "main speakers plus a sub", "doorbell is hardwired into the house",
    "earbuds case is charged with a usb-c cable", "recharge the batteries before the hike",
    "yoga is a workout for the mind and body", "jaw workout with my new jawline trainer",
    "quite a stretch for the hip flexors", "foam roller to work out the kinks in my back",
    "climbing the walls at the new bouldering gym", "Take a hike this weekend! 🥾",
    "Disney Marathon weekend done! 26.2 miles", "ran late last night after work, 10k done",
    "felt strong in the long run this morning", "no hiking fees at this national park", "smooth sailing on the lake ⛵",
    "black dress with a white collar", "zip it up or wear it open", "wearing my old hat", "wearing my fancy pants",
    "finally got the boot I've been eyeing", "tie the knot at the front of your shirt",
    "Our new window dressing for spring", "tighten your belt before heavy squats",
    "roll up your sleeves for a casual look", "sand was in my shoes", "nail biting habit, any tips?",
]


def test_version_bumped_for_senses():
    assert NORMALIZATION_VERSION >= 3


@pytest.mark.parametrize(("raw", "expected"), FIGURATIVE)
def test_figurative_senses_become_plain_words(raw, expected):
    assert normalize(raw, names=False) == expected  # names glossed on top: tests/unit/test_names.py


@pytest.mark.parametrize("raw", LITERAL)
def test_literal_uses_are_left_alone(raw):
    assert normalize(raw) == normalize(raw, senses=False)


def test_senses_false_is_version_2():
    assert normalize("makeup exam tomorrow", senses=False) == "makeup exam tomorrow"
    assert plain_senses("nothing figurative here") == "nothing figurative here"


def test_every_rule_is_well_formed_and_its_plain_words_match_no_rule():
    for rule in SENSE_RULES:
        assert rule.vertical in TOPICS and rule.vertical != "other"
        rx = re.compile(rule.pattern, re.IGNORECASE)
        refs = [int(g) for g in re.findall(r"\\(\d)", rule.plain)]
        assert max(refs, default=0) <= rx.groups, rule  # every \N in the plain words names a group
        bare = re.sub(r"\\\d", "", rule.plain)
        assert plain_senses(bare) == bare, rule


_PIECES = st.sampled_from([
    "makeup exam", "social battery", "running late", "ran out of", "no cap", "game changer", "apple pie",
    "workout for my patience", "up and running", "working out how", "business model", "follow suit", "in my shoes",
    "head over heels", "price hike", "tie the knot", "#makeupexam", "🔋", "💄", "lipstick", "trail", "10k", "out",
    "how", "of", "the", "my", "a", "!!", ",", "running", "makeup", "for", "late", "model", "\n",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=14).map(" ".join))
def test_rewriting_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once
    assert plain_senses(plain_senses(text)) == plain_senses(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=10), st.sampled_from(["@", " @", "@@", "#", " #", "_", ".", "@x.", " @a_b."]))
def test_rewriting_is_idempotent_next_to_handles(parts, join):
    """Idioms glued to handles and hashtags ("@running late@club"): idempotent from normalisation version 5."""
    text = join.join(parts)
    once = normalize(text)
    assert normalize(once) == once


def test_a_model_rewrites_only_from_the_normalisation_version_it_was_trained_with(fake_model):
    fake_model.config["normalization_version"] = 2
    assert fake_model._normalize(["makeup exam 📚"]) == ["makeup exam books"]
    fake_model.config["normalization_version"] = 3
    assert fake_model._normalize(["makeup exam 📚"]) == ["resit exam books"]


def _every_rule(text: str) -> str:
    from brandfit.text._senses import _COMPILED

    for _ in range(4):
        new = text
        for rx, plain in _COMPILED:
            new = rx.sub(plain, new)
        if new == text:
            return text
        text = new
    return text


def test_every_rule_has_key_words():
    from brandfit.text._senses import _ALWAYS, _BY_KEY

    assert _ALWAYS == ()  # the regex parser listed every rule's strings: no rule runs on every text
    assert sorted({i for rules in _BY_KEY.values() for i, _ in rules}) == list(range(len(SENSE_RULES)))
    assert all(partners is None or (partners and not any(c.isdigit() for w in partners for c in w))
               for rules in _BY_KEY.values() for _, partners in rules)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES | st.sampled_from([r.plain.replace("\\1", "x") for r in SENSE_RULES[:40]]) |
                st.sampled_from(["RUNNING LATE", "Makeup Exams", "dont sweat it", "ran low on", "hiking prices",
                                 "running on 3 hours", "don't sweat it", "in my shoes", "a workout for the soul"]),
                min_size=1, max_size=10).map(" ".join))
def test_the_key_word_shortcut_changes_nothing(text):
    """Only rules with a key word in the text are tried; the result equals trying every rule."""
    assert plain_senses(text, in_handles=True) == _every_rule(text)


def test_the_table_is_pinned_to_its_normalisation_version():
    """A model records the normalisation version it was trained with, and the table is part of it: a change to the
    rules must bump NORMALIZATION_VERSION (and keep the old table for older models), then update this digest."""
    import hashlib

    digest = hashlib.sha256(repr(SENSE_RULES).encode()).hexdigest()
    # version 3 brought the table; version 4 (names glossed) left it as it was; version 5 changed where it applies
    # (not inside a handle: test_names.py), not the table; version 6 how flags are written (test_text_emoji.py)
    assert NORMALIZATION_VERSION in (3, 4, 5, 6, 7, 8)
    assert digest == "dff30114e0ef25a45bfc6a6e97724360b023d6ef2ffb60326dda406f361b390a", "the sense table changed"


_FOLDED = st.sampled_from(["MAKEUP QUİZ TOMORROW", "RUNNİNG LATE again", "makeup quız", "running ſhort on", "İN MY SHOES",
                           "social battery", "SOCİAL BATTERY at 2%", "whole new ball game", "Kelvin K", "ıt's a workout"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES | _FOLDED | st.sampled_from(["RUNNING LATE", "Makeup Exams", "ran low on", "hiking prices"]),
                min_size=1, max_size=8).map(" ".join))
def test_the_shortcut_changes_nothing_outside_ascii_either(text):
    """Key and partner words (session 35) are read from the text lowered and from the text folded first, so the
    result equals trying every rule also where case folding is not one character for one ("İ", dotless "ı", long
    "ſ", the Kelvin sign); session 34's key words alone missed "MAKEUP QUİZ"."""
    assert plain_senses(text, in_handles=True) == _every_rule(text)
