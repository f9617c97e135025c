"""The model card (README.md) written into every published version."""

from __future__ import annotations

from typing import Any

from brandfit.evaluation.crossdomain import format_public_table

__all__ = ["render_card"]


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


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


def render_card(name: str, meta: dict[str, Any]) -> str:
    m = meta.get("metrics", {})
    lines = [
        f"# brandfit model `{name}`",
        "",
        "Topic relevance (six topic ids) and advertorial-tone probability for influencer bios and posts.",
        "",
        "## What it is",
        f"- Embedding: `{meta.get('embedding_model')}` ({meta.get('embedding_dim')}-d), backend `{meta.get('backend')}`;"
        " referenced by id, not copied.",
        "- Topic head: multinomial logistic regression over the embedding plus cosine similarity to written topic"
        " descriptions; the descriptions are also training examples. Calibrated by temperature scaling on validation.",
        "- Promo head: logistic regression over the embedding plus spaCy-matched advertorial cues; decision threshold"
        " chosen for best F1 on validation.",
        *_lexical_lines(meta.get("config") or {}),
        f"- Trained on `data/labeled` (hand-written for this project), {meta.get('n_texts')} texts, dataset hash"
        f" `{meta.get('dataset_hash')}`.",
        "",
        "## Held-out test split (our own writing: optimistic)",
    ]
    test = m.get("test", {})
    if test:
        t, p = test["topic"], test["promo"]
        lines += [
            f"- topic: accuracy {_fmt(t['accuracy'])}, macro F1 {_fmt(t['macro_f1'])}, macro AP {_fmt(t['macro_ap'])},"
            f" ECE {_fmt(t['ece'])} (n={t['n']})",
            f"- promo: precision {_fmt(p['precision'])}, recall {_fmt(p['recall'])}, F1 {_fmt(p['f1'])},"
            f" AP {_fmt(p['ap'])} at threshold {_fmt(p['threshold'])}",
        ]
    lines += ["", "## Public corpora we did not write (the figures that matter)", "",
              "Baselines on the same texts (zero-shot cosine, TF-IDF + LR): `python training/compare_designs.py`,"
              " recorded in `docs/quality.md`."]
    if m.get("public"):
        lines += ["", format_public_table({name: m["public"]})]
    else:
        lines += ["", "Not measured: the public corpora were absent when this version was trained."]
    backends = m.get("backends") or {}
    if backends:
        lines += ["", "## Embedding backends",
                  "", f"Validated: {', '.join(meta.get('validated_backends') or [str(meta.get('backend'))])}. The heads were"
                  f" fitted on `{meta.get('backend')}` embeddings; each other backend was re-run with the same heads and"
                  " threshold, and counts as validated when every gap below is within tolerance"
                  " (`brandfit/evaluation/backends.py`).", "",
                  "| backend | figure | gap to torch | tolerance | |", "|---|---|---:|---:|---|"]
        for b, check in backends.items():
            for k, v in check.get("gaps", {}).items():
                tol = check.get("tolerance", {}).get(k.rsplit("/", 1)[-1], float("nan"))
                lines.append(f"| {b} | {k} | {v:+.4f} | {tol:.2f} | {'ok' if abs(v) <= tol else 'OUT'} |")
    lines += [
        "",
        "## Limits",
        "- Trained only on our own hand-written English captions; public sources differ in style (product titles,"
        " Reddit posts, spam comments), so per-source figures vary.",
        "- Spam and scam comments are a proxy for advertorial tone, not sponsorship.",
        "",
    ]
    return "\n".join(lines)
