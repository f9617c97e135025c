"""Fuzz the reading side of `brandfit tag` (issue "No single input kills, hangs or floods a job").

Hypothesis writes input files mixing good accounts with hostile rows, in both shapes (JSONL one row per account,
CSV one row per text), and reads them the way the tag job does (``AccountReader`` with an ``ErrorLog``). Whatever
it writes: reading finishes, no exception escapes, every good account comes out exactly once, and every bad row
is in the errors file exactly once, at its line, with a reason.

``max_examples`` is 50 per test; set ``BRANDFIT_FUZZ_EXAMPLES=2000`` for a longer run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from brandfit.tagging._input import AccountReader, ErrorLog

EXAMPLES = int(os.environ.get("BRANDFIT_FUZZ_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 50,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])

# characters a text may hold; line breaks excluded so a row is one physical line, NUL excluded because a NUL byte
# makes a file "binary" (one file-level error) by design
_LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00"
any_text = st.text(st.characters(blacklist_characters=_LINE_BREAKS), max_size=40)
utf8_text = st.text(st.characters(blacklist_characters=_LINE_BREAKS, blacklist_categories=("Cs",)), max_size=40)
adversarial_text = st.sampled_from(["!" * 5000, "🔥" * 2000, "!?" * 2500, "\ud800 leg day \udfff", "\ufeff", "é" * 6000])
hostile_number = st.one_of(
    st.integers(13, 6000).map(lambda n: "9" * n),
    st.sampled_from(["1e300", "1e400", "-1", "1.5", "Infinity", "-Infinity", str(2**63), "-0.5", "1E+999"]),
)


def read(files: list[Path], scratch: Path) -> tuple[list, list[dict]]:
    buf = io.StringIO()
    reader = AccountReader(files, scratch=scratch, errors=ErrorLog(buf))
    try:
        items = list(reader)
    finally:
        reader.close()
    text = buf.getvalue()
    text.encode("utf-8")  # the errors file is always writable
    return items, [json.loads(line) for line in text.splitlines()]


# --- JSONL, one row per account ---------------------------------------------------------------------------
@st.composite
def good_account(draw, i: int) -> str:
    bio = "trail runner " + draw(st.one_of(any_text, adversarial_text))
    posts = draw(st.lists(st.one_of(any_text, adversarial_text,
                                    st.fixed_dictionaries({"text": any_text, "likes": st.integers(0, 10**12)})),
                          max_size=3))
    row = {"account_id": f"good-{i}", "bio": bio, "posts": posts}
    if draw(st.booleans()):
        row["handle"] = draw(any_text)
    if draw(st.booleans()):
        row["followers"] = draw(st.integers(0, 10**12))
    return json.dumps(row, ensure_ascii=True)  # lone surrogates survive as \ud800 escapes


@st.composite
def bad_account(draw, i: int) -> str:
    bid = json.dumps(f"bad-{i}")
    kind = draw(st.integers(0, 10))
    if kind == 0:
        line = draw(utf8_text)
        assume(line.strip() and line.lstrip("\ufeff").strip())
        try:
            assume(not isinstance(json.loads(line), dict))
        except ValueError:
            pass
        return line
    if kind == 1:
        return "[" * draw(st.integers(1, 100_000))
    if kind == 2:
        return f'{{"account_id": {bid}, "bio": "x", "followers": {draw(hostile_number)}}}'
    if kind == 3:
        return f'{{"account_id": {bid}, "posts": [{{"text": "hi", "likes": {draw(hostile_number)}}}]}}'
    if kind == 4:  # [[]] and deeper: posts[0] is not a post
        k = draw(st.integers(2, 100_000))
        return f'{{"account_id": {bid}, "bio": "x", "posts": ' + "[" * k + "]" * k + "}"
    if kind == 5:
        k = draw(st.integers(65, 50_000))
        return json.dumps({"account_id": f"bad-{i}", "bio": "x", "posts": "[" * k + "]" * k})
    if kind == 6:  # neither a bio nor a post (a blank bio is text to judge, scored 0 as predict_relevance does)
        empty = draw(st.sampled_from([{"bio": None}, {"posts": []}, {"bio": None, "posts": []}, {}]))
        return json.dumps({"account_id": f"bad-{i}", **empty})
    if kind == 7:
        return json.dumps({"account_id": f"bad-{i}", "bio": "x", draw(any_text.filter(
            lambda k: k not in ("account_id", "bio", "posts", "handle", "followers"))): 1}, ensure_ascii=True)
    if kind == 8:
        return json.dumps({"account_id": draw(st.sampled_from([True, None, "", [], {}, 1.5])), "bio": "x"})
    if kind == 9:
        return f'{{"account_id": {"1" * draw(st.integers(4301, 6000))}, "bio": "x"}}'
    return json.dumps({"account_id": f"bad-{i}", "bio": draw(st.sampled_from([5, ["x"], {"a": 1}]))})


@st.composite
def jsonl_file(draw):
    n_good, n_bad = draw(st.integers(0, 6)), draw(st.integers(0, 8))
    lines = [(draw(good_account(i)), True) for i in range(n_good)] + [(draw(bad_account(i)), False) for i in range(n_bad)]
    lines = draw(st.permutations(lines))
    blank = draw(st.lists(st.integers(0, len(lines)), max_size=2))
    out, good_ids, bad_lines = [], [], []
    for pos, (line, good) in enumerate(lines):
        if pos in blank:
            out.append("   ")
        out.append(line)
        if good:
            good_ids.append(json.loads(line)["account_id"])
        else:
            bad_lines.append(len(out))
    return out, good_ids, bad_lines, draw(st.booleans())


@FUZZ
@given(jsonl_file())
def test_fuzz_jsonl_row_per_account(case):
    lines, good_ids, bad_lines, bom = case
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "accounts.jsonl"
        f.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode("utf-8"))
        scratch = Path(d) / "scratch"
        scratch.mkdir()
        items, errors = read([f], scratch)
    if not lines or all(not ln.strip() for ln in lines):
        assert items == [] and len(errors) == 1 and errors[0]["line"] is None  # an empty file
        return
    assert Counter(it.account.account_id for it in items) == Counter(good_ids)
    assert sorted(e["line"] for e in errors) == sorted(bad_lines)
    assert all(e["reason"] and e["source_file"].endswith("accounts.jsonl") for e in errors)


# --- CSV, one row per text --------------------------------------------------------------------------------
HEADER = ["account_id", "kind", "text", "likes", "comments"]


@st.composite
def good_texts(draw, i: int) -> list[list[str]]:
    rows = [[f"good-{i}", "bio", "gym " + draw(utf8_text), "", ""]]
    for _ in range(draw(st.integers(0, 3))):
        text = draw(st.one_of(utf8_text, st.sampled_from(["!" * 5000, "🔥" * 2000])))
        rows.append([f"good-{i}", "post", "squats " + text, str(draw(st.integers(0, 10**6))), ""])
    return rows


@st.composite
def bad_text_row(draw, i: int) -> list[str]:
    bid = f"bad-{i}"
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return [bid, draw(utf8_text.filter(lambda k: k.strip() not in ("bio", "post"))), "x", "", ""]
    if kind == 1:
        return [bid, "post", draw(st.sampled_from(["", "   "])), "", ""]
    if kind == 2:
        return [bid, "post", "x", draw(st.one_of(hostile_number, st.sampled_from(["abc", "12abc", "1,000"]))), ""]
    if kind == 3:
        return [bid, "post", "x", "", draw(hostile_number)]
    if kind == 4:
        return [bid, "bio", "x", "3", ""]
    if kind == 5:
        return [bid, "post", "x", "", "", draw(utf8_text)]
    if kind == 6:
        return [bid, "post", "y" * draw(st.integers(131_073, 140_000)), "", ""]
    return ["", "post", "x", "", ""]


@st.composite
def csv_file(draw):
    n_good, n_bad = draw(st.integers(0, 5)), draw(st.integers(0, 8))
    rows = [(r, True) for i in range(n_good) for r in draw(good_texts(i))]
    rows += [(draw(bad_text_row(i)), False) for i in range(n_bad)]
    bios = [r for r in rows if r[0][1] == "bio" and r[1]]
    rest = draw(st.permutations([r for r in rows if not (r[0][1] == "bio" and r[1])]))
    return bios + list(rest), n_good, draw(st.booleans())


@FUZZ
@given(csv_file())
def test_fuzz_csv_row_per_text(case):
    rows, n_good, bom = case
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    bad_lines = []
    for line, (row, good) in enumerate(rows, start=2):
        w.writerow(row)
        if not good:
            bad_lines.append(line)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "texts.csv"
        f.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
        scratch = Path(d) / "scratch"
        scratch.mkdir()
        items, errors = read([f], scratch)
    if not rows:
        assert items == [] and len(errors) == 1 and errors[0]["line"] is None  # a header and no rows
        return
    assert Counter(it.account.account_id for it in items) == Counter(f"good-{i}" for i in range(n_good))
    assert sorted(e["line"] for e in errors) == bad_lines
    assert all(e["reason"] for e in errors)


# --- a folder with a broken file among good ones ----------------------------------------------------------
@FUZZ
@given(broken=st.one_of(st.binary(min_size=1, max_size=3000).filter(lambda b: b"\x00" in b or not _utf8(b)),
                        st.just(b"")),
       suffix=st.sampled_from([".jsonl", ".csv", ".parquet"]))
def test_fuzz_a_broken_file_in_a_folder(broken, suffix):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "in"
        folder.mkdir()
        (folder / "a.jsonl").write_text(json.dumps({"account_id": "a1", "bio": "gym"}) + "\n", encoding="utf-8")
        (folder / f"b{suffix}").write_bytes(broken)
        (folder / "c.csv").write_text("account_id,kind,text\nc1,bio,yoga\n", encoding="utf-8")
        scratch = Path(d) / "scratch"
        scratch.mkdir()
        items, errors = read(sorted(folder.iterdir()), scratch)
    assert [it.account.account_id for it in items] == ["a1", "c1"]
    assert errors and all(e["source_file"].endswith(f"b{suffix}") and e["reason"] for e in errors)
    if suffix == ".parquet" or b"\x00" in broken or not broken.strip() or _mostly_not_utf8(broken):
        assert len(errors) == 1 and errors[0]["line"] is None  # not text (or empty): the whole file, once
    else:  # mostly UTF-8 text with some bad lines: those lines are set aside one by one, each with its number
        assert all(e["line"] for e in errors) or (len(errors) == 1 and errors[0]["line"] is None)


def _mostly_not_utf8(b: bytes) -> bool:
    lines = [line for line in b.splitlines() if line.strip()]
    return 2 * sum(not _utf8(line) for line in lines) > len(lines)


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
