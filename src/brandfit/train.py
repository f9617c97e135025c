"""The training pipeline: labeled data -> embeddings -> two heads -> held-out metrics -> registry.

Seeds are fixed and the split is deterministic, so two runs on the same data give identical
predictions (see tests/test_train.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from brandfit.config import TrainConfig
from brandfit.cues import CUES, find_cues
from brandfit.data import assign_splits, dataset_hash, load_accounts, load_labeled
from brandfit.embedding import DIM, MODEL_ID, Embedder, get_embedder
from brandfit.errors import DataError
from brandfit.evaluation.metrics import promo_report, topic_report
from brandfit.features import (DescriptionIndex, geometric_mix, promo_features, topic_features, topic_prior,
                               zero_shot_proba)
from brandfit.heads import (
    LogisticHead,
    SoftmaxHead,
    expit,
    fit_logistic_head,
    fit_softmax_head,
    fit_temperature,
    softmax,
)
from brandfit.lexical import LexicalHead, fit_lexical_head, mix_calibrated
from brandfit.model import RelevanceModel
from brandfit.names_prior import RULES as NAMES_PRIOR_RULES
from brandfit.names_prior import with_names_prior
from brandfit.neighbours import MAX_NEIGHBOURS, NeighbourIndex, capped_rows
from brandfit.text import NORMALIZATION_VERSION, normalize
from brandfit.settings import MIN_JUDGED_TEXTS
from brandfit.topics import TOPIC_DESCRIPTIONS, TOPICS

logger = logging.getLogger(__name__)

__all__ = ["TrainResult", "LabeledPaths", "labeled_paths", "load_training_frame", "fit_model", "train",
           "resolve_public_root", "source_manifest", "check_trainable", "check_publish_target", "save_unpublished",
           "publish"]


@dataclass(frozen=True)
class TrainResult:
    model: RelevanceModel
    metrics: dict[str, Any]
    frame: pd.DataFrame  # the labeled records with their split
    dataset_hash: str


MAX_SHOWN_PROBLEMS = 20
"""A refusal lists at most this many problems, one a line (``brandfit data check`` lists them all)."""


def _abs(path: str | Path, base: Path) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p


def _refuse(problems: list[Any], paths: list[str]) -> DataError:
    """A :class:`DataError` summing up ``problems`` on one line; ``.problems`` holds them (the CLI prints them one a
    line, at most :data:`MAX_SHOWN_PROBLEMS`)."""
    n = len(problems)
    first = str(problems[0])
    err = DataError(f"{n} problem{'' if n == 1 else 's'} in the training data (first: {first}); nothing was trained."
                    f" `brandfit data check {' '.join(paths)}` lists them all")
    err.problems = tuple(problems)  # type: ignore[attr-defined]
    return err


@dataclass(frozen=True)
class LabeledPaths:
    """Where the labeled data of a ``data`` / ``accounts`` pair is, read the way training reads
    ``TrainConfig.data`` and ``TrainConfig.accounts`` (:func:`labeled_paths`): labeled ``folders`` (``texts/`` +
    ``accounts/``, checked whole), ``plain`` texts files or folders, and ``accounts``, the accounts of ``plain``."""

    folders: tuple[Path, ...]
    plain: tuple[Path, ...]
    accounts: Path | None

    @property
    def text_files(self) -> list[Path]:
        """Every texts file, in the order training reads them."""
        from brandfit.data.readers import list_input_files

        files = [f for folder in self.folders if (folder / "texts").is_dir()
                 for f in list_input_files(folder / "texts")]
        return files + [f for p in self.plain for f in list_input_files(p)]

    @property
    def account_paths(self) -> list[Path]:
        """The accounts files or folders: each labeled folder's ``accounts/``, then ``accounts``."""
        own = [folder / "accounts" for folder in self.folders if (folder / "accounts").is_dir()]
        return own + ([self.accounts] if self.accounts is not None else [])

    @property
    def check_paths(self) -> list[str]:
        """What ``brandfit data check`` reads as training does."""
        return [str(p) for p in (*self.folders, *self.plain)]

    def account_topics(self) -> dict[str, str]:
        """``{account_id: topic}`` of every accounts path (what the split stratifies accounts by)."""
        from brandfit.data import load_accounts

        out: dict[str, str] = {}
        for path in self.account_paths:
            out.update(zip(*load_accounts(path)[["account_id", "topic"]].T.values))
        return out


def labeled_paths(data: Sequence[str | Path], accounts: str | Path | None = None,
                  base: Path | None = None) -> LabeledPaths:
    """The labeled data of ``data`` (texts files or folders, and labeled folders holding ``texts/`` and
    ``accounts/``) with ``accounts`` (the accounts of the paths that are not labeled folders), resolved against
    ``base`` (default: the current folder) exactly as training resolves them: the one rule ``brandfit train``,
    ``evaluate`` and ``models compare`` / ``promote`` share, so each computes the split training used.

    The default accounts (``data/labeled/accounts``) with only labeled folders are dropped (they belong to the
    default data); other accounts with only labeled folders are an :class:`InputError`. ``texts/`` and
    ``accounts/`` side by side are their labeled folder. A data or accounts path that does not exist is a
    :class:`MissingFileError`."""
    from brandfit.config import DEFAULT_ACCOUNTS
    from brandfit.data.check import is_labeled_folder
    from brandfit.errors import InputError, MissingFileError

    base = base or Path.cwd()
    paths = [_abs(p, base) for p in data]
    for p in paths:
        if not p.exists():
            raise MissingFileError(f"data: {p}: no such file or folder")
    folders = [p for p in paths if is_labeled_folder(p)]
    plain = [p for p in paths if p not in folders]
    accounts = None if accounts is None else str(accounts)
    if accounts is not None and not plain:
        if accounts != DEFAULT_ACCOUNTS:
            raise InputError(f"accounts: {accounts} given, but every data path is a labeled folder with its own "
                             "accounts/; leave accounts out")
        accounts = None  # the default accounts belong to the default data, not to a labeled folder
    acc_path = None if accounts is None else _abs(accounts, base)
    if acc_path is not None and not acc_path.exists():
        raise MissingFileError(f"accounts: {acc_path}: no such file or folder (the accounts of {', '.join(map(str, plain))}"
                               "; set accounts: null in the config, or pass --accounts PATH)")
    if acc_path is not None and len(plain) == 1 and plain[0].name == "texts" and acc_path.name == "accounts" \
            and plain[0].parent.resolve() == acc_path.parent.resolve():
        folders.append(plain[0].parent)  # texts/ + accounts/ side by side: the labeled folder, checked whole
        plain, acc_path = [], None
    return LabeledPaths(tuple(folders), tuple(plain), acc_path)


def _read_labeled(config: TrainConfig, base: Path) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The texts of ``config.data`` checked as ``brandfit data check`` checks them, their accounts' topics, and the
    paths to give ``brandfit data check``. A labeled folder (``texts/`` + ``accounts/``) is checked whole, texts,
    accounts and the references between them (:func:`brandfit.data.check_labeled_folder`); the other paths are
    texts, with ``config.accounts`` as their accounts (which must exist): see :func:`labeled_paths`. Every text is
    also checked against every other (ids and texts unique across all paths). Raises :class:`DataError` listing
    every problem."""
    from brandfit.data.check import check_accounts_rows, check_labeled_folder
    from brandfit.data.readers import iter_rows, list_input_files

    where = labeled_paths(config.data, config.accounts, base)
    problems: list[Any] = []
    account_rows: list[dict[str, Any]] = []
    for folder in where.folders:
        res = check_labeled_folder(folder)
        problems += res.problems
        account_rows += res.accounts
    if where.accounts is not None:  # accounts not beside their texts: each line checked (references need the layout)
        rows, acc_problems = check_accounts_rows([r for f in list_input_files(where.accounts) for r in iter_rows(f)])
        account_rows += rows
        problems += acc_problems
    labeled = load_labeled(where.text_files)  # every text against every other, across paths
    problems += labeled.problems
    problems = list(dict.fromkeys(problems))  # a folder's own problems are found twice
    check_paths = where.check_paths
    if problems:
        raise _refuse(problems, check_paths)
    if labeled.frame.empty:
        raise DataError(f"data: no labeled texts in {', '.join(str(_abs(p, base)) for p in config.data)}")
    account_topics = {a["account_id"]: a["topic"] for a in account_rows}
    return labeled.frame, account_topics, check_paths


def load_training_frame(config: TrainConfig, base: Path | None = None) -> tuple[pd.DataFrame, str]:
    """Read and check the labeled data (texts, and their accounts: see ``TrainConfig.data``), attach splits; raise
    :class:`DataError` listing every problem, as ``brandfit data check`` reports them."""
    base = base or Path.cwd()
    frame, account_topics, _ = _read_labeled(config, base)
    frame = frame.assign(split=assign_splits(frame, fractions=config.split, seed=config.seed,
                                             account_topics=account_topics))
    return frame, dataset_hash(frame)


def resolve_public_root(config: TrainConfig, base: Path | None = None, override: str | Path | None = None, *,
                        strict: bool = False) -> Path | None:
    """Where the public corpora are, or None (``public_data`` unset, or nothing found there).

    ``strict`` (training): a folder the user chose (``override``, or a ``public_data`` other than the default
    ``../shared/datasets``) that does not exist or holds no known source is an :class:`InputError` naming it; only
    the default folder, absent, means None."""
    from brandfit.config import DEFAULT_PUBLIC_DATA
    from brandfit.errors import InputError
    from brandfit.evaluation.public import PROMO_SOURCES, TOPIC_SOURCES, available, default_root

    if override is None and config.public_data is None:
        return None
    cands = []
    if override is not None:
        cands.append(Path(override).expanduser())
        chosen = "--public-data"
    else:
        p = Path(config.public_data or "").expanduser()
        cands.append(p if p.is_absolute() else (base or Path.cwd()) / p)
        cands.append(default_root())  # $BRANDFIT_PUBLIC_DATA, or ../shared/datasets beside any parent
        chosen = "public_data" if config.public_data != DEFAULT_PUBLIC_DATA else None
    for c in cands:
        if available(c):
            return c.resolve()
    if strict and chosen is not None:
        where = cands[0]
        why = ("no such folder" if not where.exists() else "not a folder" if not where.is_dir() else
               f"holds none of the known sources ({', '.join((*TOPIC_SOURCES, *PROMO_SOURCES))})")
        raise InputError(f"{chosen}: {where}: {why}; give the folder holding the public corpora, or --no-public to "
                         "train on the labeled data alone")
    return None


def _sha256_files(files: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update((str(f.relative_to(root)) if f.is_relative_to(root) else f.name).encode())
        h.update(b"\x00")
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _repo_path(path: Path) -> str | None:
    """Where ``path`` (resolved) sits in the git checkout holding it, relative to the checkout's top (``.`` for the
    top itself); None outside any checkout."""
    for top in (path, *path.parents):
        if (top / ".git").exists():
            return path.relative_to(top).as_posix() or "."
    return None


def source_manifest(frame: pd.DataFrame, config: TrainConfig, base: Path, public_root: Path | None,
                    public: pd.DataFrame | None) -> dict[str, Any]:
    """Which sources the model saw: rows used and a sha256 over each source's files.

    Our labeled data is recorded as given (``path``, ``accounts``: relative to the folder training ran in when they
    were given relative; ``path_as_given`` is the same, for older readers), with ``repo_path``, where each sits in
    the git checkout holding it (None outside one; with the version's ``git_commit`` that finds it again), and the
    sha256 that says whether a copy found later is the same. A published model carries no absolute path of the
    trainer's machine (home, working directory) unless the user gave one."""
    from brandfit.data.check import is_labeled_folder

    out: dict[str, Any] = {}
    files = []
    resolved = [_abs(d, base).resolve() for d in config.data]
    for p in resolved:
        files += [f for f in p.rglob("*") if f.is_file()] if p.is_dir() else [p] if p.exists() else []
    accounts = [str(Path(given) / "accounts") for given, p in zip(config.data, resolved)
                if is_labeled_folder(p) and (p / "accounts").is_dir()]
    acc = None if config.accounts is None else _abs(config.accounts, base).resolve()
    if acc is not None and acc.exists() and not all(is_labeled_folder(p) for p in resolved):
        accounts.append(str(config.accounts))
    out["ours"] = {"n": int(len(frame)), "path": list(config.data), "path_as_given": list(config.data),
                   "repo_path": [_repo_path(p) for p in resolved], "accounts": accounts,
                   "sha256": _sha256_files(files, base.resolve()) if files else None}
    if public_root is not None and public is not None and not public.empty:
        for name, n in public["source"].value_counts().sort_index().items():
            folder = public_root / name
            out[name] = {"n": int(n), "path": str(folder),
                         "sha256": _sha256_files([f for f in folder.rglob("*") if f.is_file()], folder)}
    return out


def _public_split(public: pd.DataFrame, config: TrainConfig) -> np.ndarray:
    """``"train"`` / ``"validation"`` for each public row: by group, seeded (what :func:`fit_model` uses)."""
    from brandfit.evaluation.loso import validation_mask

    val = validation_mask(public["group"].tolist(), fraction=config.split[1], salt=f"val{config.seed}")
    return np.where(val, "validation", "train")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check_trainable(frame: pd.DataFrame, config: TrainConfig, public: pd.DataFrame | None = None) -> list[str]:
    """What :func:`fit_model` needs of the labels, checked before anything is embedded: a :class:`DataError` saying
    what to do when a head cannot be fitted. Returns the warnings (also logged, once): topics with no example, and
    validation / test splits too small or without a promo text for their figures to mean anything.

    Every model has a promo head (and its threshold, and the promo layers of its lexical head): there is no
    topic-only model, so the train rows (ours and the public sources') need promo and not-promo texts."""
    from brandfit.evaluation.loso import OURS

    paths = ", ".join(config.data)
    ours_promo = frame["promo"].astype(bool).to_numpy()
    ours_split = frame["split"].to_numpy()
    ours_topic = frame["topic"].to_numpy()
    pub = public if public is not None and not public.empty else None
    pub_split = _public_split(pub, config) if pub is not None else np.array([], dtype=object)
    pub_has_promo = pub["promo"].notna().to_numpy() if pub is not None else np.array([], dtype=bool)
    pub_promo = pub["promo"].fillna(False).to_numpy(dtype=bool) if pub is not None else np.array([], dtype=bool)
    pub_topic = pub["topic"].to_numpy() if pub is not None else np.array([], dtype=object)

    # the promo head (and the lexical promo layer): every source's train rows with a promo label
    tr, ptr = ours_split == "train", (pub_split == "train") & pub_has_promo
    pos = int(ours_promo[tr].sum() + pub_promo[ptr].sum())
    neg = int((~ours_promo[tr]).sum() + (~pub_promo[ptr]).sum())
    if not pos or not neg:
        whole = f"; in all, {paths} has {_plural(int(ours_promo.sum()), 'promo text')} and " \
                f"{_plural(int((~ours_promo).sum()), 'not-promo text')}"
        missing = "promo" if not pos else "not-promo"
        raise DataError(
            f"promo: the train rows hold {_plural(pos, 'promo text')} and {_plural(neg, 'not-promo text')}{whole}."
            f" Every brandfit model has a promo head, fitted on both classes, so training needs {missing} texts too:"
            f" label some texts promo: {'true' if not pos else 'false'} (data/labeled/GUIDE.md), or add a labeled file"
            " that has them with another --data")
    lexical_promo = config.lexical.promo_weight > 0
    if config.promo.caption_weight > 0 and lexical_promo and len(set(ours_promo[tr].tolist())) < 2:
        raise DataError(f"promo.caption_weight: the promo caption layer is fitted on the train rows of {paths} alone,"
                        " and they hold only "
                        f"{'promo' if ours_promo[tr].all() else 'not-promo'} texts; label both kinds there, or set"
                        " promo.caption_weight: 0 in the config to train without the layer (the promo head then"
                        " learns from the other sources)")
    # the topic layers: the embedding head also learns from the written descriptions of every topic
    t_ours = ours_topic[tr]
    t_pub = pub_topic[(pub_split == "train") & pd.notna(pub_topic)] if pub is not None else np.array([], dtype=object)
    topics_seen = set(t_ours.tolist()) | set(t_pub.tolist())
    if config.lexical.topic_weight > 0 and len(topics_seen) < 2:
        raise DataError(f"topic: the train rows hold texts of {_plural(len(topics_seen), 'topic')} "
                        f"({', '.join(sorted(topics_seen)) or 'none'}); the lexical topic layer needs at least two:"
                        " label texts of more topics")
    if config.topic.caption_weight > 0 and config.lexical.topic_weight > 0 and len(set(t_ours.tolist())) < 3:
        raise DataError(f"topic.caption_weight: the topic caption layer is fitted on the train rows of {paths} alone,"
                        f" and they hold {_plural(len(set(t_ours.tolist())), 'topic')} "
                        f"({', '.join(sorted(set(t_ours.tolist())))}); it needs at least three: label texts of more"
                        " topics, or set topic.caption_weight: 0 in the config to train without the layer")
    warnings: list[str] = []
    absent = [t for t in TOPICS if t not in set(ours_topic.tolist()) | set(pub_topic.tolist())]
    if absent:
        warnings.append(f"no labeled text of topic{'s' if len(absent) > 1 else ''} {', '.join(absent)}: the model"
                        f" knows {'them' if len(absent) > 1 else 'it'} only from the written topic descriptions")
    for name in ("validation", "test"):
        m = ours_split == name
        n, n_pos = int(m.sum()), int(ours_promo[m].sum())
        if n < MIN_JUDGED_TEXTS:
            use = ("the topic temperature, promo calibration and threshold are fitted on it and its"
                   if name == "validation" else "its")
            warnings.append(f"the {name} split of {paths} has {_plural(n, 'text')} (fewer than {MIN_JUDGED_TEXTS}):"
                            f" {use} figures are not meaningful; label more texts")
        if n and not n_pos:
            if name == "validation" and pub is not None and (pub_promo[pub_split == "validation"]).any():
                continue  # the public validation rows carry the promo calibration and threshold
            what = ("no promo calibration, and the promo threshold is 0.5" if name == "validation"
                    else "its promo AP and F1 cannot be computed")
            warnings.append(f"the {name} split of {paths} holds no promo text: {what}")
    for w in warnings:
        logger.warning(w)
    return warnings


@dataclass
class _FitRows:
    """The training table of :func:`fit_model` (ours, public, decorated copies) with its vectors and masks."""

    rows: pd.DataFrame
    emb: np.ndarray
    cues: Any
    src: np.ndarray
    split: np.ndarray
    has_topic: np.ndarray
    has_promo: np.ndarray
    is_aug: np.ndarray
    y_topic: np.ndarray
    y_promo: np.ndarray
    tr: np.ndarray
    va: np.ndarray


def _fit_rows(frame: pd.DataFrame, config: TrainConfig, embedder: Embedder, embeddings: np.ndarray | None,
              public: pd.DataFrame | None, public_embeddings: np.ndarray | None) -> _FitRows:
    """Our rows, the public rows (split into train / validation by group) and the decorated not-promo copies,
    embedded (reusing ``embeddings`` / ``public_embeddings`` when given)."""
    from brandfit.evaluation.loso import augmented_rows

    ours = pd.DataFrame({"text": frame["text"].to_numpy(), "source": "ours", "topic": frame["topic"].to_numpy(),
                         "promo": frame["promo"].astype(object).to_numpy(), "split": frame["split"].to_numpy(),
                         "augmented": False})
    if embeddings is None:
        logger.info("embedding %d labeled texts", len(ours))
    parts, embs = [ours], [embeddings if embeddings is not None else
                           embedder.encode([normalize(t) for t in ours["text"]])]
    if public is not None and not public.empty:
        pub = public.reset_index(drop=True)
        pub = pd.DataFrame({"text": pub["text"], "source": pub["source"], "topic": pub["topic"],
                            "promo": pub["promo"], "split": _public_split(pub, config), "augmented": False})
        parts.append(pub)
        if public_embeddings is None:
            logger.info("embedding %d public texts", len(pub))
        embs.append(public_embeddings if public_embeddings is not None else
                    embedder.encode([normalize(t) for t in pub["text"]]))
    all_rows = pd.concat(parts, ignore_index=True)
    aug = augmented_rows(all_rows[all_rows["split"] == "train"], per_source=config.promo.augment, seed=config.seed) \
        if config.promo.augment else all_rows.iloc[:0]
    if len(aug):
        parts.append(aug)
        logger.info("embedding %d decorated not-promo copies", len(aug))
        embs.append(embedder.encode([normalize(t) for t in aug["text"]]))
    rows = pd.concat(parts, ignore_index=True)
    emb = np.vstack(embs).astype(np.float32)
    cues = find_cues(rows["text"].tolist())
    split = rows["split"].to_numpy()
    return _FitRows(
        rows=rows, emb=emb, cues=cues, src=rows["source"].to_numpy(), split=split,
        has_topic=rows["topic"].notna().to_numpy(), has_promo=rows["promo"].notna().to_numpy(),
        is_aug=rows["augmented"].to_numpy(dtype=bool),
        y_topic=np.array([TOPICS.index(t) if isinstance(t, str) else -1 for t in rows["topic"]]),
        y_promo=rows["promo"].fillna(False).to_numpy(dtype=bool), tr=split == "train", va=split == "validation",
    )


def _one_label_down(d: _FitRows, config: TrainConfig) -> dict[str, float]:
    """``{source: topic.one_label_weight}`` for the sources whose labelled topic rows (every split) all carry one
    label: with nothing to contrast, the topic heads would learn their style as that label."""
    from brandfit.evaluation.loso import one_label_sources

    if config.topic.one_label_weight == 1.0:
        return {}
    rows = d.has_topic & ~d.is_aug
    alone = one_label_sources(d.src[rows], d.y_topic[rows])
    if alone >= set(d.src[rows].tolist()):
        return {}  # every source carries one label: nothing to weigh them against
    return {s: config.topic.one_label_weight for s in sorted(alone)}


def _topic_weights(d: _FitRows, rows: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Sample weights of the topic rows ``rows`` (both topic heads use these)."""
    from brandfit.evaluation.loso import source_weights

    return source_weights(d.src[rows], mode=config.source_weighting, fixed=_one_label_down(d, config))


def _promo_weights(d: _FitRows, rows: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Sample weights of the promo rows ``rows`` (both promo layers use these): per source, data/labeled x
    ``promo.ours_weight``."""
    from brandfit.evaluation.loso import OURS, source_weights

    fixed = {OURS: config.promo.ours_weight} if config.promo.ours_weight != 1.0 else None
    return source_weights(d.src[rows], mode=config.source_weighting, fixed=fixed)


def _fit_topic_head(d: _FitRows, desc: DescriptionIndex, config: TrainConfig):
    """Topic head: every source's train rows (weighted per source) plus the written descriptions as examples,
    temperature-scaled on the validation rows. Returns ``(topic_head, xt, x_desc, prior, tv)``."""
    t_rows = d.tr & d.has_topic
    xt = topic_features(d.emb, desc, desc_scale=config.topic.desc_scale)
    x_desc = topic_features(desc.embeddings, desc, desc_scale=config.topic.desc_scale)
    w_topic = _topic_weights(d, t_rows, config)
    groups = np.concatenate([d.src[t_rows].astype(object), np.full(len(x_desc), "", dtype=object)])  # descriptions: none
    head = fit_softmax_head(
        np.vstack([xt[t_rows], x_desc]), np.concatenate([d.y_topic[t_rows], desc.topic_index]), len(TOPICS),
        c=config.topic.c, seed=config.seed, balanced=config.topic.balanced,
        sample_weight=np.concatenate([w_topic, np.full(len(x_desc), config.topic.description_weight)]),
        groups=groups, group_scale=config.topic.source_intercepts)
    prior = topic_prior(d.emb, desc, weight=config.topic.prior_weight)
    tv = d.va & d.has_topic
    temperature = fit_temperature(head.logits(xt[tv], None if prior is None else prior[tv]), d.y_topic[tv]) \
        if tv.any() else 1.0
    return SoftmaxHead(head.coef, head.intercept, temperature), xt, x_desc, prior, tv


def _neighbour_index(d: _FitRows, config: TrainConfig) -> NeighbourIndex | None:
    """Our own train rows with a topic label (never a public source's, never a decorated copy) as neighbours
    (``topic.neighbours``); None when the share is 0 or there is no such row (the config then says 0)."""
    if config.topic.neighbours <= 0:
        return None
    rows = np.flatnonzero(d.tr & d.has_topic & (d.src == "ours") & ~d.is_aug)
    if not len(rows):
        logger.warning("topic.neighbours: no train row of %s has a topic label; no neighbour vote", ", ".join(config.data))
        return None
    kept = capped_rows(rows, seed=config.seed)
    logger.info("topic neighbours: %d train texts of %s%s", len(kept), ", ".join(config.data),
                f" (a seeded sample of {len(rows)}: at most {MAX_NEIGHBOURS} are stored)" if len(kept) < len(rows) else "")
    return NeighbourIndex(d.emb[kept], d.y_topic[kept])


@dataclass
class _Lexical:
    """The lexical head while it is fitted, and its logits for every training row and every topic description."""

    head: LexicalHead
    topic_logits: np.ndarray
    promo_logits: np.ndarray
    desc_topic_logits: np.ndarray
    norm: list[str]  # every training row's text, normalised
    desc_norm: list[str]  # every topic description (DescriptionIndex.phrases), normalised
    desc_topic: np.ndarray  # the topic of each
    caption_logits: np.ndarray | None = None  # the caption layer's promo logits of every training row (None: no layer)


def _caption_rows(d: _FitRows, config: TrainConfig, section: str) -> np.ndarray | None:
    """The rows a caption layer (``promo`` or ``topic``) is fitted on: our own train rows, the one source of captions
    and bios; None when the config leaves the layer out. A :class:`DataError` when they lack the labels it needs."""
    from brandfit.evaluation.loso import OURS

    part, lex_weight = ((config.topic, config.lexical.topic_weight) if section == "topic"
                        else (config.promo, config.lexical.promo_weight))
    if part.caption_weight <= 0 or lex_weight <= 0:
        return None
    has, y, need, what = ((d.has_topic, d.y_topic, 3, "texts of at least three topics") if section == "topic"
                          else (d.has_promo, d.y_promo, 2, "promo and not-promo texts"))
    rows = np.flatnonzero(d.tr & has & ~d.is_aug & (d.src == OURS))
    if len(np.unique(y[rows])) < need:
        raise DataError(f"{section}.caption_weight: the {section} caption layer needs {what} among the train rows of"
                        f" {', '.join(config.data)}; set {section}.caption_weight: 0 to train without it")
    return rows


def _fit_lexical(d: _FitRows, config: TrainConfig, desc: DescriptionIndex) -> _Lexical | None:
    """The lexical layers (``config.lexical``) on the same rows and source weights as the embedding heads."""
    if not config.lexical.on:
        return None
    t0 = time.perf_counter()
    norm = [normalize(t) for t in d.rows["text"]]
    t_rows, p_rows = np.flatnonzero(d.tr & d.has_topic), np.flatnonzero(d.tr & d.has_promo)
    c_rows, ct_rows = _caption_rows(d, config, "promo"), _caption_rows(d, config, "topic")
    head, topic_logits, promo_logits, caption_logits = fit_lexical_head(
        norm, idf_rows=np.flatnonzero(d.tr & ~d.is_aug), topic_rows=t_rows, y_topic=d.y_topic[t_rows],
        topic_weight=_topic_weights(d, t_rows, config), promo_rows=p_rows,
        y_promo=d.y_promo[p_rows], promo_weight=_promo_weights(d, p_rows, config),
        n_topics=len(TOPICS), n_buckets=config.lexical.n_buckets, topic_c=config.lexical.topic_c,
        promo_c=config.lexical.promo_c, seed=config.seed, caption_rows=c_rows,
        y_caption=None if c_rows is None else d.y_promo[c_rows], caption_c=config.promo.caption_c,
        caption_topic_rows=ct_rows, y_caption_topic=None if ct_rows is None else d.y_topic[ct_rows],
        caption_topic_c=config.topic.caption_c)
    if head.caption_topic_coef is not None:  # stored scaled: the model adds its logits as they are
        head = dataclasses.replace(head, caption_topic_coef=(config.topic.caption_weight * head.caption_topic_coef
                                                             ).astype(np.float32),
                                   caption_topic_intercept=(config.topic.caption_weight * head.caption_topic_intercept
                                                            ).astype(np.float32))
    desc_texts = [normalize(t) for t in (desc.phrases or ())]
    logger.info("lexical head fitted in %.1f s", time.perf_counter() - t0)
    return _Lexical(head, topic_logits, promo_logits, head.logits(desc_texts)[0], norm, desc_texts, desc.topic_index,
                    caption_logits)


def _with_lexical_prior(p: np.ndarray, norm: list[str], lex: _Lexical, weight: float) -> np.ndarray:
    """``softmax(log p + weight x n-gram cosine to each topic's descriptions)`` (``topic.lexical_prior``)."""
    from brandfit.lexical import topic_match

    match = topic_match(norm, lex.desc_norm, lex.desc_topic, len(TOPICS), idf=lex.head.idf)
    return softmax(np.log(np.clip(p, 1e-12, None)) + weight * match, axis=1)


def _fit_promo_head(d: _FitRows, config: TrainConfig, lex: _Lexical | None):
    """Promo head: embedding + cue columns, every source's train rows (and the decorated copies), weighted per
    source; its logit mixed with the lexical head's (if any), Platt-calibrated and thresholded on the validation
    rows. Returns ``(promo_head, lexical_head, probabilities of every row, threshold, platt)``."""
    from brandfit.evaluation.loso import choose_threshold

    p_rows = d.tr & d.has_promo
    xp = promo_features(d.emb, d.cues, cue_scale=config.promo.cue_scale)
    promo_head = fit_logistic_head(xp[p_rows], d.y_promo[p_rows], c=config.promo.c, seed=config.seed,
                                   sample_weight=_promo_weights(d, p_rows, config))
    # with a lexical head the two logits are mixed (1 - w) : w, folded into the heads: their sum is the mixed logit;
    # plus boost x max(lexical logit, 0): the n-grams may raise a score where they are confident, never lower it
    w = config.lexical.promo_weight if lex is not None else 0.0
    boost = config.lexical.promo_boost if lex is not None and w > 0 else 0.0  # the boost rides on the promo share
    promo_head = LogisticHead(coef=(1 - w) * promo_head.coef, intercept=(1 - w) * promo_head.intercept)
    scale = w  # lexical promo logits of the final head = scale x the fitted layer's
    lex_logits = lex.promo_logits if lex is not None else np.zeros(len(xp))
    lex_part = scale * lex_logits + boost * np.maximum(lex_logits, 0.0)  # before calibration
    cap_scale = config.promo.caption_weight if lex is not None and lex.caption_logits is not None else 0.0
    if cap_scale > 0:  # the caption layer's logit x its weight, added as it is (calibrated with the rest)
        lex_part = lex_part + cap_scale * lex.caption_logits
    pv = d.va & d.has_promo & ~d.is_aug
    p_val = expit(promo_head.logit(xp[pv]) + lex_part[pv])
    promo_platt = (1.0, 0.0)
    if config.promo.calibrate and pv.any() and d.y_promo[pv].any() and (~d.y_promo[pv]).any():
        # Platt scaling folded into the heads: sigmoid(a * (x.coef + c0) + b) is a logistic head again
        from brandfit.evaluation.loso import platt_by_source

        promo_platt = platt_by_source(p_val, d.y_promo[pv], d.src[pv])
        a, b = promo_platt
        if (boost > 0 or cap_scale > 0) and not a > 0:  # the boost and the caption layer ride on the scaled logit
            raise DataError(f"promo calibration slope {a:.3g} <= 0 with lexical.promo_boost or promo.caption_weight:"
                            " the validation rows rank promo below organic; check the labels")
        promo_head = LogisticHead(coef=a * promo_head.coef, intercept=a * promo_head.intercept + b)
        scale *= a
        cap_scale *= a
        lex_part = a * lex_part
        p_val = expit(promo_head.logit(xp[pv]) + lex_part[pv])
    lex_head = None if lex is None else dataclasses.replace(
        lex.head, promo_coef=(scale * lex.head.promo_coef).astype(np.float32),
        promo_intercept=scale * lex.head.promo_intercept,
        caption_coef=None if cap_scale <= 0 else (cap_scale * lex.head.caption_coef).astype(np.float32),
        caption_intercept=0.0 if cap_scale <= 0 else cap_scale * lex.head.caption_intercept)
    logit_all = promo_head.logit(xp) + lex_part
    if config.promo.disclosure_floor > 0:
        # the reported figures are the model's, floor included; the threshold is chosen on the heads' own scores
        # (p_val, every validation row): the floor is a rule on top of them (docs/quality.md, "An explicit paid
        # disclosure sets a floor": leave-one-source-out preferred this to choosing it on floored or undecided rows)
        from brandfit.disclosure import floor_logits, paid_disclosure

        logit_all = floor_logits(logit_all, paid_disclosure(d.rows["text"].tolist()), config.promo.disclosure_floor)
    if config.promo.qualifier_ceiling > 0:  # the same for the ceiling over texts whose cues are all explained away
        from brandfit.cue_qualifiers import ceiling_logits, held_under_ceiling

        qualified = np.fromiter((held_under_ceiling(c, t) for c, t in zip(d.cues, d.rows["text"])), dtype=bool,
                                count=len(d.cues))
        logit_all = ceiling_logits(logit_all, qualified, config.promo.qualifier_ceiling)
    p_all = expit(logit_all)
    if not pv.any() or not d.y_promo[pv].any():
        threshold = 0.5
    else:
        threshold = choose_threshold(config.promo.threshold, d.y_promo[pv], p_val, d.src[pv])
    if 0 < config.promo.disclosure_floor <= threshold:
        logger.warning("promo.disclosure_floor %.3g is not above the promo threshold %.3g: an explicit paid disclosure"
                       " alone will not flag a text; raise the floor", config.promo.disclosure_floor, threshold)
    if config.promo.qualifier_ceiling >= threshold:
        logger.warning("promo.qualifier_ceiling %.3g is not below the promo threshold %.3g: a text whose cues are all"
                       " explained away may still be flagged; lower the ceiling", config.promo.qualifier_ceiling,
                       threshold)
    return promo_head, lex_head, p_all, threshold, promo_platt


def _fit_brand_calibration(d: _FitRows, desc: DescriptionIndex, config: TrainConfig, p_topic: np.ndarray,
                           q_desc: np.ndarray, tv: np.ndarray, lx: _Lexical | None,
                           neighbours: NeighbourIndex | None = None):
    """Custom brand topics: Platt scaling of brand.brand_score, the five verticals' descriptions as brand words,
    on the validation rows of every source (the train rows when there are none). ``p_topic``: the model's topic
    probabilities of every row; ``q_desc``: those of the descriptions; ``lx``: the lexical head, whose idf weighs
    the n-gram cosine to the words (``brand.lexical``; none without a lexical head). A vertical's brand words are
    its several descriptions, of which the best match counts, for the n-grams as for the embeddings; a brand
    gives one description at inference. With ``brand.expand`` and a neighbour index, the stored texts nearest a
    vertical's descriptions stand in as its example posts, as they do for a brand at inference."""
    from brandfit.brand import (brand_score, brand_topic_proba, fit_calibration, other_topic_descriptions,
                                stand_in_examples)
    from brandfit.lexical import similarity

    cal_rows = tv if tv.any() else (d.tr & d.has_topic)
    p_cal = p_topic[cal_rows]
    lexical = config.brand.lexical if lx is not None else 0.0
    if lx is not None and lexical:
        norm = [lx.norm[i] for i in np.flatnonzero(cal_rows)]
        lex = similarity(norm, lx.desc_norm, idf=lx.head.idf)  # (rows, descriptions), in desc.topic_index order
    zs, ys = [], []
    for t in range(len(TOPICS) - 1):
        own = desc.topic_index == t
        q = brand_topic_proba(q_desc[own])
        zs.append(brand_score(d.emb[cal_rows], desc.embeddings[own], p_cal, q,
                              negative_emb=other_topic_descriptions(desc.embeddings, desc.topic_index, q),
                              vertical=config.brand.vertical,
                              contrast=config.brand.contrast, negative_reduce=config.brand.negative_reduce,
                              lexical_sim=lex[:, own] if lexical else None, lexical=lexical,
                              example_emb=(stand_in_examples(desc.embeddings[own], neighbours.unit_rows,
                                                             config.brand.expand)
                                           if neighbours is not None and config.brand.expand else None)))
        ys.append(d.y_topic[cal_rows] == t)
    return fit_calibration(zs, ys)


def _fit_metrics(d: _FitRows, p_topic: np.ndarray, p_promo: np.ndarray, threshold: float) -> dict[str, Any]:
    """Row counts, our validation / test reports and the per-source public validation reports, from the model's
    topic and promo probabilities of every row."""
    split, src, is_aug = d.split, d.src, d.is_aug
    metrics: dict[str, Any] = {
        "n_texts": {s: int(((split == s) & (src == "ours")).sum()) for s in ("train", "validation", "test")},
        "n_public_texts": {s: int(((split == s) & (src != "ours") & ~is_aug).sum()) for s in ("train", "validation")},
        "n_decorated_texts": int(is_aug.sum()),
    }
    ours_rows = src == "ours"
    for name in ("validation", "test"):
        m = ours_rows & (split == name)
        if m.any():
            metrics[name] = {
                "topic": topic_report(d.rows["topic"][m].tolist(), p_topic[m]),
                "promo": promo_report(d.y_promo[m], p_promo[m], threshold),
            }
    by_source: dict[str, Any] = {}
    for s in dict.fromkeys(src[~ours_rows & ~is_aug]):
        m = (src == s) & d.va & ~is_aug
        block: dict[str, Any] = {}
        if (m & d.has_topic).any():
            mt = m & d.has_topic
            r = topic_report(d.rows["topic"][mt].tolist(), p_topic[mt])
            block["topic"] = {k: r[k] for k in ("n", "accuracy", "macro_ap", "ece")}
        if (m & d.has_promo).any():
            mp = m & d.has_promo
            block["promo"] = promo_report(d.y_promo[mp], p_promo[mp], threshold)
        by_source[s] = block
    if by_source:
        metrics["public_validation"] = by_source  # held-out groups of sources the model trained on (not LOSO)
    return metrics


def fit_model(frame: pd.DataFrame, config: TrainConfig, embedder: Embedder, *,
              embeddings: np.ndarray | None = None, public: pd.DataFrame | None = None,
              public_embeddings: np.ndarray | None = None) -> tuple[RelevanceModel, dict[str, Any]]:
    """Fit both heads on the ``train`` rows, calibrate on ``validation``, report on ``test``.

    ``frame`` is our labeled data with its split; ``public`` (optional) the public corpora
    (:func:`brandfit.evaluation.public.load_public`), split into train / validation by group. Sources are weighted
    per ``config.source_weighting``; the promo head also sees decorated not-promo copies
    (:func:`brandfit.text.augment.decorate`) so a plain mention, hashtag or link is not read as an ad.
    """
    t0 = time.perf_counter()
    d = _fit_rows(frame, config, embedder, embeddings, public, public_embeddings)
    logger.info("fitting the topic and promo heads on %d train rows", int(d.tr.sum()))
    desc = DescriptionIndex.build(embedder, templates=config.topic.description_templates)
    down = _one_label_down(d, config)
    if down:
        logger.info("topic heads: one-label source(s) weighted x%s: %s", config.topic.one_label_weight,
                    ", ".join(down))
    topic_head, xt, x_desc, prior, tv = _fit_topic_head(d, desc, config)
    lex = _fit_lexical(d, config, desc)
    p_topic = topic_head.proba(xt, prior)
    q_desc = topic_head.proba(x_desc, topic_prior(desc.embeddings, desc, weight=config.topic.prior_weight))
    mix_temperature = 1.0
    mixed = False
    if lex is not None and config.lexical.topic_weight > 0:
        # topic probabilities mixed (1 - w) : w with the lexical head's
        w = config.lexical.topic_weight
        p_topic = (1 - w) * p_topic + w * softmax(lex.topic_logits, axis=1)
        q_desc = (1 - w) * q_desc + w * softmax(lex.desc_topic_logits, axis=1)
        mixed = True
    share = config.topic.zero_shot_share
    if share > 0:  # then geometrically with the zero-shot probabilities (RelevanceModel._heads does the same)
        p_topic = geometric_mix(p_topic, zero_shot_proba(d.emb, desc), share)
        q_desc = geometric_mix(q_desc, zero_shot_proba(desc.embeddings, desc), share)
        mixed = True
    if lex is not None and config.topic.lexical_prior > 0:  # RelevanceModel._with_lexical_prior does the same
        p_topic, q_desc = (_with_lexical_prior(p, texts, lex, config.topic.lexical_prior)
                           for p, texts in ((p_topic, lex.norm), (q_desc, lex.desc_norm)))
    if lex is not None and lex.head.caption_topic_coef is not None:  # and the topic caption layer (format 10)
        p_topic, q_desc = (softmax(np.log(np.clip(p, 1e-12, None)) + lex.head.caption_topic_logits(texts), axis=1)
                           for p, texts in ((p_topic, lex.norm), (q_desc, lex.desc_norm)))
        mixed = True
    if mixed:  # and the mix (with the descriptions' n-gram match) temperature-scaled on the validation rows
        if tv.any():
            mix_temperature = fit_temperature(np.log(np.clip(p_topic[tv], 1e-12, None)), d.y_topic[tv])
        p_topic, q_desc = (mix_calibrated(p, mix_temperature) for p in (p_topic, q_desc))
    neighbours = _neighbour_index(d, config)
    if neighbours is not None:  # last, after the temperature: RelevanceModel._heads does the same. Not for the
        # descriptions, which stand for a brand's words here, and a brand's vertical comes from the heads alone
        t = config.topic
        p_topic = geometric_mix(p_topic, neighbours.proba(d.emb, k=t.neighbours_k,
                                                          temperature=t.neighbours_temperature), t.neighbours)
    if config.topic.names_prior > 0:  # then the vertical of each name a text names: RelevanceModel._heads does the same
        raw = d.rows["text"].tolist()
        norm = lex.norm if lex is not None else [normalize(t) for t in raw]
        p_topic = with_names_prior(p_topic, raw, norm, config.topic.names_prior, version=NORMALIZATION_VERSION,
                                   skip=config.topic.names_prior_skip)
    promo_head, lex_head, p_promo, threshold, promo_platt = _fit_promo_head(d, config, lex)
    brand_cal = _fit_brand_calibration(d, desc, config, p_topic, q_desc, tv, lex, neighbours)

    model_config = config.to_dict()
    model_config["normalization_version"] = NORMALIZATION_VERSION
    if config.topic.names_prior > 0:  # the rules the prior was applied with (brandfit.names_prior.RULES)
        model_config["names_prior_rules"] = NAMES_PRIOR_RULES
    model_config["promo"]["cues"] = list(CUES)  # the promo head's cue columns, in order (model format 8)
    if lex_head is None or lex_head.caption_coef is None:  # the stored config says what the model holds
        model_config["promo"]["caption_weight"] = 0.0
    if lex_head is None or lex_head.caption_topic_coef is None:
        model_config["topic"]["caption_weight"] = 0.0
    if neighbours is None:
        model_config["topic"]["neighbours"] = 0.0
        model_config["brand"]["expand"] = 0  # the stand-in examples come from the neighbour index
    model = RelevanceModel(
        topic_head=topic_head, promo_head=promo_head, descriptions=desc, promo_threshold=threshold,
        brand_calibration=brand_cal, config=model_config, embedder=embedder,
        backend=embedder.name.rsplit("/", 1)[-1].split("-")[0], lexical=lex_head, mix_temperature=mix_temperature,
        neighbours=neighbours,
    )
    metrics = _fit_metrics(d, p_topic, p_promo, threshold)
    metrics["promo_threshold"] = threshold
    metrics["promo_platt"] = list(promo_platt)
    metrics["topic_mix_temperature"] = mix_temperature
    metrics["brand_calibration"] = list(brand_cal)
    metrics["topic_neighbours"] = 0 if neighbours is None else len(neighbours)  # texts of ours stored as neighbours
    metrics["topic_one_label_sources"] = down  # {source: weight factor} in both topic heads
    metrics["fit_seconds"] = round(time.perf_counter() - t0, 2)
    return model, metrics


def train(
    config: TrainConfig,
    *,
    base: Path | None = None,
    embedder: Embedder | None = None,
    public_eval: bool = True,
    check_backends: tuple[str, ...] = ("onnx", "torch"),
    public_data: str | Path | None = None,
) -> TrainResult:
    """Run the whole pipeline (without publishing): data, split, fit, held-out metrics.

    Everything that can be checked is checked before anything is embedded: the labeled data and its accounts
    (:func:`load_training_frame`, as ``brandfit data check``), an explicit public folder, the labels each head
    needs (:func:`check_trainable`). Trains on ``config.data`` and, when found, the public corpora (``public_data``
    overrides ``config.public_data``; see :func:`resolve_public_root`); without the default folder it falls back
    to our labeled data alone and says so once (a warning and ``metrics["public_training"]``). Only then is the cross-domain evaluation on the public
    corpora (``public_eval``) meaningful, and run. Each backend in ``check_backends`` is checked with the same heads
    (see :mod:`brandfit.evaluation.backends`); those within tolerance join ``model.validated_backends``.
    """
    base = base or Path.cwd()
    logger.info("reading the labeled data: %s", ", ".join(config.data))
    frame, dhash = load_training_frame(config, base)
    public_root = resolve_public_root(config, base, public_data, strict=True)
    public = None
    data_desc = f"{', '.join(config.data)} ({_plural(len(frame), 'text')}, {dhash[:19]})"
    if public_root is not None:
        from brandfit.evaluation.public import load_public

        logger.info("reading the public corpora in %s", public_root)
        public = load_public(public_root, sources=config.public_sources or None, cap=config.public_cap)
        logger.info("training on %s + %d public texts from %d sources in %s", data_desc, len(public),
                    public["source"].nunique(), public_root)
    elif config.public_data is None and public_data is None:
        logger.info("training on %s alone (public corpora off)", data_desc)
    else:  # the default folder, absent (an installed package has no corpora): said once, as a warning
        logger.warning("public corpora not found (%s): training on %s alone; the model will not have seen real social"
                       " text (--public-data DIR to add them, --no-public to silence this)", config.public_data,
                       data_desc)
    warnings = check_trainable(frame, config, public)  # before anything is embedded
    embedder = embedder or get_embedder("onnx")
    model, metrics = fit_model(frame, config, embedder, public=public)
    metrics["public_training"] = public_root is not None
    metrics["training_sources"] = source_manifest(frame, config, base, public_root, public)
    if warnings:
        metrics["warnings"] = warnings
    corpora = None
    if public_eval and public_root is None:
        from brandfit.evaluation.crossdomain import evaluate_public
        from brandfit.evaluation.public import load_public

        corpora = load_public()
        if not corpora.empty:
            logger.info("cross-domain evaluation on %d public texts", len(corpora))
            metrics["public"] = evaluate_public(model, corpora)
    validated = [model.backend]
    for backend in check_backends:
        if backend == model.backend:
            continue
        from brandfit.evaluation.backends import check_backend

        logger.info("validating the %s backend with the same heads", backend)
        check = check_backend(model, frame, backend, reference=metrics, corpora=corpora)
        metrics.setdefault("backends", {})[backend] = check
        if check["validated"]:
            validated.append(backend)
    model.validated_backends = tuple(validated)
    return TrainResult(model=model, metrics=metrics, frame=frame, dataset_hash=dhash)


def check_publish_target(registry_root: str | Path, name: str, aliases: tuple[str, ...] = ()) -> Path:
    """Check, before the minutes of training, that a model named ``name`` (with ``aliases``) can be published into
    ``registry_root``: valid name and aliases, not the read-only bundled registry, a folder that exists and can be
    written (or can be created). Returns the root; raises :class:`~brandfit.errors.InputError` naming the problem.
    Nothing is written (a probe file is created and removed)."""
    import os

    from brandfit.errors import InputError, NotAFolderError
    from brandfit.registry import ModelRegistry, validate_name
    from brandfit.settings import ENV_REGISTRY, bundled_registry

    validate_name(name)
    for alias in aliases:
        validate_name(alias, kind="alias")
    root = Path(registry_root).expanduser().absolute()
    if root.resolve() == bundled_registry().resolve():
        raise InputError(f"no registry to publish to: {root} is the read-only registry bundled with brandfit; pass "
                         f"--registry PATH or set ${ENV_REGISTRY} (or --dry-run to train without publishing)")
    if root.exists() and not root.is_dir():
        raise NotAFolderError(f"registry {root}: not a folder")
    existing = root
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise NotAFolderError(f"registry {root}: {existing} is not a folder")
    # every folder publishing writes into that exists already: the root, .tmp, the model's folder, the aliases
    probe_dirs = [existing] + [d for d in (root / ".tmp", root / name, root / "_aliases") if d.is_dir()]
    for d in probe_dirs:
        try:
            fd, probe = tempfile.mkstemp(prefix=".brandfit-write-check-", dir=d)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            what = "create the registry in" if d == existing and d != root else "write to"
            raise InputError(f"registry {root}: cannot {what} {d} ({exc.strerror or exc}); choose a registry you"
                             " can write to (--registry PATH)") from None
    lock = root / ".lock"
    if lock.exists() and not os.access(lock, os.R_OK | os.W_OK):
        raise InputError(f"registry {root}: cannot write its lock file {lock}; choose a registry you can write to")
    if root.is_dir():
        ModelRegistry(root)._check_namespace(name, aliases)  # a name that is an alias, an alias that is a name
    return root


def save_unpublished(result: TrainResult, config: TrainConfig, folder: str | Path, *,
                     extra_metadata: dict[str, Any] | None = None) -> Path:
    """Write a trained model that could not be published into ``folder`` (``model/``, ``metadata.json``,
    ``README.md``), so the minutes of training are not lost: publish it later with
    ``ModelRegistry(root).publish(name, folder / "model", metadata=json.load(metadata.json), card=README.md)``."""
    import json

    from brandfit.modelcard import render_card

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=False)
    result.model.save(folder / "model")
    meta = _metadata(result, config, extra_metadata)
    (folder / "metadata.json").write_text(json.dumps(_no_nan(meta), indent=1, default=str), encoding="utf-8")
    (folder / "README.md").write_text(render_card(config.name, meta), encoding="utf-8")
    return folder


def _no_nan(value: Any) -> Any:
    """``value`` with every float that is not finite replaced by None, in nested dicts, lists and tuples."""
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nan(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _metadata(result: TrainResult, config: TrainConfig, extra_metadata: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "metrics": result.metrics,
        "config": config.to_dict(),
        "promo_cues": list(result.model.promo_cue_columns),  # the promo head's cue columns (the model card names them)
        "dataset_hash": result.dataset_hash,
        "embedding_model": MODEL_ID,
        "embedding_dim": DIM,
        "backend": result.model.backend,
        "validated_backends": list(result.model.validated_backends),
        "labels": {"topics": list(TOPICS), "promo": [False, True]},
        "topic_descriptions": {k: list(v) for k, v in TOPIC_DESCRIPTIONS.items()},
        "n_texts": int(len(result.frame)),
        "training_sources": result.metrics.get("training_sources", {}),
        "normalization_version": NORMALIZATION_VERSION,
        **(extra_metadata or {}),  # description, tags (brandfit train --description/--tag)
    }


def publish(result: TrainResult, config: TrainConfig, registry_root: str | Path, *,
            aliases: tuple[str, ...] = (), extra_metadata: dict[str, Any] | None = None) -> str:
    """Write the model into a temporary folder and publish it as a new registry version; return its ref."""
    from brandfit.modelcard import render_card
    from brandfit.registry import ModelRegistry

    reg = ModelRegistry(registry_root)
    metadata = _metadata(result, config, extra_metadata)
    card = render_card(config.name, metadata)
    metadata = _no_nan(metadata)  # a figure that could not be computed is stored as null (JSON has no NaN)
    with tempfile.TemporaryDirectory(prefix="brandfit-model-") as tmp:
        result.model.save(tmp)
        mv = reg.publish(config.name, Path(tmp), metadata=metadata, card=card, aliases=aliases)
    result.model.version = mv.ref
    return mv.ref
