"""Issue "No single input kills, hangs or floods a job": a post that is one long run of a punctuation mark or an
emoji costs no more than an ordinary post of the same length (spaCy's tokenizer is quadratic in such runs)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.text import normalize

MAX_RUN = 4

ADVERSARIAL = ["!" * 5000, "🔥" * 2000, "$" * 5000, "!?" * 2500, "a" + "!" * 4999, "_" * 5000, "❤️" * 2000,
               "🔥💯" * 1000, "(" * 5000]
ORDINARY = "went for a long trail run today, legs are done but worth it #trailrunning "


def test_squeeze_repeats_cuts_symbol_runs_to_four_and_keeps_letters_and_digits():
    from brandfit.text import squeeze_repeats

    assert squeeze_repeats("wow!!!!!!!! 🔥🔥🔥🔥🔥🔥 1000000 sooooooo ______") == "wow!!!! 🔥🔥🔥🔥 1000000 sooooooo ____"
    assert squeeze_repeats("!" * 5000) == "!" * MAX_RUN
    assert squeeze_repeats("ok!!!! fine") == "ok!!!! fine"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab!🔥 .1\u200d#@"), max_size=60))
def test_squeeze_repeats_properties(text):
    from brandfit.text import squeeze_repeats

    out = squeeze_repeats(text)
    assert squeeze_repeats(out) == out
    assert len(out) <= len(text)
    assert all(out[i:i + MAX_RUN + 1] != out[i] * (MAX_RUN + 1) or out[i].isalnum() or out[i].isspace() for i in range(len(out)))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab!?🔥❤\ufe0f .1#@:/w"), max_size=80))
def test_normalize_stays_idempotent_with_runs(text):
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_normalize_is_fast_on_runs(text):
    t0 = time.perf_counter()
    normalize(text)
    assert time.perf_counter() - t0 < 0.25


def test_bounded_text_reads_at_most_the_input_limit():
    from brandfit.account import MAX_INPUT_CHARS
    from brandfit.cues import MAX_SYMBOL_RUN, bounded_text

    assert bounded_text("!" * 5000) == "!" * MAX_RUN
    assert bounded_text("!?" * 2500) == ("!?" * MAX_SYMBOL_RUN)[:MAX_SYMBOL_RUN]
    assert len(bounded_text("word " * 10_000)) <= MAX_INPUT_CHARS
    assert bounded_text("Use code GLOW20 for 20% off!!!!!!! #ad") == "Use code GLOW20 for 20% off!!!! #ad"


def test_find_cues_cost_is_bounded_by_input_size():
    pytest.importorskip("spacy")
    from brandfit.cues import find_cues

    assert find_cues(["Use code GLOW20 for 20% off!!!!!!!!!! link in bio #ad " + "🔥" * 500]) == [
        ["disclosure", "discount_code", "link_in_bio", "discount"]]
    ordinary = (ORDINARY * 80)[:5000]
    t0 = time.perf_counter()
    find_cues([ordinary] * 3)
    base = max(time.perf_counter() - t0, 0.01)
    t0 = time.perf_counter()
    find_cues(ADVERSARIAL)
    spent = time.perf_counter() - t0
    assert spent < 1.0 and spent < 10 * base * len(ADVERSARIAL) / 3, (spent, base)
