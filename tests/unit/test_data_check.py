"""Cross-reference checks of `brandfit data check` on a labeled folder (texts/ + accounts/). No model needed."""

import json

import pandas as pd
import pytest

from brandfit.cli import main
from brandfit.data.check import check_labeled_folder
from brandfit.data.shape import shape_stats


def _text(tid, acc=None, kind="post", text=None, **kw):
    rec = {"id": tid, "kind": kind, "text": text or f"caption {tid} 🏃", "topic": "sports_outdoor",
           "promo": False, "disclosed": False, "account_id": acc}
    rec.update(kw)
    return rec


def _acc(aid, posts, **kw):
    rec = {"account_id": aid, "handle": f"@{aid}", "topic": "sports_outdoor", "followers": 1200, "note": "test",
           "posts": [{"id": p, "likes": 10, "comments": 1} for p in posts]}
    rec.update(kw)
    return rec


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path):
    """A clean labeled folder: one account with a bio and two posts, plus one ungrouped text."""
    _write(tmp_path / "texts/a.jsonl", [_text("b1", "acc-1", kind="bio"), _text("p1", "acc-1"), _text("p2", "acc-1"),
                                        _text("x1")])
    _write(tmp_path / "accounts/a.jsonl", [_acc("acc-1", ["p1", "p2"])])
    return tmp_path


def _problems(root):
    return [(p.source.rsplit("/", 1)[-1], p.line, p.field, p.message) for p in check_labeled_folder(root).problems]


def _has(problems, file, line, field, words):
    return any(f == file and ln == line and fd == field and words in m for f, ln, fd, m in problems)


def test_clean_folder_has_no_problems(folder):
    res = check_labeled_folder(folder)
    assert res.ok and len(res.texts.frame) == 4 and len(res.accounts) == 1


def test_account_post_missing_from_texts(folder):
    _write(folder / "accounts/a.jsonl", [_acc("acc-1", ["p1", "p2", "p9"])])
    probs = _problems(folder)
    assert _has(probs, "a.jsonl", 1, "posts", "'p9' of account 'acc-1' is not among the texts"), probs


def test_account_post_with_other_account_id(folder):
    _write(folder / "texts/a.jsonl", [_text("b1", "acc-1", kind="bio"), _text("p1", "acc-1"), _text("p2", "acc-2")])
    _write(folder / "accounts/a.jsonl", [_acc("acc-1", ["p1", "p2"]), _acc("acc-2", [])])
    probs = _problems(folder)
    assert _has(probs, "a.jsonl", 1, "posts", "carries account_id 'acc-2', not 'acc-1'"), probs


def test_account_post_pointing_at_a_bio(folder):
    _write(folder / "accounts/a.jsonl", [_acc("acc-1", ["p1", "p2", "b1"])])
    assert _has(_problems(folder), "a.jsonl", 1, "posts", "is a bio, not a post")


def test_text_account_without_accounts_line(folder):
    _write(folder / "texts/b.jsonl", [_text("q1", "acc-ghost")])
    probs = _problems(folder)
    assert _has(probs, "b.jsonl", 1, "account_id", "'acc-ghost' has no accounts line"), probs


def test_post_not_listed_by_its_account(folder):
    _write(folder / "texts/b.jsonl", [_text("p3", "acc-1")])
    assert _has(_problems(folder), "b.jsonl", 1, "account_id", "not listed in the posts of account 'acc-1'")


def test_at_most_one_bio_per_account(folder):
    _write(folder / "texts/b.jsonl", [_text("b2", "acc-1", kind="bio")])
    probs = _problems(folder)
    assert _has(probs, "b.jsonl", 1, "kind", "second bio for account 'acc-1'"), probs


def test_duplicate_account_ids_across_files(folder):
    _write(folder / "accounts/b.jsonl", [_acc("acc-1", [])])
    assert _has(_problems(folder), "b.jsonl", 1, "account_id", "duplicate account id 'acc-1'")


def test_post_listed_by_two_accounts(folder):
    _write(folder / "accounts/b.jsonl", [_acc("acc-2", ["p1"])])
    assert _has(_problems(folder), "b.jsonl", 1, "posts", "'p1' is listed twice")


@pytest.mark.parametrize(
    "post, field",
    [
        ({"id": "p1", "likes": -1, "comments": 0}, "posts[0].likes"),
        ({"id": "p1", "likes": 1.5, "comments": 0}, "posts[0].likes"),
        ({"id": "p1", "likes": 3, "comments": "7"}, "posts[0].comments"),
        ({"id": "p1", "likes": True, "comments": 0}, "posts[0].likes"),
        ({"id": "p1", "likes": 3}, "posts[0].comments"),
        ({"likes": 3, "comments": 0}, "posts[0].id"),
    ],
)
def test_engagement_must_be_non_negative_ints(folder, post, field):
    acc = _acc("acc-1", [])
    acc["posts"] = [post, {"id": "p2", "likes": 1, "comments": 0}]
    _write(folder / "accounts/a.jsonl", [acc])
    probs = _problems(folder)
    assert any(fd == field and ln == 1 for _, ln, fd, _ in probs), probs


def test_account_topic_followers_and_unreadable_lines(folder):
    _write(folder / "accounts/a.jsonl", [_acc("acc-1", ["p1", "p2"], topic="golf", followers=-5), "{oops"])
    probs = _problems(folder)
    assert _has(probs, "a.jsonl", 1, "topic", "unknown topic 'golf'")
    assert _has(probs, "a.jsonl", 1, "followers", "non-negative integer")
    assert _has(probs, "a.jsonl", 2, "row", "not valid JSON")


def test_text_problems_are_reported_with_the_folder(folder):
    _write(folder / "texts/b.jsonl", [_text("z1", topic="golf")])
    assert _has(_problems(folder), "b.jsonl", 1, "topic", "unknown topic 'golf'")


def test_cli_check_folder_and_texts_only(folder, capsys):
    assert main(["data", "check", str(folder)]) == 0
    assert main(["data", "check", str(folder / "texts")]) == 0
    _write(folder / "accounts/a.jsonl", [_acc("acc-1", ["p1", "p2", "p9"])])
    assert main(["data", "check", str(folder / "texts")]) == 0  # texts alone are still fine
    capsys.readouterr()
    assert main(["data", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{folder / 'accounts/a.jsonl'}:1: posts:" in out


def test_cli_stats_on_a_folder_prints_shape(folder, capsys):
    assert main(["data", "stats", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "posts < 40 chars" in out and "promo | @mention" in out and "texts in accounts" in out


def test_shape_stats_shortcut_rates():
    df = pd.DataFrame({
        "kind": ["post"] * 4,
        "text": ["run w @sam 🏃", "code RUN10 @brand #ad", "#trail #mud #hills", "Shop now at shop.com."],
        "promo": [False, True, False, True],
        "account_id": ["a", "a", None, None],
    })
    s = shape_stats(df)
    assert s["promo_given_mention"] == 0.5
    assert s["promo_given_hashtag"] == 0.5
    assert s["promo_given_link"] == 1.0
    assert s["post_3_hashtags"] == 0.25 and s["post_end_punct"] == 0.25 and s["grouped"] == 0.5
