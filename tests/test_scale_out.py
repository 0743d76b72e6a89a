"""Scale-out on PostgreSQL: several ingestion workers on one database at once.

Three processes write the same demo organisation concurrently (the worst case: every record
arrives three times at the same moment). Afterwards the store must hold exactly what one
process writing alone produces: no record lost, none duplicated, attribution done once.
"""

from __future__ import annotations

import multiprocessing
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from dorameter.config import Settings
from dorameter.demo import DemoOptions, generate_demo
from dorameter.store import Store, open_store
from dorameter.store.schema import (
    commits,
    deployments,
    incidents,
    pipeline_runs,
    pull_requests,
    reviews,
    service_paths,
    shipped,
)
from tests.conftest import POSTGRES_URL

TODAY = date(2026, 11, 22)
TABLES = {
    "commits": commits,
    "pull_requests": pull_requests,
    "reviews": reviews,
    "pipeline_runs": pipeline_runs,
    "deployments": deployments,
    "incidents": incidents,
    "shipped": shipped,
}

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs DORAMETER_TEST_POSTGRES_URL")


def write_demo(url: str) -> None:
    store = open_store(url)
    generate_demo(store, Settings(database_url=url), DemoOptions(seed=11, today=TODAY))
    store.close()


def census(url: str) -> dict[str, object]:
    store = open_store(url)
    with store.engine.connect() as connection:
        counts: dict[str, object] = {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in TABLES.items()
        }
        counts["unattributed"] = connection.execute(
            select(func.count()).where(~deployments.c.attributed)
        ).scalar_one()
        counts["shipped_per_deployment"] = sorted(
            tuple(row)
            for row in connection.execute(
                select(deployments.c.external_id, func.count(shipped.c.commit_id))
                .join(shipped, shipped.c.deployment_id == deployments.c.id)
                .group_by(deployments.c.external_id)
            )
        )
    store.close()
    return counts


def test_concurrent_workers_store_exactly_what_one_worker_stores(
    store_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if not store_url.startswith("postgresql"):
        pytest.skip("scale-out is a PostgreSQL deployment")
    open_store(store_url).close()  # migrate once before the race
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=write_demo, args=(store_url,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]

    alone = f"sqlite:///{tmp_path_factory.mktemp('alone') / 'alone.db'}"
    write_demo(alone)

    together, single = census(store_url), census(alone)
    assert together["unattributed"] == 0
    assert together == single


def test_two_servers_on_one_database_store_each_event_once(store_url: str) -> None:
    """Every event posted to both servers at once (a retrying load balancer) is stored once."""
    if not store_url.startswith("postgresql"):
        pytest.skip("scale-out is a PostgreSQL deployment")
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.web.test_server_process import Server, create_token

    token = create_token(store_url)
    servers = [Server(store_url), Server(store_url)]
    for server in servers:
        server.start()
    documents = [
        {"service": "shop", "sha": f"{number:07x}", "id": f"dep-{number}"} for number in range(120)
    ]

    def post(target: tuple[Server, dict[str, str]]) -> int:
        server, document = target
        headers = {"Authorization": f"Bearer {token}"}
        answer = httpx.post(
            f"{server.base}/api/v1/deployments", json=document, headers=headers, timeout=30
        )
        return answer.status_code

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(post, [(s, d) for d in documents for s in servers]))
    finally:
        for server in servers:
            server.stop()

    assert set(codes) == {202}
    store = open_store(store_url)
    with store.engine.connect() as connection:
        rows = connection.execute(select(deployments.c.external_id)).scalars().all()
    store.close()
    assert sorted(rows) == sorted(document["id"] for document in documents)


def test_workers_declaring_the_same_monorepo_service_at_once_store_it_once(
    store_url: str,
) -> None:
    # What the demo race above once hit: each worker read "no prefixes yet", and all of them
    # inserted. The service row's lock makes the later ones wait and find the first's.
    if not store_url.startswith("postgresql"):
        pytest.skip("scale-out is a PostgreSQL deployment")
    workers = [open_store(store_url) for _ in range(6)]
    workers[0].ensure_service("search-indexer")
    workers[0].ensure_repository("mono")
    start = threading.Barrier(len(workers))
    changed: list[bool] = []
    failures: list[BaseException] = []

    def declare(store: Store) -> None:
        start.wait()
        try:
            changed.append(
                store.set_service_paths("search-indexer", "mono", ["services/search-indexer"])
            )
        except BaseException as error:  # any: the assertion below reports it
            failures.append(error)

    try:
        for _ in range(5):  # the race needs the reads to overlap: try it a few times
            for store in workers:
                store.set_service_paths("search-indexer", "mono", [])  # back to no prefixes
            changed.clear()
            threads = [threading.Thread(target=declare, args=(store,)) for store in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert failures == []
            assert sorted(changed) == [False] * (len(workers) - 1) + [True]
        with workers[0].engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(service_paths))
            assert stored.scalar_one() == 1
    finally:
        for store in workers:
            store.close()
