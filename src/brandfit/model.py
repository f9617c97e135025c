"""The relevance model: topic probabilities, advertorial-tone probability and cues for any text.

A model is two linear heads over the sentence embedding (see :mod:`brandfit.features`), stored as
plain arrays and JSON in a registry version folder. Load one with :func:`brandfit.load_model`.

>>> import brandfit
>>> model = brandfit.load_model()            # the registry's "production" version
>>> model.topic_proba(["new trail shoes for the ultra"]).idxmax(axis=1).tolist()
['sports_outdoor']
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from brandfit._background import in_background
from brandfit.cues import CUES, find_cues, has_disclosure
from brandfit.embedding import BACKENDS, DIM, MODEL_ID, Embedder, get_embedder
from brandfit.errors import FormatVersionError
from brandfit.features import DescriptionIndex, promo_features, topic_features, topic_prior
from brandfit.heads import LogisticHead, SoftmaxHead
from brandfit.text import normalize
from brandfit.topics import TOPICS

if TYPE_CHECKING:  # imported in topic_proba: a prediction alone does not load pandas (~0.5 s)
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["RelevanceModel", "TextAnalysis", "load_model", "default_registry_root", "FORMAT_VERSION"]

FORMAT_VERSION = 1
MODEL_FILE = "model.json"
HEADS_FILE = "heads.npz"


@dataclass(frozen=True)
class TextAnalysis:
    """Everything the model says about a batch of texts, computed in one embedding pass."""

    topic_proba: np.ndarray  # (n, 6), columns in TOPICS order
    promo_proba: np.ndarray  # (n,)
    cues: list[list[str]]
    embeddings: np.ndarray  # (n, dim)

    @property
    def disclosed(self) -> list[bool]:
        return [has_disclosure(c) for c in self.cues]


def _check_cues(cues: Sequence[Sequence[str]], n: int) -> list[list[str]]:
    """``cues`` given to :meth:`RelevanceModel.analyze`: one list of known cue names per text."""
    if isinstance(cues, str) or len(cues) != n:
        raise ValueError(f"cues: {1 if isinstance(cues, str) else len(cues)} rows for {n} texts")
    out = []
    for i, names in enumerate(cues):
        if isinstance(names, str) or any(name not in CUES for name in names):
            raise ValueError(f"cues[{i}]: expected a list of cue names from brandfit.cues.CUES, got {names!r}")
        out.append(list(names))
    return out


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts: expected a sequence of strings, got a single str; wrap it in a list")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}]: expected str, got {type(t).__name__}")
    return out


class RelevanceModel:
    """Topic relevance and advertorial tone for bios and posts.

    Use :func:`brandfit.load_model` rather than the constructor. Thread-safe for concurrent callers.
    """

    def __init__(
        self,
        *,
        topic_head: SoftmaxHead,
        promo_head: LogisticHead,
        descriptions: DescriptionIndex,
        promo_threshold: float,
        config: dict[str, Any],
        brand_calibration: tuple[float, float] = (10.0, -5.0),
        version: str = "unpublished",
        backend: str = "torch",
        embedder: Embedder | None = None,
        validated_backends: tuple[str, ...] | None = None,
    ) -> None:
        if not 0.0 <= promo_threshold <= 1.0:
            raise ValueError(f"promo_threshold: must be in [0, 1], got {promo_threshold}")
        self.topic_head = topic_head
        self.promo_head = promo_head
        self.descriptions = descriptions
        self.promo_threshold = float(promo_threshold)
        self.brand_calibration = (float(brand_calibration[0]), float(brand_calibration[1]))
        self.config = dict(config)
        self.version = version
        self.backend = backend
        self.validated_backends = tuple(validated_backends) if validated_backends else (backend,)
        """Backends whose embeddings this model's threshold and calibration were checked with at training time."""
        self._embedder = embedder
        self._lock = threading.Lock()

    topics: tuple[str, ...] = TOPICS

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = get_embedder(self.backend)
        return self._embedder

    def __repr__(self) -> str:
        return f"RelevanceModel(version={self.version!r}, backend={self.backend!r})"

    def with_backend(self, backend: str) -> "RelevanceModel":
        """The same heads, threshold and calibration, embedding with ``backend`` (``"torch"`` or ``"onnx"``)."""
        if backend not in BACKENDS:
            raise ValueError(f"backend: unknown embedding backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        return RelevanceModel(
            topic_head=self.topic_head, promo_head=self.promo_head, descriptions=self.descriptions,
            promo_threshold=self.promo_threshold, config=self.config, brand_calibration=self.brand_calibration,
            version=self.version, backend=backend, validated_backends=self.validated_backends,
        )

    # --- prediction -------------------------------------------------------------------------
    def embed(self, texts: Sequence[str], *, show_progress_bar: bool | None = None) -> np.ndarray:
        """Normalise and embed ``texts`` (float32, L2-normalised rows)."""
        texts = _check_texts(texts)
        return self.embedder.encode([normalize(t) for t in texts], show_progress_bar=show_progress_bar)

    def analyze(
        self,
        texts: Sequence[str],
        *,
        embeddings: np.ndarray | None = None,
        cues: Sequence[Sequence[str]] | None = None,
        show_progress_bar: bool | None = None,
    ) -> TextAnalysis:
        """Topic and promo probabilities plus cues for ``texts`` in one pass (``embeddings`` and ``cues`` if
        already known; otherwise the cues are found on a background thread while the texts are embedded)."""
        texts = _check_texts(texts)
        if cues is not None:
            cues = _check_cues(cues, len(texts))
        pending = in_background(find_cues, texts) if cues is None and embeddings is None else None
        try:
            emb = self.embed(texts, show_progress_bar=show_progress_bar) if embeddings is None else embeddings
        except BaseException:
            if pending is not None:
                pending.cancel()  # not started yet: drop it; started: it finishes and is ignored
            raise
        if len(emb) != len(texts):
            raise ValueError(f"embeddings: {len(emb)} rows for {len(texts)} texts")
        if cues is None:
            cues = pending.result() if pending is not None else find_cues(texts)
        tcfg = self.config["topic"]
        tp = self.topic_head.proba(
            topic_features(emb, self.descriptions, desc_scale=tcfg["desc_scale"]),
            topic_prior(emb, self.descriptions, weight=tcfg.get("prior_weight", 0.0)),
        )
        pp = self.promo_head.proba(promo_features(emb, cues, cue_scale=self.config["promo"]["cue_scale"]))
        return TextAnalysis(topic_proba=tp, promo_proba=pp, cues=cues, embeddings=emb)

    def topic_proba(self, texts: Sequence[str]) -> pd.DataFrame:
        """One row per text, one column per topic id (all six, :data:`brandfit.TOPICS` order), rows sum to 1."""
        import pandas as pd

        a = self.analyze(texts)
        return pd.DataFrame(a.topic_proba, columns=list(TOPICS))

    def promo_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability in [0, 1] that each text has advertorial tone; compare with :attr:`promo_threshold`."""
        return self.analyze(texts).promo_proba

    def promo_cues(self, texts: Sequence[str]) -> list[list[str]]:
        """The names of the advertorial cues that fired in each text (see :data:`brandfit.cues.CUES`)."""
        return find_cues(_check_texts(texts))

    # --- persistence ------------------------------------------------------------------------
    def save(self, folder: str | Path) -> None:
        """Write ``model.json`` and ``heads.npz`` into ``folder`` (plain JSON and arrays, no pickle)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / HEADS_FILE,
            topic_coef=self.topic_head.coef,
            topic_intercept=self.topic_head.intercept,
            promo_coef=self.promo_head.coef,
            promo_intercept=np.array([self.promo_head.intercept]),
            desc_embeddings=self.descriptions.embeddings,
            desc_topic_index=self.descriptions.topic_index,
        )
        meta = {
            "format_version": FORMAT_VERSION,
            "topics": list(TOPICS),
            "embedding_model": MODEL_ID,
            "embedding_dim": DIM,
            "backend": self.backend,
            "validated_backends": list(self.validated_backends),
            "topic_temperature": self.topic_head.temperature,
            "promo_threshold": self.promo_threshold,
            "brand_calibration": list(self.brand_calibration),
            "config": self.config,
        }
        (folder / MODEL_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def from_folder(cls, folder: str | Path, *, version: str = "unpublished", backend: str | None = None) -> "RelevanceModel":
        """Read a model from a folder written by :meth:`save` (no integrity check: use :func:`load_model`)."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{folder / MODEL_FILE}: not a brandfit model folder (no {MODEL_FILE})") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{folder / MODEL_FILE}: not valid JSON ({exc.msg})") from None
        fv = meta.get("format_version")
        if not isinstance(fv, int):
            raise ValueError(f"{folder / MODEL_FILE}: format_version missing or not an integer")
        if fv > FORMAT_VERSION:
            raise FormatVersionError(
                f"{folder / MODEL_FILE}: written by a newer brandfit (model format {fv} > {FORMAT_VERSION}); "
                "upgrade brandfit to load it"
            )
        if meta.get("topics") != list(TOPICS):
            raise ValueError(f"{folder / MODEL_FILE}: topics {meta.get('topics')} differ from {list(TOPICS)}")
        with np.load(folder / HEADS_FILE, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        chosen = backend or os.environ.get("BRANDFIT_BACKEND") or "torch"
        if chosen not in BACKENDS:
            raise ValueError(f"backend: unknown embedding backend {chosen!r}; expected one of {', '.join(BACKENDS)}")
        validated = tuple(meta.get("validated_backends") or ([meta["backend"]] if meta.get("backend") else []))
        if validated and chosen not in validated:
            logger.warning("model %s: its promo threshold and calibration were validated with the %s backend only; "
                           "predicting with %s (retrain with `brandfit train` to validate it)", version,
                           "/".join(validated), chosen)
        return cls(
            topic_head=SoftmaxHead(arrays["topic_coef"], arrays["topic_intercept"], float(meta["topic_temperature"])),
            promo_head=LogisticHead(arrays["promo_coef"], float(arrays["promo_intercept"][0])),
            descriptions=DescriptionIndex(embeddings=arrays["desc_embeddings"], topic_index=arrays["desc_topic_index"]),
            promo_threshold=float(meta["promo_threshold"]),
            brand_calibration=tuple(meta.get("brand_calibration", (10.0, -5.0))),
            config=meta["config"],
            version=version,
            backend=chosen,
            validated_backends=validated or None,
        )


def default_registry_root() -> Path:
    """``$BRANDFIT_REGISTRY``, else the ``models/`` folder shipped beside the package source, else ``./models``."""
    env = os.environ.get("BRANDFIT_REGISTRY")
    if env:
        return Path(env)
    bundled = Path(__file__).resolve().parents[2] / "models"
    if bundled.is_dir():
        return bundled
    return Path.cwd() / "models"


_loaded: dict[tuple[str, str, str | None], RelevanceModel] = {}
_loaded_lock = threading.Lock()


def load_model(ref: str = "production", registry: str | Path | None = None, *, backend: str | None = None) -> RelevanceModel:
    """Load a published model from the on-disk registry, verifying every file's hash first.

    ``ref`` is an alias (``production``), ``name@version`` or ``name@latest``. A loaded model is
    cached per process (keyed by its resolved folder), so repeated calls are cheap.
    """
    from brandfit.registry import ModelRegistry

    reg = ModelRegistry(registry if registry is not None else default_registry_root())
    mv = reg.resolve_version(ref)
    key = (str(mv.path.resolve()), mv.ref, backend)
    with _loaded_lock:
        model = _loaded.get(key)
        if model is None:
            reg.verify(mv.ref)
            model = RelevanceModel.from_folder(mv.path, version=mv.ref, backend=backend)
            _loaded[key] = model
    return model
