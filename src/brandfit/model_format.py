"""The two files of a model (``model.json`` and ``heads.npz``), parsed from bytes and checked before use.

Nothing here trusts the file: JSON that is not an object, too deep or too large, arrays of the wrong shape or
dtype, NaN or infinite weights, or anything pickled is an :class:`~brandfit.errors.IntegrityError` naming the
file, raised at load time rather than as a NaN score or a numpy broadcast error at predict time.

>>> from brandfit.model_format import parse_meta
>>> parse_meta(b'[1, 2]', where="model.json")
Traceback (most recent call last):
...
brandfit.errors.IntegrityError: model.json: expected a JSON object
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from typing import Any

import numpy as np

from brandfit.cue_qualifiers import QUALIFIED
from brandfit.embedding import DIM
from brandfit.errors import FormatVersionError, IntegrityError
from brandfit.names_prior import RULES as NAMES_PRIOR_RULES
from brandfit.text import NORMALIZATION_VERSION
from brandfit.topics import TOPICS, check_templates

__all__ = ["FORMAT_VERSION", "MAX_META_BYTES", "MAX_HEADS_BYTES", "parse_meta", "parse_heads"]

FORMAT_VERSION = 18
"""The newest model format this brandfit reads. 2 adds the optional lexical head (``lex_*`` arrays); 3 the
zero-shot share of the topic mix (``config.topic.zero_shot_share``); 4 the lexical promo boost
(``config.lexical.promo_boost``); 5 phrases framed as posts (``config.topic.description_templates``: a brand's
own words must be embedded the way the descriptions were); 6 n-gram matches: a brand's words
(``config.brand.lexical``: the brand calibration is fitted with that term) and the topic descriptions
(``config.topic.lexical_prior``, with the descriptions as written in ``description_phrases``); 7 the floor an
explicit paid disclosure sets under the promo score (``config.promo.disclosure_floor``); 8 the cue columns the
promo head reads (``config.promo.cues``: ``gifted`` and ``hard_sell`` joined; any later new cue name needs a new
format, so that an older brandfit says "upgrade" rather than rejecting the name); 9 the lexical head's caption
layer (``lex_caption_coef`` and ``lex_caption_intercept``: an older brandfit would ignore them); 10 the topic
caption layer (``lex_caption_topic_coef`` and ``lex_caption_topic_intercept``); 11 our labelled texts as
neighbours (``knn_embeddings`` and ``knn_labels``); 12 the qualifier cue columns (``content_link``, ``paid_price``,
``critical_gift``: :mod:`brandfit.cue_qualifiers`), which change how the promo head reads the cues they qualify and
counts cues (an older brandfit would count a link to a blog as a cue); 13 the ceiling over the promo score of a
text whose cues a qualifier explains away (``config.promo.qualifier_ceiling``); 14 the ``partnership`` cue column
(an ongoing brand relationship said without a disclosure word: an older brandfit would leave the column empty); 15
the ``housekeeping`` qualifier column (a creator's own "subscribe, see you in the next one": an older brandfit would
read it as self-promotion); 16 a brand's stand-in examples (``config.brand.expand``, whatever its value: the brand calibration
is fitted with them, and an older brandfit would pass the key to the brand score and fail); 17 text normalisation
version 4 (``config.normalization_version``: known names glossed, :mod:`brandfit.text._names`; an older brandfit
would embed the texts without the glosses the heads were fitted on; later normalisation versions keep format 17:
a brandfit that reads format 17 refuses a normalisation version newer than its own by that number); 18 the names prior
(``config.topic.names_prior``: the vertical of each name a text names added to its topic log probabilities,
:mod:`brandfit.names_prior`, by the rules version ``config.names_prior_rules``; an older brandfit would leave it
out). A model is written
with the lowest format
that holds it, so older brandfit versions keep loading what they can apply faithfully and refuse the rest."""
MAX_META_BYTES = 1 << 20
MAX_HEADS_BYTES = 64 << 20
LEXICAL_ARRAYS = ("lex_idf", "lex_topic_coef", "lex_topic_intercept", "lex_promo_coef", "lex_promo_intercept")
CAPTION_ARRAYS = ("lex_caption_coef", "lex_caption_intercept")  # optional, with the lexical head (format 9)
TOPIC_CAPTION_ARRAYS = ("lex_caption_topic_coef", "lex_caption_topic_intercept")  # optional (format 10)
NEIGHBOUR_ARRAYS = ("knn_embeddings", "knn_labels")  # optional: our labelled texts as neighbours (format 11)
HEAD_ARRAYS = ("topic_coef", "topic_intercept", "promo_coef", "promo_intercept", "desc_embeddings",
               "desc_topic_index")


def _finite_number(meta: dict[str, Any], key: str, where: str, *, low: float | None = None,
                   high: float | None = None) -> float:
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise IntegrityError(f"{where}: {key}: expected a finite number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise IntegrityError(f"{where}: {key}: {value} is outside [{low}, {high}]")
    return float(value)


def parse_meta(data: bytes | None, *, where: str) -> dict[str, Any]:
    """``model.json`` as a dict, after checking its format version, topics and every field inference reads."""
    if data is None:
        raise IntegrityError(f"{where}: missing")
    if len(data) > MAX_META_BYTES:
        raise IntegrityError(f"{where}: implausibly large ({len(data)} bytes)")
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise IntegrityError(f"{where}: not valid JSON ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not isinstance(meta, dict):
        raise IntegrityError(f"{where}: expected a JSON object")
    fv = meta.get("format_version")
    if isinstance(fv, bool) or not isinstance(fv, int):
        raise IntegrityError(f"{where}: format_version missing or not an integer")
    if fv > FORMAT_VERSION:
        raise FormatVersionError(f"{where}: written by a newer brandfit (model format {fv} > {FORMAT_VERSION}); "
                                 "upgrade brandfit to load it")
    if meta.get("topics") != list(TOPICS):
        raise IntegrityError(f"{where}: topics {meta.get('topics')} differ from {list(TOPICS)}")
    _finite_number(meta, "topic_temperature", where, low=1e-6)
    if "topic_mix_temperature" in meta:
        _finite_number(meta, "topic_mix_temperature", where, low=1e-6)
    _finite_number(meta, "promo_threshold", where, low=0.0, high=1.0)
    cal = meta.get("brand_calibration", [10.0, -5.0])
    if not (isinstance(cal, list) and len(cal) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in cal)):
        raise IntegrityError(f"{where}: brand_calibration: expected two finite numbers, got {cal!r}")
    config = meta.get("config")
    if not (isinstance(config, dict) and isinstance(config.get("topic"), dict) and isinstance(config.get("promo"), dict)):
        raise IntegrityError(f"{where}: config: expected an object with 'topic' and 'promo' sections")
    cues = config["promo"].get("cues", ())
    qualifiers = [q for q in QUALIFIED if isinstance(cues, list) and q in cues]
    if fv < 12 and qualifiers:
        raise IntegrityError(f"{where}: config.promo.cues: {qualifiers[0]!r} needs model format 12, the file says {fv}")
    if fv < 14 and isinstance(cues, list) and "partnership" in cues:
        raise IntegrityError(f"{where}: config.promo.cues: 'partnership' needs model format 14, the file says {fv}")
    if fv < 15 and isinstance(cues, list) and "housekeeping" in cues:
        raise IntegrityError(f"{where}: config.promo.cues: 'housekeeping' needs model format 15, the file says {fv}")
    ceiling = config["promo"].get("qualifier_ceiling", 0)
    if fv < 13 and not (isinstance(ceiling, (int, float)) and not isinstance(ceiling, bool) and ceiling == 0):
        raise IntegrityError(f"{where}: config.promo.qualifier_ceiling: {ceiling!r} needs model format 13, the file"
                             f" says {fv}")
    norm = config.get("normalization_version", 1)
    if isinstance(norm, bool) or not isinstance(norm, int) or norm < 1:
        raise IntegrityError(f"{where}: config.normalization_version: expected a positive integer, got {norm!r}")
    if norm > NORMALIZATION_VERSION:
        raise FormatVersionError(f"{where}: trained on text normalisation version {norm}, this brandfit has "
                                 f"{NORMALIZATION_VERSION}; upgrade brandfit to load it")
    if fv < 17 and norm >= 4:
        raise IntegrityError(f"{where}: config.normalization_version {norm} needs model format 17, the file says {fv}")
    names_prior = config["topic"].get("names_prior", 0)
    off = isinstance(names_prior, (int, float)) and not isinstance(names_prior, bool) and names_prior == 0
    if fv < 18 and not off:
        raise IntegrityError(f"{where}: config.topic.names_prior: {names_prior!r} needs model format 18, the file"
                             f" says {fv}")
    if not off:  # the rules the prior was trained with: where names are read, what is skipped
        rules = config.get("names_prior_rules")
        if isinstance(rules, bool) or not isinstance(rules, int) or rules < 1:
            raise IntegrityError(f"{where}: config.names_prior_rules: expected a positive integer with a names prior, "
                                 f"got {rules!r}")
        if rules > NAMES_PRIOR_RULES:
            raise FormatVersionError(f"{where}: its names prior follows rules version {rules}, this brandfit has "
                                     f"{NAMES_PRIOR_RULES}; upgrade brandfit to load it")
    if "description_templates" in config["topic"]:
        try:
            check_templates(config["topic"]["description_templates"], field="config.topic.description_templates")
        except ValueError as exc:
            raise IntegrityError(f"{where}: {exc}") from None
    return meta


def _load_npz(data: bytes, where: str) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # a compressed member must not unpack to gigabytes
            unpacked = sum(info.file_size for info in zf.infolist())
        if unpacked > MAX_HEADS_BYTES:
            raise IntegrityError(f"{where}: unpacks to {unpacked} bytes (more than {MAX_HEADS_BYTES})")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise IntegrityError(f"{where}: not a readable .npz of plain arrays ({str(exc)[:120]})") from None


def parse_heads(data: bytes | None, *, where: str) -> dict[str, np.ndarray]:
    """The head arrays of ``heads.npz`` (never unpickled), with shapes, dtypes and finiteness checked."""
    if data is None:
        raise IntegrityError(f"{where}: missing")
    if len(data) > MAX_HEADS_BYTES:
        raise IntegrityError(f"{where}: implausibly large ({len(data)} bytes)")
    arrays = _load_npz(data, where)
    missing = [k for k in HEAD_ARRAYS if k not in arrays]
    if missing:
        raise IntegrityError(f"{where}: missing array(s) {', '.join(missing)}")
    for name in HEAD_ARRAYS:
        a = arrays[name]
        if a.dtype.kind not in "fiu":
            raise IntegrityError(f"{where}: {name}: expected numbers, got dtype {a.dtype}")
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise IntegrityError(f"{where}: {name}: holds NaN or infinite values")
    n_topics = len(TOPICS)
    tc, ti = arrays["topic_coef"], arrays["topic_intercept"]
    pc, pi = arrays["promo_coef"], arrays["promo_intercept"]
    de, dt = arrays["desc_embeddings"], arrays["desc_topic_index"]
    checks = (
        (tc.ndim == 2 and tc.shape[0] == n_topics and tc.shape[1] >= DIM, "topic_coef", f"({n_topics}, >={DIM})", tc),
        (ti.shape == (n_topics,), "topic_intercept", f"({n_topics},)", ti),
        (pc.ndim == 1 and pc.shape[0] >= DIM, "promo_coef", f"(>={DIM},)", pc),
        (pi.shape == (1,), "promo_intercept", "(1,)", pi),
        (de.ndim == 2 and de.shape[1] == DIM and de.shape[0] >= 1, "desc_embeddings", f"(n, {DIM})", de),
        (dt.shape == (de.shape[0],) and dt.dtype.kind in "iu" and (dt.size == 0 or 0 <= dt.min() <= dt.max() < n_topics),
         "desc_topic_index", f"({de.shape[0]},) integers in [0, {n_topics})", dt),
    )
    for ok, name, want, a in checks:
        if not ok:
            raise IntegrityError(f"{where}: {name}: expected shape {want}, got {a.shape} {a.dtype}")
    _check_lexical(arrays, where)
    _check_neighbours(arrays, where)
    return arrays


def _check_neighbours(arrays: dict[str, np.ndarray], where: str) -> None:
    """The optional neighbour index (format 11): both arrays or neither, float embeddings (n, DIM), n topic ids."""
    present = [k for k in NEIGHBOUR_ARRAYS if k in arrays]
    if not present:
        return
    if len(present) != len(NEIGHBOUR_ARRAYS):
        raise IntegrityError(f"{where}: neighbour index incomplete: has only {present[0]}")
    from brandfit.neighbours import NORM_TOLERANCE

    e, y = arrays["knn_embeddings"], arrays["knn_labels"]
    if e.dtype.kind != "f" or e.ndim != 2 or e.shape[1] != DIM or e.shape[0] < 1:
        raise IntegrityError(f"{where}: knn_embeddings: expected floats of shape (n, {DIM}), got {e.shape} {e.dtype}")
    with np.errstate(over="ignore"):
        e16 = e.astype(np.float16)  # how the model holds them
    if not np.isfinite(e16).all():
        raise IntegrityError(f"{where}: knn_embeddings: holds NaN or values too large for float16")
    norms = np.linalg.norm(e16.astype(np.float32), axis=1)
    if np.abs(norms - 1.0).max() > NORM_TOLERANCE:
        raise IntegrityError(f"{where}: knn_embeddings: rows must be L2-normalised (norms {norms.min():.3g}-"
                             f"{norms.max():.3g})")
    if y.dtype.kind not in "iu" or y.shape != (e.shape[0],) or y.min() < 0 or y.max() >= len(TOPICS):
        raise IntegrityError(f"{where}: knn_labels: expected ({e.shape[0]},) integers in [0, {len(TOPICS)}), got "
                             f"{y.shape} {y.dtype}")


def _check_lexical(arrays: dict[str, np.ndarray], where: str) -> None:
    """The optional lexical head: all of its arrays or none, finite floats of consistent shapes."""
    from brandfit.lexical import check_shapes

    present = [k for k in LEXICAL_ARRAYS if k in arrays]
    if not present:
        stray = [k for k in (*CAPTION_ARRAYS, *TOPIC_CAPTION_ARRAYS) if k in arrays]
        if stray:
            raise IntegrityError(f"{where}: a caption layer ({', '.join(stray)}) without the lexical head")
        return
    if len(present) != len(LEXICAL_ARRAYS):
        missing = sorted(set(LEXICAL_ARRAYS) - set(present))
        raise IntegrityError(f"{where}: lexical head incomplete: missing array(s) {', '.join(missing)}")
    for name in LEXICAL_ARRAYS:
        a = arrays[name]
        if a.dtype.kind != "f" or not np.isfinite(a).all():
            raise IntegrityError(f"{where}: {name}: expected finite floats, got dtype {a.dtype}")
    problem = check_shapes(arrays["lex_idf"], arrays["lex_topic_coef"], arrays["lex_topic_intercept"],
                           arrays["lex_promo_coef"], len(TOPICS))
    if problem is None and arrays["lex_promo_intercept"].shape != (1,):
        problem = f"lex_promo_intercept: expected (1,), got {arrays['lex_promo_intercept'].shape}"
    if problem:
        raise IntegrityError(f"{where}: {problem}")
    width = arrays["lex_promo_coef"].shape
    n_topics = len(TOPICS)
    for names, shapes in ((CAPTION_ARRAYS, (width, (1,))), (TOPIC_CAPTION_ARRAYS, ((n_topics, *width), (n_topics,)))):
        found = [k for k in names if k in arrays]
        if found and len(found) != len(names):
            missing = sorted(set(names) - set(found))
            raise IntegrityError(f"{where}: caption layer incomplete: missing array(s) {', '.join(missing)}")
        for name, want in zip(names, shapes):
            a = arrays.get(name)
            if a is not None and (a.dtype.kind != "f" or not np.isfinite(a).all() or a.shape != want):
                raise IntegrityError(f"{where}: {name}: expected finite floats of shape {want}, got {a.shape} {a.dtype}")
