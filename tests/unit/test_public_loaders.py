"""Public-corpus loaders: skip cleanly when absent; the new loaders on tiny synthetic folders (text written here)."""

import logging

import pandas as pd

from brandfit.evaluation import public


def test_absent_root_gives_empty_frame_and_a_log_line(tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        df = public.load_public(tmp_path / "nope")
    assert df.empty and list(df.columns) == ["text", "source", "topic", "promo", "group"]
    assert "not found" in caplog.text
    assert public.subtopic_tasks(tmp_path / "nope") == {}
    assert not public.available(tmp_path / "nope")


def _write_synthetic(root):
    pod = root / "podcast_ad_reads"
    pod.mkdir(parents=True)
    lines = [("O", f"we talked about the weather number {i}") for i in range(8)]
    lines += [("B-AD", "this episode is brought to you by acme"), ("I-AD", "go to acme dot com slash show"),
              ("I-AD", "use promo code show for ten percent"), ("E-AD", "thanks acme")]
    (pod / "ep1.csv").write_text("\n".join(f"{t},{x}" for t, x in lines) + "\n")
    aff = root / "affiliate_disclosures_yt_pin"
    aff.mkdir()
    (aff / "youtube_clusters.csv").write_text(
        "id,sentence,ward_euclidean_cluster\nv1,Some links are affiliate links,372\nv1,My camera gear list,10\n"
        "v2,Music by someone,11\n")
    (aff / "pinterest_clusters.csv").write_text(
        "id,sentence,ward_euclidean_cluster\np1,I earn a small commission,1493\np2,cute outfit idea,5\n")
    yt = root / "yt_trending_us_2017"
    yt.mkdir()
    pd.DataFrame({
        "video_id": ["a", "a", "b", "c", "d", "e"],
        "title": ["Match highlights", "Match highlights", "Phone review", "Makeup tutorial", "Cooking pasta",
                  "Funny cats"],
        "channel_title": ["x"] * 6, "category_id": [17, 17, 28, 26, 26, 15],
        "tags": ["goal|league", "goal|league", "phone|unboxing", "makeup|beauty", "pasta|dinner", "[none]"],
    }).to_csv(yt / "USvideos.csv", index=False)
    rt = root / "reddit_titles_6topics"
    rt.mkdir()
    (rt / "sports.txt").write_text("Team wins the final\nStriker scores twice\n")
    (rt / "technology.txt").write_text("New chip announced\n")
    (rt / "politics.txt").write_text("Senate votes on the bill\n")


def test_new_loaders_on_synthetic_folders(tmp_path):
    _write_synthetic(tmp_path)
    df = public.load_public(tmp_path, cap=None)
    by = {s: g for s, g in df.groupby("source")}
    pod = by["podcast_ad_reads"]
    assert pod["promo"].tolist().count(True) == 1 and pod["promo"].tolist().count(False) == 2  # 4-segment windows
    assert pod["group"].nunique() == 1  # one episode
    aff = by["affiliate_disclosures_yt_pin"]
    assert set(aff.loc[aff["promo"] == True, "text"]) == {"Some links are affiliate links",  # noqa: E712
                                                         "I earn a small commission"}
    yt = by["yt_trending_us_2017"].set_index("text")["topic"].to_dict()
    assert sorted(yt.values()) == ["beauty", "electronics", "other", "sports_outdoor"]  # cooking (26) left out
    assert len(by["yt_trending_us_2017"]) == 4  # deduplicated by video_id
    rt = by["reddit_titles_6topics"]["topic"].value_counts().to_dict()
    assert rt == {"sports_outdoor": 2, "electronics": 1, "other": 1}


def test_cap_balances_labels(tmp_path):
    _write_synthetic(tmp_path)
    df = public.load_public(tmp_path, sources=("reddit_titles_6topics",), cap=3)  # 4 titles in 3 files
    assert len(df) == 3 and df["topic"].value_counts().max() == 1  # at most cap // n_files from each file


def test_training_falls_back_when_public_folder_absent(tmp_path, monkeypatch):
    from dataclasses import replace

    from brandfit.config import TrainConfig
    from brandfit.train import resolve_public_root

    monkeypatch.setenv("BRANDFIT_PUBLIC_DATA", str(tmp_path / "nowhere"))
    config = TrainConfig(public_data="no/such/folder")
    assert resolve_public_root(config, tmp_path) is None
    assert resolve_public_root(replace(config, public_data=None), tmp_path) is None
    _write_synthetic(tmp_path / "pub")
    assert resolve_public_root(config, tmp_path, override=tmp_path / "pub") == (tmp_path / "pub").resolve()
