"""How fast reports are on a large organisation, against the floor of one SQL scan.

    .venv/bin/python benchmarks/report_scale.py --db sqlite:////tmp/large.db [--generate]
        [--today 2026-11-22] [--repeat 3] [--service service-004 --service service-150]

--generate first writes `dorameter demo --scale large` into the (empty) store and reports the
generation and ingestion throughput. Then, best of N each, in one run:
- the floor: SQL statements through the bare driver returning the rows a full report needs,
  filtered by the service ids and their repositories' ids as the report's own statements are
  (so each database can use the same indexes):
  every shipped commit of the production deployments in reach (with the columns lead time
  reads), those deployments, the incidents, the pull requests merged in the period with their
  reviews, and the CI runs (the flow diagnosis reads those), and, in a repository with
  path-defined services (the monorepo), the changed files of the commits those pull requests
  merged and those runs ran on (without them no report can tell which service a monorepo pull
  request or run belongs to); for one service, after looking up its id and the repositories it
  deployed from;
- `build_report` for the whole organisation and for each `--service`, then once more in the
  same process (statements compiled, as in a running `dorameter serve`);
and prints seconds, the ratio to the floor, and the peak resident memory of each measurement
(each runs in a fresh subprocess so the peak is its own), with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

PERIOD_DAYS = 90
FLOOR_SQL = """
SELECT s.deployment_id, d.service_id, c.repository_id, c.sha, c.author_time, c.subject,
       c.parents, c.reverts, s.before_tracking
FROM deployments d
JOIN shipped s ON s.deployment_id = d.id
JOIN commits c ON c.id = s.commit_id
WHERE d.environment = 'production' AND d.status = 'success'
  AND d.finished_at >= :start AND d.finished_at < :end {service}
"""
DEPLOYMENTS_SQL = """
SELECT * FROM deployments d WHERE d.environment = 'production' AND d.status = 'success'
  AND d.finished_at >= :start AND d.finished_at < :end {service}
"""
PULL_REQUESTS_SQL = """
SELECT p.*, r.reviewer, r.state, r.submitted_at FROM pull_requests p
LEFT JOIN reviews r ON r.pull_request = p.external_id
WHERE p.merged_at >= :start AND p.merged_at < :end {repositories}
"""
PIPELINE_RUNS_SQL = """
SELECT * FROM pipeline_runs p WHERE p.created_at >= :start AND p.created_at < :end {repositories}
"""
INCIDENTS_SQL = (
    "SELECT * FROM incidents d WHERE d.started_at >= :start AND d.started_at < :end {service}"
)
CHANGED_FILES_SQL = """
SELECT c.sha, c.paths FROM commits c
WHERE c.repository_id IN ({monorepos}) AND c.paths IS NOT NULL AND c.sha IN (
  SELECT p.sha FROM pipeline_runs p WHERE p.repository_id IN ({monorepos})
    AND p.created_at >= :start AND p.created_at < :end
  UNION
  SELECT p.merge_commit_sha FROM pull_requests p WHERE p.repository_id IN ({monorepos})
    AND p.merged_at >= :start AND p.merged_at < :end)
"""
SERVICE_SQL = text("SELECT id FROM services WHERE name = :name")
SERVICES_SQL = text("SELECT id FROM services")
REPOSITORIES_SQL = text(
    "SELECT DISTINCT repository_id FROM deployments "
    "WHERE service_id = :service AND repository_id IS NOT NULL"
)
ALL_REPOSITORIES_SQL = text(
    "SELECT DISTINCT repository_id FROM deployments WHERE repository_id IS NOT NULL"
)
MONOREPOS_SQL = "SELECT DISTINCT repository_id FROM service_paths {service}"


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def listed(ids: Any) -> str:
    """Ids as an SQL list (NULL when there are none, which matches nothing)."""
    return ", ".join(str(int(value)) for value in ids) or "NULL"


def measure_floor(url: str, end: datetime, service: str | None) -> float:
    """Seconds for the bare driver to return every row the report reads.

    The scans are given the service ids and the ids of the repositories they deployed from as
    values, as the report's own statements are. Without them the floor was no floor: as
    `service_id = (SELECT ...)` and `repository_id IN (SELECT ...)`, PostgreSQL planned scans
    of whole tables (three times the one-service report); naming no service, SQLite (which
    keeps no statistics) walked every `shipped` row to find the period's (2.2 s, where the
    index on deployments gives the same 147,647 rows in 0.7 s). One service's id and
    repositories are looked up inside the timing, as the report looks them up too; the whole
    organisation's are looked up before it (a plain DISTINCT over deployments takes 40-80 ms,
    more than the report's own lookup), so that floor is if anything too low.
    """
    engine = create_engine(url)
    start = end - timedelta(days=PERIOD_DAYS + 2)
    params: dict[str, Any] = {"start": micros(start), "end": micros(end + timedelta(days=1))}
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        if not service:  # looked up before the timing (see above)
            scope = f"AND d.service_id IN ({listed(connection.execute(SERVICES_SQL).scalars())})"
            owned = connection.execute(ALL_REPOSITORIES_SQL).scalars().all()
        began = time.perf_counter()
        own_paths = ""
        if service:
            params["service"] = connection.execute(SERVICE_SQL, {"name": service}).scalar_one()
            owned = connection.execute(REPOSITORIES_SQL, params).scalars().all()
            scope = "AND d.service_id = :service"
            own_paths = "WHERE service_id = :service"
        repositories = f"AND p.repository_id IN ({listed(owned)})"
        monorepos = listed(
            connection.execute(text(MONOREPOS_SQL.format(service=own_paths)), params).scalars()
        )
        statements = [FLOOR_SQL, DEPLOYMENTS_SQL, INCIDENTS_SQL, PULL_REQUESTS_SQL]
        statements += [PIPELINE_RUNS_SQL, CHANGED_FILES_SQL]
        for sql in statements:
            query = sql.format(service=scope, repositories=repositories, monorepos=monorepos)
            statement = connection.execute(text(query), params)
            statement.cursor.fetchall() if statement.cursor else None
        elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed


def measure_report(url: str, end: datetime, service: str | None) -> tuple[float, float]:
    """Seconds for build_report, as the CLI, the API and the dashboard call it: the first in a
    fresh process (the CLI: SQLAlchemy compiles each statement once per process), then a second
    one in the same process (a running `dorameter serve`, whose statements are compiled)."""
    from dorameter.config import Settings
    from dorameter.model import Period
    from dorameter.report import build_report
    from dorameter.store import open_store

    store = open_store(url)
    period = Period(end - timedelta(days=PERIOD_DAYS), end)
    settings = Settings(database_url=url)
    seconds = []
    for _ in range(2):
        began = time.perf_counter()
        report = build_report(store, settings, period, [service] if service else None)
        seconds.append(time.perf_counter() - began)
        assert report.services
        del report  # the peak is one report's, not two at once
    store.close()
    return seconds[0], seconds[1]


def child(kind: str, url: str, end: str, service: str | None) -> None:
    """Run one measurement in this process and print seconds and peak memory as JSON."""
    moment = datetime.fromisoformat(end)
    result: dict[str, float] = {}
    if kind == "floor":
        result["seconds"] = measure_floor(url, moment, service)
    else:
        result["seconds"], result["warm_seconds"] = measure_report(url, moment, service)
    result["peak_mib"] = peak_resident_mib()
    print(json.dumps(result))


def peak_resident_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's peak
    across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(kind: str, url: str, end: datetime, service: str | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--db", url, "--end", end.isoformat()]
    command += ["--service", service or "-"]
    # stderr passes through, so a failing measurement shows its traceback.
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def runs(
    kind: str, url: str, end: datetime, service: str | None, repeat: int
) -> list[dict[str, float]]:
    return [run_child(kind, url, end, service) for _ in range(repeat)]


def best(measured: list[dict[str, float]], key: str = "seconds") -> dict[str, float]:
    return min(measured, key=lambda run: run[key])


def generate(url: str, today: date) -> None:
    from dorameter.config import Settings
    from dorameter.demo import DemoOptions, generate_demo
    from dorameter.store import open_store

    store = open_store(url)
    began = time.perf_counter()
    generate_demo(
        store, Settings(database_url=url), DemoOptions(seed=7, scale="large", today=today)
    )
    elapsed = time.perf_counter() - began
    counts = store.count_rows()
    print(f"generated and ingested {counts} in {elapsed:.1f} s")
    print(f"  {sum(counts.values()) / elapsed:,.0f} commits, deployments and incidents per second")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of the store")
    parser.add_argument("--today", default="2026-11-22", help="the demo's last day (exclusive)")
    parser.add_argument(
        "--service",
        action="append",
        help="a one-service report (repeatable; default: service-004, one of the monorepo's "
        "path-defined services, and service-150, a repository of its own)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--generate", action="store_true", help="write the large demo first")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--end", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        service = args.service[-1] if args.service else "-"
        child(args.child, args.db, args.end, service if service != "-" else None)
        return
    today = date.fromisoformat(args.today)
    end = datetime(today.year, today.month, today.day, tzinfo=UTC)
    if args.generate:
        generate(args.db, today)
    print(f"load average before: {load_average()}")
    print("| measurement | seconds | ratio to floor | peak RSS MiB |\n|---|---:|---:|---:|")
    services = args.service or ["service-004", "service-150"]
    scopes = [("full organisation", None)] + [(f"one service ({name})", name) for name in services]
    for label, service in scopes:
        floor = best(runs("floor", args.db, end, service, args.repeat))
        reports = runs("report", args.db, end, service, args.repeat)
        report, warm = best(reports), best(reports, "warm_seconds")
        print(f"| {label}: SQL floor | {floor['seconds']:.3f} | 1.00 | {floor['peak_mib']:.0f} |")
        ratio = report["seconds"] / floor["seconds"]
        print(
            f"| {label}: build_report | {report['seconds']:.3f} | {ratio:.2f} "
            f"| {report['peak_mib']:.0f} |"
        )
        print(
            f"| {label}: build_report again, same process | {warm['warm_seconds']:.3f} "
            f"| {warm['warm_seconds'] / floor['seconds']:.2f} | {warm['peak_mib']:.0f} |"
        )
    print(f"load average after: {load_average()}")


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages: timings on a shared machine need them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
