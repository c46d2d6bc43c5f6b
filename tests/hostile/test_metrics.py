"""Prometheus metrics, as an operator scrapes them from `cma serve --workers 2`: on a port of
their own, every worker's requests counted once, read with the library's own parser."""

import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cma.core.settings import Settings
from cma.notifications.smtp_sink import free_port
from tests.support import serving


@pytest.fixture(scope="module")
def two_workers(settings: Settings) -> Iterator[tuple[str, str]]:
    """(the public URL, the metrics URL) of `cma serve --workers 2` with metrics on, on the
    tests' database (`settings` made it)."""
    port = free_port()
    with serving("--workers", "2", METRICS_PORT=str(port)) as url:
        yield url, f"http://127.0.0.1:{port}/metrics"


def _scrape(metrics: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    families = text_string_to_metric_families(httpx.get(metrics, timeout=5).text)
    return {
        family.name: [(sample.labels, sample.value) for sample in family.samples]
        for family in families
    }


def _requests(scraped: dict[str, list[tuple[dict[str, str], float]]], route: str) -> float:
    return sum(
        value
        for labels, value in scraped.get("cma_http_requests", [])
        if labels.get("route") == route and "status" in labels
    )


def test_every_request_of_every_worker_is_counted_once(two_workers: tuple[str, str]) -> None:
    url, metrics = two_workers
    # The health checks that saw the server start are counted a moment after their answers.
    before = _scrape(metrics)
    for _ in range(20):
        time.sleep(0.5)
        again = _scrape(metrics)
        if _requests(again, "/api/v1/health") == _requests(before, "/api/v1/health"):
            break
        before = again
    # New connections each time: the two workers share the port, and both answer.
    for _ in range(30):
        assert httpx.get(f"{url}/api/v1/health").status_code == 200
    for _ in range(5):
        assert httpx.get(f"{url}/api/v1/courses/ZZ9999").status_code == 404

    after = _scrape(metrics)
    assert _requests(after, "/api/v1/health") - _requests(before, "/api/v1/health") == 30
    assert (
        _requests(after, "/api/v1/courses/{code}") - _requests(before, "/api/v1/courses/{code}")
        == 5
    )
    latency = {labels.get("route") for labels, _ in after["cma_http_request_duration_seconds"]}
    assert "/api/v1/courses/{code}" in latency
    for gauge in (
        "cma_outbox_backlog",
        "cma_outbox_oldest_unsent_age_seconds",
        "cma_db_pool_connections_in_use",
        "cma_hashing_in_flight",
    ):
        assert gauge in after, gauge
    assert "cma_hashing_refusals" in after
    assert "cma_allocation_runs" in after


def test_the_public_port_does_not_serve_the_metrics(two_workers: tuple[str, str]) -> None:
    url, _ = two_workers
    assert "cma_http_requests" not in httpx.get(f"{url}/metrics").text


def test_an_invented_method_adds_no_series(two_workers: tuple[str, str]) -> None:
    url, metrics = two_workers
    for n in range(5):
        httpx.request(f"INVENTE{n}", f"{url}/api/v1/health")
    assert httpx.get(f"{url}/api/v1/health").status_code == 200
    time.sleep(0.5)
    methods = {labels.get("method") for labels, _ in _scrape(metrics)["cma_http_requests"]}
    assert not [m for m in methods if m and m.startswith("INVENTE")]
