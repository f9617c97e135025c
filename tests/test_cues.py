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
