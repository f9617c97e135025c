"""Emoji become words in normalize (normalisation v2); pure functions, no model."""

import sys

import pytest

from brandfit.text import NORMALIZATION_VERSION, emoji_words, normalize


def test_version_bumped_for_emoji_words():
    assert NORMALIZATION_VERSION >= 2


@pytest.mark.parametrize(("raw", "expected"), [
    ("💄", "lipstick"),
    ("new shade 💄💄💄", "new shade lipstick"),
    ("👍🏽 ok", "thumbs up ok"),
    ("🇺🇸 trip", "united states trip"),
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
