"""all-MiniLM-L6-v2 as an int8 ONNX model on onnxruntime + tokenizers: the fast CPU backend, no torch at run time.

The model is exported from the packaged weights once and cached (see :mod:`brandfit.embedding.onnx_export`). Its int8
MatMuls scale each token's activations on their own (:mod:`brandfit.embedding._quantize`), so a text's vector is
the same, bit for bit, alone or in any batch: a tagging job's scores do not depend on how accounts were chunked,
distributed or resumed. Texts are tokenised in chunks, sorted by token count and cut into batches padded only
to their own longest text, so short captions do not pay for long ones; rows come back in the caller's order.
Pooling (mean over real tokens) and L2 normalisation happen in numpy, as sentence-transformers does them in torch.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from brandfit._progress import want_progress
from brandfit.embedding import DIM
from brandfit.embedding.tokenizing import load_tokenizer, mean_pool
from brandfit.errors import InputError, InputTypeError, MissingExtraError

logger = logging.getLogger(__name__)

__all__ = ["OnnxEmbedder"]

BATCH_SIZE = 32
CHUNK_SIZE = 4096  # texts tokenised and length-sorted together; bounds the memory held by tokenizer encodings
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _usable_cpus() -> int:
    """``$OMP_NUM_THREADS`` if set (Ray sets it to an actor's CPU share), else the CPUs this process may run on
    (its affinity mask, e.g. a container's cpuset), else all of them."""
    try:
        omp = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        omp = 0
    if omp > 0:
        return omp
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _balanced(n: int, batch_size: int, workers: int) -> int:
    """A batch size of at most ``batch_size`` that cuts ``n`` texts into a multiple of ``workers`` batches of
    near-equal size, so no worker idles through the last round (156 texts on 2 workers: 6 x 26, not 4 x 32 + 28,
    which leaves one core idle for a fifth of the call)."""
    if n <= 0:
        return batch_size
    batches = -(-n // batch_size)
    batches = -(-batches // workers) * workers
    return max(1, -(-n // batches))


class OnnxEmbedder:
    """An :class:`~brandfit.embedding.Embedder` on onnxruntime (CPU). Thread-safe; load it once per process.

    The first use on a machine exports the model (10-60 s, needs torch); later loads only verify the cached file.

    ``batch_size`` is the number of texts per onnxruntime run; it changes speed, never the vectors.

    ``parallel`` says how ``num_threads`` CPUs (default: all this process may use) are put to work:

    - ``"batches"`` (default): one single-threaded run per CPU, each on its own batch. Batches of short captions
      are too small for onnxruntime to split each op across threads efficiently; whole batches in parallel scale
      better (docs/onnx.md). Inputs are cut into a multiple of ``num_threads`` batches of near-equal size (at
      most ``batch_size``), so a single account's texts still use every core and no core idles through the
      last round. Concurrent ``encode`` calls share the same workers.
    - ``"ops"``: one run at a time, each op split over ``num_threads`` onnxruntime threads.
    """

    def __init__(
        self,
        *,
        cache_dir: str | Path | None = None,
        model_dir: str | Path | None = None,
        batch_size: int = BATCH_SIZE,
        num_threads: int | None = None,
        parallel: Literal["batches", "ops"] = "batches",
    ) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise MissingExtraError("the onnx backend needs onnxruntime: pip install onnxruntime") from exc
        from brandfit.embedding._torch import packaged_model_dir
        from brandfit.embedding.onnx_export import ensure_model

        if batch_size < 1:
            raise InputError(f"batch_size: must be >= 1, got {batch_size}")
        if num_threads is not None and num_threads < 1:
            raise InputError(f"num_threads: must be >= 1 or None, got {num_threads}")
        if parallel not in ("batches", "ops"):
            raise InputError(f"parallel: expected 'batches' or 'ops', got {parallel!r}")
        model_dir = Path(model_dir) if model_dir is not None else Path(packaged_model_dir())
        status = ensure_model(cache_dir, model_dir=model_dir)
        self.model_path = status.path
        self._tokenizer = load_tokenizer(model_dir)
        self._batch_size = batch_size
        self._threads = num_threads or _usable_cpus()
        self._parallel = parallel

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads if parallel == "ops" else 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])
        got = tuple(i.name for i in self._session.get_inputs())
        if sorted(got) != sorted(_INPUTS):
            raise InputError(f"{self.model_path}: expected inputs {_INPUTS}, the file has {got}")
        # "ops": one run at a time, concurrent runs would only fight over the same intra-op threads.
        # "batches": InferenceSession.run is thread-safe; the pool bounds how many run at once.
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = -1
        logger.debug("loaded ONNX model %s (%d threads, parallel=%s)", self.model_path, self._threads, parallel)

    @property
    def name(self) -> str:
        return "all-MiniLM-L6-v2/onnx"  # the int8 graph; the last part is the backend name

    @property
    def dim(self) -> int:
        return DIM

    def encode(self, texts: Sequence[str], *, show_progress_bar: bool | None = None) -> np.ndarray:
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise InputTypeError(f"texts[{i}]: expected str, got {type(t).__name__}")
        out = np.empty((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        from tqdm.auto import tqdm

        pool = self._workers()
        with tqdm(
            total=len(texts), desc="Embedding (onnx)", unit="text",
            disable=not want_progress(show_progress_bar, len(texts), logger),
        ) as bar:
            for start in range(0, len(texts), CHUNK_SIZE):
                encodings = self._tokenizer.encode_batch(texts[start : start + CHUNK_SIZE])
                batch_size = (self._batch_size if pool is None
                              else _balanced(len(encodings), self._batch_size, self._threads))
                order = np.argsort([len(e.ids) for e in encodings], kind="stable")
                batches = [order[b : b + batch_size] for b in range(0, len(order), batch_size)]
                jobs = [[encodings[i].ids for i in rows] for rows in batches]
                results = pool.map(self._embed, jobs) if pool is not None else map(self._embed, jobs)
                for rows, vecs in zip(batches, results):
                    out[start + rows] = vecs
                    bar.update(len(rows))
        return out

    def _workers(self) -> ThreadPoolExecutor | None:
        """The batch workers, (re)made on first use and after a fork (a forked child inherits no threads)."""
        if self._parallel != "batches" or self._threads == 1:
            return None
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="brandfit-onnx")
                self._pool_pid = os.getpid()
            return self._pool

    def _embed(self, ids_list: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in ids_list)
        ids = np.zeros((len(ids_list), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for i, row in enumerate(ids_list):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        if self._parallel == "batches":
            hidden = self._session.run(None, feeds)[0]
        else:
            with self._lock:
                hidden = self._session.run(None, feeds)[0]
        return mean_pool(hidden, mask)
