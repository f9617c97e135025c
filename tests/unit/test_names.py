"""Known names glossed in plain words (normalisation v4 to v8): the tables' rules, the match's rules, and models."""

from __future__ import annotations

import hashlib
import json
import re
from importlib.resources import files

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from brandfit.text import MAX_CHARS, NORMALIZATION_VERSION, names_text, normalize
from brandfit.text import _names
from brandfit.text._names import (_ASCII_WORD, _WORD, LATEST, MAX_GLOSSES, RETIRED, TABLES, VERTICALS, _lower, _parse,
                                  _parse_retired, find_names, gloss_names, name_entries, strip_glosses)
from brandfit.text._senses import plain_senses

GLOSSED = [
    # (text, what normalize makes of it)
    ("adidas' new drop", "adidas' (sportswear maker) new drop"),
    ("dr. martens and dolce & gabbana", "dr. martens (leather boot label) and dolce & gabbana (luxury fashion house)"),
    ("kipchoge (the goat) and kipchoge again", "kipchoge (marathon runner) (the goat) and kipchoge again"),
    ("KIPCHOGE IN BERLIN", "KIPCHOGE (marathon runner) IN BERLIN"),
    ("chloe ting's 2 week shred", "chloe ting's (home workout youtuber) 2 week shred"),
    ("ea fc 26 ultimate team pack luck is a joke", "ea fc 26 (video game) ultimate team pack luck is a joke"),
    ("#LeLabo another 13 dupe", "le labo another 13 (niche perfume house) dupe"),
    ("@kipchoge is him", "@kipchoge (marathon runner) is him"),
]

UNTOUCHED = [
    # a handle, a glued word, a hashtag or an e-mail address holding a name; a possessive on a name's first word;
    # words of a name with other marks between them; plain words
    "@kipchoge_fanclub meetup",
    "kipchogefan forever",
    "new gymshark#ad",
    "mail kipchoge@example.com",
    "steph's curry recipe",
    "wendy is coming over",
    "kipchoge/bekele",
    "new running shoes for the marathon",
    "apple crumble and a long walk",
]

SELLING = {"brand", "shop", "store", "buy", "sale", "deal", "code", "discount", "sponsor", "partner", "ad", "official",
           "link", "promo", "offer", "price"}
# the verticals' own words, which a gloss of an `other` name must not borrow (it would pull the text to a vertical)
VERTICAL_WORDS = {"sport", "sports", "football", "soccer", "basketball", "cricket", "tennis", "golf", "racing", "run",
                  "running", "runner", "fitness", "workout", "gym", "fashion", "clothing", "beauty", "makeup",
                  "skincare", "perfume", "phone", "smartphone", "laptop", "headphones", "camera", "athlete", "mobile",
                  "gaming", "console", "esports"}


def test_the_table_is_well_formed():
    entries = name_entries()
    assert len(entries) > 500
    assert {e.vertical for e in entries} == set(VERTICALS)
    seen: dict[str, int] = {}
    for i, e in enumerate(entries):
        words = e.gloss.split()
        assert 1 <= len(words) <= 5, e
        assert e.gloss == e.gloss.lower() and "(" not in e.gloss and ")" not in e.gloss, e
        assert not SELLING & set(words), e  # a gloss must not make a name read as an ad
        if e.vertical == "other":
            assert not VERTICAL_WORDS & set(words), e
        for alias in e.aliases:
            assert alias == " ".join(alias.split()) and alias == alias.lower(), alias
            assert seen.setdefault(alias, i) == i, f"{alias!r} is listed twice"


def test_no_gloss_holds_a_name_or_an_idiom():
    """A gloss's words are never glossed or rewritten again: what keeps normalize idempotent."""
    for e in name_entries():
        assert gloss_names(e.gloss) == e.gloss, e
        assert plain_senses(e.gloss) == e.gloss, e


@pytest.mark.parametrize(("text", "expected"), GLOSSED)
def test_known_names_are_glossed(text, expected):
    assert normalize(text) == expected
    assert normalize(expected) == expected


@pytest.mark.parametrize("text", UNTOUCHED)
def test_handles_glued_words_and_glossed_names_are_left_alone(text):
    assert gloss_names(text) == text


def test_every_alias_is_found_whole_as_written():
    for i, e in enumerate(name_entries()):
        for alias in e.aliases:
            assert find_names(alias) == [(0, len(alias), i)], alias


def test_each_name_is_glossed_once_and_the_longest_alias_wins():
    out = gloss_names("eliud kipchoge, then kipchoge again, then ea fc 26 and ea fc")
    assert out == "eliud kipchoge (marathon runner), then kipchoge again, then ea fc 26 (video game) and ea fc"


def test_at_most_max_glosses_names_are_glossed_the_first_ones():
    entries = [e for e in name_entries() if e.aliases][:MAX_GLOSSES + 4]
    out = gloss_names(" then ".join(e.aliases[0] for e in entries))
    assert out.count(" (") == MAX_GLOSSES
    for e in entries[:MAX_GLOSSES]:
        assert f"{e.aliases[0]} ({e.gloss})" in out
    assert strip_glosses(out) == " then ".join(e.aliases[0] for e in entries)


def test_glosses_keep_the_text_within_max_chars_and_survive_a_second_pass():
    long = " ".join(["ab"] * 330) + " rolex submariner more"  # the cut falls inside a name
    for text in (long, "kipchoge " + "x " * 494 + "bekele then nike", "makeup exam with kipchoge and bekele and manny mua"):
        once = normalize(text)
        assert len(once) <= MAX_CHARS
        assert normalize(once) == once


def test_older_normalisation_skips_the_names():
    assert normalize("KIPCHOGE IN BERLIN", names=False) == "KIPCHOGE IN BERLIN"


def test_a_bad_table_line_is_a_clear_error():
    with pytest.raises(ValueError, match="names.tsv:2"):
        _parse("other\tfortnite\tvideo game\nsports\tkipchoge\tmarathon runner\n")
    with pytest.raises(ValueError, match="names.tsv:1"):
        _parse("other\tfort_nite\tvideo game\n")


_ALIASES = [a for e in name_entries() for a in e.aliases]
_PIECES = st.one_of(st.sampled_from(_ALIASES), st.sampled_from(
    ["(", ")", " (", "@", "_", "'s", "'", "#", "İ", "ß", " ", ",", "!", "x", ".", "&", "/", "(marathon runner)"]))
_JOIN = st.sampled_from([" ", "", "#", "@", " @", ". ", " & "])
_ALIAS_WORDS = sorted({w for a in _ALIASES for w in a.split()})


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=14), _JOIN, st.integers(0, 1000))
def test_normalize_stays_idempotent_with_names(parts, join, pad):
    for text in (join.join(parts), "z " * (pad // 2) + join.join(parts)):
        once = normalize(text)
        assert normalize(once) == once
        assert len(once) <= MAX_CHARS


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_the_ascii_cut_of_words_is_the_unicode_cut(text):
    lower = _lower(text)
    assert _ASCII_WORD.findall(lower) == _WORD.findall(lower)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.sampled_from(_ALIAS_WORDS), st.text(st.characters(max_codepoint=127), max_size=6)),
                max_size=12),
       st.sampled_from([" ", "", ". ", " & ", "-", "'", "\n"]))
def test_the_quick_test_on_ascii_text_never_hides_a_name(parts, join):
    """``find_names`` answers "no name" from runs of ASCII letters and digits before it cuts words: the same answer as
    reading every word, on text built from the tables' own words and aliases."""
    text = join.join(parts)
    for variant in (text, text.upper(), text.title()):
        with_quick = find_names(variant)
        quick, _names._no_ascii_name = _names._no_ascii_name, lambda text, table: False
        try:
            assert find_names(variant) == with_quick
        finally:
            _names._no_ascii_name = quick


def test_the_quick_test_says_no_name_only_when_there_is_none():
    table = _names._table_version(LATEST)
    for text in ("KIPCHOGE IN BERLIN", "dr. martens boots", "steph curry's handles", "adidas' new drop",
                 "arc'teryx shell", "tears of the kingdom again"):
        assert not _names._no_ascii_name(text, table) and find_names(text), text
    for text in ("tears of joy", "new running shoes for the marathon", "", "!!! ...", "face with tears of joy x3"):
        assert _names._no_ascii_name(text, table) and not find_names(text), text


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=10), _JOIN)
@example(["lionel messi", "paula radcliffe", "(marathon runner)"], " ")
def test_strip_glosses_undoes_gloss_names(parts, join):
    text = join.join(parts)
    for limit in (None, len(text) + 25):
        glossed = gloss_names(text, limit=limit)
        # with a limit some names go without a gloss; when the text already follows one of them with its own gloss
        # ("paula radcliffe (marathon runner)"), stripping takes that one away too, so only the text is exact then
        if limit is None or strip_glosses(text) == text:
            assert strip_glosses(glossed) == text
        assert [e for *_, e in find_names(glossed)] == [e for *_, e in find_names(text)]


def test_a_possessive_on_a_names_last_word_is_read_whatever_its_length():
    for i, e in enumerate(name_entries()):
        for alias in e.aliases:
            assert find_names(alias + "'s") == [(0, len(alias) + 2, i)], alias


def test_a_gloss_revealed_by_the_hashtag_step_is_not_doubled_and_stays_put():
    assert normalize("#Nike (sportswear maker) and f1") == "nike (sportswear maker) and f1 (motor racing series)"
    near_limit = "#Nike (sportswear maker) " + "ab " * 320 + " oppenheimer"
    once = normalize(near_limit)
    assert normalize(once) == once and len(once) <= MAX_CHARS


_PINNED = {  # every table file a normalisation version reads, and its digest: what a model of that version saw
    "names.tsv": "89f8f744524e21f97b9e7e189582ba31adc7fd5e0fd7ea968569f9729ca8d5c2",
    "names_v5.tsv": "ff71b05dc19ba88f673acda28973379a92982b92b3813113ceafd55694a2bf40",
    "names_v7.tsv": "3e913a3dbdbb32090b2076565e95d3524660e8d519f58b8a9676f181674b9c65",
    "names_retired_v8.tsv": "4f1eeddc042aefbae76489c9893674461c50f17419283914f787bb20d8496a5e",
}


def test_the_tables_are_pinned_to_their_normalisation_versions():
    """The tables are part of what a model was trained on: a change to a version's table bumps NORMALIZATION_VERSION
    and goes in a new file (older models keep reading theirs), then the digest is pinned here."""
    assert max(TABLES) == NORMALIZATION_VERSION
    assert TABLES == {4: ("names.tsv",), 5: ("names.tsv", "names_v5.tsv"), 6: ("names.tsv", "names_v5.tsv"),
                      7: ("names.tsv", "names_v5.tsv", "names_v7.tsv"), 8: ("names.tsv", "names_v5.tsv", "names_v7.tsv")}
    assert RETIRED == {8: ("names_retired_v8.tsv",)}
    assert name_entries(6) == name_entries(5)  # version 6 changed how flags are written, not the table
    for name, digest in _PINNED.items():
        data = files("brandfit").joinpath("resources", name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{name} changed"


def test_each_version_reads_its_own_table_and_no_alias_is_listed_twice():
    old, new = name_entries(4), name_entries(5)
    assert new[:len(old)] == old and len(new) > len(old)  # an entry keeps its index from one version to the next
    aliases = [a for e in new for a in e.aliases]
    assert len(aliases) == len(set(aliases))
    added = new[len(old):]
    text = " and ".join(e.aliases[0] for e in added[:MAX_GLOSSES])
    assert find_names(text, version=4) == [] or all(e < len(old) for *_, e in find_names(text, version=4))
    assert [e for *_, e in find_names(text, version=5)] == list(range(len(old), len(old) + MAX_GLOSSES))
    assert normalize(text, version=4) != normalize(text, version=5) == normalize(text, version=6)
    for bad in (3, LATEST + 1, True, "5"):
        with pytest.raises(ValueError, match="normalisation versions 4 to"):
            name_entries(bad)


# Everyday sentences that a first draft of the third table (normalisation 7) glossed, found by a review of the diff;
# the table was shipped only after their aliases were dropped, two reviewers read every line and a second review of
# the diff found more.
EVERYDAY_V7 = ["my lil baby turned two today", "im gunna cry", "the ring fit is perfect", "i guess jeans and a tee",
               "coffee in leicester city centre", "sunset walk in st. ives", "great clips from the match",
               "the bachelor party was wild", "skate 3 times this week", "coffee with lacie", "water for rema",
               "the body shop fixed my bumper", "josh allen from accounts", "moisture surge in the basement",
               "shark tank pitch at school", "água de coco na praia", "welcome to wrexham, population me",
               # a second review of the diff, with sentences of its own
               "fui picada por uma vespa no quintal", "le regalé a andrea zapatos nuevos para la boda",
               "cumpleaños de mi primo Luis Díaz en el parque", "mi vecino Alexis Sánchez me ayudó con la mudanza",
               "grip test today: 52 kgf on the dynamometer", "honestly the rolls royce of running shoes",
               "dune london premiere was insane",
               "halo laser tag night with the boys", "my nephew thinks he's mr. universe after one push up",
               "this dopey challenge on tiktok needs to stop", "the best bread and butter london has to offer",
               "my skin is superdry this winter", "nathan chen from my lab got the grant",
               "took the ferry to new york liberty island", "my mom is a total masterchef in the kitchen"]


@pytest.mark.parametrize("text", EVERYDAY_V7)
def test_version_7_glosses_no_everyday_phrase_the_first_draft_did(text):
    assert normalize(text, version=7) == text


@pytest.mark.parametrize("text", ["brunch with chelsea 👭", "homemade apple pie, look at this beauty 🥧",
                                  "my sister and sue 🐦 watching", "dinner cooked by brandon 🍛", "the view is grand 🏞️",
                                  "walked rocky 🎥 then movie night", "sorry we're closed 👖 back monday"])
def test_no_name_of_the_third_table_is_completed_by_an_emojis_words(text):
    """An emoji is embedded as its name, which can finish a name the word before it starts ("chelsea" + 👭 "women
    holding hands"); the names prior never counts such names, and the third table leaves out the ones a post writes."""
    six = len(name_entries(6))
    assert [e for *_, e in find_names(normalize(text)) if e >= six] == []


def test_version_7_reads_the_third_table_and_older_versions_do_not():
    for text, glossed in (("dover street market ginza", "dover street market (concept retailer) ginza"),
                          ("ichiran solo booth dinner", "ichiran (ramen chain) solo booth dinner")):
        assert normalize(text) == normalize(text, version=7) == glossed
        assert normalize(text, version=6) == text
    # a longer alias of the new table no longer takes a number from an older name ("nhl 25", a video game)
    assert normalize("my dad played in the nhl 25 years ago") == "my dad played in the nhl (ice hockey league) 25 years ago"
    six, seven = name_entries(6), name_entries(7)
    assert seven[:len(six)] == six and len(seven) > len(six) + 1000


def test_a_figurative_sense_inside_a_handle_is_left_alone_from_version_5():
    assert normalize("@running late@club", version=4) == "@late@club"  # what version 4 wrote (not idempotent)
    for text in ("@running late@club", "@running late @club", "@makeup exam", "running late @club",
                 "@the.running late@club", "cc @nike.up and running@strava", "@la.diet coke#ad"):
        once = normalize(text)
        assert normalize(once) == once
    assert normalize("@running late@club") == "@running late@club"
    assert normalize("@the.running late") == "@the.running late"
    assert normalize("the.running late") == "the.late"  # not a handle
    assert normalize("running late @club") == "late @club"
    assert plain_senses("@running late") == "@running late"
    assert plain_senses("@running late", in_handles=True) == "@late"


@pytest.mark.parametrize("bad", [0, NORMALIZATION_VERSION + 1, True, "5", 4.0])
def test_normalize_refuses_an_unknown_version(bad):
    with pytest.raises(ValueError, match=f"version must be an integer from 1 to {NORMALIZATION_VERSION}"):
        normalize("kipchoge", version=bad)


def test_a_model_trained_on_names_is_format_17_and_older_formats_refuse_it():
    from brandfit.errors import FormatVersionError, IntegrityError
    from brandfit.model_format import FORMAT_VERSION, parse_meta

    assert FORMAT_VERSION >= 17  # 18: the names prior (test_names_prior.py)
    meta = {"format_version": 17, "topics": ["sports_outdoor", "fashion", "fitness", "beauty", "electronics", "other"],
            "topic_temperature": 1.0, "promo_threshold": 0.5,
            "config": {"topic": {}, "promo": {}, "normalization_version": 4}}
    assert parse_meta(json.dumps(meta).encode(), where="m")["format_version"] == 17
    with pytest.raises(IntegrityError, match="needs model format 17"):
        parse_meta(json.dumps({**meta, "format_version": 16}).encode(), where="m")
    newer = {**meta, "config": {**meta["config"], "normalization_version": NORMALIZATION_VERSION + 1}}
    with pytest.raises(FormatVersionError, match="upgrade brandfit"):
        parse_meta(json.dumps(newer).encode(), where="m")
    for bad in ("4", 0, True):
        with pytest.raises(IntegrityError, match="normalization_version"):
            parse_meta(json.dumps({**meta, "config": {**meta["config"], "normalization_version": bad}}).encode(),
                       where="m")


def test_a_model_reads_text_the_way_it_was_trained():
    """A model trained on version 4 glosses names, is written as format 17 and round-trips; an older model (version
    3, every bundled model before relevance@73) sees the text without glosses, as it was trained; a version-4 model
    (relevance@75) never reads the names version 5 added."""
    from fakes import make_model

    from brandfit.model import RelevanceModel

    base = make_model()

    def with_version(v: int) -> RelevanceModel:
        return RelevanceModel(topic_head=base.topic_head, promo_head=base.promo_head, descriptions=base.descriptions,
                              promo_threshold=base.promo_threshold,
                              config={**base.config, "normalization_version": v}, embedder=base.embedder,
                              backend="onnx")

    new, old = with_version(4), with_version(3)
    assert new._normalize(["KIPCHOGE IN BERLIN"]) == ["KIPCHOGE (marathon runner) IN BERLIN"]
    assert old._normalize(["KIPCHOGE IN BERLIN"]) == ["KIPCHOGE IN BERLIN"]
    files_new = new.to_files()
    assert json.loads(files_new["model.json"])["format_version"] == 17
    assert json.loads(old.to_files()["model.json"])["format_version"] < 17
    back = RelevanceModel.from_files(files_new)
    assert back.normalization_version == 4
    # version 5: the larger table, still format 17 (a brandfit of version 4 refuses it by its normalisation number)
    v5 = with_version(5)
    text = "tret purge wk 5 @running late@club"
    assert v5._normalize([text]) == ["tret (prescription retinoid cream) purge wk 5 @running late@club"]
    assert new._normalize([text]) == ["tret purge wk 5 @late@club"]
    files_v5 = v5.to_files()
    assert json.loads(files_v5["model.json"])["format_version"] == 17
    assert RelevanceModel.from_files(files_v5).normalization_version == 5


# Everyday sentences that the first two tables glossed, written by the reviewers of version 8: each names an alias
# that version retires (names_retired_v8.tsv)
EVERYDAY_V8 = ["yaar kal gym nahi ja saka", "feliz cumple lautaro, te quiero mucho",
               "my sister's 30th was a big bash", "picked up my 2024 cadillac xt6 today",
               "los blancos no saben bailar salsa", "tu kitna bewakoof hai yaar", "sunday special nalli nihari",
               "fuimos al cumple de la martina", "congratulations to heather robertson on her retirement",
               "proud of this young LA crew", "the new R1 is a flying beast",
               "congrats to Tracy Anderson on retiring after 30 years of teaching",
               "we built bar stools for the kitchen", "mfk: three rappers", "photo by Kilian",
               "label axis x and axis y", "congrats Zack Nelson on the state title",
               "happy birthday gaurav chaudhary bhai", "summer 2k24 dump", "class of 2k25", "new year 2k26 goals",
               "the last of us to finish the marathon", "listening to surah ar rahman tonight",
               "white lotus flower blooming", "dinner at wendy's house", "two epic games this weekend",
               "sunset drinks in St. Tropez", "sweet plum goodness in this tart", "found the perfect diary for 2025",
               "just an L.A. girl living her best life", "feeling like a dashing diva tonight",
               "handmade bag in genuine tuscan leather", "vintage green irish tweed blazer",
               "teenage boy smells are no joke", "me tapo con la cobija y a dormir",
               "turning the nifty fifty this weekend!", "RIP Michael Fisher, a great teacher",
               "congrats to Jonathan Morrison on graduating", "Hamilton watch party on Disney+ tonight",
               "chhutti marni hai", "road trip with shantanu & nikhil",
               "cricket with shantanu and nikhil after office", "congratulations Rahul Mishra on clearing UPSC",
               "spotted a rare rabbit on the trail", "shoutout to coach Paul Smith",
               "congrats to our teacher sarah burton on retiring", "feliz cumple a mi primo marcos vazquez",
               "mandir ke liye phul le aaye", "garmi hai, paani piyo aur chai piyo",
               "happy father's day to my dad, the world's strongest man", "new black skull tattoo",
               "10 legendary foods you must try in Mumbai", "gaon mein kushti ka dangal",
               "he threw down the first slam dunk of his career", "scorpio n leo are a toxic combo",
               "new tiger wall art in the kids' room", "felicidades a rodrigo hernández por su graduación",
               "assistindo o especial de natal do roberto carlos",
               "shoutout to lauren james for organising the bake sale", "paro del gremio docente mañana",
               # a fifth reviewer, with posts aimed at the aliases left
               "sga meeting tonight, come vote!", "ghd sit-ups finished me", "16 pro max titanium is so light",
               "giving rockstar energy tonight", "my dog is a gentle monster", "tumi kemon acho",
               "salsa class at tempo studio", "the garden of life keeps growing", "bailando suavecito toda la noche"]
# ... and emoji whose words completed a name begun by an everyday word or a first name: since version 8 an emoji's
# words never finish a name the words before them start
EMOJI_V8 = ["shipping is free 🔥", "she said yes 💍📷", "sunday plans: doing nothing 🎧", "happy birthday mario 🎉",
            "finally some relief ☀️", "learning a new framework 💻", "his first soccer game 👦⚽",
            "feeling a little lost 🌸", "great doubles match with mario 🎾", "boba date with Susie 🧋",
            "three days away 🧳", "baby Arlo 📷 by @photographer", "morning ward round 🥼"]


def test_version_8_reads_the_same_entries_without_the_retired_aliases():
    seven, eight = name_entries(7), name_entries(8)
    retired = _parse_retired(files("brandfit").joinpath("resources", "names_retired_v8.tsv").read_text("utf-8"),
                             "names_retired_v8.tsv")
    assert len(retired) == len(set(retired)) > 0
    listed7 = {a for e in seven for a in e.aliases}
    assert set(retired) <= listed7  # every retired alias was listed: no typo retires nothing
    assert len(eight) == len(seven)  # an entry keeps its index
    for old, new in zip(seven, eight):
        assert (new.vertical, new.gloss) == (old.vertical, old.gloss)
        assert new.aliases == tuple(a for a in old.aliases if a not in set(retired))
    for alias in retired:
        assert find_names(alias, version=8) == [] or all(  # a shorter alias inside it may still be a name
            b - a < len(alias) for a, b, _ in find_names(alias, version=8)), alias
        assert find_names(alias, version=7)[0][:2] == (0, len(alias)), alias


def test_retired_aliases_are_glossed_by_older_versions_only():
    """A model trained with version 7 keeps reading the names it was trained with; version 8 no longer glosses them."""
    for text in EVERYDAY_V8:
        assert normalize(text, version=7) != text, text  # what the older tables made of it
        assert normalize(text, version=8) == normalize(text) == text, text


@pytest.mark.parametrize("text", EMOJI_V8)
def test_since_version_8_an_emojis_words_finish_no_name(text):
    assert find_names(normalize(text, version=7), version=7) != []
    once = normalize(text, version=8)
    assert find_names(once, version=8) == [] and normalize(once) == once


@pytest.mark.parametrize(("text", "expected"), [
    ("shipping is free 🔥 link in bio", "shipping is free , fire link in bio"),
    ("she said yes 💍📸", "she said yes ring , camera with flash"),  # two emoji's words make no name either
    ("happy birthday mario 🎉", "happy birthday mario , party popper"),
    ("playing free fire 🔥 all night", "playing free fire (video game) fire all night"),  # a name written in words
    ("new ring camera 📸 install", "new ring camera (video doorbell) camera with flash install"),
    ("kipchoge 🐐", "kipchoge (marathon runner) goat"),  # an emoji after a whole name: nothing to keep apart
    ("chelsea 👭 brunch", "chelsea women holding hands brunch"),  # words that finish no name: no comma
    ("Family man 🇺🇸", "Family man the united states"),  # versions 6 and 7's flags unchanged
    ("👨 united we stand", "man , united we stand"),  # nor do they start one ...
    ("the 👨 company", "the , man , company"),  # ... or stand inside one
    ("pull & 🐻 haul", "pull & , bear haul"),  # the marks a name holds between its words
    ("(free 🔥)", "(free , fire )"),  # a bracket or a handle's "@" before the name
    ("#a #b #c #d #e #f #g #h #i #j #k #l shipping is free #m #n #o #p 🔥",  # tags over the cap leave no gap
     "a b c d e f g h i j k l shipping is free , fire"),
    ("tour de 🇫🇷", "tour de france (cycling race)"),  # a country finishing a name is mostly meant: a flag's words
    ("office team 🇮🇳", "office team india (indian cricket team)"),  # are not kept apart, right or wrong
])
def test_an_emojis_words_are_kept_apart_from_a_name_they_would_make(text, expected):
    assert normalize(text) == expected
    assert normalize(expected) == expected
    assert normalize(text, names=False) == normalize(text, version=7, names=False)  # only with names on


_WORDS_OF_NAMES = sorted({w for e in name_entries() for a in e.aliases if " " in a for w in a.split()})
_EMOJI = ["🔥", "💍", "📸", "🎧", "🎉", "☀️", "💻", "🧳", "🥼", "🌸", "👦", "⚽", "🎾", "🍎", "✏️", "🏠", "🐦", "👖", "👨", "🐻",
          "⌚", "🐕", "🧈", "👻", "1️⃣", "👩‍💻"]
_MARKS = st.sampled_from(["", "(", "@", "&", "'s", ",", "!", "#tag", "@handle_x"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_WORDS_OF_NAMES), st.sampled_from(_EMOJI), _MARKS), min_size=1, max_size=10),
       st.sampled_from([" ", ""]))
def test_no_name_is_made_of_the_words_of_emoji_since_version_8(parts, glue):
    """Every name found in the embedded text is also found where emoji are marks (what the names prior reads), but
    one a flag's country finishes, which no part here holds."""
    text = glue.join(parts)
    once = normalize(text)
    assert normalize(once) == once
    assert {e for *_, e in find_names(once)} <= {e for *_, e in find_names(names_text(text))}, once


def test_names_the_review_kept_are_still_glossed_by_version_8():
    for text, glossed in (("KIPCHOGE IN BERLIN", "KIPCHOGE (marathon runner) IN BERLIN"),
                          ("dover street market ginza", "dover street market (concept retailer) ginza")):
        assert normalize(text, version=8) == glossed


def test_a_bad_retirement_line_is_a_clear_error(monkeypatch):
    with pytest.raises(ValueError, match="r.tsv:2"):
        _parse_retired("# header\nNew Balance\tcapitals\n", "r.tsv")
    with pytest.raises(ValueError, match="r.tsv:1"):
        _parse_retired("new balance\n", "r.tsv")  # no reason given
    monkeypatch.setattr(_names, "_read", lambda name: "no such alias\ta typo\n" if name == "names_retired_v8.tsv"
                        else files("brandfit").joinpath("resources", name).read_text("utf-8"))
    _names._entries.cache_clear()
    try:
        with pytest.raises(ValueError, match="retires aliases no table of version 8 lists"):
            _names._entries(8)
    finally:
        _names._entries.cache_clear()
