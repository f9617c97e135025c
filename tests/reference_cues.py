"""The reference the fast cue matcher is checked against (tests and benchmarks/bench_cues.py only)."""

from __future__ import annotations

from typing import Sequence

from brandfit.cues import _matcher, finish_cues, token_patterns


def plain_spacy_cues(texts: Sequence[str]) -> list[list[str]]:
    """The reference :func:`find_cues` is checked against: spaCy's ``Matcher`` holding :func:`token_patterns` plus
    the same ``PhraseMatcher``, run the plain way (every pattern on every token; ~1.7x slower), on the same bounded
    text :func:`find_cues` reads (:func:`brandfit.cues.bounded_text`: a text over 5,000 characters is its start and
    its end). For tests and ``benchmarks/bench_cues.py``."""
    from spacy.matcher import Matcher

    from brandfit.cues import bounded_text

    fast = _matcher()
    nlp = fast.nlp
    tokens = Matcher(nlp.vocab, validate=True)
    for name, patterns in token_patterns().items():
        tokens.add(name, patterns)
    out = []
    with fast.lock:
        for doc in nlp.tokenizer.pipe(bounded_text(t) for t in texts):
            found = {nlp.vocab.strings[m] for m, _, _ in fast.phrases(doc)}
            found |= {nlp.vocab.strings[m] for m, _, _ in tokens(doc)}
            out.append(finish_cues(found, doc.text))
    return out
