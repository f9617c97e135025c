"""The onnx-int8 embedding backend: export and cache, agreement with the torch backend, robustness of the cache.

The model is exported once per session into the session cache (tests/conftest.py, 10-60 s, hence ``slow``); the cache tests swap the
exporter for a copy of that file so they exercise the detection and replacement logic without exporting again.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from brandfit.embedding import DIM, Embedder
from offline import no_internet

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

CAPTIONS = [
    "leg day done 🦵🔥 squats 5x5 @ 100kg, new PR!!",
    "GRWM for date night 💄 trying the new matte liquid lipstick",
    "unboxing the new noise-cancelling headphones 🎧 first impressions in stories",
    "sunset hike up Mt. Tam, 12 miles, my knees hate me #trailrunning",
    "#ad partnered with @glowlab for their vitamin C serum, code GLOW15 saves 15%",
    "thrifted this vintage Levi's jacket for $12 😮‍💨 #thriftflip",
    "Mi rutina de skincare de noche: limpiador suave, niacinamida, crema 🌙",
    "mein neues Rennrad ist da!! 🚴‍♂️ erste Ausfahrt morgen",
    "🍜🍜🍜",
    "",
    "RT if your phone battery dies by 3pm every single day",
    "link in bio 👆 https://example.com/shop?utm_source=ig",
    "5am club. coffee. run. coffee again. #mondaymotivation",
    "honestly the best budget mechanical keyboard I've typed on, thocky af",
    "Swipe ➡️ for the before/after of my 12 week cut. Not sponsored, just proud.",
    "tbh I don't get the hype around this mascara 🤷‍♀️ clumps after an hour",
    "Family bbq, my uncle burned the burgers again 🍔🔥",
    "paid partnership with Garmin: the Forerunner tracked every km of my first marathon",
    "new blog post: 10 capsule wardrobe pieces for autumn 🍂",
    "what's in my camera bag 📷 (lens list below)",
]


@pytest.fixture(scope="module", autouse=True)
def _offline():
    with no_internet():
        yield


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache):
    from brandfit.embedding._onnx import OnnxEmbedder

    return OnnxEmbedder(cache_dir=onnx_cache)


@pytest.fixture(scope="session")
def labeled_texts() -> list[str]:
    """300 captions and bios from data/labeled (every topic, bios and posts), else the inline captions."""
    files = sorted((REPO / "data" / "labeled" / "texts").glob("*.jsonl"))
    texts = [json.loads(line)["text"] for f in files for line in f.read_text(encoding="utf-8").splitlines() if line]
    if len(texts) < 300:
        return CAPTIONS
    rng = np.random.default_rng(8)
    return [texts[i] for i in rng.choice(len(texts), 300, replace=False)]


@pytest.fixture()
def stub_export(monkeypatch, onnx_cache):
    """Replace the real export with a copy of the session's exported model; counts the calls."""
    from brandfit.embedding import onnx_export as _export

    good = sorted(onnx_cache.glob("*.onnx"))
    assert len(good) == 1
    calls = []

    def fake(model_dir, onnx_path, sidecar, source_hash):
        calls.append(onnx_path)
        shutil.copyfile(good[0], onnx_path)
        shutil.copyfile(good[0].with_suffix(".json"), sidecar)

    monkeypatch.setattr(_export, "_export", fake)
    return calls


# --- the embedder ---------------------------------------------------------------------------------------------------


def test_conforms_to_the_protocol(onnx_embedder):
    assert isinstance(onnx_embedder, Embedder)
    assert onnx_embedder.name == "all-MiniLM-L6-v2/onnx"
    assert onnx_embedder.dim == DIM == 384


def test_rows_are_normalised_float32_in_input_order(onnx_embedder):
    texts = [*CAPTIONS, "word " * 400]  # the last one is truncated at 256 tokens
    vecs = onnx_embedder.encode(texts)
    assert vecs.shape == (len(texts), 384)
    assert vecs.dtype == np.float32 and vecs.flags["C_CONTIGUOUS"]
    assert np.isfinite(vecs).all()
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    # every text runs on its own, so its row is exactly what it gets when embedded alone
    one_by_one = np.vstack([onnx_embedder.encode([t]) for t in texts])
    np.testing.assert_array_equal(vecs, one_by_one)


def test_a_vector_depends_only_on_its_text(onnx_embedder):
    """Order, batch-mates, duplicates and thread interleaving change nothing, bit for bit: what lets a tagging
    job's scores not depend on chunking, engines or resumes."""
    texts = CAPTIONS + ["word " * 400]
    ref = onnx_embedder.encode(texts)
    rng = np.random.default_rng(3)
    perm = rng.permutation(len(texts))
    np.testing.assert_array_equal(onnx_embedder.encode([texts[i] for i in perm]), ref[perm])
    np.testing.assert_array_equal(onnx_embedder.encode(texts[:3] * 4 + texts[3:]), np.vstack([ref[:3]] * 4 + [ref[3:]]))
    with ThreadPoolExecutor(max_workers=3) as pool:
        for i, got in enumerate(pool.map(lambda t: onnx_embedder.encode([t]), texts)):
            np.testing.assert_array_equal(got[0], ref[i])


def test_batch_size_and_chunking_change_speed_never_the_vectors(onnx_cache, onnx_embedder):
    """Row-wise quantisation: each token has its own activation scale, so batch-mates and padding change nothing
    (onnxruntime's quantize_dynamic scales a whole batch at once: it moved rows by up to 0.04)."""
    from brandfit.embedding import _onnx

    texts = CAPTIONS * 3 + ["word " * 400]
    ref = onnx_embedder.encode(texts)
    alone = _onnx.OnnxEmbedder(cache_dir=onnx_cache, batch_size=1).encode(texts)
    tiny = _onnx.OnnxEmbedder(cache_dir=onnx_cache, batch_size=7)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_onnx, "CHUNK_SIZE", 11)
        chunked = tiny.encode(texts)
    np.testing.assert_array_equal(alone, ref)
    np.testing.assert_array_equal(chunked, ref)


def test_empty_input(onnx_embedder):
    out = onnx_embedder.encode([])
    assert out.shape == (0, 384) and out.dtype == np.float32


def test_non_string_is_a_clear_error(onnx_embedder):
    with pytest.raises(TypeError, match=r"texts\[1\]: expected str"):
        onnx_embedder.encode(["fine", None])


def test_semantics_survive_quantisation(onnx_embedder):
    a, b, c = onnx_embedder.encode(["trail running shoes", "running sneakers for trails", "matte lipstick review"])
    assert float(a @ b) > 0.6
    assert float(a @ c) < 0.25


def test_agrees_with_the_torch_backend(onnx_embedder, labeled_texts):
    from brandfit.embedding import get_embedder

    texts = labeled_texts + CAPTIONS
    cos = (onnx_embedder.encode(texts) * get_embedder("torch").encode(texts)).sum(axis=1)
    assert cos.mean() >= 0.995, f"mean cosine {cos.mean():.4f}"  # lowest: "" (0.974), two tokens only
    assert cos.min() >= 0.97, f"min cosine {cos.min():.4f} for {texts[int(cos.argmin())]!r}"


def test_concurrent_encodes_are_consistent(onnx_embedder):
    chunks = [CAPTIONS[i::4] for i in range(4)]
    expected = [onnx_embedder.encode(c) for c in chunks]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(onnx_embedder.encode, chunks * 3))
    for i, got in enumerate(results):
        np.testing.assert_allclose(got, expected[i % 4], atol=1e-6)


def test_parallel_modes_agree(onnx_cache, onnx_embedder):
    from brandfit.embedding._onnx import OnnxEmbedder

    texts = CAPTIONS * 5
    ops = OnnxEmbedder(cache_dir=onnx_cache, parallel="ops").encode(texts)
    single = OnnxEmbedder(cache_dir=onnx_cache, num_threads=1).encode(texts)
    batches = onnx_embedder.encode(texts)
    np.testing.assert_allclose(ops, batches, atol=1e-5)  # same batches, so the same numbers
    np.testing.assert_allclose(single, batches, atol=1e-5)
    with pytest.raises(ValueError, match="parallel"):
        OnnxEmbedder(cache_dir=onnx_cache, parallel="processes")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_encode_works_in_a_forked_child(onnx_embedder):
    import time

    onnx_embedder.encode(CAPTIONS)  # the worker pool exists now; a forked child inherits none of its threads
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            ok = onnx_embedder.encode(CAPTIONS).shape == (len(CAPTIONS), 384)
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("encode hung in a forked child")


def test_progress_bar_follows_the_flag(onnx_embedder, capsys):
    onnx_embedder.encode(CAPTIONS, show_progress_bar=True)
    assert "Embedding (onnx)" in capsys.readouterr().err
    onnx_embedder.encode(CAPTIONS, show_progress_bar=False)
    onnx_embedder.encode(CAPTIONS)  # None: short run, not a terminal -> quiet
    assert capsys.readouterr().err == ""


def _fresh_python(code: str, onnx_cache: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter using the session's onnx cache; fail with its stderr if it fails."""
    env = {**os.environ, "BRANDFIT_CACHE_DIR": str(onnx_cache), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_get_embedder_uses_the_cache_dir_env_and_never_imports_torch(onnx_cache):
    code = (
        "import sys\n"
        "from brandfit.embedding import get_embedder\n"
        "e = get_embedder('onnx')\n"
        "v = e.encode(['leg day 🦵'])\n"
        "assert v.shape == (1, 384), v.shape\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', 'onnx') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(e.name)\n"
    )
    proc = _fresh_python(code, onnx_cache)
    assert proc.stdout.strip() == "all-MiniLM-L6-v2/onnx"
    assert "exporting" not in proc.stderr


def test_predicting_on_onnx_never_imports_torch_and_torch_still_loads_after(onnx_cache):
    """spaCy's thinc would import torch (~1.7 s, 300 MB); brandfit hides it during spaCy's import on the onnx path.
    One prediction needs neither pandas nor scipy either; a batch prediction (a DataFrame) brings pandas in."""
    code = (
        "import sys\n"
        "import brandfit\n"
        "m = brandfit.load_model('production', backend='onnx')\n"
        "r = brandfit.predict_relevance({'bio': 'trail runner', 'posts': ['#ad use code RUN20']}, "
        "'sports_outdoor', model=m)\n"
        "assert r.promo_ratio == 1.0, r\n"
        "assert 'torch' not in sys.modules and 'spacy' in sys.modules\n"
        "assert not [m for m in ('pandas', 'scipy', 'sklearn') if m in sys.modules]  # imported only when needed\n"
        "assert brandfit.predict_relevance_batch([{'bio': 'x', 'posts': ['y']}], 'fitness', model=m).shape[0] == 1\n"
        "t = brandfit.load_model('production', backend='torch')\n"
        "print(round(abs(t.promo_proba(['#ad use code RUN20'])[0] - m.promo_proba(['#ad use code RUN20'])[0]), 2))\n"
        "assert 'torch' in sys.modules\n"
    )
    proc = _fresh_python(code, onnx_cache)
    assert float(proc.stdout.strip()) <= 0.05


# --- the exported file and its cache -----------------------------------------------------------------------------


def test_export_is_valid_onnx_with_dynamic_axes_and_a_sidecar(onnx_cache):
    import onnx
    import onnxruntime

    from brandfit._atomic import sha256_file
    from brandfit.embedding.onnx_export import RECIPE, read_sidecar, source_model_hash
    from brandfit.embedding._torch import packaged_model_dir

    (path,) = onnx_cache.glob("*.onnx")
    meta = read_sidecar(path.with_suffix(".json"))
    source = source_model_hash(packaged_model_dir())
    assert path.name == f"all-MiniLM-L6-v2.{source[:16]}.{RECIPE}.onnx"
    assert meta["onnx_sha256"] == sha256_file(path)
    assert meta["source_sha256"] == source
    assert meta["onnxruntime"] == onnxruntime.__version__ and meta["torch"]
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    inputs = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    assert inputs == {n: ["batch", "sequence"] for n in ("input_ids", "attention_mask", "token_type_ids")}
    ops = [n.op_type for n in model.graph.node]
    # the 36 projections are int8 (per-token activation scales); attention's own MatMuls stay float
    assert ops.count("MatMulIntegerToFloat") == meta["quantization"]["matmuls"] == 36
    assert ops.count("QuantizeLinear") == 24 and ops.count("MatMul") == 12
    assert not list(onnx_cache.glob(".export-*")), "temporary export folder left behind"


def test_sound_cache_is_reused(onnx_cache, stub_export):
    from brandfit.embedding.onnx_export import ensure_model

    status = ensure_model(onnx_cache)
    assert not status.exported and status.reason == "cached"
    assert stub_export == []


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "drop_sidecar", "garble_sidecar", "drop_model"])
def test_damaged_cache_is_detected_and_exported_again(onnx_cache, tmp_path, stub_export, caplog, damage):
    from brandfit._atomic import sha256_file
    from brandfit.embedding.onnx_export import ensure_model, read_sidecar
    from brandfit.embedding._onnx import OnnxEmbedder

    (good,) = onnx_cache.glob("*.onnx")
    cache = tmp_path / "cache"
    cache.mkdir()
    path, sidecar = cache / good.name, cache / good.with_suffix(".json").name
    shutil.copyfile(good, path)
    shutil.copyfile(good.with_suffix(".json"), sidecar)
    if damage == "flip_byte":
        with open(path, "r+b") as fh:
            fh.seek(path.stat().st_size // 2)
            byte = fh.read(1)
            fh.seek(-1, os.SEEK_CUR)
            fh.write(bytes([byte[0] ^ 0xFF]))
    elif damage == "truncate":
        with open(path, "r+b") as fh:
            fh.truncate(1000)
    elif damage == "drop_sidecar":
        sidecar.unlink()
    elif damage == "garble_sidecar":
        sidecar.write_text("{not json")
    else:
        path.unlink()

    with caplog.at_level(logging.INFO, logger="brandfit.embedding.onnx_export"):
        status = ensure_model(cache)
    assert status.exported and len(stub_export) == 1
    assert sha256_file(path) == read_sidecar(sidecar)["onnx_sha256"]
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "exporting it again" in r.message]
    assert len(warned) == 1, [r.message for r in caplog.records]
    assert any("10-60 s" in r.message for r in caplog.records)
    # and the repaired cache serves a working embedder without another export
    assert OnnxEmbedder(cache_dir=cache).encode(["ok"]).shape == (1, 384)
    assert len(stub_export) == 1


def test_missing_model_exports_without_a_warning(tmp_path, stub_export, caplog, onnx_cache):
    from brandfit.embedding.onnx_export import ensure_model

    (good,) = onnx_cache.glob("*.onnx")
    stale = tmp_path / "fresh" / f".export-{good.stem}-killed"  # what an export killed halfway leaves behind
    stale.mkdir(parents=True)
    (stale / "fp32.onnx").write_bytes(b"half")
    with caplog.at_level(logging.INFO, logger="brandfit.embedding.onnx_export"):
        status = ensure_model(tmp_path / "fresh")
    assert status.exported and status.reason == "missing" and len(stub_export) == 1
    assert not stale.exists()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("takes 10-60 s once" in r.message for r in caplog.records)


def test_concurrent_first_use_exports_once(tmp_path, stub_export, monkeypatch):
    import time

    from brandfit.embedding import onnx_export as _export

    fake = _export._export

    def slow_fake(*args):
        time.sleep(0.5)  # long enough that the other callers queue on the lock
        fake(*args)

    monkeypatch.setattr(_export, "_export", slow_fake)
    cache = tmp_path / "shared"
    barrier = threading.Barrier(3)

    def first_use():
        barrier.wait()
        return _export.ensure_model(cache)

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(lambda _: first_use(), range(3)))
    assert len(stub_export) == 1
    assert sorted(s.exported for s in statuses) == [False, False, True]


def test_force_exports_even_when_sound(onnx_cache, tmp_path, stub_export):
    from brandfit.embedding.onnx_export import ensure_model

    (good,) = onnx_cache.glob("*.onnx")
    cache = tmp_path / "c"
    cache.mkdir()
    shutil.copyfile(good, cache / good.name)
    shutil.copyfile(good.with_suffix(".json"), cache / good.with_suffix(".json").name)
    status = ensure_model(cache, force=True)
    assert status.exported and status.reason == "forced" and len(stub_export) == 1


def test_default_cache_dir(monkeypatch, tmp_path):
    from brandfit.embedding.onnx_export import default_cache_dir

    monkeypatch.setenv("BRANDFIT_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("BRANDFIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "brandfit" / "onnx"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "brandfit" / "onnx"


def test_cli_export_onnx_reports_the_cached_model(onnx_cache, capsys, stub_export):
    from brandfit.cli import main

    assert main(["export-onnx", "--cache-dir", str(onnx_cache)]) == 0
    out, err = capsys.readouterr()
    (path,) = onnx_cache.glob("*.onnx")
    assert out.strip() == str(path)
    assert "already cached and verified" in err
    assert stub_export == []
