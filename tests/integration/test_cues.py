import pytest

from brandfit.cues import CUES, cue_matrix, find_cues, has_disclosure


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Use code GLOW20 for 20% off, link in bio! #ad", {"disclosure", "discount_code", "link_in_bio", "discount"}),
        ("paid partnership with @trailco, grab yours today only", {"disclosure", "call_to_action", "urgency"}),
        ("in collaboration with @lumaskin ✨ new serum", {"disclosure"}),
        ("Gifted by the lovely team at @nordpeak (gifted)", {"disclosure"}),
        ("my fave shoes are here amzn.to/3xYzAb", {"affiliate_link", "link"}),
        ("Only $49.99 this weekend only, shop now", {"price", "urgency", "call_to_action"}),
        ("GIVEAWAY! follow and tag 3 friends to enter", {"giveaway"}),
        ("DM me to learn how I make money from home with forex", {"dm_request", "money_pitch"}),
        ("Congratulations you have won a cash prize, call now to claim", {"prize_offer"}),
        ("please subscribe to my channel and check out my new video", {"self_promo"}),
        # spoken sponsor reads: the disclosure and the address are said, not written
        ("This episode is brought to you by Helix Sleep.", {"disclosure"}),
        ("support for this podcast comes from the listeners and from Squarespace", {"disclosure"}),
        ("go to rxbar dot com slash tim and use promo code TIM", {"affiliate_link", "link", "discount_code"}),
        ("visit athletic greens dot com for a free year of vitamin D", {"link"}),
    ],
)
def test_cues_fire(text, expected):
    (found,) = find_cues([text])
    assert expected <= set(found), found


@pytest.mark.parametrize(
    "text",
    [
        "running late again, missed the bus",
        "makeup exam tomorrow and I haven't studied",
        "honestly these boots fell apart after two months, not buying again",
        "the fashion of 18th-century politics is a weird rabbit hole",
        "huge thanks to our sponsors and volunteers at the race today",
        "the dot-com bubble documentary was wild",
        "",
    ],
)
def test_organic_texts_fire_no_disclosure(text):
    (found,) = find_cues([text])
    assert not has_disclosure(found)
    assert "discount_code" not in found and "call_to_action" not in found


def test_cue_matrix_columns_follow_cue_order():
    m = cue_matrix([["disclosure"], [], ["price", "link"]])
    names = list(CUES)
    assert m.shape == (3, len(CUES))
    assert m[0, names.index("disclosure")] == 1 and m[1].sum() == 0 and m[2].sum() == 2


def test_single_string_is_rejected():
    with pytest.raises(TypeError, match="single str"):
        find_cues("use code X")


# --- the fast matcher gives exactly what spaCy's Matcher gives ---------------------------------------------------

_TRICKY = [
    "use code: GLOW20", "code - TRAIL15 at checkout", "promo 'SUMMER2024'", "code abc123", "CODE RUN", "RUN20",
    "ABC1234", "$49.99", "49.99$", "€ 30", "30 €", "rs.499", "Rs 499", "usd 20", "20 dollars", "twenty bucks",
    "1,299 euros", "-20%", "20% off", "50% discount", "save 15%", "save $20", "savings 5%", "-5% sale",
    "www.example.com", "https://shop.example.co/x?y=1", "amzn.to/3xYzAb", "bit.ly/abc", "liketk.it/4Kq",
    "example.shop", "see example.com/path", "e-mail me at a@b.com", "100%", "10k race, 5:30 pace", "", " ", "#ad",
    "USE CODE GLOW20 NOW", "code\nGLOW20", "price: $5 $6 $7", "on sale 30% OFF", "💸 $19 💸", "a 99 $ b",
]


@pytest.fixture(scope="module")
def plain_matcher():
    """The reference: one spaCy Matcher holding every token pattern, plus the PhraseMatcher, run the plain way."""
    from reference_cues import plain_spacy_cues

    return plain_spacy_cues


def test_fast_matcher_equals_spacy_matcher_on_every_labeled_text(repo, plain_matcher):
    import json

    texts = [json.loads(line)["text"] for f in sorted((repo / "data" / "labeled" / "texts").glob("*.jsonl"))
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += _TRICKY
    assert len(texts) > 2000
    assert find_cues(texts) == plain_matcher(texts)
    assert find_cues(texts) == plain_matcher(texts)  # again, now from the per-token memo


def test_fast_matcher_memo_is_bounded(plain_matcher, monkeypatch):
    from brandfit import cues as mod

    m = mod._matcher()
    monkeypatch.setattr(m, "MEMO_MAX", 5)
    m._memo.clear()
    assert find_cues(_TRICKY) == plain_matcher(_TRICKY)
    assert len(m._memo) <= 5


def test_unsupported_token_spec_is_refused_at_build_time():
    from brandfit.cues import _compile

    with pytest.raises(ValueError, match="unsupported token spec"):
        _compile({"x": [[{"POS": "NOUN"}]]})
    with pytest.raises(ValueError, match="unsupported OP"):
        _compile({"x": [[{"LIKE_NUM": True, "OP": "+"}]]})
    with pytest.raises(ValueError, match="may not start or end"):
        _compile({"x": [[{"LIKE_NUM": True, "OP": "?"}, {"LIKE_NUM": True}]]})
