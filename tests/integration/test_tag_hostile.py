"""One folder holding every poison case of the hardening issue plus good accounts: the job exits 0, every good
account is tagged exactly once, every bad row and unreadable file is in the errors file with a reason, and a
SIGKILL mid-run followed by --resume gives the same output."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from brandfit.cli import main
from brandfit.tagging import errors_path_for
from killed_job import kill_after_chunks

GOOD = [{"account_id": f"good-{i}", "bio": bio, "followers": 1200 + i,
         "posts": [f"{bio} post {k}" for k in range(3)]}
        for i, bio in enumerate(["trail runner 🏔️", "skincare nerd ✨", "gym coach 💪", "thrift queen 👗",
                                 "keyboard nerd ⌨️", "home cook 🍝", "surf club 🌊", "nail tech 💅"])]


def _poison_folder(folder: Path) -> tuple[int, int]:
    """Write the poison cases; return (bad rows, unreadable files)."""
    folder.mkdir()
    lines = [json.dumps(a) for a in GOOD[:4]]
    lines += [
        '{"account_id": "sur", "bio": "leg day \\ud800 squats", "posts": ["ok"]}',  # lone surrogate: tagged, cleaned
        json.dumps({"account_id": "big1", "bio": "x", "followers": 2**63}),
        '{"account_id": "big2", "bio": "x", "followers": 1e300}',
        '{"account_id": "inf", "bio": "x", "followers": Infinity}',
        '{"account_id": "digits", "bio": "x", "followers": ' + "9" * 400 + "}",
        '{"account_id": "huge", "bio": "x", "followers": ' + "9" * 5000 + "}",
        "[" * 100_000,
        json.dumps({"account_id": "bang", "bio": "!" * 5000, "posts": ["🔥" * 2000] * 3}),  # slow input: tagged
    ]
    (folder / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    csv = "account_id,kind,text,likes,comments,followers\n"
    csv += "".join(f"{a['account_id']},bio,{a['bio']},,,{a['followers']}\n" for a in GOOD[4:])
    csv += "cell,post," + "y" * 140_000 + ",,,\n"
    (folder / "b.csv").write_bytes(b"\xef\xbb\xbf" + csv.encode("utf-8"))  # Excel's BOM
    (folder / "c.parquet").write_bytes(b"PAR1 this is not parquet")
    (folder / "d.jsonl").write_bytes(b"")
    (folder / "e.jsonl").write_bytes(bytes(range(256)) * 40)
    return 7, 3


def test_poison_folder_is_tagged_and_resumes_after_sigkill(tmp_path, capsys):
    inp = tmp_path / "in"
    n_bad_rows, n_bad_files = _poison_folder(inp)
    args = ["tag", str(inp), "--brand-topic", "fitness", "--chunk-size", "2", "--no-cache"]
    ref_out = tmp_path / "ref.parquet"
    assert main([*args, "-o", str(ref_out)]) == 0
    capsys.readouterr()
    ref = pd.read_parquet(ref_out)
    want = {a["account_id"] for a in GOOD} | {"sur", "bang"}
    assert ref["account_id"].is_unique and set(ref["account_id"]) == want
    errors = [json.loads(line) for line in errors_path_for(ref_out).read_text(encoding="utf-8").splitlines()]
    assert all(e["reason"] for e in errors)
    file_level = [e for e in errors if e["line"] is None]
    assert len(file_level) == n_bad_files
    assert len(errors) - len(file_level) >= n_bad_rows - 1  # deep nesting may be a file line without an id
    for field in ("followers",):
        assert sum(field in e["reason"] for e in errors) >= 5
    ref.to_json(tmp_path / "check.jsonl", orient="records", lines=True, force_ascii=False)  # valid UTF-8 out

    out = tmp_path / "t.parquet"
    kill_after_chunks(args, out, 2)
    assert main([*args, "-o", str(out), "--resume"]) == 0
    got = pd.read_parquet(out)
    cols = ["account_id", "score", "primary_topic", "confidence", "consistency", "promo_ratio", "reasons"]
    pd.testing.assert_frame_equal(got[cols], ref[cols])
    assert errors_path_for(out).read_text(encoding="utf-8") == errors_path_for(ref_out).read_text(encoding="utf-8")
