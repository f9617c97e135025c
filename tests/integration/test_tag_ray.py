"""``brandfit tag --engine ray`` on a local Ray cluster: the same output as the local engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from brandfit.cli import main
from brandfit.tagging import tag_files
from brandfit.tagging._checkpoint import parts_dir_for
from brandfit.topics import TOPICS

pytest.importorskip("ray.data", reason="needs the optional extra: pip install 'brandfit[ray]'")

pytestmark = [pytest.mark.ray, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PROBS = [f"p_{t}" for t in TOPICS]


@pytest.fixture()
def mixed_input(tmp_path) -> Path:
    """The bundled sample accounts (row per account) plus three accounts given row per text."""
    folder = tmp_path / "in"
    shutil.copytree(REPO / "data" / "sample", folder)
    rows = [
        {"account_id": "txt-1", "kind": "bio", "text": "camera nerd | lens reviews", "followers": 800},
        {"account_id": "txt-2", "kind": "post", "text": "new mirrorless body arrived, first shots tomorrow", "likes": 40},
        {"account_id": "txt-1", "kind": "post", "text": "35mm vs 50mm for street photography", "likes": 12},
        {"account_id": "txt-3", "kind": "bio", "text": "marathon mum of three"},
        {"account_id": "txt-2", "kind": "bio", "text": "gadgets and coffee"},
        {"account_id": "txt-3", "kind": "post", "text": "long run done: 30k at easy pace"},
        {"account_id": "txt-3", "kind": "post", "text": "", "likes": 1},  # set aside: no text
    ]
    (folder / "zz_texts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def test_ray_engine_matches_local_engine(tmp_path, mixed_input, capsys):
    local = tmp_path / "local.parquet"
    ray_out = tmp_path / "ray.parquet"
    summary = tag_files(mixed_input, local, "sports_outdoor", chunk_size=8, show_progress_bar=False)
    assert summary.accounts_tagged == 27 and summary.rows_set_aside == 1

    code = main(["tag", str(mixed_input), "-o", str(ray_out), "--brand-topic", "sports_outdoor",
                 "--chunk-size", "8", "--engine", "ray", "--ray-concurrency", "2"])
    assert code == 0
    assert "engine ray" in capsys.readouterr().out
    a, b = pd.read_parquet(local), pd.read_parquet(ray_out)
    assert b["account_id"].is_unique and b["account_id"].tolist() == a["account_id"].tolist()
    for col in ["score", *PROBS, "consistency", "promo_ratio", "engagement_rate"]:
        assert b[col].to_numpy() == pytest.approx(a[col].to_numpy(), abs=2e-6, nan_ok=True), col  # outputs are rounded to 6 places
    for col in ["primary_topic", "tier", "n_posts", "source_file", "source_line", "model_version", "evidence"]:
        assert b[col].tolist() == a[col].tolist(), col
    assert b["run_id"].nunique() == 1 and b["run_id"].iat[0] != a["run_id"].iat[0]
    assert (tmp_path / "ray.parquet.errors.jsonl").read_text() == (tmp_path / "local.parquet.errors.jsonl").read_text()
    assert not parts_dir_for(ray_out).exists()
