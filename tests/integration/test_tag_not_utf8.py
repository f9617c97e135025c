"""`brandfit tag` on input holding bytes that are not UTF-8: the line or row holding them is set aside with its
line number and the byte, every other line is tagged, whether the byte is in the first 64 KiB or after it."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from brandfit.cli import main
from brandfit.tagging import errors_path_for


@pytest.mark.parametrize("n_good", [3, 400])  # 400 lines (~105 KB): the bad line is past the first 64 KiB
@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_tag_sets_aside_the_line_that_is_not_utf8_and_tags_the_rest(tmp_path, capsys, kind, n_good):
    if kind == "jsonl":
        lines = [json.dumps({"account_id": f"a{i}", "bio": "gym coach " + "x" * 230}).encode() for i in range(n_good)]
        lines.append(b'{"account_id": "bad", "bio": "caf\xe9 runner"}')
        bad_line, byte = n_good + 1, 33
    else:
        lines = [b"account_id,bio"] + [b"a%d,gym coach %s" % (i, b"x" * 240) for i in range(n_good)]
        lines.append(b"bad,caf\xe9 runner")
        bad_line, byte = n_good + 2, 7
    inp = tmp_path / f"in.{kind}"
    inp.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "tags.parquet"
    assert main(["tag", str(inp), "-o", str(out), "--brand-topic", "fitness", "--no-cache", "--quiet-summary"]) == 0
    assert f"{n_good} accounts tagged, 1 row set aside" in capsys.readouterr().out
    tagged = pd.read_parquet(out)
    assert list(tagged["account_id"]) == [f"a{i}" for i in range(n_good)]
    errors = [json.loads(x) for x in errors_path_for(out).read_text(encoding="utf-8").splitlines()]
    assert errors == [{"source_file": str(inp), "line": bad_line, "account_id": None,
                       "reason": f"not UTF-8 text (invalid continuation byte at byte {byte} of the line); save the "
                                 "file as UTF-8"}]
