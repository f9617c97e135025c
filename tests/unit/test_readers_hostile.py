"""Issue "No single input kills, hangs or floods a job": the reading side of `brandfit tag` (data.readers and
tagging._input) turns every hostile file or row into an error record with a reason, never an exception."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest

from brandfit.data.readers import iter_rows, list_input_files
from brandfit.tagging._input import AccountReader, ErrorLog


def read_all(files, tmp_path: Path):
    """(items, error records) of reading ``files`` the way the tag job does."""
    buf = io.StringIO()
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    for f in scratch.iterdir():
        f.unlink()
    reader = AccountReader([Path(f) for f in files], scratch=scratch, errors=ErrorLog(buf))
    try:
        items = list(reader)
    finally:
        reader.close()
    text = buf.getvalue()
    text.encode("utf-8")  # the errors file must be writable as UTF-8
    return items, [json.loads(line) for line in text.splitlines()]


def ids(items):
    return [it.account.account_id for it in items]


# --- file level -------------------------------------------------------------------------------------------
def test_utf8_bom_does_not_break_csv_column_names(tmp_path):
    f = tmp_path / "excel.csv"
    f.write_bytes(b"\xef\xbb\xbfaccount_id,kind,text\r\na1,bio,trail runner\r\na1,post,hill repeats\r\n")
    items, errors = read_all([f], tmp_path)
    assert errors == []
    assert ids(items) == ["a1"]
    assert items[0].account.bio == "trail runner"


def test_utf8_bom_does_not_break_jsonl(tmp_path):
    f = tmp_path / "bom.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + json.dumps({"account_id": "a1", "bio": "gym"}).encode() + b"\n")
    items, errors = read_all([f], tmp_path)
    assert errors == [] and ids(items) == ["a1"]


def test_csv_line_numbers_start_after_the_header(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("account_id,kind,text\na1,bio,x\na2,bad,y\n", encoding="utf-8")
    rows = list(iter_rows(f))
    assert [r.line for r in rows] == [2, 3]
    _, errors = read_all([f], tmp_path)
    assert [(e["line"], e["account_id"]) for e in errors] == [(3, "a2")]


def test_binary_file_is_one_file_level_error(tmp_path):
    f = tmp_path / "photo.jsonl"
    f.write_bytes(os.urandom(20_000) + b"\n" * 50 + b"\x00\xff" * 1000)
    g = tmp_path / "utf16.csv"
    g.write_bytes("account_id,kind,text\na1,bio,x\n".encode("utf-16"))
    for path in (f, g):
        items, errors = read_all([path], tmp_path)
        assert items == []
        assert len(errors) == 1, errors
        assert errors[0]["line"] is None and errors[0]["source_file"] == str(path)
        assert "text" in errors[0]["reason"] or "UTF-8" in errors[0]["reason"]


@pytest.mark.parametrize("name,content", [("e.jsonl", b""), ("e.csv", b""), ("e.parquet", b""),
                                          ("blank.jsonl", b"\n\n  \n"), ("header.csv", b"account_id,kind,text\n")])
def test_empty_file_gives_a_file_level_record(tmp_path, name, content):
    f = tmp_path / name
    f.write_bytes(content)
    items, errors = read_all([f], tmp_path)
    assert items == []
    assert len(errors) == 1 and errors[0]["line"] is None and "empty file" in errors[0]["reason"]


def test_corrupt_parquet_in_a_folder_does_not_stop_the_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"account_id": "a1", "bio": "gym"}) + "\n", encoding="utf-8")
    (folder / "b.parquet").write_bytes(b"PAR1" + os.urandom(300) + b"PAR1")
    (folder / "c.jsonl").write_text(json.dumps({"account_id": "c1", "bio": "yoga"}) + "\n", encoding="utf-8")
    items, errors = read_all(list_input_files(folder), tmp_path)
    assert ids(items) == ["a1", "c1"]
    assert len(errors) == 1 and errors[0]["source_file"].endswith("b.parquet") and errors[0]["line"] is None
    assert "Parquet" in errors[0]["reason"]


def test_a_fifo_is_not_an_input_file(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        list_input_files(fifo)


# --- row level --------------------------------------------------------------------------------------------
def _jsonl(tmp_path: Path, lines: list[str]) -> Path:
    f = tmp_path / "rows.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f


def test_deep_nesting_and_huge_integers_are_row_errors(tmp_path):
    good = json.dumps({"account_id": "ok", "bio": "trail runner"})
    lines = [
        "[" * 100_000,
        '{"account_id": "deep", "bio": "x", "posts": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"account_id": "digits", "bio": "x", "followers": ' + "7" * 5000 + "}",
        '{"account_id": ' + "1" * 5000 + ', "bio": "x"}',
        good,
    ]
    t0 = time.perf_counter()
    items, errors = read_all([_jsonl(tmp_path, lines)], tmp_path)
    assert time.perf_counter() - t0 < 5
    assert ids(items) == ["ok"]
    assert [e["line"] for e in errors] == [1, 2, 3, 4]
    assert "nested deeper" in errors[0]["reason"] and "nested deeper" in errors[1]["reason"]
    assert errors[2]["account_id"] == "digits" and errors[2]["reason"].startswith("followers:")
    assert "5000-digit" in errors[2]["reason"] and "5000-digit" in errors[3]["reason"]


def test_deep_nesting_inside_a_csv_posts_cell(tmp_path):
    f = tmp_path / "acc.csv"
    f.write_text('account_id,bio,posts\na1,x,"' + "[" * 50_000 + '"\na2,x,"[""' + "9" * 100 + '""]"\n'
                 'a3,x,"[{""text"": ""hi"", ""likes"": ' + "9" * 6000 + '}]"\n', encoding="utf-8")
    items, errors = read_all([f], tmp_path)
    assert ids(items) == ["a2"]
    assert errors[0]["account_id"] == "a1" and errors[0]["reason"].startswith("posts:")
    assert errors[1]["account_id"] == "a3" and "likes" in errors[1]["reason"] and "6000-digit" in errors[1]["reason"]


def test_csv_cell_over_the_limit_is_a_row_error_and_the_file_goes_on(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("account_id,kind,text\na1,post," + "y" * 140_000 + "\na2,post,fine\n", encoding="utf-8")
    items, errors = read_all([f], tmp_path)
    assert ids(items) == ["a2"]
    assert len(errors) == 1 and errors[0]["line"] == 2 and "131,072" in errors[0]["reason"]


@pytest.mark.parametrize("raw,shown", [(str(2**63), "19-digit"), ("1e300", "301-digit"), ("Infinity", "inf"),
                                       ("NaN", "nan"), ("9" * 400, "400"), ("-5", "-5"), ("1.5", "1.5")])
def test_bad_counts_are_row_errors_naming_the_field(tmp_path, raw, shown):
    rows = [f'{{"account_id": "j", "bio": "x", "followers": {raw}}}',
            f'{{"account_id": "p", "posts": [{{"text": "hi", "likes": {raw}}}]}}']
    items, errors = read_all([_jsonl(tmp_path, rows)], tmp_path)
    assert items == []
    assert errors[0]["reason"].startswith("followers:") and shown in errors[0]["reason"]
    assert errors[1]["reason"].startswith("posts[0].likes:") and shown in errors[1]["reason"]
    c = tmp_path / "t.csv"
    c.write_text(f"account_id,kind,text,likes,comments\nc,post,hi,{raw},\nd,post,hi,,{raw}\n", encoding="utf-8")
    items, errors = read_all([c], tmp_path)
    assert items == []
    assert errors[0]["reason"].startswith("likes:") and errors[1]["reason"].startswith("comments:")


def test_lone_surrogates_never_break_writing(tmp_path):
    rows = [
        '{"account_id": "a\\ud800", "handle": "h\\udfff", "bio": "leg day \\ud800 squats"}',
        '{"account_id": "b\\ud800", "bio": "x", "followers": -1}',
        '{"account_id": "c", "bio": "x", "\\ud800": 1}',
    ]
    f = tmp_path / "s.jsonl"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    t = tmp_path / "t.jsonl"
    t.write_text('{"account_id": "t\\ud800", "kind": "post", "text": "\\udc00 gym", "handle": "\\ud800",'
                 ' "posted_at": "\\ud800"}\n{"account_id": "u", "kind": "\\ud800", "text": "x"}\n', encoding="utf-8")
    items, errors = read_all([f, t], tmp_path)
    for it in items:
        acc = it.account
        json.dumps(acc.to_dict(), ensure_ascii=False).encode("utf-8")
    assert [i.encode("utf-8") for i in ids(items)] == ["a\ufffd".encode(), "t\ufffd".encode()]
    assert items[0].account.handle == "h\ufffd" and items[0].account.bio == "leg day \ufffd squats"
    assert {e["account_id"] for e in errors} == {"b\ufffd", "c", "u"}


def test_surrogate_file_name_is_safe_in_the_errors_file(tmp_path):
    name = os.fsdecode(b"bad\xff.jsonl")  # a non-UTF-8 file name decodes to a lone surrogate
    f = tmp_path / name
    f.write_text('{"account_id": "a"}\n', encoding="utf-8")
    items, errors = read_all([f], tmp_path)
    assert items == [] and len(errors) == 1 and "\ufffd" in errors[0]["source_file"]


def test_one_huge_value_does_not_flood_the_errors_file(tmp_path):
    rows = ['{"account_id": "a", "kind": "' + "k" * 1_000_000 + '", "text": "x"}',
            '{"account_id": "b", "bio": "x", "' + "c" * 100_000 + '": 1}']
    items, errors = read_all([_jsonl(tmp_path, rows)], tmp_path)
    assert items == [] and len(errors) == 2
    assert all(len(e["reason"]) <= 1200 for e in errors)


def test_a_lowered_int_digit_limit_never_crashes_reading(tmp_path):
    import sys

    n = 700  # over the lowest limit Python allows (640), under brandfit's own 1000-digit cap
    rows = ['{"account_id": ' + "1" * n + ', "bio": "x"}',
            '{"account_id": "t", "kind": ' + "2" * n + ', "text": "x"}',
            '{"account_id": "u", "kind": "post", "text": "x", "posted_at": ' + "3" * n + '}',
            '{"account_id": "v", "posts": [{"text": "x", "posted_at": ' + "3" * n + '}]}',
            '{"account_id": "ok", "kind": "post", "text": "fine"}']
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        items, errors = read_all([_jsonl(tmp_path, rows)], tmp_path)
    finally:
        sys.set_int_max_str_digits(old)
    assert ids(items) == ["ok"]
    assert [e["line"] for e in errors] == [1, 2, 3, 4] and all(e["reason"] for e in errors)


def test_an_unclosed_quote_in_a_csv_is_reported_not_rows_swallowed(tmp_path):
    path = tmp_path / "texts.csv"
    path.write_text('account_id,kind,text\nc9,post,fine\nc10,post,"unterminated quote\nc11,post,after it\n',
                    encoding="utf-8")
    rows = list(iter_rows(path))
    assert [r.values["account_id"] for r in rows if r.values] == ["c9"]
    bad = [r for r in rows if r.values is None]
    assert len(bad) == 1 and bad[0].line == 3 and "never closed" in bad[0].error and "every row after" in bad[0].error


def test_a_csv_header_with_a_repeated_column_is_a_file_level_error(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("account_id,bio,bio\na1,first,second\n", encoding="utf-8")
    rows = list(iter_rows(path))
    assert len(rows) == 1 and rows[0].values is None and "column 'bio' appears 2 times" in rows[0].error


def test_files_a_folder_holds_that_are_not_read_are_named_in_a_warning(tmp_path, caplog):
    import logging

    (tmp_path / "a.jsonl").write_text(json.dumps({"account_id": "a", "bio": "x"}) + "\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text("account_id\tbio\n", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    with caplog.at_level(logging.WARNING, logger="brandfit.data.readers"):
        assert [f.name for f in list_input_files(tmp_path)] == ["a.jsonl"]
    assert "1 file not read" in caplog.text and "b.tsv" in caplog.text and "DS_Store" not in caplog.text


def test_a_json_array_file_gets_a_hint_to_write_json_lines(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps([{"account_id": "a", "bio": "x"}]), encoding="utf-8")
    rows = list(iter_rows(path))
    assert len(rows) == 1 and "JSON Lines" in rows[0].error


# --- bytes that are not UTF-8: one rule wherever they are -----------------------------------------------
_LATIN1_JSONL = b'{"account_id": "bad", "bio": "caf\xe9 runner"}'  # Latin-1 e-acute: byte 33 of the line
_LATIN1_CSV = b"bad,caf\xe9 runner"  # byte 7 of the line


def _good_jsonl(n: int) -> list[bytes]:
    return [json.dumps({"account_id": f"a{i}", "bio": "gym and lifting " + "x" * 220}).encode() for i in range(n)]


def _good_csv(n: int) -> list[bytes]:
    return [b"account_id,bio"] + [b"a%d,gym and lifting %s" % (i, b"x" * 280) for i in range(n)]


@pytest.mark.parametrize("n_good", [3, 400])  # 400 lines: the bad line comes after the first 64 KiB
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_line_that_is_not_utf8_is_set_aside_wherever_it_is(tmp_path, kind, n_good):
    if kind == "jsonl":
        lines, bad, byte, bad_line = _good_jsonl(n_good), _LATIN1_JSONL, 33, n_good + 1
    else:
        lines, bad, byte, bad_line = _good_csv(n_good), _LATIN1_CSV, 7, n_good + 2
    f = tmp_path / f"in.{kind}"
    f.write_bytes(b"\n".join(lines + [bad]) + b"\n")
    assert (f.stat().st_size > 64 * 1024) == (n_good == 400)
    items, errors = read_all([f], tmp_path)
    assert ids(items) == [f"a{i}" for i in range(n_good)]  # every good line is read
    assert all("\ufffd" not in it.account.bio for it in items)
    assert errors == [{"source_file": str(f), "line": bad_line, "account_id": None,
                       "reason": f"not UTF-8 text (invalid continuation byte at byte {byte} of the line); save the "
                                 "file as UTF-8"}]


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_bad_byte_in_the_middle_of_a_file_with_a_bom(tmp_path, kind):
    if kind == "jsonl":
        lines, bad, bad_line = _good_jsonl(4), _LATIN1_JSONL, 3
    else:
        lines, bad, bad_line = _good_csv(4), _LATIN1_CSV, 4
    f = tmp_path / f"in.{kind}"
    f.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines[:bad_line - 1] + [bad] + lines[bad_line - 1:]) + b"\r\n")
    items, errors = read_all([f], tmp_path)
    assert ids(items) == ["a0", "a1", "a2", "a3"]
    assert [(e["line"], e["reason"].split(" (")[0]) for e in errors] == [(bad_line, "not UTF-8 text")]


def test_a_csv_record_over_several_lines_is_set_aside_at_its_first_line(tmp_path):
    f = tmp_path / "multi.csv"
    f.write_bytes(b'account_id,bio\na1,gym\nbad,"first line\nsecond caf\xe9 line"\na2,yoga\n')
    items, errors = read_all([f], tmp_path)
    assert ids(items) == ["a1", "a2"]
    assert errors == [{"source_file": str(f), "line": 3, "account_id": None,
                       "reason": "not UTF-8 text (invalid continuation byte at byte 10 of line 4); save the file "
                                 "as UTF-8"}]
    rows = list(iter_rows(f))
    assert [(r.line, r.values is None) for r in rows] == [(2, False), (3, True), (5, False)]


def test_a_truncated_utf8_character_at_the_end_is_set_aside(tmp_path):
    f = tmp_path / "cut.jsonl"
    f.write_bytes(b"\n".join(_good_jsonl(2)) + b'\n{"account_id": "cut", "bio": "caf\xc3')  # no newline, cut mid-character
    items, errors = read_all([f], tmp_path)
    assert ids(items) == ["a0", "a1"]
    assert [e["line"] for e in errors] == [3] and errors[0]["reason"].startswith("not UTF-8 text (unexpected end")


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_a_file_mostly_not_utf8_is_one_file_level_error(tmp_path, kind):
    text = "account_id,bio\n" + "".join(f"a{i},café crème\n" for i in range(10))
    if kind == "jsonl":
        text = "".join(json.dumps({"account_id": f"a{i}", "bio": "café crème"}, ensure_ascii=False) + "\n"
                       for i in range(10))
    f = tmp_path / f"latin1.{kind}"
    f.write_bytes(text.encode("latin-1"))
    items, errors = read_all([f], tmp_path)
    assert items == []
    assert len(errors) == 1 and errors[0]["line"] is None
    first = 1 if kind == "jsonl" else 2
    assert errors[0]["reason"].startswith(f"not UTF-8 text (10 of {10 + (kind == 'csv')} lines are not UTF-8, the "
                                          f"first at line {first}: invalid continuation byte at byte ")
    assert errors[0]["reason"].endswith("save the file as UTF-8")


def test_a_csv_header_that_is_not_utf8_is_a_file_level_error(tmp_path):
    f = tmp_path / "h.csv"
    f.write_bytes(b"account_id,bi\xf6\na1,gym\na2,yoga\n")
    items, errors = read_all([f], tmp_path)
    assert items == []
    assert len(errors) == 1 and errors[0]["line"] is None
    assert errors[0]["reason"] == ("unreadable header line: not UTF-8 text (invalid start byte at byte 13 of the "
                                   "line); save the file as UTF-8")


# --- NaN counts: an error naming the field, like Infinity, never read as missing ----------------------------
@pytest.mark.parametrize("cell", ["NaN", "nan", " nan ", "-nan", "inf"])
def test_a_nan_count_in_a_csv_is_a_row_error_and_an_empty_cell_stays_missing(tmp_path, cell):
    f = tmp_path / "t.csv"
    f.write_text(f"account_id,kind,text,likes,followers\nok,post,hi,,\nbad,post,hi,{cell},\n"
                 f"worse,bio,hi,,{cell}\n", encoding="utf-8")
    items, errors = read_all([f], tmp_path)
    assert ids(items) == ["ok"]
    assert items[0].account.followers is None and items[0].account.posts[0].likes is None
    shown = "inf" if "inf" in cell else "nan"
    assert [(e["line"], e["account_id"], e["reason"]) for e in errors] == [
        (3, "bad", f"likes: expected a whole number, got {shown}"),
        (4, "worse", f"followers: expected a whole number, got {shown}")]


def test_a_nan_count_in_jsonl_names_the_field(tmp_path):
    rows = ['{"account_id": "ok", "bio": "gym", "followers": null, "posts": [{"text": "hi", "likes": null}]}',
            '{"account_id": "f", "bio": "gym", "followers": NaN}',
            '{"account_id": "l", "posts": [{"text": "hi", "likes": 3}, {"text": "yo", "comments": NaN}]}']
    items, errors = read_all([_jsonl(tmp_path, rows)], tmp_path)
    assert ids(items) == ["ok"]
    assert [(e["line"], e["reason"]) for e in errors] == [(2, "followers: expected a whole number, got nan"),
                                                          (3, "posts[1].comments: expected a whole number, got nan")]


def test_api_counts_read_nan_as_missing_reject_infinity_and_take_numpy_numbers():
    """In Python NaN is pandas' missing value (a DataFrame's empty cell): missing, as None is. Files are stricter
    (the tests above): there a count of NaN is a row set aside."""
    import numpy as np

    from brandfit.account import Account, parse_count
    from brandfit.errors import InputError

    for nan in (float("nan"), np.float64("nan"), np.float32("nan")):
        acc = Account.from_input({"bio": "gym", "followers": nan, "posts": [{"text": "hi", "likes": nan}]})
        assert acc.followers is None and acc.posts[0].likes is None
    for bad in (float("inf"), -np.inf):
        with pytest.raises(InputError, match=r"^account\.followers: expected a whole number, got -?inf$"):
            Account.from_input({"bio": "gym", "followers": bad})
        with pytest.raises(ValueError, match=r"posts\[0\]\.likes: expected a whole number"):
            Account.from_input({"bio": "gym", "posts": [{"text": "hi", "likes": bad}]})
    acc = Account.from_input({"bio": "gym", "followers": np.int64(1200),
                              "posts": [{"text": "hi", "likes": np.uint16(7), "comments": np.float32(2.0)}]})
    assert (acc.followers, acc.posts[0].likes, acc.posts[0].comments) == (1200, 7, 2)
    assert all(type(v) is int for v in (acc.followers, acc.posts[0].likes, acc.posts[0].comments))
    assert parse_count(None, "followers") is None
    for bad, err in ((True, TypeError), (np.bool_(True), TypeError), ("12", TypeError), (np.float64(1.5), ValueError),
                     (np.int64(-1), ValueError)):
        with pytest.raises(err, match="^followers: "):
            parse_count(bad, "followers")


@pytest.mark.parametrize("text, message", [
    ('{"a": "abc', "not valid JSON (Unterminated string starting at column 7)"),
    ("[1,", "not valid JSON (Expecting value at column 4)"),
])
def test_a_json_error_names_its_column_once(text, message):
    from brandfit._safejson import JSONLimitError, loads_bounded

    with pytest.raises(JSONLimitError) as info:
        loads_bounded(text)
    assert str(info.value) == message
