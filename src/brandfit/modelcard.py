"""The model card (README.md) written into every published version."""

from __future__ import annotations

from typing import Any

from brandfit.evaluation.crossdomain import format_public_table
from brandfit.features import PRIOR_TEMPERATURE

__all__ = ["render_card"]


DEFAULT_DATA = ("data/labeled/texts",)
_NO_PROMO = "n/a (no promo text in the split)"


def _fmt(v: Any) -> str:
    if v is None or isinstance(v, float) and v != v:  # not computable (stored as null)
        return "n/a"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _data_paths(meta: dict[str, Any]) -> list[str]:
    """The labeled paths the version was trained on, as given (``config.data``); the project's own when unrecorded."""
    data = (meta.get("config") or {}).get("data")
    return [str(d) for d in data] if isinstance(data, (list, tuple)) and data else list(DEFAULT_DATA)


def _is_ours(meta: dict[str, Any]) -> bool:
    """Whether the version was trained on the project's own hand-written ``data/labeled``."""
    return [p.rstrip("/") for p in _data_paths(meta)] in (list(DEFAULT_DATA), ["data/labeled"])


def _ours(config: dict[str, Any]) -> str:
    """How the card names the labeled data (source "ours"): `data/labeled`, or the paths trained on."""
    meta = {"config": config}
    return "`data/labeled`" if _is_ours(meta) else ", ".join(f"`{p}`" for p in _data_paths(meta))


def _lexical_lines(config: dict[str, Any]) -> list[str]:
    lex = config.get("lexical") or {}
    if not (lex.get("topic_weight") or lex.get("promo_weight")):
        return []
    return [f"- Lexical head (`brandfit.lexical`): logistic regressions over hashed word 1-2-grams and character"
            f" 3-5-grams ({lex.get('n_buckets')} buckets each, tf-idf), mixed in with weight {lex.get('topic_weight')}"
            f" (topic probabilities, then temperature-scaled) and {lex.get('promo_weight')} (promo logit, before the"
            " Platt calibration and threshold)"
            + (f"; plus {lex['promo_boost']} x the positive part of its promo logit (the n-grams may raise a promo"
               " score, never lower it)." if lex.get("promo_boost") else ".")]


def _topic_line(config: dict[str, Any]) -> str:
    topic = config.get("topic") or {}
    parts = ["- Topic head: multinomial logistic regression over the embedding"]
    if topic.get("desc_scale"):
        parts.append(" plus cosine similarity to the written topic descriptions")
    parts.append("; the descriptions are also training examples")
    templates = topic.get("description_templates")
    if templates and list(templates) != ["{}"]:
        parts.append(" (each embedded as the mean of its framings " + ", ".join(f"`{t}`" for t in templates)
                     + "; a brand's own words are embedded the same way)")
    if topic.get("prior_weight"):
        parts.append(f"; a zero-shot prior (cosine to the descriptions / {PRIOR_TEMPERATURE}, weight"
                     f" {topic['prior_weight']}) is added to its logits")
    if topic.get("one_label_weight", 1.0) != 1.0:
        parts.append(f"; a source whose rows all carry one label is weighted x{topic['one_label_weight']}")
    if topic.get("caption_weight") and (config.get("lexical") or {}).get("topic_weight", 0) > 0:
        parts.append(f"; plus {topic['caption_weight']:g} x a topic caption layer (hashed n-grams fitted on"
                     f" {_ours(config)} alone) in its log probabilities")
    parts.append(". Calibrated by temperature scaling on validation.")
    if topic.get("neighbours"):
        parts.append(f" Then mixed geometrically (share {topic['neighbours']:g}) with the vote of the"
                     f" {topic.get('neighbours_k', 100)} nearest train texts of {_ours(config)}, whose embeddings and"
                     " labels the model stores (never a public source's).")
    if topic.get("names_prior"):
        parts.append(f" Last, +{topic['names_prior']:g} to the log probability of each vertical the text names (the"
                     " verticals of the names tables, read with emoji as marks; everyday-phrase aliases skipped).")
    return "".join(parts)


_PHRASING_MEANING = {"gifted": "a brand gave the product", "hard_sell": "a push to buy",
                     "partnership": "an ongoing brand relationship"}
_QUALIFIER_MEANING = {"content_link": "a link in bio to free content",
                      "paid_price": "a price the author paid, asks about or complains about",
                      "critical_gift": "a gifted post that finds fault or holds its verdict back",
                      "housekeeping": "a creator's own 'subscribe, see you in the next one'"}


def _promo_line(config: dict[str, Any], *, trained_on_public: bool, cues: Any = ()) -> str:
    promo = config.get("promo") or {}
    rule = {"mean_f1": "the best mean per-source F1",
            "mean_f1_smooth": "the best mean per-source F1, on that curve averaged over neighbouring thresholds",
            }.get(promo.get("threshold"), "the best F1")
    phrasing = [n for n in _PHRASING_MEANING if n in (cues or ())]
    qualifiers = [n for n in _QUALIFIER_MEANING if n in (cues or ())]
    return ("- Promo head: logistic regression over the embedding plus spaCy-matched advertorial cues"
            + (" and cues of phrasing (" + ", ".join(f"`{n}`" for n in phrasing) + ": "
               + ", ".join(_PHRASING_MEANING[n] for n in phrasing) + ")" if phrasing else "")
            + ("; qualifier cues, read instead of the cue each qualifies and not counted: "
               + ", ".join(f"`{n}` ({_QUALIFIER_MEANING[n]})" for n in qualifiers) if qualifiers else "")
            + (", Platt-calibrated on validation (each source equal)" if promo.get("calibrate") else "")
            + (f"; it also saw {promo['augment']} decorated not-promo copies per source (a plain @mention, #hashtag"
               " or link is not an ad)" if promo.get("augment") else "")
            + (f"; {_ours(config)} is weighted x{promo['ours_weight']:g} in it"
               + (" and in the lexical promo layer" if (config.get("lexical") or {}).get("promo_weight", 0) > 0 else "")
               if promo.get("ours_weight", 1.0) != 1.0 and trained_on_public else "")
            + (f"; plus {promo['caption_weight']:g} x a caption layer (hashed n-grams fitted on {_ours(config)} alone,"
               " the one source of captions), before the calibration"
               if promo.get("caption_weight") and (config.get("lexical") or {}).get("promo_weight", 0) > 0 else "")
            + (f"; a text with an explicit paid disclosure (#ad, \"sponsored by\") scores at least"
               f" {promo['disclosure_floor']:g}" if promo.get("disclosure_floor") else "")
            + (f"; a text whose every cue a qualifier explains away (a link to free content, a price its author paid, a"
               f" gift the caption finds fault with) scores at most {promo['qualifier_ceiling']:g} unless the caption"
               " turns or still sells"
               if promo.get("qualifier_ceiling") else "")
            + f"; decision threshold chosen for {rule} on validation.")


def _public_sources(meta: dict[str, Any]) -> dict[str, Any]:
    sources = (meta.get("metrics") or {}).get("training_sources") or {}
    return {k: v for k, v in sources.items() if k != "ours" and isinstance(v, dict)}


def _sources_lines(meta: dict[str, Any]) -> list[str]:
    public = _public_sources(meta)
    equal = (meta.get("config") or {}).get("source_weighting") == "equal"
    ours = ((meta.get("metrics") or {}).get("training_sources") or {}).get("ours") or {}
    what = ("`data/labeled` (hand-written for this project)" if _is_ours(meta) else
            "the labeled data " + ", ".join(f"`{p}`" for p in _data_paths(meta)))
    where = ours.get("path")
    resolved = (f" (read from {', '.join(f'`{p}`' for p in where)})"  # only where it says more than the paths
                if isinstance(where, list) and where and not _is_ours(meta) and list(where) != list(_data_paths(meta))
                else "")
    acc = ours.get("accounts")
    acc = [acc] if isinstance(acc, str) else acc if isinstance(acc, list) else []
    accounts = (", accounts " + ", ".join(f"`{a}`" for a in acc)) if acc and not _is_ours(meta) else ""
    lines = [f"- Trained on {what}{resolved}{accounts}, {meta.get('n_texts')} texts, dataset hash"
             f" `{meta.get('dataset_hash')}`" + ("; no public corpora." if not public else
                                                 ", and on public corpora read in place (never"
                                                 " copied)" + (", each source given the same total weight:" if equal
                                                               else ", one weight per row:"))]
    for name, info in sorted(public.items()):
        sha = str(info.get("sha256") or "")
        lines.append(f"  - `{name}`: {info.get('n')} texts, sha256 `{sha[:16]}`")
    return lines


def _public_validation_lines(pv: dict[str, Any]) -> list[str]:
    def f(v: Any) -> str:
        return "–" if not isinstance(v, (int, float)) or v != v else f"{v:.3f}"

    lines = ["Held-out groups (accounts, threads, episodes) of the public sources it trained on: text of a kind it has"
             " seen, so optimistic for a new kind. The leave-one-source-out table (`brandfit evaluate"
             " --cross-source`, `docs/quality.md`) is the figure for kinds it never saw.", "",
             "| source | n | topic macro AP | top-1 | promo AP | promo F1 |", "|---|---:|---:|---:|---:|---:|"]
    for source, block in sorted(pv.items()):
        t, p = block.get("topic") or {}, block.get("promo") or {}
        lines.append(f"| {source} | {t.get('n', p.get('n', ''))} | {f(t.get('macro_ap'))} | {f(t.get('accuracy'))}"
                     f" | {f(p.get('ap'))} | {f(p.get('f1'))} |")
    return lines


def render_card(name: str, meta: dict[str, Any]) -> str:
    m = meta.get("metrics", {})
    config = meta.get("config") or {}
    lines = [
        f"# brandfit model `{name}`",
        "",
        "Topic relevance (six topic ids) and advertorial-tone probability for influencer bios and posts.",
        "",
        "## What it is",
        f"- Embedding: `{meta.get('embedding_model')}` ({meta.get('embedding_dim')}-d), backend `{meta.get('backend')}`;"
        " referenced by id, not copied.",
        _topic_line(config),
        _promo_line(config, trained_on_public=bool(_public_sources(meta)), cues=meta.get("promo_cues")),
        *_lexical_lines(config),
        *_sources_lines(meta),
        "",
        "## Held-out test split (" + ("our own writing" if _is_ours(meta) else "of the labeled data") + ": optimistic)",
    ]
    test = m.get("test", {})
    if test:
        t, p = test["topic"], test["promo"]
        no_promo = not (isinstance(p.get("ap"), (int, float)) and p["ap"] == p["ap"])
        lines += [
            f"- topic: accuracy {_fmt(t['accuracy'])}, macro F1 {_fmt(t['macro_f1'])}, macro AP {_fmt(t['macro_ap'])},"
            f" ECE {_fmt(t['ece'])} (n={t['n']})",
            f"- promo: {_NO_PROMO} at threshold {_fmt(p['threshold'])}" if no_promo else
            f"- promo: precision {_fmt(p['precision'])}, recall {_fmt(p['recall'])}, F1 {_fmt(p['f1'])},"
            f" AP {_fmt(p['ap'])} at threshold {_fmt(p['threshold'])}",
        ]
    for warning in m.get("warnings") or ():
        lines.append(f"- **Warning:** {warning}")
    lines += ["", "## Public corpora we did not write (the figures that matter)", ""]
    if m.get("public_validation"):
        lines += _public_validation_lines(m["public_validation"])
    elif m.get("public"):  # models before public training: scored on the public corpora after training
        lines += ["Baselines on the same texts (zero-shot cosine, TF-IDF + LR): `python training/compare_designs.py`,"
                  " recorded in `docs/quality.md`.", "", format_public_table({name: m["public"]})]
    else:
        lines += ["Not measured: the public corpora were absent when this version was trained."]
    backends = m.get("backends") or {}
    if backends:
        trained = meta.get("backend")
        lines += ["", "## Embedding backends",
                  "", f"Validated: {', '.join(meta.get('validated_backends') or [str(trained)])}. The heads were"
                  f" fitted on `{trained}` embeddings; each other backend was re-run with the same heads and"
                  " threshold, and counts as validated when every gap below is within tolerance"
                  " (`brandfit/evaluation/backends.py`).", "",
                  f"| backend | figure | gap to {trained} | tolerance | |", "|---|---|---:|---:|---|"]
        for b, check in backends.items():
            for k, v in check.get("gaps", {}).items():
                tol = check.get("tolerance", {}).get(k.rsplit("/", 1)[-1], float("nan"))
                finite = isinstance(v, (int, float)) and v == v and abs(v) != float("inf")
                lines.append(f"| {b} | {k} | {f'{v:+.4f}' if finite else 'n/a'} | {tol:.2f} |"
                             f" {'ok' if finite and abs(v) <= tol else 'OUT'} |")
            for k in check.get("not_compared") or ():
                lines.append(f"| {b} | {k} | n/a | | not computable on this split (no promo text) |")
    trained_public = bool(m.get("public_validation"))
    lines += [
        "",
        "## Limits",
        ("- Public sources differ in style from captions (product titles, Reddit posts, spam comments, podcast"
         " transcripts); on a kind of text none of them resembles, expect the leave-one-source-out figures, not the"
         " ones above." if trained_public else
         "- Trained only on our own hand-written English captions; public sources differ in style (product titles,"
         " Reddit posts, spam comments), so per-source figures vary." if _is_ours(meta) else
         f"- Trained only on {_ours(config)} ({meta.get('n_texts')} texts), with no public corpora: expect lower"
         " figures on text unlike it."),
        "- Spam and scam comments are a proxy for advertorial tone, not sponsorship.",
        "",
    ]
    return "\n".join(lines)
