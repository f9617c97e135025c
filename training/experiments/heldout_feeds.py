"""Twenty whole feeds nobody trains on: promo and topic per post, and each account's primary topic.

    PYTHONPATH=src python training/experiments/heldout_feeds.py relevance@16 relevance@18

``training/eval/feeds`` (the layout of data/labeled: ``texts/`` and ``accounts/``; ``brandfit data check
training/eval/feeds`` validates it) holds 20 micro-influencer feeds written in session 9 by two helpers who read
only data/labeled/GUIDE.md and README.md (not the code, the tests or training/eval), after every text the models
train on: two per vertical per helper, a bio and 11-13 posts each, 31-45% of a vertical account's posts off its
vertical, 2-3 gifted posts praised with no disclosure word, 1-2 untagged hard sells and 2-4 organic look-alikes
per feed. Prints, per model: promo AP / F1 at the model's threshold over the 252 posts (and over the untagged
promo alone, as recall); topic macro AP / top-1 over all 272 texts; and each account's primary topic as right /
wrong / None (None is not wrong: the model says the account has no clear core topic).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

FEEDS = Path(__file__).resolve().parents[1] / "eval" / "feeds"


def main(argv: list[str] | None = None) -> int:
    from sklearn.metrics import average_precision_score, f1_score

    import brandfit
    from brandfit.cues import find_cues
    from brandfit.data import load_accounts, load_labeled
    from brandfit.topics import TOPICS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", help="registry references, e.g. relevance@18 or production")
    ap.add_argument("--folder", type=Path, default=FEEDS)
    args = ap.parse_args(argv)
    labeled = load_labeled(args.folder / "texts")
    if labeled.problems:
        print(f"{len(labeled.problems)} problems in {args.folder}: run `brandfit data check {args.folder}`")
        return 1
    texts = labeled.frame
    accounts = load_accounts(args.folder / "accounts")
    by_id = texts.set_index("id")
    y_promo = texts["promo"].to_numpy(dtype=bool)
    y_topic = np.array([TOPICS.index(t) for t in texts["topic"]])
    posts = (texts["kind"] == "post").to_numpy()
    no_cue = np.array([not c for c in find_cues(texts["text"].tolist())])  # untagged: no cue of any kind
    for ref in args.models:
        model = brandfit.load_model(ref)
        a = model.analyze(texts["text"].tolist(), show_progress_bar=False)
        p, thr = a.promo_proba, model.promo_threshold
        macro = np.mean([average_precision_score(y_topic == t, a.topic_proba[:, t]) for t in np.unique(y_topic)])
        quiet = posts & y_promo & no_cue
        print(f"{ref}: posts promo AP {average_precision_score(y_promo[posts], p[posts]):.3f}, "
              f"F1 {f1_score(y_promo[posts], p[posts] >= thr):.3f} at {thr:.3f}; "
              f"promo posts with no cue caught {np.mean(p[quiet] >= thr):.2f} ({quiet.sum()}); "
              f"organic posts flagged {np.mean(p[posts & ~y_promo] >= thr):.3f}; "
              f"topic macro AP {macro:.3f}, top-1 {np.mean(a.topic_proba.argmax(1) == y_topic):.3f}")
        right = wrong = none = 0
        for acc in accounts.itertuples():
            own = texts[texts["account_id"] == acc.account_id]
            bio = own.loc[own["kind"] == "bio", "text"]
            rel = brandfit.predict_relevance(
                {"account_id": acc.account_id, "bio": bio.iloc[0] if len(bio) else "",
                 "posts": [by_id.loc[post["id"], "text"] for post in acc.posts]},
                acc.topic, model=model)
            if rel.primary_topic is None:
                none += 1
            elif rel.primary_topic == acc.topic:
                right += 1
            else:
                wrong += 1
                print(f"  wrong: {acc.account_id} ({acc.topic}) -> {rel.primary_topic}")
        print(f"  accounts: right {right}, wrong {wrong}, None {none} (of {len(accounts)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
