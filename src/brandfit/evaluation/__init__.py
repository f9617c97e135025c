"""Evaluation: metrics, reports, baselines and the cross-domain harness over public corpora."""
