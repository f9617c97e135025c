"""Prometheus metrics of one server, on a registry of its own (so several apps in one process do not clash)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from brandfit.serve.batching import BatchStats

__all__ = ["ServeMetrics", "CONTENT_TYPE_LATEST"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self.requests = Counter("brandfit_serve_requests", "HTTP requests answered", ["route", "method", "status"],
                                registry=r)
        self.latency = Histogram("brandfit_serve_request_duration_seconds", "Time to answer a request",
                                 ["route"], buckets=_LATENCY_BUCKETS, registry=r)
        self.in_flight = Gauge("brandfit_serve_requests_in_flight", "Requests being answered", registry=r)
        self.batch_accounts = Histogram("brandfit_serve_batch_accounts", "Accounts per Pipeline.score call",
                                        buckets=_BATCH_BUCKETS, registry=r)
        self.batch_requests = Histogram("brandfit_serve_batch_requests", "Requests merged into one model call "
                                        "(accounts or texts)", buckets=_BATCH_BUCKETS, registry=r)
        self.batch_wait = Histogram("brandfit_serve_batch_queue_wait_seconds", "Time a batch's oldest request "
                                    "waited before scoring started", buckets=_LATENCY_BUCKETS, registry=r)
        self.batch_seconds = Histogram("brandfit_serve_batch_duration_seconds", "Time of one model call",
                                       buckets=_LATENCY_BUCKETS, registry=r)
        self.accounts_scored = Counter("brandfit_serve_accounts_scored", "Accounts scored", registry=r)
        self.batch_texts = Histogram("brandfit_serve_batch_texts", "Texts per /v1/texts model call (concurrent "
                                     "requests merged)", buckets=_BATCH_BUCKETS, registry=r)
        self.texts_analyzed = Counter("brandfit_serve_texts_analyzed", "Texts analysed for /v1/texts", registry=r)
        self.model_info = Gauge("brandfit_serve_model_info", "The model version being served (value 1)",
                                ["version", "backend"], registry=r)
        self.model_swaps = Counter("brandfit_serve_model_swaps", "Hot model swaps by outcome", ["outcome"],
                                   registry=r)
        self.swap_refused = Gauge("brandfit_serve_model_swap_refused", "1 while the alias points to a version "
                                  "that failed to load or verify (the old one keeps serving)", registry=r)

    def observe_batch(self, stats: BatchStats) -> None:
        """One model call: accounts (Pipeline.score) or texts (/v1/texts); requests, wait and time cover both."""
        if stats.kind == "texts":
            self.batch_texts.observe(stats.accounts)
            self.texts_analyzed.inc(stats.accounts)
        else:
            self.batch_accounts.observe(stats.accounts)
            self.accounts_scored.inc(stats.accounts)
        self.batch_requests.observe(stats.requests)
        self.batch_wait.observe(max(stats.queue_wait, 0.0))
        self.batch_seconds.observe(stats.seconds)

    def set_model(self, version: str, backend: str) -> None:
        self.model_info.clear()
        self.model_info.labels(version=version, backend=backend).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
