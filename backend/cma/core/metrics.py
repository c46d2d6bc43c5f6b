"""What an operator watches, for Prometheus: requests by route, the password queue, the
outbox, the database pool, allocation runs.

With `METRICS_PORT` set, `cma serve` gives every worker process one directory to write these
to (prometheus-client's multiprocess mode) and serves their sum on that port, apart from the
public one; unset, they only live in the process and nobody reads them.
"""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "cma_http_requests_total", "Requests answered, by route template and status",
    ["method", "route", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "cma_http_request_duration_seconds", "Time to answer a request, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
HASHING_IN_FLIGHT = Gauge(
    "cma_hashing_in_flight", "Password checks admitted and not finished",
    multiprocess_mode="livesum",
)  # fmt: skip
HASHING_WAITING = Gauge(
    "cma_hashing_waiting", "Logins waiting for room in the password queue",
    multiprocess_mode="livesum",
)  # fmt: skip
HASHING_REFUSALS = Counter(
    "cma_hashing_refusals_total", "Logins refused 503 busy: the password queue was full"
)
OUTBOX_BACKLOG = Gauge(
    "cma_outbox_backlog", "Mails and SMS waiting to be sent", multiprocess_mode="max"
)
OUTBOX_OLDEST_AGE = Gauge(
    "cma_outbox_oldest_unsent_age_seconds", "Age of the oldest mail or SMS not sent yet",
    multiprocess_mode="max",
)  # fmt: skip
DB_POOL_IN_USE = Gauge(
    "cma_db_pool_connections_in_use", "Database connections checked out of the pools",
    multiprocess_mode="livesum",
)  # fmt: skip
DB_POOL_SIZE = Gauge(
    "cma_db_pool_size", "Database connections the pools may hold", multiprocess_mode="livesum"
)
ALLOCATION_RUNS = Counter(
    "cma_allocation_runs_total", "Allocations computed, previewed or committed", ["kind"]
)
ALLOCATION_SECONDS = Histogram(
    "cma_allocation_run_duration_seconds", "Time to compute an allocation", ["kind"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)  # fmt: skip

# Shown at zero from the start, so that a rate over them is defined before the first run.
for _kind in ("preview", "commit"):
    ALLOCATION_RUNS.labels(_kind)
    ALLOCATION_SECONDS.labels(_kind)
