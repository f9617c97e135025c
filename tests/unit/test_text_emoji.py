"""Emoji become words in normalize (normalisation v2); pure functions, no model."""

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.text import NORMALIZATION_VERSION, emoji_words, normalize


def test_version_bumped_for_emoji_words():
    assert NORMALIZATION_VERSION >= 2


@pytest.mark.parametrize(("raw", "expected"), [
    ("💄", "lipstick"),
    ("new shade 💄💄💄", "new shade lipstick"),
    ("👍🏽 ok", "thumbs up ok"),
    ("🇺🇸 trip", "the united states trip"),
    ("🇫🇷 trip", "france trip"),
    ("late night 👩‍💻", "late night woman technologist"),
    ("#SkinCareRoutine 🧴", "skin care routine lotion bottle"),
])
def test_emoji_become_words(raw, expected):
    assert normalize(raw) == expected


def test_hashtag_splitting_and_caps_still_apply():
    out = normalize("so good 🔥🔥🔥 #TrailRunning 😍😍🔥💯👏🙌")
    assert out.startswith("so good fire trail running")
    assert out.count("fire") == 2  # a run of the same emoji is one emoji; at most three emoji kept in total


def test_emoji_words_false_keeps_characters():
    assert normalize("so good 🔥🔥", emoji_words=False) == "so good 🔥"


def test_idempotent_with_emoji_words():
    for t in ["💄💅 glam #GRWM", "🏃‍♀️🏃‍♀️ 10k done!!!", "1️⃣ 2️⃣ 3️⃣ go", "a→b ■"]:
        once = normalize(t)
        assert normalize(once) == once


def test_unknown_symbol_kept():
    assert emoji_words("→") == "→"


def test_pure_modules_do_not_import_torch():
    import subprocess

    code = ("import sys, brandfit.text, brandfit.brand, brandfit.evaluation.loso, brandfit.evaluation.public; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("raw", "v5", "v6"), [
    ("Husband. Dad. Family man 🇺🇸", "Husband. Dad. Family man united (football club) states",
     "Husband. Dad. Family man the united states"),
    ("Leeds 🇬🇧 rainy days", "Leeds united (football club) kingdom rainy days", "Leeds the united kingdom rainy days"),
    ("Dubai 🇦🇪", "Dubai united arab emirates", "Dubai the united arab emirates"),
])
def test_a_flag_named_united_is_said_with_the_from_version_6(raw, v5, v6):
    """Version 5 wrote a flag as its name, and the word before it could make a name with "united": "Family man 🇺🇸"
    read as Manchester United. Version 6 says "the" first; a model trained with version 5 still reads version 5."""
    assert normalize(raw, version=5) == v5
    assert normalize(raw, version=6) == normalize(raw) == v6  # no "the" before: version 7 writes what 6 did
    assert normalize(v6) == v6
    assert emoji_words("🇺🇸") == "united states"  # the emoji's own words are unchanged


@pytest.mark.parametrize(("raw", "v6", "v7"), [
    ("back in the 🇺🇸 for good", "back in the the united states for good", "back in the united states for good"),
    ("The 🇬🇧", "The the united kingdom", "The united kingdom"),
    ("love 🔥 the 🇺🇸", "love fire the the united states", "love fire the united states"),
    ("in THE 🇺🇸🇬🇧", "in THE the united states the united kingdom", "in THE united states the united kingdom"),
])
def test_from_version_7_a_flag_after_the_word_the_gets_no_second_the(raw, v6, v7):
    """Version 6 said "the" before every flag named "united", so a caption that already had one read "the the"."""
    assert normalize(raw, version=6) == v6
    assert normalize(raw) == normalize(raw, version=7) == v7
    assert normalize(v7) == v7


def test_only_the_word_the_counts_as_an_article_before_a_flag():
    for raw, want in (("theatre 🇬🇧", "theatre the united kingdom"), ("bathe 🇺🇸", "bathe the united states"),
                      ("Family man 🇺🇸", "Family man the united states"), ("🇺🇸 the", "the united states the"),
                      ("the #usa 🇺🇸", "the usa the united states"), ("@the 🇺🇸", "@the the united states"),
                      ("#the 🇺🇸", "the united states"), ("the\n🇺🇸", "the united states"),
                      ("(the 🇺🇸", "(the united states"), ("the, 🇺🇸", "the, the united states"),
                      ("the 🇺🇸 🇺🇸 🇬🇧", "the united states the united kingdom")):
        assert normalize(raw) == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["the", "The", "THE", "@the", "#the", "(the", "the,", "man", "leeds", "🇺🇸", "🇬🇧",
                                 "🇦🇪", "🇺🇳", "🇫🇷", "🔥", "#usa", "in", "."]), max_size=10),
       st.sampled_from([" ", "", "\n"]))
def test_flags_after_the_stay_idempotent_and_differ_from_version_6_only_by_the_second_the(parts, join):
    text = join.join(parts)
    once = normalize(text)
    assert normalize(once) == once
    six = normalize(text, version=6, names=False)
    assert normalize(text, names=False) == re.sub(r"(?i)(^|[^\w'@])(the) the (united)", r"\1\2 \3", six)


def test_other_flags_keep_their_names():
    assert normalize("🇦🇦 x") == "🇦🇦 x"  # two regional indicators that name no region: kept as written
    assert normalize("🏁 race day 🏳️‍🌈") == "chequered flag race day rainbow flag"
    assert normalize("🇮🇹🇮🇹🇫🇷 🍕") == "italy france pizza"
    assert normalize("hills 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f") == "hills scotland"
    assert normalize("tour de 🇫🇷") == "tour de france (cycling race)"  # a name the flag completes is still one
