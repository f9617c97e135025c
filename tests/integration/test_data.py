import json

import pandas as pd

from brandfit.cli import main
from brandfit.data import assign_splits, check_records, dataset_hash, load_accounts, load_labeled
from brandfit.topics import TOPICS


def _rec(i, **kw):
    base = {"id": f"r{i}", "kind": "post", "text": f"text number {i} about hiking", "topic": "sports_outdoor",
            "promo": False, "disclosed": False, "account_id": None}
    base.update(kw)
    return base


def test_every_bad_row_is_named(tmp_path):
    f = tmp_path / "bad.jsonl"
    rows = [
        _rec(1),
        _rec(2, topic="golf"),
        _rec(3, text=None),
        _rec(4, text=42),
        _rec(1, text="another text"),  # duplicate id
        _rec(6, text="TEXT NUMBER 1 ABOUT HIKING"),  # duplicate text (case-insensitive)
        _rec(7, text="   \u200b "),  # empty after normalisation
        _rec(8, promo="maybe"),
        _rec(9, kind="story"),
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n", encoding="utf-8")
    result = load_labeled(f)
    msgs = [str(p) for p in result.problems]
    assert len(result.frame) == 1
    expected = [
        (2, "topic", "unknown topic 'golf'"),
        (3, "text", "missing"),
        (4, "text", "expected a string"),
        (5, "id", "duplicate id"),
        (6, "text", "duplicate text"),
        (7, "text", "empty"),
        (8, "promo", "expected true or false"),
        (9, "kind", "unknown kind"),
        (10, "row", "not valid JSON"),
    ]
    for line, field, words in expected:
        assert any(m.startswith(f"{f}:{line}: {field}:") and words in m for m in msgs), (line, field, msgs)


def test_csv_and_parquet_are_checked_too(tmp_path):
    df = pd.DataFrame([_rec(1), _rec(2, topic="nope")])
    df.to_csv(tmp_path / "x.csv", index=False)
    df.to_parquet(tmp_path / "x.parquet")
    for name in ("x.csv", "x.parquet"):
        res = load_labeled(tmp_path / name)
        assert len(res.frame) == 1
        assert [(p.line, p.field) for p in res.problems] == [(3 if name.endswith("csv") else 2, "topic")]


def test_data_check_cli_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(_rec(1)) + "\n", encoding="utf-8")
    assert main(["data", "check", str(good)]) == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(_rec(1, topic="x")) + "\n", encoding="utf-8")
    assert main(["data", "check", str(bad)]) == 1
    assert f"{bad}:1: topic:" in capsys.readouterr().out
    assert main(["data", "check", str(tmp_path / "missing.jsonl")]) == 2


def test_shipped_labeled_data_is_clean_and_big_enough(repo):
    res = load_labeled(repo / "data/labeled/texts")
    assert res.problems == ()
    df = res.frame
    counts = df["topic"].value_counts()
    for t in TOPICS:
        assert counts[t] >= (600 if t == "other" else 300), (t, counts[t])
        assert ((df["topic"] == t) & (df["kind"] == "bio")).sum() >= 60
    promo = df[df["promo"]]
    assert len(promo) >= 600
    assert set(promo["topic"]) == set(TOPICS)
    assert promo["disclosed"].any() and (~promo["disclosed"]).any()
    accounts = load_accounts(repo / "data/labeled/accounts")
    assert len(accounts) >= 40
    for acc in accounts["account_id"]:
        texts = df[df["account_id"] == acc]
        assert (texts["kind"] == "bio").sum() == 1 and (texts["kind"] == "post").sum() >= 8, acc


def test_held_out_evaluation_sets_are_clean_and_never_in_the_training_data(repo):
    """training/eval holds text nobody trains on: it must stay valid and out of data/labeled (same normalised
    text), or the figures measured on it in docs/quality.md would be figures on training data."""
    from brandfit.data.check import check_labeled_folder
    from brandfit.text import normalize

    train = {normalize(t).casefold() for t in load_labeled(repo / "data/labeled/texts").frame["text"]}
    feeds = check_labeled_folder(repo / "training/eval/feeds")
    assert feeds.problems == () and len(feeds.accounts) == 20
    held = list(feeds.texts.frame["text"])
    for name in ("undisclosed_promo.jsonl", "undisclosed_promo_2.jsonl", "brand_tagged.jsonl", "brand_relations.jsonl",
                 "comments.jsonl", "word_senses.jsonl", "link_pointers.jsonl", "price_gift.jsonl",
                 "pointers_money.jsonl", "thanks.jsonl"):
        held += [json.loads(line)["text"] for line in
                 (repo / "training/eval" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(held) == 272 + 80 + 160 + 120 + 160 + 240 + 200 + 200 + 200 + 200 + 159
    leaked = [t for t in held if normalize(t).casefold() in train]
    assert leaked == []


def test_split_is_deterministic_grouped_and_stratified(repo):
    df = load_labeled(repo / "data/labeled/texts").frame
    s1, s2 = assign_splits(df), assign_splits(df.sample(frac=1, random_state=1)).reindex(df.index)
    assert (s1 == s2).all()
    per_account = df.assign(split=s1).dropna(subset=["account_id"]).groupby("account_id")["split"].nunique()
    assert (per_account == 1).all()
    share = df.assign(split=s1).groupby("topic")["split"].apply(lambda s: (s == "train").mean())
    assert share.between(0.6, 0.8).all(), share


def test_dataset_hash_ignores_order_but_not_content():
    df = pd.DataFrame([_rec(1), _rec(2)])
    assert dataset_hash(df) == dataset_hash(df.iloc[::-1])
    assert dataset_hash(df) != dataset_hash(df.assign(promo=[True, False]))


def test_check_records_on_plain_mappings():
    assert check_records([_rec(1)]) == []
    assert [p.field for p in check_records([{"id": "x"}])] == ["kind", "text", "topic", "promo", "disclosed"]
