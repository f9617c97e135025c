"""The on-disk model registry (issue 5): layout, refs, aliases, integrity, archives and the CLI.

Crash and concurrency tests live in test_registry_crash.py (marked slow).
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brandfit.errors import FormatVersionError, IntegrityError, OutputExistsError, UnknownRefError
from brandfit.registry import ModelRegistry, ModelVersion, parse_ref, validate_name
from brandfit.registry._names import validate_relpath

BAD_NAMES = [
    "../x", "/abs", "a/b", "..", ".", "", " topic", "topic ", "topic\n", "Topic", "tøpic", "topic\u200b",
    "topіc",  # Cyrillic i
    "_aliases", ".tmp", "-x", "1topic", "a" * 65, "latest", "a\\b", "c:", "x\x00",
]


def make_source(folder: Path, *, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    (folder / "heads").mkdir(parents=True)
    np.save(folder / "heads" / "topic.npy", rng.normal(size=(6, 8)).astype(np.float32))
    (folder / "model.json").write_text(json.dumps({"seed": seed}), encoding="utf-8")
    return folder


def make_version_source(folder: Path, *, seed: int = 0) -> Path:
    """A source holding only files a model version consists of (what an archive may carry)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    np.savez(folder / "heads.npz", topic=rng.normal(size=(6, 8)).astype(np.float32))
    (folder / "model.json").write_text(json.dumps({"seed": seed}), encoding="utf-8")
    return folder


@pytest.fixture
def reg(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return make_source(tmp_path / "src")


def publish(reg: ModelRegistry, src: Path, name: str = "topic", **metrics: float) -> ModelVersion:
    return reg.publish(name, src, metadata={"metrics": metrics or {"f1": 0.5}})


# ------------------------------------------------------------------------------------------- publish, list


def test_publish_writes_complete_version(reg: ModelRegistry, src: Path) -> None:
    mv = reg.publish(
        "topic", src,
        metadata={"metrics": {"f1": {"macro": np.float32(0.75)}, "nan": float("nan")}, "config": {"c": 1.0},
                  "dataset_hash": "abc", "embedding_model": "all-MiniLM-L6-v2", "embedding_dim": 384,
                  "labels": ("fitness", "other"), "backend": "torch"},
    )
    assert mv == ModelVersion("topic", 1, reg.root / "topic" / "1")
    assert mv.ref == "topic@1"
    files = sorted(p.relative_to(mv.path).as_posix() for p in mv.path.rglob("*") if p.is_file())
    assert files == ["README.md", "heads/topic.npy", "manifest.json", "metadata.json", "model.json"]
    manifest = json.loads((mv.path / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert sorted(manifest["files"]) == [f for f in files if f != "manifest.json"]
    meta = mv.metadata
    assert meta["name"] == "topic" and meta["version"] == 1 and meta["format_version"] == 1
    assert meta["metrics"] == {"f1": {"macro": pytest.approx(0.75)}, "nan": None}
    assert meta["labels"] == ["fitness", "other"] and meta["dataset_hash"] == "abc"
    assert meta["embedding_dim"] == 384 and meta["backend"] == "torch" and meta["config"] == {"c": 1.0}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*Z", meta["created_at"])
    assert {"python", "brandfit", "numpy"} <= set(meta["libraries"])
    assert "git_commit" in meta
    card = (mv.path / "README.md").read_text()
    assert card.startswith("# topic@1") and "f1.macro" in card and "abc" in card
    reg.verify("topic@1")
    assert not list((reg.root / ".tmp").iterdir())


def test_publish_does_not_import_torch(tmp_path: Path, src: Path) -> None:
    had_torch = "torch" in sys.modules
    ModelRegistry(tmp_path / "m").publish("topic", src, metadata={})
    assert had_torch or "torch" not in sys.modules


def test_git_commit_recorded_only_inside_a_repository(tmp_path: Path, src: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    mv = ModelRegistry(tmp_path / "m").publish("topic", src, metadata={})
    assert mv.metadata["git_commit"] is None
    repo = Path(__file__).resolve().parents[2]
    if not (repo / ".git").exists():
        pytest.skip("not run from a git checkout")
    monkeypatch.chdir(repo)
    mv = ModelRegistry(tmp_path / "m").publish("topic", src, metadata={})
    assert mv.metadata["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", mv.metadata["git_commit"])


def test_git_commit_says_when_the_checkout_differs_from_it(tmp_path: Path, src: Path, monkeypatch) -> None:
    """A model trained on uncommitted code or data records ``<commit>+dirty``: the commit alone cannot rebuild it."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (repo / "train.py").write_text("weights = 1\n")
    (repo / ".gitignore").write_text("registry/\n")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    head = git("rev-parse", "HEAD")
    monkeypatch.chdir(repo)
    reg = ModelRegistry(repo / "registry")  # ignored by git: publishing does not make the checkout dirty
    assert reg.publish("topic", src, metadata={}).metadata["git_commit"] == head
    (repo / "train.py").write_text("weights = 2\n")
    assert reg.publish("topic", src, metadata={}).metadata["git_commit"] == head + "+dirty"
    git("checkout", "-q", "train.py")
    (repo / "new_data.jsonl").write_text("{}\n")
    assert reg.publish("topic", src, metadata={}).metadata["git_commit"] == head + "+dirty"


def test_card_from_argument_or_source(reg: ModelRegistry, src: Path) -> None:
    assert (reg.publish("topic", src, metadata={}, card="# mine\n").path / "README.md").read_text() == "# mine\n"
    (src / "README.md").write_text("# from source\n")
    assert (reg.publish("topic", src, metadata={}).path / "README.md").read_text() == "# from source\n"
    with pytest.raises(ValueError, match="pass only one"):
        reg.publish("topic", src, metadata={}, card="# both")


def test_caller_provenance_is_kept_registry_keys_are_not(reg: ModelRegistry, src: Path) -> None:
    meta = reg.publish("topic", src, metadata={"created_at": "2020-01-01T00:00:00Z", "version": 99,
                                               "name": "other", "git_commit": "f" * 40}).metadata
    assert meta["created_at"] == "2020-01-01T00:00:00Z" and meta["git_commit"] == "f" * 40
    assert meta["version"] == 1 and meta["name"] == "topic"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [({"p": Path("x")}, "PosixPath|WindowsPath"), ({"m": {1: 2}}, "non-string key"), ([("a", 1)], "must be a dict")],
)
def test_publish_refuses_non_json_metadata(reg: ModelRegistry, src: Path, metadata, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reg.publish("topic", src, metadata=metadata)
    assert reg.list() == []


def test_publish_refuses_links_reserved_files_and_missing_source(reg: ModelRegistry, src: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("outside")
    os.symlink(tmp_path / "secret", src / "link.txt")
    with pytest.raises(ValueError, match="symbolic link"):
        reg.publish("topic", src, metadata={})
    (src / "link.txt").unlink()
    (src / "metadata.json").write_text("{}")
    with pytest.raises(ValueError, match="written by the registry"):
        reg.publish("topic", src, metadata={})
    with pytest.raises(NotADirectoryError):
        reg.publish("topic", tmp_path / "nope", metadata={})
    os.symlink(src, tmp_path / "src-link")
    with pytest.raises(NotADirectoryError):
        reg.publish("topic", tmp_path / "src-link", metadata={})
    (src / "metadata.json").unlink()
    with pytest.raises(ValueError, match="inside the source folder"):
        ModelRegistry(src / "models").publish("topic", src, metadata={})
    assert reg.list() == []


def test_model_version_is_a_frozen_value(version: ModelVersion) -> None:
    with pytest.raises(AttributeError):
        version.version = 2  # type: ignore[misc]
    assert version == ModelVersion("topic", 1, version.path) and len({version, version}) == 1


def test_versions_are_never_reused(reg: ModelRegistry, src: Path) -> None:
    assert [publish(reg, src).version for _ in range(3)] == [1, 2, 3]
    reg.delete("topic@3")
    reg.delete("topic@2")
    assert publish(reg, src).version == 4
    for ref in ("topic@1", "topic@4"):
        reg.delete(ref)
    with pytest.raises(UnknownRefError, match="no versions left"):
        reg.resolve("topic")
    assert publish(reg, src).version == 5
    assert [mv.ref for mv in reg.list()] == ["topic@5"]


def test_list_is_sorted_and_ignores_stale_and_foreign_entries(reg: ModelRegistry, src: Path) -> None:
    publish(reg, src, "tone")
    publish(reg, src, "topic")
    publish(reg, src, "tone")
    (reg.root / ".tmp" / "publish-1-dead").mkdir(parents=True)  # a killed build
    (reg.root / ".tmp" / "publish-1-dead" / "half.npy").write_bytes(b"\x93NUMPY")
    (reg.root / "topic" / "07").mkdir()
    (reg.root / "topic" / "notes").mkdir()
    (reg.root / "Stray").mkdir()
    (reg.root / "stray.txt").write_text("x")
    assert [mv.ref for mv in reg.list()] == ["tone@1", "tone@2", "topic@1"]
    assert ModelRegistry(reg.root / "missing").list() == []


# -------------------------------------------------------------------------------------------- refs, names


def test_resolve_grammar(reg: ModelRegistry, src: Path) -> None:
    for _ in range(3):
        publish(reg, src, "topic")
    publish(reg, src, "tone")
    reg.set_alias("production", "topic@2")
    root = reg.root
    assert reg.resolve("topic@1") == root / "topic" / "1"
    assert reg.resolve("topic") == reg.resolve("topic@latest") == root / "topic" / "3"
    assert reg.resolve("production") == root / "topic" / "2"
    assert reg.resolve("latest") == root / "tone" / "1"  # newest across all names
    assert reg.resolve_version("production") == ModelVersion("topic", 2, root / "topic" / "2")
    assert parse_ref("topic@3").version == 3 and parse_ref("topic").bare and parse_ref("latest").name is None


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_are_value_errors_everywhere(reg: ModelRegistry, src: Path, name: str) -> None:
    with pytest.raises(ValueError):
        validate_name(name)
    with pytest.raises(ValueError):
        reg.publish(name, src, metadata={})
    if name != "latest":
        with pytest.raises(ValueError):
            reg.resolve(name)
    with pytest.raises(ValueError):
        reg.set_alias(name, "topic@1")
    assert not any(p.name == "x" for p in reg.root.parent.rglob("x"))
    assert reg.list() == []


@pytest.mark.parametrize(
    "ref", ["topic@0", "topic@-1", "topic@x", "topic@", "@3", "topic@3@4", "topic@1.0", "topic@ 1", "latest@3",
            "topic@99999999999", "topic@\u0663", None, 3],
)
def test_bad_refs(reg: ModelRegistry, ref: object) -> None:
    with pytest.raises(ValueError):
        reg.resolve(ref)  # type: ignore[arg-type]


def test_not_a_key_error(reg: ModelRegistry) -> None:
    with pytest.raises(ValueError) as info:
        reg.resolve("../etc")
    assert not isinstance(info.value, LookupError)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=70))
def test_names_are_exactly_the_documented_grammar(text: str) -> None:
    ok = re.fullmatch(r"[a-z][a-z0-9_-]{0,63}", text) is not None and text != "latest"
    try:
        validate_name(text)
    except ValueError:
        assert not ok
    else:
        assert ok


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab./\\:\x00 é\u202e")), max_size=20))
def test_accepted_relpaths_stay_inside(text: str) -> None:
    try:
        parts = validate_relpath(text)
    except ValueError:
        return
    base = os.path.abspath("/base")
    assert os.path.normpath(os.path.join(base, *parts)).startswith(base + os.sep)
    assert ".." not in parts and not text.startswith("/")


def test_unknown_refs_list_what_exists(reg: ModelRegistry, src: Path) -> None:
    assert not reg.root.exists()  # the fixture's registry folder is made by the first publish
    with pytest.raises(UnknownRefError, match="registry folder .* does not exist"):
        reg.resolve("production")
    with pytest.raises(UnknownRefError):
        reg.resolve("latest")
    for _ in range(2):
        publish(reg, src, "topic")
    publish(reg, src, "tone")
    reg.set_alias("staging", "topic@2")
    for ref in ("production", "topic@7", "nope@latest"):
        with pytest.raises(LookupError) as info:
            reg.resolve(ref)
        assert isinstance(info.value, KeyError)
        message = str(info.value)
        assert "topic (versions 1, 2)" in message and "tone (versions 1)" in message
        assert "staging -> topic@2" in message


# ---------------------------------------------------------------------------------------- aliases, rollback


def test_aliases_history_and_rollback(reg: ModelRegistry, src: Path) -> None:
    for _ in range(3):
        publish(reg, src)
    with pytest.raises(LookupError, match="unknown alias 'production'"):
        reg.rollback()
    assert reg.promote("topic@1").ref == "topic@1"
    with pytest.raises(LookupError, match="no earlier target"):
        reg.rollback()
    reg.promote("topic@2")
    reg.promote("topic@2")  # no-op, not a history entry
    reg.set_alias("staging", "topic@3")
    reg.promote("staging")  # production -> what staging points to
    record = json.loads((reg.root / "_aliases" / "production.json").read_text())
    assert (record["name"], record["version"], record["history"]) == ("topic", 3, ["topic@1", "topic@2"])
    assert record["updated_at"].endswith("Z")
    assert reg.rollback().ref == "topic@2"
    assert reg.resolve("production") == reg.root / "topic" / "2"
    assert reg.rollback("production").ref == "topic@1"
    with pytest.raises(LookupError):
        reg.rollback()
    assert reg.aliases() == {"production": "topic@1", "staging": "topic@3"}
    assert reg.show("topic@3")["aliases"] == ["staging"]


def test_rollback_to_a_deleted_version_says_so(reg: ModelRegistry, src: Path) -> None:
    publish(reg, src)
    publish(reg, src)
    reg.promote("topic@1")
    reg.promote("topic@2")
    reg.delete("topic@1")
    with pytest.raises(LookupError, match="was deleted"):
        reg.rollback()
    assert reg.resolve("production") == reg.root / "topic" / "2"


def test_alias_to_missing_version_is_a_clear_error(reg: ModelRegistry, src: Path) -> None:
    publish(reg, src)
    with pytest.raises(UnknownRefError, match=r"topic@9 does not exist.*topic \(versions 1\)"):
        reg.set_alias("production", "topic@9")
    with pytest.raises(UnknownRefError, match="unknown model 'ghost'"):
        reg.promote("ghost@1")
    assert reg.aliases() == {}
    # an alias file left pointing at a version removed by hand
    reg.promote("topic@1")
    (reg.root / "topic" / "1").rename(reg.root / "elsewhere")
    with pytest.raises(UnknownRefError, match="alias 'production' points to topic@1, which does not exist"):
        reg.resolve("production")


def test_publish_sets_aliases_and_names_and_aliases_do_not_clash(reg: ModelRegistry, src: Path) -> None:
    mv = reg.publish("topic", src, metadata={}, aliases=["staging", "staging", "canary"])
    assert reg.aliases() == {"canary": "topic@1", "staging": "topic@1"}
    with pytest.raises(ValueError, match="already an alias"):
        reg.publish("staging", src, metadata={})
    with pytest.raises(ValueError, match="is a model name"):
        reg.set_alias("topic", mv.ref)
    with pytest.raises(ValueError, match="is a model name"):
        reg.publish("tone", src, metadata={}, aliases=["tone"])
    assert [v.ref for v in reg.list()] == ["topic@1"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_written_files_get_the_usual_mode_not_mkstemps_0600(reg: ModelRegistry, src: Path) -> None:
    """Alias files and manifests are written through a temp file; they must end up readable like any file
    (a registry shared by a team or served read-only), not owner-only as mkstemp creates them."""
    old = os.umask(0o022)
    try:
        mv = reg.publish("topic", src, metadata={}, aliases=["production"])
    finally:
        os.umask(old)
    written = [reg.root / "_aliases" / "production.json", mv.path / "manifest.json", mv.path / "metadata.json"]
    assert {f.name: oct(f.stat().st_mode & 0o777) for f in written} == {f.name: "0o644" for f in written}


def test_set_alias_refuses_a_corrupted_version(reg: ModelRegistry, src: Path) -> None:
    mv = publish(reg, src)
    (mv.path / "model.json").write_text('{"seed": 1}')
    with pytest.raises(IntegrityError, match="model.json"):
        reg.promote(mv.ref)
    assert reg.aliases() == {}


def test_corrupt_alias_file_is_an_integrity_error(reg: ModelRegistry, src: Path) -> None:
    publish(reg, src)
    reg.promote("topic@1")
    path = reg.root / "_aliases" / "production.json"
    path.write_text('{"name": "../../etc", "version": 1}')
    with pytest.raises(IntegrityError, match="production.json"):
        reg.resolve("production")
    path.write_text("{not json")
    with pytest.raises(IntegrityError, match="production.json"):
        reg.resolve("production")


# ---------------------------------------------------------------------------------- show, compare, delete, gc


def test_show_and_compare(reg: ModelRegistry, src: Path) -> None:
    reg.publish("topic", src, metadata={"metrics": {"f1": {"macro": 0.5, "fitness": 0.4}, "acc": 0.7, "note": "a"}})
    reg.publish("topic", src, metadata={"metrics": {"f1": {"macro": 0.75}, "ece": 0.1, "note": "b"}})
    reg.promote("topic@2")
    info = reg.show("production")
    assert info["ref"] == "topic@2" and info["aliases"] == ["production"] and info["path"].endswith("2")
    assert info["metrics"]["ece"] == 0.1
    result = reg.compare("topic@1", "production")
    assert result["a"] == "topic@1" and result["b"] == "topic@2"
    rows = result["metrics"]
    assert list(rows) == ["acc", "ece", "f1.fitness", "f1.macro", "note"]
    assert rows["f1.macro"] == {"a": 0.5, "b": 0.75, "delta": 0.25}
    assert rows["acc"] == {"a": 0.7, "b": None, "delta": None}
    assert rows["note"]["delta"] is None


def test_delete_refuses_alias_target(reg: ModelRegistry, src: Path) -> None:
    publish(reg, src)
    publish(reg, src)
    reg.promote("topic@1")
    reg.set_alias("staging", "topic@1")
    with pytest.raises(ValueError, match=r"aliases 'production', 'staging' point to it"):
        reg.delete("topic@1")
    reg.set_alias("staging", "topic@2")
    with pytest.raises(ValueError, match="alias 'production' points to it"):
        reg.delete("production")
    reg.set_alias("staging", "topic@1")
    assert reg.delete("topic@2").ref == "topic@2"
    assert not (reg.root / "topic" / "2").exists()
    with pytest.raises(UnknownRefError):
        reg.delete("topic@2")
    assert not list((reg.root / ".tmp").iterdir())


def test_gc_keeps_aliases_rollback_targets_and_newest(reg: ModelRegistry, src: Path) -> None:
    for _ in range(7):
        publish(reg, src)
    publish(reg, src, "tone")
    reg.promote("topic@1")
    reg.promote("topic@2")  # topic@1 becomes the rollback target
    reg.set_alias("staging", "topic@3")
    expected = [reg.root / "topic" / "4"]
    assert reg.gc(dry_run=True) == expected
    assert (reg.root / "topic" / "4").is_dir()
    assert reg.gc() == expected
    assert [mv.ref for mv in reg.list()] == ["tone@1"] + [f"topic@{v}" for v in (1, 2, 3, 5, 6, 7)]
    assert reg.gc(keep=1) == [reg.root / "topic" / v for v in ("5", "6")]
    with pytest.raises(ValueError):
        reg.gc(keep=-1)
    assert publish(reg, src).version == 8


def test_gc_removes_stale_builds_but_not_live_ones(reg: ModelRegistry, src: Path) -> None:
    publish(reg, src)
    stale = reg.root / ".tmp" / "publish-999-dead"
    (stale / "heads").mkdir(parents=True)
    (stale / "heads" / "x.npy").write_bytes(b"half")
    orphan_lock = reg.root / ".tmp" / "import-1-gone.lock"
    orphan_lock.write_text("")
    partial = reg.root / "_aliases" / ".production.json.abc.tmp"
    partial.parent.mkdir()
    partial.write_text("{")
    with reg._scratch("publish") as live:
        (live / "file").write_text("in progress")
        found = reg.gc(dry_run=True)
        assert set(found) == {stale, orphan_lock, partial}
        assert stale.exists() and partial.exists()
        assert set(reg.gc()) == {stale, orphan_lock, partial}
        assert live.exists() and not stale.exists() and not partial.exists()
    assert sorted(os.listdir(reg.root / ".tmp")) == []
    reg.verify("topic@1")


# ------------------------------------------------------------------------------------------------- verify


@pytest.fixture
def version(reg: ModelRegistry, src: Path) -> ModelVersion:
    return publish(reg, src)


def test_flipped_byte_in_head_file(reg: ModelRegistry, version: ModelVersion) -> None:
    head = version.path / "heads" / "topic.npy"
    data = bytearray(head.read_bytes())
    data[-3] ^= 0x01
    head.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"heads/topic\.npy: sha256 mismatch") as info:
        reg.verify("topic@1")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: (p / "model.json").unlink(), r"model\.json: listed in the manifest but missing"),
        (lambda p: (p / "extra.bin").write_bytes(b"x"), r"extra\.bin: not in the manifest"),
        (lambda p: (p / "heads" / "topic.npy").write_bytes(b""), r"topic\.npy: sha256 mismatch"),
        (lambda p: (p / "manifest.json").unlink(), "manifest is missing"),
        (lambda p: (p / "manifest.json").write_text("{oops"), "unreadable or tampered"),
        (lambda p: (p / "manifest.json").write_text("[]"), "not a JSON object"),
        (lambda p: _edit_manifest(p, lambda f: f.pop("model.json")), r"model\.json: not in the manifest"),
        (lambda p: _edit_manifest(p, lambda f: f.update({"ghost.npy": "0" * 64})), "ghost.npy: listed"),
        (lambda p: _edit_manifest(p, lambda f: f.update({"model.json": "0" * 64})), r"model\.json: sha256 mismatch"),
        (lambda p: _edit_manifest(p, lambda f: f.update({"model.json": "zz"})), "malformed"),
        (lambda p: _edit_manifest(p, lambda f: f.update({"../../etc/passwd": "0" * 64})), "tampered manifest"),
        (lambda p: _edit_manifest(p, lambda f: f.update({"/etc/passwd": "0" * 64})), "tampered manifest"),
        (lambda p: _edit_manifest(p, lambda f: f.clear()), "no 'files' table"),
        (lambda p: _relink(p / "model.json"), "symbolic link"),
        (lambda p: _edit_json(p / "metadata.json", version=2, rehash=True), "says topic@2 but lives in topic@1"),
    ],
)
def test_verify_refuses_damage(reg: ModelRegistry, version: ModelVersion, damage, message: str) -> None:
    damage(version.path)
    with pytest.raises(IntegrityError, match=message):
        reg.verify("topic@1")


def _edit_json(path: Path, *, rehash: bool = False, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))
    if rehash:
        from brandfit.registry._manifest import hash_file

        _edit_manifest(path.parent, lambda f: f.update({path.name: hash_file(path)}))


def _edit_manifest(folder: Path, change) -> None:
    data = json.loads((folder / "manifest.json").read_text())
    change(data["files"])
    (folder / "manifest.json").write_text(json.dumps(data))


def _relink(path: Path) -> None:
    target = path.with_name("real.json")
    path.rename(target)
    os.symlink(target, path)


def test_newer_format_says_upgrade(reg: ModelRegistry, version: ModelVersion) -> None:
    _edit_json(version.path / "manifest.json", format_version=2)
    with pytest.raises(FormatVersionError, match=r"newer brandfit \(format 2 > 1\); upgrade brandfit"):
        reg.verify("topic@1")
    _edit_json(version.path / "manifest.json", format_version=1)
    _edit_json(version.path / "metadata.json", format_version=3)
    with pytest.raises(FormatVersionError, match="metadata.json was written by a newer brandfit"):
        reg.show("topic@1")
    with pytest.raises(FormatVersionError):
        _ = version.metadata


# ------------------------------------------------------------------------------------------ export, import


def test_export_import_round_trip(reg: ModelRegistry, tmp_path: Path) -> None:
    src = make_version_source(tmp_path / "vsrc")
    original = reg.publish("topic", src, metadata={"metrics": {"f1": 0.9}, "dataset_hash": "d1"})
    archive = reg.export("topic@1", tmp_path / "out" / "topic.tar.gz")
    assert archive.is_file()
    mask = os.umask(0o022)
    os.umask(mask)
    assert archive.stat().st_mode & 0o777 == 0o666 & ~mask  # as any other output, not mkstemp's 0600
    again = reg.export("topic@1", tmp_path / "out")
    assert again.name == "topic-1.tar.gz" and again.read_bytes() == archive.read_bytes()  # reproducible
    again.write_bytes(b"keep me")
    with pytest.raises(OutputExistsError, match="already exists"):
        reg.export("topic@1", tmp_path / "out")
    assert again.read_bytes() == b"keep me"
    assert reg.export("topic@1", tmp_path / "out", overwrite=True).read_bytes() == archive.read_bytes()

    other = ModelRegistry(tmp_path / "other")
    imported = other.import_archive(archive)
    assert imported.ref == "topic@1"
    other.verify(imported.ref)
    for rel in ("heads.npz", "model.json", "README.md"):
        assert (imported.path / rel).read_bytes() == (original.path / rel).read_bytes()
    meta, old = imported.metadata, original.metadata
    assert meta["imported_from"]["ref"] == "topic@1" and len(meta["imported_from"]["archive_sha256"]) == 64
    assert (meta["created_at"], meta["libraries"], meta["dataset_hash"]) == (
        old["created_at"], old["libraries"], "d1")
    assert reg.import_archive(archive).ref == "topic@2"  # never overwrites: always a new version
    assert reg.import_archive(archive, name="tone").ref == "tone@1"
    with pytest.raises(ValueError):
        reg.import_archive(archive, name="../x")
    assert not list((reg.root / ".tmp").iterdir())


def test_export_refuses_corrupted_version(reg: ModelRegistry, version: ModelVersion, tmp_path: Path) -> None:
    (version.path / "model.json").write_text("{}")
    with pytest.raises(IntegrityError):
        reg.export("topic@1", tmp_path / "x.tar.gz")
    assert not (tmp_path / "x.tar.gz").exists()


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, **attrs) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in attrs.items():
        setattr(info, key, value)
    return info


def _valid_members(reg: ModelRegistry, src: Path, tmp_path: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    scratch = ModelRegistry(tmp_path / "scratch")
    archive = scratch.export(publish(scratch, make_version_source(tmp_path / "vsrc")).ref, tmp_path / "ok.tar.gz")
    with tarfile.open(archive) as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]


@pytest.mark.parametrize(
    ("evil", "message"),
    [
        ([(_member("../evil"), b"x")], "'..'"),
        ([(_member("topic-1/../../evil"), b"x")], "'..'"),
        ([(_member("/tmp/evil-abs"), b"x")], "absolute"),
        ([(_member("topic-1/link", tarfile.SYMTYPE, linkname="/etc/passwd"), None)], "symbolic link"),
        ([(_member("topic-1/hard", tarfile.LNKTYPE, linkname="topic-1/model.json"), None)], "hard link"),
        ([(_member("topic-1/dev", tarfile.CHRTYPE, devmajor=1, devminor=3), None)], "device"),
        ([(_member("topic-1/fifo", tarfile.FIFOTYPE), None)], "FIFO"),
        ([(_member("topic-1/model.json"), b"{}")], "appears twice"),
        ([(_member("topic-1/a\\..\\evil"), b"x")], "not allowed"),
        ([(_member("README.md"), b"x" * 200_000)], "more than"),
        ([(_member("topic-1/big.bin"), b"x")], "not a file of a model version"),
        ([(_member("topic-1/evil.pkl"), b"cos\nsystem\n")], "not a file of a model version"),
        ([(_member("topic-1/__init__.py"), b"import os")], "not a file of a model version"),
    ],
)
def test_import_refuses_hostile_archives(reg: ModelRegistry, src: Path, tmp_path: Path, evil, message: str) -> None:
    members = _valid_members(reg, src, tmp_path)
    archive = _tar(tmp_path / "evil.tar.gz", members[:2] + evil + members[2:])
    guarded = ModelRegistry(tmp_path / "models", max_archive_bytes=100_000)
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(ValueError, match=message):
        guarded.import_archive(archive)
    assert guarded.list() == []
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil-abs").exists()
    after = sorted(p for p in tmp_path.rglob("*") if ".tmp" not in p.parts and p.name != ".lock")
    assert set(after) - set(before) <= {tmp_path / "models", tmp_path / "models" / ".tmp"}
    assert not list((tmp_path / "models" / ".tmp").iterdir())


def test_import_refuses_tampered_or_foreign_archives(reg: ModelRegistry, src: Path, tmp_path: Path) -> None:
    members = _valid_members(reg, src, tmp_path)
    tampered = [(m, b"{}" if m.name.endswith("model.json") else d) for m, d in members]
    with pytest.raises(IntegrityError, match=r"model\.json: sha256 mismatch"):
        reg.import_archive(_tar(tmp_path / "t.tar.gz", tampered))
    no_manifest = [(m, d) for m, d in members if not m.name.endswith("manifest.json")]
    with pytest.raises(ValueError, match="not a brandfit model archive"):
        reg.import_archive(_tar(tmp_path / "n.tar.gz", no_manifest))
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive at all")
    with pytest.raises(ValueError, match="not a tar archive|corrupt"):
        reg.import_archive(tmp_path / "junk.tar.gz")
    truncated = (tmp_path / "ok.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(truncated[: len(truncated) // 2])
    with pytest.raises(ValueError):
        reg.import_archive(tmp_path / "cut.tar.gz")
    assert reg.list() == []


# ---------------------------------------------------------------------------------------------------- CLI


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from brandfit.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_round_trip(reg: ModelRegistry, tmp_path: Path, capsys) -> None:
    src = make_version_source(tmp_path / "vsrc")  # exported and imported below: only model-version files
    r = ["models", "--registry", str(reg.root)]
    assert run_cli(capsys, *r, "list")[1].startswith("no models")
    reg.publish("topic", src, metadata={"metrics": {"f1": 0.5}})
    reg.publish("topic", src, metadata={"metrics": {"f1": 0.75}})
    assert run_cli(capsys, *r, "promote", "topic@1")[1].strip() == "production -> topic@1"
    assert run_cli(capsys, *r, "alias", "staging", "topic@2")[1].strip() == "staging -> topic@2"
    assert run_cli(capsys, *r, "promote", "staging", "--alias", "production")[0] == 0
    code, out, _ = run_cli(capsys, *r, "list")
    assert code == 0 and re.search(r"topic@2\s+production, staging\s+\d{4}-\d\d-\d\d \d\d:\d\d", out), out
    listed = json.loads(run_cli(capsys, *r, "list", "--json")[1])
    assert [e["ref"] for e in listed] == ["topic@1", "topic@2"]
    assert run_cli(capsys, *r, "resolve", "production")[1].strip() == str(reg.root / "topic" / "2")
    assert json.loads(run_cli(capsys, *r, "show", "production", "--json")[1])["version"] == 2
    assert re.search(r"aliases\s+production, staging", run_cli(capsys, *r, "show", "topic@2")[1])
    code, out, _ = run_cli(capsys, *r, "compare", "topic@1", "topic@2", "--full")
    assert re.search(r"f1\s+0\.5\s+0\.75\s+0\.25", out), out
    assert json.loads(run_cli(capsys, *r, "compare", "topic@1", "topic@2", "--full", "--json")[1])["b"] == "topic@2"
    assert "topic@1 (rolled back)" in run_cli(capsys, *r, "rollback")[1]
    archive = tmp_path / "t.tar.gz"
    assert run_cli(capsys, *r, "export", "topic@2", "-o", str(archive))[0] == 0
    assert "as tone@1" in run_cli(capsys, *r, "import", str(archive), "--name", "tone")[1]
    code, out, _ = run_cli(capsys, *r, "verify", "--all")
    assert code == 0 and out.count("ok") == 5 and "ok      alias production" in out  # 3 versions, 2 aliases
    code, _, err = run_cli(capsys, *r, "delete", "topic@1")
    assert code == 2 and "production" in err
    assert run_cli(capsys, *r, "delete", "tone@1")[1].strip() == "deleted tone@1"
    code, out, _ = run_cli(capsys, *r, "gc", "--dry-run", "--keep", "0")
    assert code == 0 and "0 would be removed" in out  # both topic versions are alias targets


def test_cli_errors_and_exit_codes(reg: ModelRegistry, version: ModelVersion, capsys, monkeypatch) -> None:
    r = ["models", "--registry", str(reg.root)]
    code, _, err = run_cli(capsys, *r, "resolve", "nope")
    assert code == 2 and err.startswith("brandfit: error: unknown model or alias 'nope'") and "topic" in err
    assert err.count("\n") == 1
    code, _, err = run_cli(capsys, *r, "resolve", "../etc")
    assert code == 2 and "invalid" in err
    assert run_cli(capsys, *r, "verify", "topic@1")[0] == 0
    (version.path / "heads" / "topic.npy").write_bytes(b"tampered")
    code, out, err = run_cli(capsys, *r, "verify", "topic@1")
    assert code == 1 and "FAILED" in out and "topic.npy" in out
    assert run_cli(capsys, *r, "verify", "--all")[0] == 1
    assert run_cli(capsys, *r, "rollback")[0] == 2
    with pytest.raises(SystemExit) as info:
        run_cli(capsys, *r, "verify")
    assert info.value.code == 2
    monkeypatch.setenv("BRANDFIT_REGISTRY", str(reg.root))
    assert run_cli(capsys, "models", "resolve", "topic")[1].strip() == str(version.path)
