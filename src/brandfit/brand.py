"""Relevance of texts to a custom brand topic written in words ("trail running shoes", "vegan skincare").

Pure numpy: the caller embeds (with :meth:`brandfit.model.RelevanceModel.embed`, which normalises text the way the
model was trained) and runs the model's topic head; nothing here loads a model.

The score of a text combines two things the model knows:

1. how close the text is to the brand's own words - the highest cosine between the text and the brand's
   description(s) (``cos``; from ``relevance@9`` on, the words are embedded framed as posts, like the built-in
   descriptions: :meth:`brandfit.model.RelevanceModel.embed_phrases`); when the brand also gives example posts,
   the higher of that and the mean of it with the cosine to the examples' centroid (the highest cosine to any one
   example, the earlier rule, rewards texts that echo one of them; the centroid keeps what they share; and a text never scores below its words'
   cosine, the scale the calibration is fitted on); from ``relevance@70`` on, a brand that gives no examples
   borrows the model's stored texts nearest its words as examples (:func:`stand_in_examples`, ``brand.expand``);
   minus ``contrast`` x the highest cosine to the *other*
   built-in topics' descriptions (``neg``), which lowers texts that are merely "on a topic" but a different one;
2. whether the text sits in the same built-in vertical as the brand: ``match = sum_k q_k p_k``, where ``p`` is
   the text's topic probabilities (the model's topic head) and ``q`` the brand's (the topic head applied to the
   brand's own embeddings, averaged). A text from another vertical is pushed down even when it shares words.

3. from ``relevance@12`` on, the words themselves: ``lex``, the cosine between the text's and the brand words'
   hashed word and character n-grams (:func:`brandfit.lexical.similarity`, weighted by the model's idf), so a
   text that *says* "bouldering" or "skincare" gains over one that is merely near them in the embedding space;
   with example posts, the higher of that and the text's mean n-gram cosine to the examples.

``z = cos - contrast * neg + vertical * log(match) + lexical * lex`` and the relevance is ``sigmoid(a * z + b)``;
``a, b`` (the model's ``brand_calibration``) are fitted at training time on sub-topics of the training sources
(:func:`fit_calibration`). ``vertical=0, contrast=0, lexical=0`` is plain cosine-to-the-words, as before.

>>> import numpy as np
>>> texts = np.eye(3, 4, dtype=np.float32); brand = np.array([[1, 0, 0, 0]], np.float32)
>>> brand_relevance(texts, brand, calibration=(10.0, -3.0), contrast=0.0).round(3).tolist()
[0.999, 0.047, 0.047]
>>> other = np.array([[0, 1, 0, 0]], np.float32)  # another topic's description: text 2 is close to it
>>> brand_relevance(texts, brand, negative_emb=other, calibration=(10.0, -3.0)).round(3).tolist()
[0.999, 0.0, 0.047]

Use from the inference pipeline (model = a loaded ``RelevanceModel``; :class:`brandfit.pipeline.Pipeline` gathers
the arguments: the words framed like the descriptions, the example posts or, for a brand with none, the stand-in
examples, the brand's vertical, the other topics' descriptions and the n-gram matches)::

    pipe = Pipeline(model)
    analysis = model.analyze(texts)
    args = pipe.brand_arguments(analysis, BrandTopic("trail", "trail running shoes"), texts)
    rel = brand_relevance(**args, calibration=model.brand_calibration, **model.brand_settings)
    # the same as pipe.brand_relevance(analysis, brand, texts); model.brand_settings holds only the weights
    # brand_score takes (BRAND_SCORE_WEIGHTS), never the whole stored config
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["BRAND_VERTICAL_WEIGHT", "BRAND_CONTRAST", "BRAND_EXAMPLE_WEIGHT", "BRAND_LEXICAL_WEIGHT", "BRAND_EXPAND",
           "BRAND_SCORE_WEIGHTS", "MAX_EXPAND", "brand_score", "brand_relevance", "check_expand", "stand_in_examples",
           "brand_topic_proba", "other_topic_descriptions", "fit_calibration"]

BRAND_VERTICAL_WEIGHT = 0.0
"""Default weight of ``log(match)``: 0, it lowered sub-topic AP in every source measured (docs/quality.md)."""
BRAND_CONTRAST = 0.5
"""Default weight of the other topics' descriptions: 0.5, best mean sub-topic AP (docs/quality.md)."""
BRAND_EXAMPLE_WEIGHT = 0.5
"""Share of the cosine to the example posts' centroid when a brand gives examples. Real sub-topics with 1 / 3 / 5
of their own texts as examples (training/experiments/brand_examples.py, docs/quality.md): mean AP 0.530 / 0.550 /
0.557, against 0.501 / 0.519 / 0.522 for the highest cosine to any row (the earlier rule, below the words alone
on YouTube categories) and 0.507 / 0.503 / 0.501 for the words alone."""
BRAND_LEXICAL_WEIGHT = 0.5
"""Weight of the n-gram cosine between a text and the brand's words in models trained from ``relevance@12`` on
(``brand.lexical`` in their config; models without the key score without it). Real sub-topics named in words
(docs/quality.md, "Brand topics in words"): mean AP 0.525 -> 0.539, better on all three sources."""
BRAND_EXPAND = 10
"""A brand that gives no example posts borrows this many of the model's stored texts (its neighbour index: our own
labelled training texts, :mod:`brandfit.neighbours`) nearest its words as example posts, from ``relevance@70``
(``brand.expand`` in the config; models without the key borrow none). Their centroid counts like a brand's own
examples (:data:`BRAND_EXAMPLE_WEIGHT`, raising a text's score, never lowering it): the texts of data/labeled that
sit nearest "trail running shoes" name the races, shoes and places such posts name. Mean AP on real sub-topics
0.537 -> 0.540, and on the two brand probes written blind in session 27 0.457 -> 0.473 and 0.402 -> 0.403
(docs/quality.md, "Brand topics in words")."""
BRAND_SCORE_WEIGHTS = ("vertical", "contrast", "negative_reduce", "lexical", "example_weight")
"""The keys of a model's ``brand`` config that :func:`brand_score` takes as keyword arguments (``expand`` is read by
the pipeline, which picks the stand-in examples)."""
MAX_EXPAND = 100
"""The most stored texts a brand may borrow (``brand.expand``)."""
_EPS = 1e-4


def check_expand(value: object) -> None:
    """``brand.expand``: an integer in ``[0, MAX_EXPAND]``; ValueError naming the field otherwise.

    >>> check_expand(10)
    >>> check_expand(2.5)
    Traceback (most recent call last):
    ...
    ValueError: brand.expand: expected an integer in [0, 100], got 2.5
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value <= MAX_EXPAND:
        raise ValueError(f"brand.expand: expected an integer in [0, {MAX_EXPAND}], got {value!r}")


def stand_in_examples(brand_emb: np.ndarray, stored: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` rows of ``stored`` (L2-normalised embeddings) nearest the brand's words ``brand_emb`` (one row, or
    several: the nearest to their mean), most similar first: example posts for a brand that gives none.

    >>> stored = np.array([[1, 0], [0, 1], [0.8, 0.6]], np.float32)
    >>> stand_in_examples(np.array([1, 0], np.float32), stored, 2).tolist()
    [[1.0, 0.0], [0.800000011920929, 0.6000000238418579]]
    """
    b = _rows(brand_emb, "brand_emb")
    if len(b) == 0:
        raise ValueError("brand_emb: the brand needs at least one row of words")
    b = b.mean(axis=0)
    if not np.isfinite(b).all():
        raise ValueError("brand_emb: the brand's words must be finite numbers")
    s = np.asarray(stored, dtype=np.float32)  # no copy when the rows are float32 already
    k = min(int(k), len(s))
    if k <= 0:
        return np.zeros((0, s.shape[1] if s.ndim == 2 else len(b)), np.float32)
    sims = s @ b
    top = np.argpartition(-sims, k - 1)[:k] if k < len(s) else np.arange(len(s))
    return s[top[np.argsort(-sims[top], kind="stable")]]


def _rows(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"{name}: expected a 2-d array of embedding rows, got shape {x.shape}")
    return x


def brand_topic_proba(brand_topic_rows: np.ndarray) -> np.ndarray:
    """The brand's vertical ``q``: the mean of the topic-head probabilities of its description/example rows."""
    q = np.asarray(brand_topic_rows, dtype=np.float64)
    q = q.mean(axis=0) if q.ndim == 2 else q
    return q / max(q.sum(), 1e-12)


def other_topic_descriptions(desc_embeddings: np.ndarray, desc_topic_index: np.ndarray,
                             brand_topic: np.ndarray) -> np.ndarray:
    """The built-in topic descriptions of every topic but the brand's most likely one (``argmax brand_topic``):
    the ``negative_emb`` of :func:`brand_score`."""
    own = int(np.argmax(np.asarray(brand_topic)))
    return np.asarray(desc_embeddings)[np.asarray(desc_topic_index) != own]


def brand_score(
    text_emb: np.ndarray,
    brand_emb: np.ndarray,
    text_topic_proba: np.ndarray | None = None,
    brand_topic: np.ndarray | None = None,
    *,
    negative_emb: np.ndarray | None = None,
    vertical: float = BRAND_VERTICAL_WEIGHT,
    contrast: float = BRAND_CONTRAST,
    negative_reduce: str = "max",
    example_emb: np.ndarray | None = None,
    example_weight: float = BRAND_EXAMPLE_WEIGHT,
    lexical_sim: np.ndarray | None = None,
    lexical: float = 0.0,
    example_lexical_sim: np.ndarray | None = None,
) -> np.ndarray:
    """Uncalibrated score ``z`` (higher = more relevant), shape ``(n,)``.

    ``text_emb`` (n, d) and ``brand_emb`` (m, d): L2-normalised embeddings of the texts and of the brand's
    description(s). ``example_emb`` (j, d): its example posts, if any: their centroid's cosine takes
    ``example_weight`` of the score. ``text_topic_proba`` (n, k): the texts' built-in topic probabilities;
    ``brand_topic`` (k,) the brand's (see :func:`brand_topic_proba`). Without either, the vertical term is left
    out. ``negative_emb`` (r, d): descriptions of what the brand is *not* (e.g. the other topics' descriptions),
    used with weight ``contrast``: the highest (``negative_reduce="max"``) or mean (``"mean"``) cosine to them
    is subtracted. ``lexical_sim`` (n,) or (n, m): the texts' n-gram cosine to the brand's words
    (:func:`brandfit.lexical.similarity`; the highest of ``m`` columns), added with weight ``lexical``;
    ``example_lexical_sim`` (n, j): their n-gram cosine to the brand's example posts, whose mean can raise that
    term, never lower it (like the examples' embedding centroid).
    """
    if negative_reduce not in ("max", "mean"):
        raise ValueError(f"negative_reduce: expected 'max' or 'mean', got {negative_reduce!r}")
    e = _rows(text_emb, "text_emb")
    b = _rows(brand_emb, "brand_emb")
    if len(e) == 0:
        return np.zeros(0)
    if len(b) == 0:
        raise ValueError("brand_emb: the brand needs at least one description or example")
    z = (e @ b.T).max(axis=1).astype(np.float64)
    if example_emb is not None and len(example_emb) and example_weight:
        centroid = _rows(example_emb, "example_emb").mean(axis=0)
        centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
        # examples can raise a text above its words' cosine, never lower it (the calibration is fitted on words)
        z = np.maximum(z, (1.0 - example_weight) * z + example_weight * (e @ centroid).astype(np.float64))
    if contrast and negative_emb is not None and len(negative_emb):
        neg = e @ _rows(negative_emb, "negative_emb").T
        z = z - contrast * (neg.max(axis=1) if negative_reduce == "max" else neg.mean(axis=1))
    if vertical and text_topic_proba is not None and brand_topic is not None:
        p = np.asarray(text_topic_proba, dtype=np.float64)
        q = np.asarray(brand_topic, dtype=np.float64)
        if p.shape != (len(e), len(q)):
            raise ValueError(f"text_topic_proba: expected shape {(len(e), len(q))}, got {p.shape}")
        z = z + vertical * np.log(np.clip(p @ q, _EPS, None))
    if lexical and lexical_sim is not None:
        lx = np.asarray(lexical_sim, dtype=np.float64)
        if lx.ndim == 2:
            lx = lx.max(axis=1) if lx.shape[1] else np.zeros(len(lx))
        if lx.shape != (len(e),):
            raise ValueError(f"lexical_sim: expected {len(e)} rows, got shape {np.shape(lexical_sim)}")
        if example_lexical_sim is not None and np.size(example_lexical_sim):
            ex = np.asarray(example_lexical_sim, dtype=np.float64)
            if ex.ndim != 2 or len(ex) != len(e):
                raise ValueError(f"example_lexical_sim: expected ({len(e)}, j), got shape {ex.shape}")
            lx = np.maximum(lx, ex.mean(axis=1))
        z = z + lexical * lx
    return z


def brand_relevance(
    text_emb: np.ndarray,
    brand_emb: np.ndarray,
    text_topic_proba: np.ndarray | None = None,
    brand_topic: np.ndarray | None = None,
    *,
    calibration: tuple[float, float] = (10.0, -3.0),
    negative_emb: np.ndarray | None = None,
    vertical: float = BRAND_VERTICAL_WEIGHT,
    contrast: float = BRAND_CONTRAST,
    negative_reduce: str = "max",
    example_emb: np.ndarray | None = None,
    example_weight: float = BRAND_EXAMPLE_WEIGHT,
    lexical_sim: np.ndarray | None = None,
    lexical: float = 0.0,
    example_lexical_sim: np.ndarray | None = None,
) -> np.ndarray:
    """Calibrated probability (n,) that each text is about the brand's topic: ``sigmoid(a * z + b)``.

    See :func:`brand_score` for the arguments; ``calibration`` is the model's ``brand_calibration`` ``(a, b)``,
    fitted for the same ``vertical`` / ``contrast`` / ``lexical`` and stand-in examples (``expand``) (model config
    ``brand``).
    """
    z = brand_score(text_emb, brand_emb, text_topic_proba, brand_topic, negative_emb=negative_emb,
                    vertical=vertical, contrast=contrast, negative_reduce=negative_reduce, example_emb=example_emb,
                    example_weight=example_weight, lexical_sim=lexical_sim, lexical=lexical,
                    example_lexical_sim=example_lexical_sim)
    a, b = calibration
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-(a * z + b)))


def fit_calibration(scores: Sequence[np.ndarray], labels: Sequence[np.ndarray], *, balanced: bool = False,
                    iters: int = 500, l2: float = 1e-6) -> tuple[float, float]:
    """Platt scaling ``(a, b)`` of brand scores, pooled over several brand topics (each a ``(scores, labels)``
    pair), every topic weighted equally. ``balanced=False`` keeps each topic's own share of positives (the
    probability then means "relevant" at that base rate); ``balanced=True`` weighs positives and negatives
    equally (0.5 = as likely relevant as not, whatever the pool). Pure numpy Newton steps with backtracking."""
    zs, ys, ws = [], [], []
    for z, y in zip(scores, labels):
        z = np.asarray(z, dtype=np.float64)
        y = np.asarray(y, dtype=bool)
        if not y.any() or y.all():
            continue
        w = np.where(y, 0.5 / y.sum(), 0.5 / (~y).sum()) if balanced else np.full(len(y), 1.0 / len(y))
        zs.append(z)
        ys.append(y.astype(np.float64))
        ws.append(w)
    if not zs:
        return (10.0, -3.0)
    z, y, w = np.concatenate(zs), np.concatenate(ys), np.concatenate(ws)
    w = w / w.sum()
    x = np.c_[z, np.ones_like(z)]
    reg = np.array([l2, 0.0])

    def loss(th: np.ndarray) -> float:
        m = x @ th
        return float(np.sum(w * (np.logaddexp(0.0, m) - y * m)) + 0.5 * np.sum(reg * th**2))

    theta = np.zeros(2)
    current = loss(theta)
    for _ in range(iters):  # Newton steps with backtracking: never increases the loss, so it cannot diverge
        p = 1 / (1 + np.exp(-np.clip(x @ theta, -50, 50)))
        g = x.T @ (w * (p - y)) + reg * theta
        h = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(reg) + 1e-10 * np.eye(2)
        step = np.linalg.solve(h, g)
        t = 1.0
        while t > 1e-6:
            cand = theta - t * step
            new = loss(cand)
            if new <= current:
                break
            t /= 2
        else:
            break
        theta, improved = cand, current - new
        current = new
        if improved < 1e-12:
            break
    return (float(theta[0]), float(theta[1]))
