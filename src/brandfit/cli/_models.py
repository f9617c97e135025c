"""``brandfit models ...``: inspect, promote, roll back, verify and move published model versions.

The registry is ``--registry PATH``, else the default :func:`brandfit.load_model` uses: ``$BRANDFIT_REGISTRY``,
else ``./models`` when it holds a registry, else the read-only registry bundled with brandfit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

from brandfit.cli._argtypes import whole_number
from brandfit.errors import (
    FormatVersionError,
    InputError,
    IntegrityError,
    MissingFileError,
    NotAFolderError,
    UnknownRefError,
)
from brandfit.registry import ModelRegistry
from brandfit.settings import (
    BACKENDS,
    DEFAULT_LABELED_ACCOUNTS,
    DEFAULT_LABELED_TEXTS,
    ENV_REGISTRY,
    MIN_JUDGED_TEXTS,
    registry_root,
)

__all__ = ["register"]

logger = logging.getLogger(__name__)


class CannotEvaluateHere(InputError):
    """The two versions cannot be evaluated on the same texts here, through no fault of the command line: a version
    is not a relevance model (or cannot be loaded), they embed with different encoders, or no labeled data nor
    public corpora are found. Only this lets the promotion gate fall back to the figures recorded at training time;
    any other error (a usage error, unreadable --data) stops ``promote`` with exit 2 before anything is promoted."""


def _registry(args: argparse.Namespace) -> ModelRegistry:
    reg = ModelRegistry(registry_root(getattr(args, "registry", None) or None))  # the default load_model() uses
    if reg.root.exists() and not reg.root.is_dir():
        raise NotAFolderError(f"{reg.root}: the registry must be a folder, and this is a file (check --registry or "
                              f"${ENV_REGISTRY})")
    return reg


def _cmd_bundle(args: argparse.Namespace) -> int:
    from brandfit.registry.bundle import refresh_bundle

    mv = refresh_bundle(_registry(args).root, args.to, alias=args.alias)
    print(f"bundled {mv.ref} ({args.alias}) into {mv.path.parent.parent}")
    return 0


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def _short_hash(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "-"
    return value.split(":", 1)[-1][:10]


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


_LIST_METRICS = (("test/topic_macro_ap", "TOPIC AP"), ("test/promo_ap", "PROMO AP"),
                 ("public/topic_macro_ap", "PUB TOPIC AP"), ("public/promo_ap", "PUB PROMO AP"))


def _tags_text(tags: Any) -> str:
    if not isinstance(tags, dict) or not tags:
        return ""
    return " ".join(f"{k}={v}" for k, v in sorted(tags.items()))


def _cmd_list(args: argparse.Namespace) -> int:
    from brandfit.registry.compare import headline_from_metadata

    reg = _registry(args)
    aliases: dict[str, list[str]] = {}
    for alias, target in reg.aliases().items():
        aliases.setdefault(target, []).append(alias)
    entries = []
    for mv in reg.list():
        entry: dict[str, Any] = {"ref": mv.ref, "name": mv.name, "version": mv.version, "path": str(mv.path),
                                 "aliases": aliases.get(mv.ref, [])}
        try:
            meta = mv.metadata
        except (IntegrityError, FormatVersionError) as exc:
            entry.update(published_at=f"(unreadable: {exc})", created_at=None, description=None, tags={},
                         dataset_hash=None, headline={})
        else:
            entry.update(published_at=meta.get("published_at") or meta.get("created_at"),
                         created_at=meta.get("created_at"), description=meta.get("description"),
                         tags=meta.get("tags") or {}, dataset_hash=meta.get("dataset_hash"),
                         headline=headline_from_metadata(meta))
        entries.append(entry)
    if args.json:
        _print_json(entries)
        return 0
    if not entries:
        print(f"no models in {reg.root}" + ("" if reg.root.exists() else " (the folder does not exist)"))
        return 0
    rows = []
    for e in entries:
        created = str(e["created_at"] or e["published_at"] or "-")[:16].replace("T", " ")
        text = " ".join(x for x in (e["description"] or "", _tags_text(e["tags"])) if x)
        if len(text) > 48:
            text = text[:47] + "…"
        rows.append([e["ref"], ", ".join(e["aliases"]), created, _short_hash(e["dataset_hash"])]
                    + [_num(e["headline"].get(key)) for key, _ in _LIST_METRICS] + [text])
    print(_table(("VERSION", "ALIASES", "CREATED (UTC)", "DATASET") + tuple(h for _, h in _LIST_METRICS)
                 + ("DESCRIPTION",), rows))
    return 0


def _section(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def _kv(pairs: Sequence[tuple[str, Any]]) -> None:
    pairs = [(k, v) for k, v in pairs if v not in (None, "", [], {})]
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        print(f"  {key.ljust(width)}  {value}")


def _show_version(info: dict[str, Any]) -> None:
    """``models show``: the provenance section."""
    _section("Version")
    _kv([("aliases", ", ".join(info["aliases"]) or "none"), ("created", info.get("created_at")),
         ("published", info.get("published_at")), ("tags", _tags_text(info.get("tags"))),
         ("path", info["path"]), ("backend", info.get("backend")),
         ("validated backends", ", ".join(info.get("validated_backends") or [])),
         ("git commit", info.get("git_commit")), ("dataset hash", info.get("dataset_hash")),
         ("texts", info.get("n_texts")),
         ("embedding", f"{info.get('embedding_model')} ({info.get('embedding_dim')}-d)"
          if info.get("embedding_model") else None)])


def _show_headline(info: dict[str, Any]) -> None:
    """``models show``: the headline metrics, when any is recorded."""
    from brandfit.registry.compare import headline_from_metadata

    head = headline_from_metadata(info)
    if any(v is not None for v in head.values()):
        _section("Headline metrics")
        print(_table(("METRIC", "VALUE"), [(k, _num(v)) for k, v in head.items() if v is not None]))


def _show_split_tables(metrics: dict[str, Any]) -> None:
    """``models show``: per-topic tables for the labeled validation and test splits."""
    for split in ("validation", "test"):
        block = metrics.get(split)
        if isinstance(block, dict) and isinstance(block.get("topic"), dict):
            t, p = block["topic"], block.get("promo") or {}
            _section(f"Labeled {split} split ({t.get('n')} texts)")
            rows = [(topic, _num(v.get("precision")), _num(v.get("recall")), _num(v.get("f1")), _num(v.get("ap")),
                     v.get("support")) for topic, v in (t.get("per_topic") or {}).items()]
            rows.append(("macro", _num(t.get("macro_precision")), _num(t.get("macro_recall")),
                         _num(t.get("macro_f1")), _num(t.get("macro_ap")), t.get("n")))
            print(_table(("TOPIC", "PRECISION", "RECALL", "F1", "AP", "SUPPORT"), rows))
            print(f"  topic accuracy {_num(t.get('accuracy'))}, ECE {_num(t.get('ece'))}; promo AP {_num(p.get('ap'))},"
                  f" F1 {_num(p.get('f1'))} (P {_num(p.get('precision'))}, R {_num(p.get('recall'))}) at threshold "
                  f"{_num(p.get('threshold'))}")


def _show_public(metrics: dict[str, Any]) -> None:
    """``models show``: the cross-source table on the public corpora."""
    public = metrics.get("public")
    if isinstance(public, dict) and public.get("sources"):
        _section("Public corpora (cross-source)")
        rows = []
        for source, block in sorted(public["sources"].items()):
            t, p = block.get("topic") or {}, block.get("promo") or {}
            rows.append((source, t.get("n") or p.get("n"), _num(t.get("macro_ap")), _num(t.get("top1_accuracy")),
                         _num(p.get("ap")), _num(p.get("f1"))))
        t, p = public.get("pooled_topic") or {}, public.get("pooled_promo") or {}
        rows.append(("pooled", (t.get("n") or 0) + (p.get("n") or 0), _num(t.get("macro_ap")),
                     _num(t.get("top1_accuracy")), _num(p.get("ap")), _num(p.get("f1"))))
        print(_table(("SOURCE", "N", "TOPIC MACRO AP", "TOP-1", "PROMO AP", "PROMO F1"), rows))


def _show_backends(metrics: dict[str, Any]) -> None:
    """``models show``: validation of the other embedding backends."""
    backends = metrics.get("backends")
    if isinstance(backends, dict) and backends:
        _section("Other embedding backends")
        rows = [(name, "yes" if b.get("validated") else "NO",
                 ", ".join(f"{k} {v:+.4f}" for k, v in (b.get("gaps") or {}).items() if isinstance(v, (int, float))))
                for name, b in backends.items()]
        print(_table(("BACKEND", "VALIDATED", "GAPS TO TRAINING BACKEND"), rows))


def _show_history(history: list[dict[str, Any]]) -> None:
    """``models show``: the alias history."""
    if history:
        _section("History")
        rows = [(h.get("when", "")[:19].replace("T", " "), h.get("who"), h.get("event"), h.get("alias"),
                 f"{h.get('previous') or '-'} -> {h.get('ref')}",
                 ("FORCED: " if h.get("forced") else "") + str(h.get("reason") or "")) for h in history]
        print(_table(("WHEN (UTC)", "WHO", "EVENT", "ALIAS", "CHANGE", "REASON"), rows))


def _cmd_show(args: argparse.Namespace) -> int:
    reg = _registry(args)
    info = reg.show(args.ref)
    history = reg.history(info["ref"])
    if args.json:
        _print_json({**info, "history": history})
        return 0
    print(f"{info['ref']}" + (f"  [{', '.join(info['aliases'])}]" if info["aliases"] else ""))
    if info.get("description"):
        print(f"  {info['description']}")
    _show_version(info)
    metrics = info.get("metrics") or {}
    _show_headline(info)
    _show_split_tables(metrics)
    _show_public(metrics)
    _show_backends(metrics)
    _show_history(history)
    config = info.get("config")
    if isinstance(config, dict):
        _section("Training config")
        print("  " + json.dumps(config, sort_keys=True))
    return 0


def _cmd_resolve(args: argparse.Namespace) -> int:
    print(_registry(args).resolve(args.ref))
    return 0


def _cmd_promote(args: argparse.Namespace) -> int:
    """Promote REF unless the gate refuses: REF is worse than the alias's current target beyond ``--tolerance`` on a
    headline metric (evaluated now, on the same texts), or the gate cannot judge (too few texts, a task with no
    figure, recorded figures from different datasets); ``--force --reason`` overrides and is recorded."""
    if args.force and not (args.reason or "").strip():
        raise InputError("--force needs --reason TEXT: the override is recorded in the registry history")
    _check_evaluation_args(args)  # a usage error is exit 2 here, never a gate that falls back or is skipped
    reg = _registry(args)
    candidate = reg.resolve_version(args.ref)
    current = reg.aliases().get(args.alias)
    details: dict[str, Any] = {}
    if args.reason:
        details["reason"] = args.reason.strip()
    if current is not None and current != candidate.ref and not args.no_gate:
        try:
            reg.resolve_version(current)
        except UnknownRefError:
            print(f"gate skipped: {args.alias} points to {current}, which no longer exists; there is nothing to "
                  "compare against", file=sys.stderr)
            current = None
    if current is not None and current != candidate.ref and not args.no_gate:
        gate = _gate(args, reg, current, candidate.ref)
        if gate is not None:
            details["gate"] = {"tolerance": args.tolerance, "passed": not gate.worse and not gate.problems,
                               "regressions": {r.key: round(r.delta, 6) for r in gate.worse}}
            if gate.problems:
                details["gate"]["cannot_judge"] = gate.problems
            if gate.table:
                print(gate.table)
            for note in gate.notes:
                print(note, file=sys.stderr)
            if (gate.worse or gate.problems) and not args.force:
                why = []
                if gate.worse:
                    names = ", ".join(f"{r.key} {r.delta:+.4f}" for r in gate.worse)
                    why.append(f"worse than {current} beyond the tolerance {args.tolerance:g} on {names}")
                if gate.problems:
                    why.append("the gate cannot judge it: " + "; ".join(gate.problems))
                print(f"brandfit: refusing to promote {candidate.ref} to {args.alias}: {'; and '.join(why)}. "
                      f"{gate.hint}Override with --force --reason TEXT.", file=sys.stderr)
                return 2
            if gate.worse or gate.problems:
                print(f"promoting despite the gate ({args.reason.strip()})", file=sys.stderr)
            else:
                print(f"gate passed: no headline metric worse than {current} by more than {args.tolerance:g} "
                      f"(topic and promo each judged on at least {args.min_texts} texts)")
    if args.force:
        details["forced"] = True
    mv = reg.promote(candidate.ref, alias=args.alias, details=details or None)
    print(f"{args.alias} -> {mv.ref}")
    return 0


@dataclass
class _GateResult:
    """What the promotion gate found: regressions beyond the tolerance, reasons it cannot judge, the table."""

    worse: list[Any]
    problems: list[str]
    table: str
    notes: list[str] = field(default_factory=list)
    hint: str = ""


def _gate(args: argparse.Namespace, reg: ModelRegistry, current: str, candidate: str) -> _GateResult | None:
    """The gate's findings for the candidate against the current target; None when there is nothing to judge
    (neither version records headline metrics: not relevance models).

    Both versions are evaluated on the same texts when they can be; otherwise the figures they recorded at training
    time are compared only when they come from the same test texts (same dataset hash, seed and split), else the
    gate cannot judge and says why."""
    from brandfit.registry.compare import judgement, regressions

    try:
        comparison = _evaluate_pair(args, current, candidate)
    except CannotEvaluateHere as exc:  # only this: any other error is the user's to fix (exit 2)
        return _gate_on_recorded(args, reg, current, candidate, str(exc))
    headline = comparison.headline
    problems, unjudged = judgement(headline, comparison.not_computed, args.min_texts)
    if unjudged:
        problems.append(f"{' and '.join(unjudged)} not judged: no headline figure on at least {args.min_texts} texts")
    else:
        problems = []  # thin or missing figures only matter when a task is left with none; they are in the table
    worse = regressions(headline, args.tolerance, args.min_texts)
    return _GateResult(worse, problems, _comparison_table(comparison, args.tolerance, headline_only=True,
                                                          min_texts=args.min_texts),
                       hint="Evaluate on more labeled texts with --data (and --all-rows for a held-out file). "
                       if problems else "")


def _gate_on_recorded(args: argparse.Namespace, reg: ModelRegistry, current: str, candidate: str,
                      reason: str) -> _GateResult | None:
    """The gate when the versions cannot be evaluated now: the headline figures recorded at training time, compared
    only when they were computed on the same texts."""
    from brandfit.registry.compare import (
        MetricRow,
        headline_from_metadata,
        judgement,
        recorded_comparability,
        regressions,
    )

    meta_a, meta_b = reg.resolve_version(current).metadata, reg.resolve_version(candidate).metadata
    a, b = headline_from_metadata(meta_a), headline_from_metadata(meta_b)
    if all(v is None for v in a.values()) and all(v is None for v in b.values()):
        print(f"gate skipped: {current} and {candidate} cannot be evaluated here ({reason}) and neither records "
              "headline metrics", file=sys.stderr)
        return None
    notes = [f"gate: cannot evaluate {current} and {candidate} on the same texts here: {reason}"]
    hint = ("Pass --data (and --accounts) with labeled texts both versions can be evaluated on, or skip the gate "
            "with --no-gate. ")
    test_ok, public_ok, why_not = recorded_comparability(meta_a, meta_b)
    if not test_ok:
        problems = [f"the figures {current} and {candidate} recorded at training time are not comparable: {why_not}"]
        return _GateResult([], problems, "", notes, hint)
    notes.append("gate: judging on the figures both versions recorded at training time (same dataset, seed and "
                 "split, so the same test texts; no bootstrap interval)")

    def recorded_n(meta: dict[str, Any], key: str) -> int:
        where = ("test", "topic", "n") if key == "test/topic_macro_ap" else ("test", "promo", "n")
        value: Any = meta.get("metrics") or {}
        for part in where:
            value = value.get(part) if isinstance(value, dict) else None
        return value if isinstance(value, int) else 0

    rows, not_computed = [], {}
    for key in a:
        if key.startswith("public/") and not public_ok:
            continue
        source, metric = key.split("/")
        if a[key] is None or b[key] is None:
            if key.startswith("test/"):
                not_computed[key] = "not recorded by " + " and ".join(
                    ref for ref, v in ((current, a[key]), (candidate, b[key])) if v is None)
            continue
        # public figures are over the recorded public pool; their size is not recorded, so they count as judged
        n = recorded_n(meta_a, key) if source == "test" else args.min_texts
        rows.append(MetricRow(source, metric, n, a[key], b[key], float("nan"), float("nan")))
    problems, unjudged = judgement(rows, not_computed, args.min_texts)
    problems = ([*problems, f"{' and '.join(unjudged)} not judged: no headline figure on at least {args.min_texts} texts"]
                if unjudged else [])
    worse = regressions(rows, args.tolerance, args.min_texts)
    table = _table(("METRIC", "N", current, candidate, "DELTA"),
                   [(r.key, r.n if r.source == "test" else "-", f"{r.a:.4f}", f"{r.b:.4f}", f"{r.delta:+.4f}")
                    for r in rows])
    return _GateResult(worse, problems, "recorded headline metrics (the same test texts):\n" + table, notes,
                       hint if problems else "")


def _cmd_alias(args: argparse.Namespace) -> int:
    if args.delete:
        if args.ref is not None:
            raise InputError(f"models alias --delete {args.alias}: takes no REF")
        was = _registry(args).delete_alias(args.alias)
        print(f"deleted alias {args.alias} (was {was})")
        return 0
    if args.ref is None:
        raise InputError(f"models alias {args.alias}: give the REF to point it at, or --delete to remove it")
    mv = _registry(args).set_alias(args.alias, args.ref)
    print(f"{args.alias} -> {mv.ref}")
    return 0


def _cmd_rollback(args: argparse.Namespace) -> int:
    mv = _registry(args).rollback(args.alias)
    print(f"{args.alias} -> {mv.ref} (rolled back)")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    if args.full:
        return _compare_recorded(args)
    _check_evaluation_args(args)
    comparison = _evaluate_pair(args, args.a, args.b)
    if args.plot:
        from brandfit.registry.compare import plot_pr_curves

        plot_pr_curves(comparison, args.plot)
    if args.json:
        _print_json(comparison.as_dict(args.min_texts))
        return 0
    print(_comparison_table(comparison, min_texts=args.min_texts))
    if args.plot:
        print(f"precision-recall curves: {args.plot}")
    return 0


def _compare_recorded(args: argparse.Namespace) -> int:
    """``--full``: every metric recorded in the two versions' metadata, side by side."""
    from brandfit.registry.compare import recorded_comparability

    reg = _registry(args)
    result = reg.compare(args.a, args.b)
    comparable, _, why_not = recorded_comparability(reg.resolve_version(args.a).metadata,
                                                    reg.resolve_version(args.b).metadata)
    warning = None if comparable else (f"the recorded test figures are not on the same texts: {why_not}; a difference "
                                       "between them is not a comparison of the models")
    if args.json:
        _print_json({**result, "warnings": [warning] if warning else []})
        return 0
    rows = [(key, _fmt(row["a"]), _fmt(row["b"]), _fmt(row["delta"])) for key, row in result["metrics"].items()]
    if not rows:
        print(f"neither {result['a']} nor {result['b']} recorded metrics")
        return 0
    print(_table(("METRIC", result["a"], result["b"], "DELTA"), rows))
    if warning:
        print(f"warning: {warning}")
    return 0


def _check_evaluation_args(args: argparse.Namespace) -> None:
    """The evaluation options checked before any work: ``--all-rows`` needs ``--data``; every ``--data`` and the
    ``--accounts`` exist and are read as training reads them (:func:`brandfit.train.labeled_paths`: a labeled folder
    is its texts/ and accounts/). Raises :class:`InputError` / :class:`MissingFileError` (exit 2)."""
    if getattr(args, "all_rows", False) and not args.data:
        raise InputError("--all-rows evaluates every row of --data, a held-out file neither version was trained on; "
                         "give --data PATH")
    if args.accounts and not os.path.exists(args.accounts):
        raise MissingFileError(f"--accounts {args.accounts}: no such file or folder")
    if args.data:
        from brandfit.train import labeled_paths

        for path in args.data:
            if not os.path.exists(path):
                raise MissingFileError(f"--data {path}: no such file or folder")
        labeled_paths(args.data, args.accounts or None)  # --accounts given with labeled folders only: an error


def _default_data(args: argparse.Namespace, meta: dict[str, Any], ref: str) -> tuple[list[str], str | None]:
    """The labeled paths and accounts to evaluate on: ``--data`` / ``--accounts`` when given, else the data ``ref``
    was trained on (its recorded ``config.data`` and ``config.accounts``, relative to the current folder), else
    ``data/labeled/texts`` and ``data/labeled/accounts``. The same default as ``brandfit evaluate``. They are read
    as training reads them (:func:`brandfit.train.labeled_paths`, in
    :func:`brandfit.registry.compare.comparison_texts`): a labeled folder (what ``brandfit train --data FOLDER``
    records, with ``accounts: null``) is its texts/ and accounts/, so the split is the one training used."""
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    recorded = [str(p) for p in config.get("data") or [] if isinstance(p, str)]
    data = list(args.data) if args.data else recorded or [DEFAULT_LABELED_TEXTS]
    if args.accounts is not None:
        accounts: str | None = args.accounts or None
    elif "accounts" in config and (not args.data or list(args.data) == recorded):
        accounts = config.get("accounts")  # as trained (null: none besides the labeled folders' own)
    else:
        accounts = DEFAULT_LABELED_ACCOUNTS  # dropped for labeled folders, which bring their own (as training does)
    if not args.data and not any(os.path.exists(p) for p in data):
        logger.info("%s's training data %s is not under the current folder", ref, ", ".join(data))
    return data, accounts


def _evaluate_pair(args: argparse.Namespace, ref_a: str, ref_b: str):
    """Load both versions, build the evaluation sets and compare them with paired bootstrap intervals. Raises
    :class:`CannotEvaluateHere` when the versions cannot be evaluated here (see there); the arguments are checked
    first (:func:`_check_evaluation_args`)."""
    from brandfit.model import load_model
    from brandfit.registry.compare import compare_models, comparison_texts

    _check_evaluation_args(args)
    reg = _registry(args)
    mv_a, mv_b = reg.resolve_version(ref_a), reg.resolve_version(ref_b)
    models = []
    for mv in (mv_a, mv_b):
        try:
            models.append(load_model(mv.ref, reg.root, backend=args.backend))
        except (InputError, IntegrityError, FormatVersionError, OSError, KeyError, ValueError) as exc:
            raise CannotEvaluateHere(f"{mv.ref} cannot be loaded as a relevance model ({exc}); "
                                     "compare the recorded metrics with --full") from None
    emb_a, emb_b = (mv.metadata.get("embedding_model") for mv in (mv_a, mv_b))
    if emb_a and emb_b and emb_a != emb_b:
        raise CannotEvaluateHere(f"{mv_a.ref} embeds with {emb_a} and {mv_b.ref} with {emb_b}; the paired comparison "
                                 "embeds the texts once, so both must share the encoder (compare recorded metrics "
                                 "with --full)")
    meta_a, meta_b = mv_a.metadata, mv_b.metadata
    config = meta_a.get("config") or {}
    config_b = meta_b.get("config") or {}

    def held_out(c: dict) -> tuple[int, tuple[float, ...]]:
        return int(c.get("seed", 13)), tuple(float(x) for x in (c.get("split") or (0.7, 0.15, 0.15)))

    seed, split = held_out(config)
    data, accounts = _default_data(args, meta_a, mv_a.ref)
    all_rows = bool(getattr(args, "all_rows", False))
    sets, skipped = comparison_texts(
        labeled=data, accounts=accounts, split=None if all_rows else "test",
        public=not args.no_public, public_cap=args.public_cap or None, seed=seed, fractions=split,
        public_pool=config.get("public_cap") or None, public_sources=config.get("public_sources") or None,
        also_held_out_under=[held_out(config_b)],  # rows held out from both models' training
    )
    overlap = _training_overlap_notes(data, (mv_a, meta_a), (mv_b, meta_b)) if all_rows and "test" in sets else []
    if not sets:
        why = (f"nothing to evaluate on: no labeled test split and no public corpora ({'; '.join(skipped)})")
        if args.data:  # the texts the user chose give nothing to evaluate: theirs to fix, never a fallback
            raise InputError(why)
        raise CannotEvaluateHere(f"{why} ({mv_a.ref}'s training data, relative to the current folder; pass --data)")
    comparison = compare_models(models[0], models[1], sets, n_bootstrap=args.bootstrap, skipped=skipped,
                                keep_curves=bool(getattr(args, "plot", None)))
    comparison.warnings.extend(overlap)
    return comparison


def _training_overlap_notes(data: Sequence[str], *versions: tuple[Any, dict[str, Any]]) -> list[str]:
    """``--all-rows`` scores every row of --data: say so when that file is a compared version's training data."""
    from brandfit.data import load_labeled
    from brandfit.data.labeled import dataset_hash
    from brandfit.train import labeled_paths

    files = labeled_paths([p for p in data if os.path.exists(p)]).text_files  # a labeled folder: its texts/
    digest = dataset_hash(load_labeled(files).frame)
    return [f"--data is the data {mv.ref} was trained on (dataset hash {digest.split(':', 1)[-1][:10]}); "
            "--all-rows scores its training rows, drop --all-rows to use the held-out test split"
            for mv, meta in versions if meta.get("dataset_hash") == digest]


def _verdict(row: Any, tolerance: float | None = None, min_texts: int = 0) -> str:
    if row.n < min_texts:
        return f"too few texts (<{min_texts}), not judged"
    if tolerance is not None and row.delta < -tolerance:
        return "WORSE (beyond tolerance)"
    if row.low > 0:
        return "better"
    if row.high < 0:
        return "worse"
    return "~ (interval spans 0)"


def _comparison_table(comparison: Any, tolerance: float | None = None, *, headline_only: bool = False,
                      min_texts: int = 0) -> str:
    from brandfit.registry.compare import judgement

    rows = []
    for r in comparison.headline if headline_only else comparison.rows:
        rows.append((r.source, r.metric, r.n, f"{r.a:.4f}", f"{r.b:.4f}", f"{r.delta:+.4f}",
                     f"[{r.low:+.4f}, {r.high:+.4f}]", _verdict(r, tolerance, min_texts)))
    lines = [f"A = {comparison.a}, B = {comparison.b}; DELTA = B - A with a paired bootstrap 95% interval "
             f"({comparison.n_bootstrap} resamples of the texts, the same for both models)", ""]
    lines.append(_table(("SOURCE", "METRIC", "N", "A", "B", "DELTA", "95% CI", "VERDICT"), rows))
    for note in comparison.skipped:
        lines.append(f"skipped: {note}")
    for note in comparison.warnings:
        lines.append(f"WARNING: {note}")
    problems, unjudged = judgement(comparison.headline, comparison.not_computed, min_texts)
    for problem in problems:
        lines.append(f"warning: {problem}")
    if unjudged:
        lines.append(f"WARNING: no headline {' or '.join(unjudged)} figure on at least {min_texts} texts: these texts "
                     "are too few to judge the models on that (evaluate on more labeled texts with --data)")
    return "\n".join(lines)


def _cmd_delete(args: argparse.Namespace) -> int:
    mv = _registry(args).delete(args.ref)
    print(f"deleted {mv.ref}")
    return 0


def _cmd_gc(args: argparse.Namespace) -> int:
    paths = _registry(args).gc(dry_run=args.dry_run, keep=args.keep)
    for path in paths:
        print(f"{'would remove' if args.dry_run else 'removed'} {path}")
    print(f"{len(paths)} {'would be removed' if args.dry_run else 'removed'}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    reg = _registry(args)
    if args.all and not reg.root.is_dir():
        raise MissingFileError(f"{reg.root}: no such registry folder; nothing to verify (check --registry or "
                               f"${ENV_REGISTRY})")
    refs = [mv.ref for mv in reg.list()] if args.all else [args.ref]
    failed = 0
    for ref in refs:
        try:
            reg.verify(ref)
        except (IntegrityError, FormatVersionError) as exc:
            failed += 1
            print(f"FAILED  {ref}: {exc}")
        else:
            print(f"ok      {ref}")
    bad_aliases = 0
    if args.all:
        checked = reg.check_aliases()
        if not refs and not checked:
            raise InputError(f"{reg.root} holds no model version and no alias: not a registry, nothing to verify "
                             f"(check --registry or ${ENV_REGISTRY})")
        if not refs:
            print(f"no models in {reg.root}")
        for alias, problem in checked.items():
            if problem is None:
                print(f"ok      alias {alias}")
            else:
                bad_aliases += 1
                print(f"FAILED  alias {alias}: {problem}")
    if failed:
        print(f"brandfit: {failed} of {len(refs)} versions failed verification", file=sys.stderr)
    if bad_aliases:
        print(f"brandfit: {bad_aliases} alias file(s) are broken", file=sys.stderr)
    return 1 if failed or bad_aliases else 0


def _cmd_export(args: argparse.Namespace) -> int:
    print(_registry(args).export(args.ref, args.output, overwrite=args.overwrite))
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    mv = _registry(args).import_archive(args.file, name=args.name)
    print(f"imported {args.file} as {mv.ref}")
    return 0


def _evaluation_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", action="append", metavar="PATH", default=None,
                   help="labeled texts whose test split (under both versions' seed and split) is evaluated; default: "
                        "the data the first version (compare: A; promote: the alias's current target) was trained "
                        f"on, as recorded in its config, relative to the current folder, else {DEFAULT_LABELED_TEXTS} "
                        "(repeatable)")
    p.add_argument("--accounts", default=None, metavar="PATH",
                   help="accounts file or folder used by the split (default: the accounts that version was trained "
                        "with when --data is its training data, else data/labeled/accounts; '' for none)")
    p.add_argument("--all-rows", action="store_true",
                   help="evaluate every row of --data instead of its test split: for a held-out file neither version "
                        "was trained on (needs --data)")
    p.add_argument("--min-texts", type=whole_number(1), default=MIN_JUDGED_TEXTS, metavar="N",
                   help=f"a headline figure on fewer than N texts is shown but not judged; the gate refuses when "
                        f"topic or promo is left with no judged figure (default {MIN_JUDGED_TEXTS})")
    p.add_argument("--no-public", action="store_true", help="skip the public corpora (cross-source figures)")
    p.add_argument("--public-cap", type=whole_number(0), default=500, metavar="N",
                   help="at most N texts per public source, drawn from the validation groups of the pool "
                        "training draws from (rows no head was fitted on; default 500; 0 = all)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="B", help="bootstrap resamples (default 1000)")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="embedding backend for both models (default: $BRANDFIT_BACKEND, else onnx)")


def _add_inspect_actions(action: Any) -> None:
    """``models list``, ``show`` and ``resolve``."""
    p = action("list", _cmd_list, "every version: aliases, creation time, dataset, headline metrics, description")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = action("show", _cmd_show, "one version: provenance, metrics tables, alias history (--json: everything)")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = action("resolve", _cmd_resolve, "print the folder a ref points to")
    p.add_argument("ref", metavar="REF")


def _add_alias_actions(action: Any) -> None:
    """``models promote``, ``alias`` and ``rollback``: moving aliases."""
    p = action("promote", _cmd_promote, "point an alias (default production) at REF, after verifying it and "
               "checking it is not worse than the current target (exit 2 with the comparison table if it is)")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--alias", default="production", help="alias to move (default: production)")
    p.add_argument("--tolerance", type=float, default=0.01, metavar="T",
                   help="refuse when a headline metric drops by more than T (absolute; default 0.01)")
    p.add_argument("--force", action="store_true", help="promote even when the gate refuses (needs --reason)")
    p.add_argument("--reason", default=None, metavar="TEXT", help="why; recorded in the registry history")
    p.add_argument("--no-gate", action="store_true", help="skip the comparison (e.g. no data on this machine)")
    _evaluation_options(p)
    p = action("alias", _cmd_alias, "point ALIAS at REF, after verifying it (or --delete ALIAS)")
    p.add_argument("alias", metavar="ALIAS")
    p.add_argument("ref", metavar="REF", nargs="?")
    p.add_argument("--delete", action="store_true", help="remove the alias (the versions stay)")
    p = action("rollback", _cmd_rollback, "point an alias back at its previous target")
    p.add_argument("--alias", default="production", help="alias to roll back (default: production)")


def _add_compare_action(action: Any) -> None:
    """``models compare``."""
    p = action("compare", _cmd_compare, "evaluate two versions on the same texts: headline metrics side by side "
               "with the difference and its paired bootstrap 95% interval, per source")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--full", action="store_true",
                   help="instead: every metric recorded in the two versions' metadata (no evaluation)")
    p.add_argument("--plot", metavar="FILE.png", default=None, help="also draw both precision-recall curves")
    _evaluation_options(p)


def _add_maintenance_actions(action: Any) -> None:
    """``models delete``, ``gc`` and ``verify``."""
    p = action("delete", _cmd_delete, "delete one version (refused while an alias points to it)")
    p.add_argument("ref", metavar="REF")
    p = action("gc", _cmd_gc, "remove stale temporary builds and old versions nothing points to")
    p.add_argument("--dry-run", action="store_true", help="only print what would be removed")
    p.add_argument("--keep", type=int, default=3, metavar="N", help="newest versions kept per model (default 3)")
    p = action("verify", _cmd_verify, "re-hash every file against the manifest; exit 1 on any mismatch")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("ref", metavar="REF", nargs="?")
    target.add_argument("--all", action="store_true", help="verify every version and every alias file")


def _add_transfer_actions(action: Any) -> None:
    """``models export``, ``bundle`` and ``import``."""
    p = action("export", _cmd_export, "write one version to a .tar.gz archive")
    p.add_argument("ref", metavar="REF")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="archive to write (or a folder)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing archive")
    p = action("bundle", _cmd_bundle, "copy the production version into the registry shipped inside the package "
               "(run from a source checkout after a promotion, then commit src/brandfit/bundled/)")
    p.add_argument("--alias", default="production", help="alias to bundle (default: production)")
    p.add_argument("--to", default=None, metavar="PATH", help="bundled registry folder (default: the package's)")
    p = action("import", _cmd_import, "publish the version inside an exported archive as a new version")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--name", default=None, help="publish under this model name (default: the archive's)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``brandfit models`` and its actions."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--registry", default=argparse.SUPPRESS, metavar="PATH", help=argparse.SUPPRESS)
    parser = subparsers.add_parser(
        "models",
        help="list, inspect, promote, roll back, verify, export and import published models",
        description="Manage the model registry. REF is an alias (production), name@version (topic@3), "
        "a model name (its newest version) or latest.",
    )
    parser.add_argument(
        "--registry", metavar="PATH", default=None,
        help=f"registry folder (default: ${ENV_REGISTRY}, else ./models if it is a registry, else the read-only one "
             "bundled with brandfit)",
    )
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION", title="actions", required=True)

    def action(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        # help= goes through %-formatting (argparse), description= does not
        sub = actions.add_parser(name, help=help_text.replace("%", "%%"), description=help_text, parents=[common])
        sub.set_defaults(func=func)
        return sub

    _add_inspect_actions(action)
    _add_alias_actions(action)
    _add_compare_action(action)
    _add_maintenance_actions(action)
    _add_transfer_actions(action)
