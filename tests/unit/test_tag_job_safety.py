"""The batch job's edges (review s36/batchrev): the final output and errors file replace the old ones together
(H1), stale temporary files are cleaned (M5), a full disk is one line and stays resumable (H4), a bad or unreachable
Ray address fails fast with one line and leaves no checkpoint (H2, H3), files the reader skips are recorded (M1,
M2), `brandfit cache` with no action works (H5), and nothing tagged is said (L9).

Then review s36 (today's changes): the order test checks what the final write guarantees and is shown to fail on
the old order (M3); the hint of a write error fits its kind and offers --resume only when a checkpoint is left
(L3); an abandoned ray.init is shut down if it connects late and blocks a second job meanwhile (L6); rank sets
aside the folder entries it does not read, as tag does (L9); a broken symbolic link has its own reason (L10)."""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import brandfit.tagging as tagging
from brandfit.cli import main
from brandfit.tagging import errors_path_for, tag_files
from brandfit.tagging._checkpoint import STATE_FILE, Checkpoint, WriteError, parts_dir_for

TOPIC = "fitness"


def _accounts(path: Path, ids, *, bad: int = 0) -> Path:
    lines = [json.dumps({"account_id": i, "bio": f"trail runner {i}", "posts": [f"gym day {i}", "protein shake"]})
             for i in ids]
    lines += [json.dumps({"account_id": f"bad{k}", "bio": "x", "followers": "lots"}) for k in range(bad)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tag(inp, out, model, **kw):
    kw.setdefault("show_progress_bar", False)
    kw.setdefault("cache", False)
    return tag_files(inp, out, TOPIC, model=model, **kw)


def _rows(path: Path) -> list[dict]:
    rows = pq.read_table(path).to_pylist()
    for r in rows:
        r.pop("run_id")
    return rows


def _cli_model(monkeypatch, fake_model) -> None:
    monkeypatch.setattr(tagging, "load_model", lambda *a, **k: fake_model)


# --- H1: output and errors file replace the old ones together ------------------------------------------------
def test_a_crash_while_writing_the_output_leaves_the_old_output_and_the_old_errors_file(tmp_path, fake_model,
                                                                                        monkeypatch):
    out = tmp_path / "out" / "tags.parquet"
    inp = _accounts(tmp_path / "in" / "a.jsonl", ["a1", "a2", "a3"], bad=1)
    _tag(inp, out, fake_model)
    old_out, old_err = out.read_bytes(), errors_path_for(out).read_bytes()
    _accounts(inp, ["b1", "b2"], bad=3)  # the next day's file: other accounts, other bad rows

    from brandfit.tagging import _output

    real = _output._write_into

    def killed_midway(path, tables, *a, **k):
        real(path, list(tables)[:1], *a, **k)  # part of the output is on disk ...
        raise KeyboardInterrupt  # ... when the job is stopped

    monkeypatch.setattr(_output, "_write_into", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        _tag(inp, out, fake_model, overwrite=True, chunk_size=1)
    assert out.read_bytes() == old_out and errors_path_for(out).read_bytes() == old_err  # both old
    assert not list(out.parent.glob(".tags.parquet.*.tmp"))  # the staged output is removed on the way out
    monkeypatch.setattr(_output, "_write_into", real)
    summary = _tag(inp, out, fake_model, resume=True, chunk_size=1)
    assert summary.accounts_tagged == 2 and summary.rows_set_aside == 3  # both new
    assert len(errors_path_for(out).read_text().splitlines()) == 3
    assert {r["account_id"] for r in _rows(out)} == {"b1", "b2"}


def _watch_the_final_renames(out: Path, monkeypatch) -> list[dict]:
    """Spy on every rename and fsync of a tag job writing ``out``. At each rename, record what is then beside
    ``out``: the staged outputs (``.NAME.XXXXXXXX.tmp``), their sizes, and whether each was fsync-ed already."""
    from brandfit._atomic import temp_name_pattern

    pattern = temp_name_pattern(out)
    synced: set[tuple[int, int]] = set()  # (st_dev, st_ino) of every file fsync-ed so far
    real_fsync, real_replace = os.fsync, os.replace
    renames: list[dict] = []

    def fsync_spy(fd):
        real_fsync(fd)
        st = os.fstat(fd)
        synced.add((st.st_dev, st.st_ino))

    def replace_spy(src, dst):
        staged = {}
        for p in out.parent.iterdir():
            if pattern.fullmatch(p.name):
                st = p.stat()
                staged[p.name] = {"size": st.st_size, "synced": (st.st_dev, st.st_ino) in synced}
        renames.append({"src": Path(src).name, "dst": Path(dst).name, "staged": staged})
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync_spy)
    monkeypatch.setattr(os, "replace", replace_spy)
    return renames


def _check_the_output_was_complete_before_the_errors_file_moved(out: Path, renames: list[dict]) -> None:
    """What the final write guarantees: when the errors file is renamed into place, the new output is already
    complete beside it (staged, fsync-ed, at its final size), and the very next rename puts that file in place."""
    (i,) = [k for k, r in enumerate(renames) if r["dst"] == errors_path_for(out).name]
    assert renames[i + 1:] and renames[i + 1]["dst"] == out.name, "the output is renamed right after the errors file"
    staged_name = renames[i + 1]["src"]
    staged = renames[i]["staged"].get(staged_name)
    assert staged is not None, "the output was not yet staged when the errors file was renamed"
    assert staged["synced"], "the staged output was not fsync-ed before the errors file was renamed"
    assert staged["size"] == out.stat().st_size, "the staged output was not complete when the errors file was renamed"
    assert not parts_dir_for(out).exists()


def test_the_output_is_complete_and_fsynced_before_the_errors_file_is_renamed(tmp_path, fake_model, monkeypatch):
    out = tmp_path / "tags.parquet"
    inp = _accounts(tmp_path / "in" / "a.jsonl", [f"a{i}" for i in range(5)], bad=1)
    renames = _watch_the_final_renames(out, monkeypatch)
    _tag(inp, out, fake_model, chunk_size=2)
    _check_the_output_was_complete_before_the_errors_file_moved(out, renames)


def test_the_order_check_above_fails_on_the_old_final_write(tmp_path, fake_model, monkeypatch):
    """The check of the test above would catch a revert: the final write before the fix (e72cf85) moved the
    errors file into place first and only then wrote the output (a temporary file, then renamed). Rebuilt here
    from today's helpers, in that old order, the check fails."""
    from brandfit._atomic import fsync_dir, fsync_file
    from brandfit.tagging._output import SCHEMA, TopAccounts, write_tables

    def old_run_and_finish(files, ckpt, m, brand, output, fmt, *, engine, chunk_size, show_progress_bar,
                           ray_address, ray_concurrency, emb_cache, top, unread=()):
        try:
            already = ckpt.accounts_done
            n_chunks, n_errors = tagging._run(files, ckpt, m, brand, engine=engine, chunk_size=chunk_size,
                                              already=already, show_progress_bar=show_progress_bar,
                                              ray_address=ray_address, ray_concurrency=ray_concurrency,
                                              cache=emb_cache, unread=unread)
            errors_path = errors_path_for(output)
            fsync_file(ckpt.errors_path)  # the old move_into_place: the errors file goes first ...
            os.replace(ckpt.errors_path, errors_path)
            fsync_dir(errors_path.parent)
            best = TopAccounts(top)
            parts = ckpt.completed_parts(n_chunks)  # ... and only then is the output written (old write_final)
            n_rows = write_tables((pq.read_table(p, schema=SCHEMA) for p in parts), output, fmt, on_table=best)
            ckpt.remove()
        finally:
            ckpt.close()
        return already, n_rows, n_errors, errors_path, best

    monkeypatch.setattr(tagging, "_run_and_finish", old_run_and_finish)
    out = tmp_path / "tags.parquet"
    inp = _accounts(tmp_path / "in" / "a.jsonl", [f"a{i}" for i in range(5)], bad=1)
    renames = _watch_the_final_renames(out, monkeypatch)
    _tag(inp, out, fake_model, chunk_size=2)
    assert [r["dst"] for r in renames[-2:]] == [errors_path_for(out).name, out.name]  # the order the old test checked
    with pytest.raises(AssertionError, match="not yet staged"):
        _check_the_output_was_complete_before_the_errors_file_moved(out, renames)


# --- M5: stale temporary files of this output, and only those, are removed -------------------------------------
@pytest.mark.parametrize("mode", ["resume", "overwrite"])
def test_resume_and_overwrite_remove_the_temporary_files_an_interrupted_write_left(tmp_path, fake_model, mode):
    out = tmp_path / "tags.csv"
    inp = _accounts(tmp_path / "in" / "a.jsonl", ["a1", "a2"])
    if mode == "overwrite":
        _tag(inp, out, fake_model)
    stale = [tmp_path / ".tags.csv.k3j_h5g6.tmp", tmp_path / ".tags.csv.abcdefgh.tmp"]
    others = [tmp_path / ".other.csv.abcdefgh.tmp", tmp_path / ".tags.csv.notes.tmp", tmp_path / "tags.csv.abcdefgh.tmp",
              tmp_path / ".tags.csv.errors.jsonl.abcdefgh.tmp", tmp_path / ".tags.csv.abcdefgh.tmp.bak"]
    for p in stale + others:
        p.write_text("x")
    _tag(inp, out, fake_model, **{mode: True})
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in others)


def test_a_plain_run_leaves_temporary_files_alone(tmp_path, fake_model):
    out = tmp_path / "tags.csv"
    stale = tmp_path / ".tags.csv.abcdefgh.tmp"
    stale.write_text("x")
    _tag(_accounts(tmp_path / "in" / "a.jsonl", ["a1"]), out, fake_model)
    assert stale.exists()


# --- H4: a full disk ---------------------------------------------------------------------------------------------
def test_a_full_disk_while_writing_a_part_is_one_line_and_the_job_resumes(tmp_path, fake_model, monkeypatch, capsys):
    from brandfit.tagging import _local

    ids = [f"a{i}" for i in range(7)]
    inp = _accounts(tmp_path / "in" / "a.jsonl", ids)
    ref = tmp_path / "ref.parquet"
    _tag(inp, ref, fake_model, chunk_size=2)

    out = tmp_path / "out" / "tags.parquet"
    real = _local.write_part
    calls = []

    def full_disk(path, table):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")  # as the OS says it: no file name
        real(path, table)

    monkeypatch.setattr(_local, "write_part", full_disk)
    _cli_model(monkeypatch, fake_model)
    argv = ["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--chunk-size", "2", "--no-cache", "--no-progress"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("brandfit: error: ") and "no space left on device" in err and "--resume" in err
    assert str(parts_dir_for(out) / "part-000002.parquet") in err
    state = json.loads((parts_dir_for(out) / STATE_FILE).read_text())
    assert sorted(state["completed"]) == ["0", "1"]  # state.json names only the parts on disk
    assert not list(parts_dir_for(out).glob(".*.tmp"))

    monkeypatch.setattr(_local, "write_part", real)
    assert main(argv + ["--resume"]) == 0
    assert _rows(out) == _rows(ref)  # same scores as an uninterrupted run


def test_a_full_disk_while_saving_state_json_keeps_the_previous_one(tmp_path, fake_model, monkeypatch):
    inp = _accounts(tmp_path / "in" / "a.jsonl", [f"a{i}" for i in range(5)])
    out = tmp_path / "tags.parquet"
    real = Checkpoint._save
    n = []

    def flaky(self):
        n.append(1)
        if len(n) == 3:  # the first save starts the checkpoint, the second names chunk 0
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self)

    monkeypatch.setattr(Checkpoint, "_save", flaky)
    with pytest.raises(WriteError, match="no space left on device while saving the checkpoint") as exc:
        _tag(inp, out, fake_model, chunk_size=2)
    assert exc.value.errno == errno.ENOSPC and exc.value.filename == str(parts_dir_for(out) / STATE_FILE)
    state = json.loads((parts_dir_for(out) / STATE_FILE).read_text())
    assert list(state["completed"]) == ["0"]
    monkeypatch.setattr(Checkpoint, "_save", real)
    assert _tag(inp, out, fake_model, chunk_size=2, resume=True).accounts_tagged == 5


def test_a_full_disk_before_any_work_leaves_no_checkpoint(tmp_path, fake_model, monkeypatch):
    inp = _accounts(tmp_path / "in" / "a.jsonl", ["a1"])
    out = tmp_path / "tags.parquet"
    monkeypatch.setattr(Checkpoint, "_save", lambda self: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    with pytest.raises(WriteError, match="no space left on device while starting the checkpoint"):
        _tag(inp, out, fake_model)
    assert not parts_dir_for(out).exists()


def test_a_full_disk_while_writing_the_output_keeps_the_checkpoint(tmp_path, fake_model, monkeypatch):
    from brandfit.tagging import _output

    inp = _accounts(tmp_path / "in" / "a.jsonl", ["a1", "a2"])
    out = tmp_path / "tags.jsonl"

    def full(*a, **k):
        raise OSError("IOError: [Errno 28] No space left on device")  # pyarrow's way: no errno attribute set

    monkeypatch.setattr(_output, "_write_into", full)
    with pytest.raises(WriteError, match=r"tags.jsonl: no space left on device while writing the output.*--resume"):
        _tag(inp, out, fake_model)
    assert (parts_dir_for(out) / STATE_FILE).exists() and not out.exists()
    assert not list(tmp_path.glob(".tags.jsonl.*.tmp"))


# --- L3: the hint fits the error, and --resume is offered only when a checkpoint is left ----------------------
def _failing_part_write(monkeypatch, exc: OSError, *, at: int):
    from brandfit.tagging import _local

    real, calls = _local.write_part, []

    def write_part(path, table):
        calls.append(path)
        if len(calls) == at:
            raise exc
        real(path, table)

    monkeypatch.setattr(_local, "write_part", write_part)


@pytest.mark.parametrize("code, says, never", [
    (errno.EACCES, "make that folder writable", "free some space"),
    (errno.EROFS, "make that folder writable", "free some space"),
    (errno.EDQUOT, "free some space", "writable"),
    (errno.EIO, "fix the cause", "free some space"),
])
def test_the_hint_fits_the_kind_of_error(tmp_path, fake_model, monkeypatch, code, says, never):
    inp = _accounts(tmp_path / "in" / "a.jsonl", [f"a{i}" for i in range(5)])
    out = tmp_path / "tags.parquet"
    _failing_part_write(monkeypatch, OSError(code, os.strerror(code)), at=2)  # chunk 0 is done and kept
    with pytest.raises(WriteError) as exc:
        _tag(inp, out, fake_model, chunk_size=2)
    msg = str(exc.value)
    assert says in msg and never not in msg and msg.endswith("run the same command again with --resume")
    assert "the chunks already done are kept" in msg and (parts_dir_for(out) / STATE_FILE).exists()


def test_no_resume_is_offered_when_the_first_chunk_fails_and_no_checkpoint_is_left(tmp_path, fake_model,
                                                                                   monkeypatch, capsys):
    inp = _accounts(tmp_path / "in" / "a.jsonl", [f"a{i}" for i in range(5)])
    out = tmp_path / "tags.parquet"
    _cli_model(monkeypatch, fake_model)
    _failing_part_write(monkeypatch, OSError(errno.ENOSPC, "No space left on device"), at=1)
    argv = ["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--no-cache", "--chunk-size", "2"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no space left on device while writing the checkpoint" in err
    assert "--resume" not in err and "kept" in err and err.endswith(
        "nothing was kept: free some space, then run the same command again")
    assert not parts_dir_for(out).exists()  # so a plain run is what works now
    monkeypatch.undo()
    _cli_model(monkeypatch, fake_model)
    assert main(argv) == 0


def test_a_permission_error_on_the_output_keeps_the_checkpoint_and_says_so(tmp_path, fake_model, monkeypatch):
    from brandfit.tagging import _output

    inp = _accounts(tmp_path / "in" / "a.jsonl", ["a1", "a2"])
    out = tmp_path / "tags.csv"

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(_output, "_write_into", denied)
    with pytest.raises(WriteError, match=r"tags.csv: Permission denied while writing the output; the chunks already "
                                         r"done are kept: make that folder writable, then .* --resume$"):
        _tag(inp, out, fake_model)
    assert (parts_dir_for(out) / STATE_FILE).exists()


# --- H2 / H3: the Ray address --------------------------------------------------------------------------------------
def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("how", ["env", "arg"])
def test_a_malformed_ray_address_is_one_line_and_leaves_no_checkpoint(tmp_path, fake_model, monkeypatch, capsys, how):
    pytest.importorskip("ray")
    inp = _accounts(tmp_path / "in" / "a.jsonl", ["a1"])
    out = tmp_path / "raybad.parquet"
    _cli_model(monkeypatch, fake_model)
    argv = ["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--engine", "ray", "--no-cache"]
    if how == "env":
        monkeypatch.setenv("RAY_ADDRESS", "nonsense")
    else:
        argv += ["--ray-address", "nonsense"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("brandfit: error: ") and len(err.splitlines()) == 1 and "nonsense" in err
    assert ("RAY_ADDRESS" if how == "env" else "--ray-address") in err
    assert not parts_dir_for(out).exists() and not out.exists()


def test_a_ray_client_address_without_ray_client_is_one_line(tmp_path, fake_model, monkeypatch):
    pytest.importorskip("ray")
    import ray._private.utils as ray_utils

    from brandfit.tagging._ray import RayConnectError

    monkeypatch.setattr(ray_utils, "get_ray_client_dependency_error", lambda: ImportError("no grpc"))
    out = tmp_path / "raybad.parquet"
    with pytest.raises(RayConnectError, match=r"ray\[client\]"):
        _tag(_accounts(tmp_path / "in" / "a.jsonl", ["a1"]), out, fake_model, engine="ray",
             ray_address="ray://127.0.0.1:1")
    assert not parts_dir_for(out).exists()


@pytest.mark.parametrize("address", ["127.0.0.1:{port}", "localhost:{port}"])
def test_an_unreachable_ray_address_fails_at_once(tmp_path, fake_model, monkeypatch, capsys, address):
    pytest.importorskip("ray")
    inp = _accounts(tmp_path / "in" / "a.jsonl", ["a1"])
    out = tmp_path / "rayhang.parquet"
    _cli_model(monkeypatch, fake_model)
    addr = address.format(port=_closed_port())
    t0 = time.monotonic()
    assert main(["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--engine", "ray", "--ray-address", addr,
                 "--no-cache"]) == 2
    assert time.monotonic() - t0 < 15
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"brandfit: error: cannot reach the Ray cluster at {addr}") and len(err.splitlines()) == 1
    assert not parts_dir_for(out).exists()
    assert main(["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--no-cache"]) == 0  # nothing blocks it


class _LateRay:
    """A ``ray`` whose ``init`` hangs until ``answer`` is set (a port that accepts connections but does not answer as
    Ray's GCS), then connects."""

    def __init__(self) -> None:
        import threading

        self.answer = threading.Event()
        self.connected = False
        self.shutdowns = 0

    def init(self, **kw):
        self.answer.wait(30)
        self.connected = True

    def is_initialized(self):
        return self.connected

    def shutdown(self):
        self.shutdowns += 1
        self.connected = False


@pytest.fixture
def no_abandoned_ray_init():
    from brandfit.tagging import _ray

    yield _ray._abandoned
    thread = _ray._abandoned.get("thread")
    if thread is not None:
        thread.join(10)
    _ray._abandoned.clear()


def test_ray_init_that_never_answers_is_given_up_after_the_timeout(monkeypatch, no_abandoned_ray_init):
    from brandfit.tagging import _ray

    slow = _LateRay()
    t0 = time.monotonic()
    with pytest.raises(_ray.RayConnectError, match=r"no connection within 1 s \(BRANDFIT_RAY_CONNECT_TIMEOUT\)"):
        _ray._init_bounded(slow, "10.0.0.1:6379", "--ray-address", 1.0)
    assert time.monotonic() - t0 < 5
    slow.answer.set()
    no_abandoned_ray_init["thread"].join(10)

    class FailingRay:
        def init(self, **kw):
            raise ConnectionError("GCS said no")

    with pytest.raises(_ray.RayConnectError, match="GCS said no"):
        _ray._init_bounded(FailingRay(), "10.0.0.1:6379", "--ray-address", 5.0)
    monkeypatch.setenv("BRANDFIT_RAY_CONNECT_TIMEOUT", "2.5")
    assert _ray._connect_timeout() == 2.5
    monkeypatch.setenv("BRANDFIT_RAY_CONNECT_TIMEOUT", "soon")
    with pytest.raises(_ray.RayConnectError, match="BRANDFIT_RAY_CONNECT_TIMEOUT"):
        _ray._connect_timeout()


def test_an_abandoned_ray_init_that_connects_late_is_shut_down_and_refuses_a_second_job_meanwhile(
        monkeypatch, no_abandoned_ray_init):
    """L6: past the timeout the ray.init thread keeps retrying. A later job in the same process must neither race it
    nor find (and use, and never shut down) the connection it makes late."""
    from brandfit.tagging import _ray

    monkeypatch.setattr(_ray, "check_ray_address", lambda address: None)
    monkeypatch.setenv("BRANDFIT_RAY_CONNECT_TIMEOUT", "0.5")
    late = _LateRay()
    with pytest.raises(_ray.RayConnectError, match="no connection within"):
        _ray._init_ray(late, "10.0.0.1:6379")
    thread = no_abandoned_ray_init["thread"]
    assert thread.is_alive()
    with pytest.raises(_ray.RayConnectError, match="timed out in this Python process and Ray is still retrying"):
        _ray._init_ray(late, "10.0.0.1:6379")  # refused while the abandoned thread may still connect
    late.answer.set()  # the cluster answers after all
    thread.join(10)
    assert late.shutdowns == 1 and not late.is_initialized()  # the late connection was shut down by its thread
    quiet = [f for f in __import__("logging").getLogger("ray._private.worker").filters
             if isinstance(f, _ray._QuietThreadWarning)]
    assert not quiet  # and the log filter removed when the thread ended, not before
    # the next job goes ahead and connects as usual: a fresh connection, which it started and will shut down
    assert _ray._init_ray(late, "10.0.0.1:6379") is True and late.is_initialized() and late.shutdowns == 1


def test_a_ray_init_that_answers_in_time_is_kept(monkeypatch, no_abandoned_ray_init):
    from brandfit.tagging import _ray

    quick = _LateRay()
    quick.answer.set()
    _ray._init_bounded(quick, "10.0.0.1:6379", "--ray-address", 5.0)
    assert quick.is_initialized() and quick.shutdowns == 0 and not no_abandoned_ray_init


def test_a_ray_connection_that_fails_once_the_job_started_leaves_no_checkpoint(tmp_path, fake_model, monkeypatch):
    pytest.importorskip("ray")
    from brandfit.tagging import _ray

    def refused(ray, address):
        raise _ray.RayConnectError("cannot connect to the Ray cluster at x: refused")

    monkeypatch.setattr(_ray, "check_ray_address", lambda address: None)
    monkeypatch.setattr(_ray, "_init_ray", refused)
    out = tmp_path / "tags.parquet"
    inp = _accounts(tmp_path / "in" / "a.jsonl", ["a1"])
    with pytest.raises(_ray.RayConnectError):
        _tag(inp, out, fake_model, engine="ray", ray_address="10.0.0.1:6379")
    assert not parts_dir_for(out).exists()
    assert _tag(inp, out, fake_model).accounts_tagged == 1  # a plain run is not blocked


# --- M1 / M2: what the reader does not read is recorded ------------------------------------------------------------
def test_files_and_folders_not_read_get_a_file_level_record_and_count(tmp_path, fake_model):
    folder = tmp_path / "in"
    _accounts(folder / "a.jsonl", ["a1", "a2"])
    (folder / "f_accounts.tsv").write_text("account_id\tbio\nt1\trunner\n", encoding="utf-8")
    (folder / "notes.txt").write_text("hello\n", encoding="utf-8")
    _accounts(folder / "subdir" / "sub.jsonl", ["s1"])
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "g_accounts.JSON").write_text(json.dumps([{"account_id": "j1", "bio": "x"},
                                                         {"account_id": "j2", "bio": "y"}], indent=1), encoding="utf-8")
    out = tmp_path / "out" / "tags.parquet"
    summary = _tag(folder, out, fake_model)
    records = [json.loads(line) for line in errors_path_for(out).read_text().splitlines()]
    by_file = {Path(r["source_file"]).name: r for r in records}
    assert set(by_file) == {"f_accounts.tsv", "notes.txt", "subdir", "g_accounts.JSON"}
    assert all(r["line"] is None and r["account_id"] is None for r in records)
    assert "unsupported file type '.tsv'" in by_file["f_accounts.tsv"]["reason"]
    assert "subfolder" in by_file["subdir"]["reason"]
    assert "JSON array" in by_file["g_accounts.JSON"]["reason"] and "JSON Lines" in by_file["g_accounts.JSON"]["reason"]
    assert summary.rows_set_aside == 4 and summary.accounts_tagged == 2


def _folder_with_entries_not_read(folder: Path) -> Path:
    _accounts(folder / "a.jsonl", ["a1", "a2"], bad=1)
    (folder / "notes.txt").write_text("hello\n", encoding="utf-8")
    _accounts(folder / "subdir" / "sub.jsonl", ["s1"])
    (folder / "gone.jsonl").symlink_to(folder / "nowhere.jsonl")  # a broken symbolic link
    return folder


def test_a_broken_symbolic_link_gets_its_own_reason(tmp_path, fake_model):
    from brandfit.data.readers import list_input_files, unread_entries

    folder = _folder_with_entries_not_read(tmp_path / "in")
    reasons = {p.name: r for p, r in unread_entries(folder)}
    assert reasons["gone.jsonl"] == "a broken symbolic link (its target does not exist): not read"
    assert "FIFO" not in reasons["gone.jsonl"]
    out = tmp_path / "tags.parquet"
    _tag(folder, out, fake_model)
    records = {Path(r["source_file"]).name: r for r in map(json.loads, errors_path_for(out).read_text().splitlines())}
    gone = records["gone.jsonl"]
    assert gone["reason"].startswith("a broken symbolic link") and gone["line"] is None
    with pytest.raises(Exception, match="a broken symbolic link"):  # given directly, too
        list_input_files(folder / "gone.jsonl")


def test_rank_sets_aside_the_entries_it_does_not_read_exactly_as_tag(tmp_path, fake_model, monkeypatch, capsys):
    """L9: read_account_items (brandfit rank's reader) records what tag_files records, in the same order."""
    import brandfit.model

    from brandfit.tagging import read_account_items, read_accounts

    folder = _folder_with_entries_not_read(tmp_path / "in")
    out = tmp_path / "tags.parquet"
    summary = _tag(folder, out, fake_model)
    tag_records = [json.loads(line) for line in errors_path_for(out).read_text().splitlines()]
    items, set_aside = read_account_items([folder])
    assert set_aside == tag_records and len(set_aside) == summary.rows_set_aside == 4  # 3 entries, 1 bad row
    assert [it.account.account_id for it in items] == ["a1", "a2"]
    assert read_accounts([folder])[1] == tag_records

    monkeypatch.setattr(brandfit.model, "load_model", lambda *a, **k: fake_model)
    short = tmp_path / "short.csv"
    assert main(["rank", str(folder), "--brand-topic", TOPIC, "-o", str(short), "--top", "2"]) == 0
    assert "4 rows set aside" in capsys.readouterr().out
    assert [json.loads(line) for line in errors_path_for(short).read_text().splitlines()] == tag_records


def test_a_jsonl_file_whose_first_line_is_broken_is_still_read_line_by_line(tmp_path):
    from brandfit.data.readers import iter_rows

    path = tmp_path / "a.jsonl"
    path.write_text('[{"account_id": "x",\n' + json.dumps({"account_id": "ok", "bio": "b"}) + "\n", encoding="utf-8")
    rows = list(iter_rows(path))
    assert [r.line for r in rows] == [1, 2] and rows[0].values is None and rows[1].values["account_id"] == "ok"


# --- H5 / L5 / L6: brandfit cache -----------------------------------------------------------------------------------
def test_cache_with_no_action_prints_the_stats(tmp_path, monkeypatch, capsys):
    from fakes import FakeEmbedder

    from brandfit.embedding.cache import EmbeddingCache

    db = tmp_path / "emb.sqlite"
    monkeypatch.setenv("BRANDFIT_CACHE_DB", str(db))
    assert main(["cache"]) == 0
    assert "no embedding cache yet" in capsys.readouterr().out and not db.exists()
    EmbeddingCache(db).encode(FakeEmbedder(), ["one text", "another"])
    assert main(["cache"]) == 0
    assert "entries:   2" in capsys.readouterr().out
    assert main(["cache", "--cache", str(db)]) == 0
    assert "entries:   2" in capsys.readouterr().out


@pytest.mark.parametrize("action", [["clear"], ["prune", "--max-mb", "1"]])
def test_clear_or_prune_of_a_missing_cache_creates_nothing(tmp_path, capsys, action):
    path = tmp_path / "nothere.sqlite"
    assert main(["cache", *action, "--cache", str(path)]) == 0
    assert "no embedding cache yet" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_prune_logs_a_fractional_cap(tmp_path, caplog):
    import logging

    from fakes import FakeEmbedder

    from brandfit.embedding.cache import EmbeddingCache

    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    cache.encode(FakeEmbedder(), [f"text {i}" for i in range(200)])
    with caplog.at_level(logging.INFO, logger="brandfit.embedding.cache"):
        cache.prune(max_bytes=int(0.05 * (1 << 20)), vacuum=False)
    assert "(cap 0.05 MiB)" in caplog.text


def test_help_says_where_the_embedding_cache_lives(capsys):
    for argv in (["tag", "--help"], ["cache", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        text = " ".join(capsys.readouterr().out.split())
        assert "BRANDFIT_CACHE_DB" in text and "XDG_CACHE_HOME" in text and "BRANDFIT_CACHE_DIR" in text


# --- L9: nothing tagged ---------------------------------------------------------------------------------------------
def test_a_job_that_tags_nothing_says_so(tmp_path, fake_model, monkeypatch, capsys):
    inp = _accounts(tmp_path / "in" / "a.jsonl", [], bad=3)
    _cli_model(monkeypatch, fake_model)
    out = tmp_path / "zero.parquet"
    assert main(["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--no-cache", "--quiet-summary"]) == 0
    err = capsys.readouterr().err
    assert "warning: no account was tagged" in err and str(errors_path_for(out)) in err
    assert main(["tag", str(inp), "-o", str(out), "--brand-topic", TOPIC, "--no-cache", "--overwrite",
                 "--fail-on-error"]) == 1
