"""Score a topic probe: registry models, or the production recipe and the three baselines trained on every source.

    PYTHONPATH=src python training/experiments/probe_eval.py PROBE.jsonl relevance@65 relevance@66 [--misses]
    PYTHONPATH=src python training/experiments/probe_eval.py PROBE.jsonl --baselines [--public-data DIR]

A probe is a JSONL file of ``{"text", "topic", "kind"}`` rows (``kind`` optional: product_tweet, fan_tweet, comment,
caption, trap, ...), written blind by someone who read only data/labeled/GUIDE.md. Probes are not kept in the
repository: once read, a probe is no longer blind. Prints topic macro AP / top-1 over the whole probe and per kind
(macro AP over the topics a kind holds). With ``--misses``, every text whose top topic is wrong.

``--baselines`` trains the production recipe (``training/configs/default.yaml``) and zero-shot, TF-IDF + LR and
MiniLM + LR on every source (data/labeled and the public corpora, as ``brandfit evaluate --cross-source`` trains a
fold) and scores each on the probe, which none trained on: 2 min on 2 cores with the embedding cache warm. It needs
the public corpora (``--public-data``, default ../shared/datasets); without them it says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from brandfit.topics import TOPICS


def read_probe(path: Path) -> list[dict]:
    """The probe's rows; a row with no text or an unknown topic stops the run with its line number."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row.get("text"), str) or row.get("topic") not in TOPICS:
            raise SystemExit(f"{path}:{n}: a probe row needs a text and a topic in {', '.join(TOPICS)}")
        rows.append(row)
    return rows


def scores(proba: np.ndarray, topics: list[str], kinds: list[str]) -> dict[str, tuple[float, float, int]]:
    """``{"all" | kind: (macro AP, top-1, n)}``; macro AP over the topics present in that slice."""
    from sklearn.metrics import average_precision_score

    y = np.array([TOPICS.index(t) for t in topics])
    k = np.array(kinds)
    out = {}
    for name in ["all", *sorted(set(kinds))]:
        m = np.ones(len(y), bool) if name == "all" else k == name
        aps = [average_precision_score(y[m] == t, proba[m, t]) for t in range(len(TOPICS)) if (y[m] == t).any()]
        out[name] = (float(np.mean(aps)), float((proba[m].argmax(1) == y[m]).mean()), int(m.sum()))
    return out


def report(name: str, proba: np.ndarray, topics: list[str], kinds: list[str]) -> None:
    cells = "  ".join(f"{k} {ap:.3f} / {top1:.3f} (n={n})" for k, (ap, top1, n) in scores(proba, topics, kinds).items())
    print(f"{name}: {cells}")


def baselines(rows: list[dict], public: Path | None) -> int:
    import pandas as pd

    from brandfit.config import load_config
    from brandfit.evaluation import loso
    from brandfit.evaluation.public import available

    if not available(public):
        print("public corpora not found: the baselines train on data/labeled and the public corpora, "
              "so there is nothing to compare (pass --public-data)")
        return 0
    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "default.yaml")
    frame = loso.load_sources(public_root=public)
    probe = pd.DataFrame({"text": [r["text"] for r in rows], "source": "probe", "topic": [r["topic"] for r in rows],
                          "promo": [r.get("promo") for r in rows], "group": [f"probe:{i}" for i in range(len(rows))]})
    d = loso.build_data(pd.concat([frame, probe], ignore_index=True), augment=config.promo.augment,
                        templates=config.topic.description_templates)
    is_probe = (d.frame["source"] == "probe").to_numpy()
    test = np.flatnonzero(is_probe & ~d.frame["augmented"].to_numpy())
    train = np.flatnonzero(~is_probe & d.frame["topic"].notna().to_numpy())
    topics, kinds = [r["topic"] for r in rows], [r.get("kind", "-") for r in rows]
    for c in loso.cross_source_candidates(config):
        name = "recipe, all sources" if c.name == "production" else c.name  # not the registry's production model
        report(name, np.asarray(c.fit_predict(d, "topic", train, c.weights(d, "topic", train), test)), topics, kinds)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("probe", type=Path, help="JSONL of {text, topic, kind}")
    ap.add_argument("refs", nargs="*", help="registry refs, e.g. relevance@66 production")
    ap.add_argument("--baselines", action="store_true", help="train the recipe and the baselines on every source")
    ap.add_argument("--public-data", type=Path, default=None, help="public corpora folder (default ../shared/datasets)")
    ap.add_argument("--misses", action="store_true", help="list every text whose top topic is wrong")
    args = ap.parse_args(argv)
    if not args.refs and not args.baselines:
        ap.error("give registry refs, --baselines, or both")
    rows = read_probe(args.probe)
    topics, kinds = [r["topic"] for r in rows], [r.get("kind", "-") for r in rows]
    if args.refs:
        import brandfit

        texts = [r["text"] for r in rows]
        for ref in args.refs:
            proba = np.asarray(brandfit.load_model(ref).analyze(texts).topic_proba)
            report(ref, proba, topics, kinds)
            if args.misses:
                for i in np.flatnonzero(proba.argmax(1) != np.array([TOPICS.index(t) for t in topics])):
                    top = int(proba[i].argmax())
                    print(f"  miss [{kinds[i]}] {topics[i]} -> {TOPICS[top]} {proba[i, top]:.2f}: {texts[i]}")
    if args.baselines:
        return baselines(rows, args.public_data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
