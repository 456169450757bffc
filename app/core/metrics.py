"""Prometheus metrics: requests per route, latencies, job queue depth."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "techx_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "techx_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.jobs = Gauge(
            "techx_jobs", "Jobs in the queue by status", ["status"], registry=self.registry
        )
        # The labelled series of each (method, route, status) seen, found without building
        # and hashing their labels on every request. Bounded: routes are templates, not paths.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def set_job_depth(self, counts: dict[str, int]) -> None:
        for status in ("queued", "running", "done", "dead"):
            self.jobs.labels(status).set(counts.get(status, 0))

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
