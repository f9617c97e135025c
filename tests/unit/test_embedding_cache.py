"""The persistent embedding cache (brandfit.embedding.cache) on the fake embedder: hits and misses, identity,
corrupt and foreign files, LRU eviction under the cap, concurrent writers, SIGKILL mid-write, and scores that do
not change with the cache."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import sqlite3
import time

import numpy as np
import pytest

from brandfit.account import Account, BrandTopic
from brandfit.embedding import cache as cache_mod
from brandfit.embedding.cache import ENTRY_OVERHEAD, EmbeddingCache, encoder_identity
from brandfit.errors import SettingsError
from brandfit.pipeline import Pipeline

from fakes import DIM, FakeEmbedder, make_model

TEXTS = ["trail run in the fog", "matte lipstick swatches", "leg day squats", "new laptop keyboard", "coffee"]


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def db(tmp_path):
    return tmp_path / "emb.sqlite"


def test_miss_then_hit_returns_the_same_vectors_and_embeds_nothing(db):
    emb = FakeEmbedder()
    cache = EmbeddingCache(db)
    first = cache.encode(emb, TEXTS)
    assert emb.calls == [5] and (cache.hits, cache.misses) == (0, 5)
    again = cache.encode(emb, TEXTS + ["one more"])
    assert emb.calls == [5, 1] and (cache.hits, cache.misses) == (5, 6)
    np.testing.assert_array_equal(again[:5], first)
    np.testing.assert_array_equal(first, emb.encode(TEXTS))
    other = EmbeddingCache(db)  # another process opening the same file sees the entries
    vecs, found = other.get(encoder_identity(emb), DIM, TEXTS)
    assert found.all() and np.array_equal(vecs, first)
    s = other.stats()
    assert s.entries == 6 and s.bytes == 6 * (DIM * 4 + ENTRY_OVERHEAD) and len(s.encoders) == 1


def test_another_encoder_or_normalisation_never_gets_the_entries(db, monkeypatch):
    emb = FakeEmbedder()
    cache = EmbeddingCache(db)
    cache.encode(emb, TEXTS)

    class Other(FakeEmbedder):
        name = "fake/other"

    _, found = cache.get(encoder_identity(Other()), DIM, TEXTS)
    assert not found.any()
    _, found = cache.get(encoder_identity(emb) + "x", DIM, TEXTS)
    assert not found.any()
    # a new text-normalisation version is a new identity
    import brandfit.text

    monkeypatch.setattr(brandfit.text, "NORMALIZATION_VERSION", "999", raising=False)
    cache_mod.normalization_version.cache_clear()
    cache_mod._identities.clear()
    try:
        fresh = FakeEmbedder()
        assert "norm=v999" in encoder_identity(fresh)
        _, found = cache.get(encoder_identity(fresh), DIM, TEXTS)
        assert not found.any()
    finally:
        cache_mod.normalization_version.cache_clear()
        cache_mod._identities.clear()


def test_a_colliding_key_of_another_text_is_a_miss_not_a_wrong_vector(db, monkeypatch):
    emb = FakeEmbedder()
    cache = EmbeddingCache(db)
    monkeypatch.setattr(cache_mod, "_row_id", lambda h, salt: 7)  # every text on the same key
    cache.put(encoder_identity(emb), ["alpha"], emb.encode(["alpha"]))
    vecs, found = cache.get(encoder_identity(emb), DIM, ["beta", "alpha"])
    assert found.tolist() == [False, True]
    np.testing.assert_array_equal(vecs[1], emb.encode(["alpha"])[0])


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(db, tmp_path):
    # someone's data given as the cache by mistake (a typo'd --cache, one of the job's own inputs)
    original = b'{"account_id": "a1", "bio": "trail runner"}\n' * 50
    db.write_bytes(original)
    with pytest.raises(SettingsError, match="not an SQLite file"):
        EmbeddingCache(db)
    assert db.read_bytes() == original
    assert not db.with_name(db.name + ".unusable").exists()
    with pytest.raises(SettingsError, match="is a folder"):
        EmbeddingCache(tmp_path)
    fifo = tmp_path / "fifo.sqlite"
    os.mkfifo(fifo)
    with pytest.raises(SettingsError, match="not a regular file"):
        EmbeddingCache(fifo)


def test_the_default_cache_path_holding_garbage_means_no_cache_with_a_warning(tmp_path, monkeypatch, caplog):
    garbage = tmp_path / "embeddings.sqlite"
    garbage.write_bytes(b"not a database" * 10)
    monkeypatch.setenv("BRANDFIT_CACHE_DB", str(garbage))
    with caplog.at_level(logging.WARNING):
        assert cache_mod.resolve_cache(None, default_on=True) is None
    assert "running without it" in caplog.text and garbage.read_bytes() == b"not a database" * 10
    with pytest.raises(SettingsError):  # a path the caller named is refused with the reason
        cache_mod.resolve_cache(str(garbage), default_on=True)


def test_an_empty_file_becomes_a_new_cache(db):
    db.write_bytes(b"")
    EmbeddingCache(db).encode(FakeEmbedder(), TEXTS)
    assert EmbeddingCache(db).stats().entries == 5


def test_a_foreign_sqlite_database_is_refused_and_another_schema_version_rebuilt(db, caplog):
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE users (name TEXT)")
    con.execute("INSERT INTO users VALUES ('kept')")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(SettingsError, match="not a brandfit embedding cache"):
        EmbeddingCache(db)
    assert db.read_bytes() == before  # not even switched to WAL mode
    assert not db.with_name(db.name + "-wal").exists()
    con = sqlite3.connect(db)
    assert con.execute("SELECT name FROM users").fetchall() == [("kept",)]
    con.close()
    db.unlink()
    EmbeddingCache(db).encode(FakeEmbedder(), TEXTS)
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with caplog.at_level(logging.WARNING):
        cache = EmbeddingCache(db)
    assert "schema version" in caplog.text
    assert "unusable" in caplog.text
    assert cache.stats().entries == 0


def test_a_vector_changed_on_disk_is_a_miss_with_a_warning(db, caplog):
    emb = FakeEmbedder()
    cache = EmbeddingCache(db)
    vecs = cache.encode(emb, TEXTS)
    cache.vacuum()  # everything into the main file
    cache.close()
    raw = bytearray(db.read_bytes())
    at = raw.find(vecs[2].tobytes())
    assert at > 0
    raw[at + 100] ^= 0xFF
    db.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING):
        got, found = EmbeddingCache(db).get(encoder_identity(emb), DIM, TEXTS)
    assert found.tolist() == [True, True, False, True, True]
    assert "checksum" in caplog.text
    np.testing.assert_array_equal(got[found], vecs[found])


def test_lru_eviction_keeps_the_recently_used_under_the_cap(db):
    clock = Clock()
    entry = DIM * 4 + ENTRY_OVERHEAD
    cache = EmbeddingCache(db, max_bytes=10 * entry, touch_after_s=0, clock=clock)
    emb = FakeEmbedder()
    old = [f"old text {i}" for i in range(8)]
    for t in old:  # one per second: old text 0 is the least recently used
        clock.t += 1
        cache.encode(emb, [t])
    clock.t += 1
    cache.encode(emb, old[:2])  # used again: now the most recent
    clock.t += 1
    cache.encode(emb, [f"new text {i}" for i in range(4)])  # 12 entries > cap 10: evict down to 9
    s = cache.stats()
    assert s.entries == 9 and s.bytes <= 10 * entry
    _, found = cache.get(encoder_identity(emb), DIM, old)
    assert found.tolist() == [True, True, False, False, False, True, True, True]
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM vectors").fetchone()[0] == 9
    assert cache.prune(max_bytes=5 * entry) == 4 and cache.stats().entries == 5
    assert cache.clear() == 5 and cache.stats().entries == 0


def test_hits_refresh_last_used_only_when_it_is_old(db):
    clock = Clock()
    cache = EmbeddingCache(db, touch_after_s=3600, clock=clock)
    emb = FakeEmbedder()
    cache.encode(emb, TEXTS)
    used = lambda: sqlite3.connect(db).execute("SELECT max(used) FROM vectors").fetchone()[0]  # noqa: E731
    clock.t += 60
    cache.encode(emb, TEXTS)
    assert used() == 1_000_000.0  # a warm re-read writes nothing
    clock.t += 7200
    cache.encode(emb, TEXTS)
    assert used() == 1_000_000.0 + 7260


def _writer(path: str, start: int, n: int, seed: int) -> None:
    cache = EmbeddingCache(path, timeout_s=30)
    emb = FakeEmbedder()
    rng = np.random.default_rng(seed)
    for b in range(0, n, 25):
        texts = [f"shared text {i}" for i in range(start + b, start + b + 25)]
        texts += [f"common {int(i)}" for i in rng.integers(0, 50, 5)]  # both processes write these too
        cache.encode(emb, texts)


def test_two_processes_writing_at_once(db):
    ctx = mp.get_context("fork")
    EmbeddingCache(db)  # created by the parent (open connection inherited by the children: they must not use it)
    procs = [ctx.Process(target=_writer, args=(str(db), k * 1000, 400, k)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    cache = EmbeddingCache(db)
    assert cache.check() == "ok"
    emb = FakeEmbedder()
    texts = [f"shared text {i}" for i in (*range(400), *range(1000, 1400))] + [f"common {i}" for i in range(50)]
    vecs, found = cache.get(encoder_identity(emb), DIM, texts)
    n_common = int(found[800:].sum())
    # a batch that meets a busy database past the timeout is embedded without the cache (by design), so on a loaded
    # machine a few writes may be missing; what must hold is that the file is sound and every vector in it is right
    assert found[:800].mean() > 0.9 and n_common > 10
    np.testing.assert_array_equal(vecs[found], emb.encode(texts)[found])
    with sqlite3.connect(db) as con:
        assert cache.stats().entries == con.execute("SELECT count(*) FROM vectors").fetchone()[0] == int(found.sum())


def _endless_writer(path: str, ready) -> None:
    cache = EmbeddingCache(path)
    emb = FakeEmbedder()
    base = emb.encode(["heavy squat day"])
    i = 0
    ready.set()
    while True:
        texts = [f"bulk {i + k}" for k in range(2000)]
        cache.put(encoder_identity(emb), texts, np.repeat(base, len(texts), axis=0))
        i += 2000


@pytest.mark.parametrize("delay", [0.05, 0.3])
def test_sigkill_mid_write_leaves_a_usable_cache(db, delay):
    ctx = mp.get_context("fork")
    EmbeddingCache(db).encode(FakeEmbedder(), TEXTS)
    ready = ctx.Event()
    p = ctx.Process(target=_endless_writer, args=(str(db), ready))
    p.start()
    assert ready.wait(30)
    time.sleep(delay)
    os.kill(p.pid, signal.SIGKILL)
    p.join(10)
    assert p.exitcode == -signal.SIGKILL
    cache = EmbeddingCache(db)
    assert cache.check() == "ok"
    with sqlite3.connect(db) as con:  # the counters moved with the rows: same transaction
        assert cache.stats().entries == con.execute("SELECT count(*) FROM vectors").fetchone()[0]
    emb = FakeEmbedder()
    vecs, found = cache.get(encoder_identity(emb), DIM, TEXTS)
    assert found.all() and np.array_equal(vecs, emb.encode(TEXTS))
    cache.encode(emb, ["after the crash"])
    assert cache.get(encoder_identity(emb), DIM, ["after the crash"])[1].all()


ACCOUNTS = [
    Account(bio="gym coach", posts=("heavy squat day at the gym", "protein oats", "yoga flow #ad use code FIT10"),
            followers=2400, account_id="a1"),
    Account(bio="trail runner", posts=("ultra race recap", "new camera for the hike", "heavy squat day at the gym"),
            account_id="a2"),
    Account(bio="🔥", posts=("🔥🔥", "monday mood"), account_id="a3"),
]


@pytest.mark.parametrize("brand", ["fitness", BrandTopic("kettle", "kettlebell workout gear", ("gym squat",))])
def test_scores_identical_with_and_without_the_cache(db, brand):
    plain = [r.to_dict() for r in Pipeline(make_model()).score(ACCOUNTS, brand)]
    emb = FakeEmbedder()
    cached = Pipeline(make_model(emb), cache=EmbeddingCache(db))
    cold = [r.to_dict() for r in cached.score(ACCOUNTS, brand)]
    calls = len(emb.calls)
    warm = [r.to_dict() for r in cached.score(ACCOUNTS, brand)]
    assert cold == plain and warm == plain
    assert len(emb.calls) == calls  # the warm run embedded nothing


def test_settings_decide_where_the_cache_is(tmp_path, monkeypatch):
    from brandfit.embedding.cache import resolve_cache
    from brandfit.settings import ENV_CACHE_DB, default_cache_db, resolve_cache_db

    monkeypatch.delenv(ENV_CACHE_DB, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_cache_db(None, default_on=False) is None  # the Python API: opt-in
    assert resolve_cache_db(None, default_on=True) == default_cache_db() == tmp_path / "xdg/brandfit/embeddings.sqlite"
    assert resolve_cache_db(False, default_on=True) is None
    assert resolve_cache_db(tmp_path / "x.sqlite", default_on=False) == tmp_path / "x.sqlite"
    monkeypatch.setenv(ENV_CACHE_DB, str(tmp_path / "env.sqlite"))
    assert resolve_cache_db(None, default_on=False) == tmp_path / "env.sqlite"
    monkeypatch.setenv(ENV_CACHE_DB, "off")
    assert resolve_cache_db(None, default_on=True) is None
    monkeypatch.setenv(ENV_CACHE_DB, str(tmp_path / "env.sqlite"))
    c = resolve_cache(None, default_on=False)
    assert c is resolve_cache(True, default_on=False) and c.path == tmp_path / "env.sqlite"


def test_cli_cache_stats_prune_clear(db, capsys):
    from brandfit.cli import main

    EmbeddingCache(db).encode(FakeEmbedder(), TEXTS)
    assert main(["cache", "--cache", str(db), "stats"]) == 0
    assert "entries:   5" in capsys.readouterr().out
    assert main(["cache", "--cache", str(db), "prune", "--max-mb", "0.004"]) == 0  # ~2 entries
    assert "removed 3 entries" in capsys.readouterr().out
    assert main(["cache", "clear", "--cache", str(db)]) == 0
    assert main(["cache", "--cache", str(db), "stats", "--json", "--check"]) == 0
    out = capsys.readouterr().out
    assert '"entries": 0' in out and '"integrity_check": "ok"' in out


def test_cache_pickles_as_its_path(db):
    import pickle

    c = EmbeddingCache(db, max_bytes=1 << 20)
    back = pickle.loads(pickle.dumps(c))
    assert back.path == c.path and back.max_bytes == c.max_bytes


def test_cues_are_cached_and_the_same(db):
    from brandfit.cues import find_cues

    texts = ["Use code GLOW20 for 20% off, link in bio! #ad", "went for a run this morning", "DM me for collabs",
             "went for a run this morning"]
    calls = []

    def counting(ts):
        calls.append(len(ts))
        return find_cues(ts)

    cache = EmbeddingCache(db)
    assert cache.find_cues(counting, texts) == find_cues(texts)
    assert cache.find_cues(counting, texts + ["giveaway! tag a friend"]) == find_cues(texts + ["giveaway! tag a friend"])
    assert calls == [4, 1]


def test_an_unwritable_default_location_runs_without_the_cache(tmp_path, monkeypatch, caplog):
    from brandfit.embedding.cache import resolve_cache
    from brandfit.settings import ENV_CACHE_DB

    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(ENV_CACHE_DB, str(blocker / "sub" / "emb.sqlite"))  # parent is a file: cannot be made
    with caplog.at_level(logging.WARNING):
        assert resolve_cache(None, default_on=True) is None
    assert "running without it" in caplog.text
    with pytest.raises(OSError):
        resolve_cache(blocker / "sub" / "x.sqlite", default_on=True)  # named explicitly: an error


def _open_new(path: str) -> str | None:
    try:
        EmbeddingCache(path).close()
        return None
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which asserts there is none
        return f"{type(exc).__name__}: {exc}"


def test_many_processes_creating_one_new_cache_at_once_all_succeed(tmp_path):
    """Switching a new file to WAL mode needs it alone, and SQLite says "database is locked" at once instead of
    waiting: 3 of 480 opens failed so before the switch took the file lock and retried."""
    ctx = mp.get_context("fork")
    failures = []
    with ctx.Pool(8) as pool:
        for round_ in range(15):
            path = str(tmp_path / f"new{round_}.sqlite")
            failures += [r for r in pool.map(_open_new, [path] * 8) if r]
    assert failures == []
