"""The model a server answers with, and its hot swap when the registry alias moves.

Requests take :attr:`ModelManager.current` once when they start and use that snapshot to the end, so a swap
never changes the model under a request in flight. :meth:`ModelManager.check` (run every ``poll_interval``
seconds by the server) resolves the alias; when it points elsewhere, the new version is loaded and verified off
the event loop, warmed up, then swapped in by one assignment. A version that fails to load or verify is refused:
the old model keeps serving and the refusal shows in /readyz, /v1/models and /metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from brandfit.model import RelevanceModel, load_model
from brandfit.pipeline import Pipeline
from brandfit.registry import ModelRegistry
from brandfit.settings import registry_root, resolve_backend
from brandfit.topics import TOPICS

__all__ = ["Served", "ModelManager", "TextScorer", "warm_up"]

logger = logging.getLogger(__name__)

WARM_UP_TEXTS = ("trail running in the hills", "new lipstick shade, #ad")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def warm_up(model: RelevanceModel) -> None:
    """Load the encoder and run it once, so the first request does not pay for it."""
    model.analyze(list(WARM_UP_TEXTS))


NO_TEXT_REASON = "No text to judge: the text is empty."


def _not_read() -> dict[str, Any]:
    """The /v1/texts row of a text with nothing to read: as the Python API answers an account with no text
    (:func:`brandfit.predict_relevance`: no topic, every probability 0, and why), never a topic mix the heads made up
    from nothing."""
    return {"topic_probs": dict.fromkeys(TOPICS, 0.0), "top_topic": None, "promo_probability": 0.0, "promo": False,
            "cues": [], "reason": NO_TEXT_REASON}


class TextScorer:
    """Single texts through one model, shaped as the micro-batcher's scorer: ``score(texts, None)`` gives one
    /v1/texts row per text (topic probabilities, top topic, promo probability and verdict, cues), so concurrent
    /v1/texts requests share one :meth:`~brandfit.model.RelevanceModel.analyze` call (one encoder pass).

    An empty or blank text (nothing but whitespace) is not read, as an empty post or bio is not read for an
    account (:meth:`brandfit.account.Account.scored_texts`): its row has ``top_topic`` null, every probability 0,
    ``promo`` false, no cues and a ``reason``."""

    kind = "texts"

    def __init__(self, model: RelevanceModel) -> None:
        self.model = model

    def score(self, texts: list[str], brand: None = None) -> list[dict[str, Any]]:
        read = [i for i, t in enumerate(texts) if t.strip()]  # the test Account.scored_texts uses
        rows = [_not_read() for _ in texts]
        if not read:
            return rows
        analysis = self.model.analyze([texts[i] for i in read])
        threshold = self.model.promo_threshold
        for i, tp, pp, cues in zip(read, analysis.topic_proba, analysis.promo_proba, analysis.cues):
            rows[i] = {"topic_probs": dict(zip(TOPICS, map(float, tp))), "top_topic": TOPICS[int(tp.argmax())],
                       "promo_probability": float(pp), "promo": bool(pp >= threshold), "cues": list(cues),
                       "reason": None}
        return rows


@dataclass(frozen=True)
class Served:
    """One loaded model and what scores with it: the pipeline (accounts) and a :class:`TextScorer` (texts)."""

    pipeline: Pipeline
    loaded_at: str
    texts: TextScorer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "texts", TextScorer(self.pipeline.model))

    @property
    def model(self) -> RelevanceModel:
        return self.pipeline.model

    @property
    def version(self) -> str:
        return self.pipeline.model_version


class ModelManager:
    """Holds the served model; see the module docstring."""

    def __init__(self, ref: str = "production", *, registry: str | Path | None = None, backend: str | None = None,
                 model: RelevanceModel | None = None, loader: Callable[..., RelevanceModel] = load_model) -> None:
        self.ref = ref
        self.registry_root = registry_root(registry)
        self.backend = resolve_backend(backend) if model is None or backend is not None else model.backend
        self._loader = loader
        self.current: Served | None = Served(Pipeline(model), _now()) if model is not None else None
        self.alias_target: str | None = self.current.version if self.current else None
        self.refused: dict[str, Any] | None = None
        """The last version refused: ``{"version", "error", "at"}``; None once the alias points to a good one."""
        self.last_check: str | None = None
        self.last_check_error: str | None = None
        self.swaps = 0
        self.on_change: Callable[["ModelManager", str], None] | None = None
        """Called with ``"swapped"`` or ``"refused"`` after each change (metrics)."""

    @property
    def ready(self) -> bool:
        return self.current is not None

    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.registry_root)

    def target(self) -> str:
        """The ``name@version`` the ref points to now (blocking: reads the registry)."""
        return self.registry().resolve_version(self.ref).ref

    def load(self, version_ref: str) -> Served:
        """Load, verify and warm up ``version_ref`` (blocking)."""
        model = self._loader(version_ref, self.registry_root, backend=self.backend)
        if model.version != version_ref:
            raise RuntimeError(f"asked for {version_ref}, loaded {model.version}")
        warm_up(model)
        return Served(Pipeline(model), _now())

    def load_initial(self) -> None:
        """Load what the ref points to now (blocking; errors propagate: the server cannot start without a model)."""
        target = self.target()
        self.current = self.load(target)
        self.alias_target = target
        self._notify("swapped")

    async def check(self) -> str:
        """Swap when the alias moved; returns ``"unchanged"``, ``"swapped"``, ``"refused"`` or ``"error"``."""
        loop = asyncio.get_running_loop()
        self.last_check = _now()
        try:
            target = await loop.run_in_executor(None, self.target)
        except Exception as exc:  # registry unreadable for a moment: keep serving, say so
            self.last_check_error = f"{type(exc).__name__}: {exc}"
            logger.warning("cannot resolve %r in %s: %s", self.ref, self.registry_root, exc)
            return "error"
        self.last_check_error = None
        self.alias_target = target
        if self.current is not None and target == self.current.version:
            self.refused = None
            return "unchanged"
        if self.refused is not None and self.refused["version"] == target:
            return "refused"  # versions never change once published: no point retrying
        started = time.perf_counter()
        try:
            served = await loop.run_in_executor(None, self.load, target)
        except Exception as exc:
            self.refused = {"version": target, "error": f"{type(exc).__name__}: {exc}", "at": _now()}
            logger.error("refused %s (%s); still serving %s", target, exc,
                         self.current.version if self.current else "nothing")
            self._notify("refused")
            return "refused"
        old = self.current.version if self.current else None
        self.current = served  # one assignment: requests already running keep the snapshot they took
        self.refused = None
        self.swaps += 1
        logger.info("swapped %s -> %s in %.2f s", old, target, time.perf_counter() - started)
        self._notify("swapped")
        return "swapped"

    async def poll(self, interval: float) -> None:
        """Run :meth:`check` every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the poller die
                logger.exception("model check failed")

    def _notify(self, what: str) -> None:
        if self.on_change is not None:
            self.on_change(self, what)

    def status(self) -> dict[str, Any]:
        cur = self.current
        return {
            "model_version": cur.version if cur else None,
            "backend": cur.model.backend if cur else self.backend,
            "loaded_at": cur.loaded_at if cur else None,
            "ref": self.ref,
            "alias_target": self.alias_target,
            "registry": str(self.registry_root),
            "swaps": self.swaps,
            "refused": self.refused,
            "last_check": self.last_check,
            "last_check_error": self.last_check_error,
        }
