"""Issue "No single input kills, hangs or floods a job": the registry's archive importer and JSON readers refuse
hostile input with one clear error, within small caps, without writing past them."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import tarfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from brandfit.errors import BrandfitError, IntegrityError
from brandfit.registry import ModelRegistry

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "src" / "brandfit" / "bundled" / "registry"
BUNDLED_VERSION = next((BUNDLED / "relevance").iterdir())  # the one bundled version
VERSION_FILES = sorted(p.name for p in BUNDLED_VERSION.iterdir())


@contextmanager
def time_limit(seconds: float):
    """Fail (instead of hanging) when the body runs longer than ``seconds``."""
    def _alarm(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class _Zeros(io.RawIOBase):
    """``n`` zero bytes, streamed (never held in memory)."""

    def __init__(self, n: int) -> None:
        self.left = n

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def make_archive(path: Path, members: dict[str, bytes | int], *, pax: dict[str, str] | None = None) -> Path:
    """A .tar.gz holding ``members`` (bytes, or an int: that many zero bytes, streamed)."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                if pax:
                    info.pax_headers = dict(pax)
                if isinstance(data, int):
                    info.size = data
                    tar.addfile(info, io.BufferedReader(_Zeros(data), 1 << 20))
                else:
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return path


def version_members(root: str = "relevance-3") -> dict[str, bytes | int]:
    return {f"{root}/{n}": (BUNDLED_VERSION / n).read_bytes() for n in VERSION_FILES}


def written(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


@pytest.fixture()
def registry(tmp_path):
    return ModelRegistry(tmp_path / "models")


def test_a_good_archive_imports(tmp_path, registry):
    mv = registry.import_archive(make_archive(tmp_path / "ok.tar.gz", version_members()))
    assert mv.ref == "relevance@1"


def test_gzip_bomb_is_refused_without_writing_past_the_cap(tmp_path):
    from brandfit.registry._archive import DEFAULT_MAX_BYTES, safe_extract

    members = version_members()
    members["relevance-3/heads.npz"] = 200 * 1024**2  # 200 MB of zeros, ~200 kB compressed
    bomb = make_archive(tmp_path / "bomb.tar.gz", members)
    assert bomb.stat().st_size < 2 * 1024**2
    dest = tmp_path / "x"
    with time_limit(20), pytest.raises(BrandfitError, match="refusing"):
        safe_extract(bomb, dest)
    assert written(dest) <= DEFAULT_MAX_BYTES
    assert DEFAULT_MAX_BYTES <= 64 * 1024**2


def test_total_size_cap_stops_between_members(tmp_path):
    from brandfit.registry._archive import safe_extract

    cap = 1024**2
    members = {"v/heads.npz": 800 * 1024, "v/model.json": 800 * 1024, "v/manifest.json": b"{}"}
    dest = tmp_path / "x"
    with pytest.raises(BrandfitError, match=f"more than {cap} bytes"):
        safe_extract(make_archive(tmp_path / "two.tar.gz", members), dest, max_bytes=cap)
    assert written(dest) <= cap


def test_extended_header_over_the_cap_is_refused(tmp_path):
    from brandfit.registry._archive import safe_extract

    archive = make_archive(tmp_path / "pax.tar.gz", {"v/model.json": b"{}"}, pax={"comment": "x" * 200_000})
    with pytest.raises(BrandfitError, match="extended header"):
        safe_extract(archive, tmp_path / "x")


def test_member_count_cap(tmp_path):
    from brandfit.registry._archive import DEFAULT_MAX_MEMBERS, safe_extract

    path = tmp_path / "many.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for i in range(DEFAULT_MAX_MEMBERS + 5):
            info = tarfile.TarInfo(f"v/d{i}")
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
    with pytest.raises(BrandfitError, match=f"more than {DEFAULT_MAX_MEMBERS} members"):
        safe_extract(path, tmp_path / "x")


@pytest.mark.parametrize("extra", ["evil.pkl", "__init__.py", "sub/model.json"])
def test_an_archive_with_a_file_a_version_does_not_hold_is_refused(tmp_path, registry, extra):
    members = version_members()
    members[f"relevance-3/{extra}"] = b"cos\nsystem\n(S'echo pwned'\ntR."
    archive = make_archive(tmp_path / "extra.tar.gz", members)
    with pytest.raises(BrandfitError, match="not a file of a model version"):
        registry.import_archive(archive)
    assert registry.list() == []


def test_dev_zero_is_refused_quickly(registry):
    with time_limit(5), pytest.raises(BrandfitError, match="regular"):
        registry.import_archive("/dev/zero")


def test_a_fifo_is_refused_without_blocking(tmp_path, registry):
    fifo = tmp_path / "m.tar.gz"
    os.mkfifo(fifo)
    with time_limit(5), pytest.raises(BrandfitError, match="FIFO"):
        registry.import_archive(fifo)


# --- registry JSON files ----------------------------------------------------------------------------------
@pytest.fixture()
def published(tmp_path, registry):
    mv = registry.import_archive(make_archive(tmp_path / "ok.tar.gz", version_members()))
    registry.set_alias("production", mv.ref)
    return registry, mv


@pytest.mark.parametrize("content", [b"[" * 100_000, b'{"format_version": ' + b"1" * 5000 + b"}", b"\xff\xfe{}",
                                     b'{"name": "relevance", "version": ' + b"9" * 5000 + b', "format_version": 1}'])
def test_broken_alias_file_is_an_integrity_error_naming_it(published, content):
    registry, _ = published
    path = registry.root / "_aliases" / "production.json"
    path.write_bytes(content)
    with pytest.raises(IntegrityError, match="production.json"):
        registry.aliases()
    with pytest.raises(IntegrityError, match="production.json"):
        registry.resolve("production")


@pytest.mark.parametrize("content", [b"[" * 100_000, b'{"format_version": ' + b"1" * 5000 + b"}", b"\xff{}"])
def test_broken_metadata_is_an_integrity_error_naming_it(published, content):
    _, mv = published
    (mv.path / "metadata.json").chmod(0o644)
    (mv.path / "metadata.json").write_bytes(content)
    with pytest.raises(IntegrityError, match="metadata.json"):
        mv.metadata


def test_verify_all_checks_alias_files(published, capsys):
    from brandfit.cli import main

    registry, _ = published
    assert main(["models", "--registry", str(registry.root), "verify", "--all"]) == 0
    assert "ok      alias production" in capsys.readouterr().out
    (registry.root / "_aliases" / "staging.json").write_bytes(b"[" * 100_000)
    assert main(["models", "--registry", str(registry.root), "verify", "--all"]) == 1
    out = capsys.readouterr().out
    assert "FAILED  alias staging" in out and "staging.json" in out
    (registry.root / "_aliases" / "staging.json").write_text(json.dumps(
        {"name": "relevance", "version": 99, "history": [], "format_version": 1}))
    assert main(["models", "--registry", str(registry.root), "verify", "--all"]) == 1
    assert "relevance@99, which does not exist" in capsys.readouterr().out
