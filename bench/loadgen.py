"""A small closed-loop HTTP load generator for loopback benchmarks.

N client threads, each with its own keep-alive connection, request one URL back to back for a
bounded time; we report requests/s, p50, p95 and errors. Only loopback addresses are allowed:
benchmarks never send traffic anywhere else.
"""

import http.client
import statistics
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlparse

LOOPBACK = ("127.", "localhost", "::1")


@dataclass(frozen=True)
class LoadResult:
    label: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_load(
    *, label: str, url: str, cookie: str = "", clients: int = 8, seconds: float = 15.0, warmup: float = 2.0
) -> LoadResult:
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if not host.startswith(LOOPBACK):
        raise ValueError(f"benchmarks only target loopback addresses, not {host!r}")
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    headers = {"Cookie": cookie, "Connection": "keep-alive"} if cookie else {"Connection": "keep-alive"}
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start_measuring = time.monotonic() + warmup
    stop_at = start_measuring + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(host, parsed.port or 80, timeout=30)
        while True:
            began = time.monotonic()
            if began >= stop_at:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, parsed.port or 80, timeout=30)
            ended = time.monotonic()
            if began >= start_measuring:
                if ok:
                    latencies[index].append((ended - began) * 1000)
                else:
                    errors[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + warmup + 60)
    all_latencies = sorted(x for per_client in latencies for x in per_client)
    if len(all_latencies) >= 2:
        cuts = statistics.quantiles(all_latencies, n=100)
        p50, p95 = cuts[49], cuts[94]
    else:
        p50 = p95 = all_latencies[0] if all_latencies else 0.0
    return LoadResult(label, len(all_latencies), sum(errors), seconds, p50, p95)


def print_table(rows: list[LoadResult]) -> None:
    print(f"{'page':<44} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'requests':>9} {'errors':>7}")
    for r in rows:
        print(f"{r.label:<44} {r.rps:>8.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.requests:>9} {r.errors:>7}")
