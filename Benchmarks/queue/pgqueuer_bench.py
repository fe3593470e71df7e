#!/usr/bin/env python3
"""pgqueuer (PyPI) measured the way queue-bench-postgres measures StoryForge's PostgresJobQueue.

For each worker count W: W processes enqueue N empty jobs between them, one `Queries.enqueue` call per job (as a
service enqueues one request at a time), then W processes each run one QueueManager on its own connection, as
`pgq run` would, in drain mode with pgqueuer's defaults (dequeue batches of 10, buffered status log), until the
queue is empty. Prints one line per worker count in queue-bench-postgres's format.

    STORYFORGE_POSTGRES_URL=postgres://... python3 pgqueuer_bench.py --workers 1,2,4,8 --jobs 4000
"""
import argparse
import asyncio
import multiprocessing
import os
import time
from datetime import timedelta

import asyncpg
from pgqueuer.db import AsyncpgDriver
from pgqueuer.qm import QueueManager
from pgqueuer.queries import Queries
from pgqueuer.types import QueueExecutionMode


def dsn() -> str:
    # asyncpg wants postgresql:// and knows sslmode.
    url = os.environ["STORYFORGE_POSTGRES_URL"]
    return "postgresql://" + url.split("://", 1)[1]


async def enqueue(count: int) -> None:
    connection = await asyncpg.connect(dsn())
    queries = Queries(AsyncpgDriver(connection))
    for _ in range(count):
        await queries.enqueue("empty", None)
    await connection.close()


async def drain() -> None:
    connection = await asyncpg.connect(dsn())
    manager = QueueManager(Queries(AsyncpgDriver(connection)))

    @manager.entrypoint("empty")
    async def empty(job) -> None:
        return None

    await manager.run(mode=QueueExecutionMode.drain, dequeue_timeout=timedelta(seconds=1))
    await connection.close()


def in_process(task, *args) -> None:
    asyncio.run(task(*args))


def run_processes(task, arguments) -> None:
    processes = [multiprocessing.Process(target=in_process, args=(task, *a)) for a in arguments]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a pgqueuer process failed with status {process.exitcode}")


async def reset() -> None:
    connection = await asyncpg.connect(dsn())
    queries = Queries(AsyncpgDriver(connection))
    try:
        await queries.uninstall()
    except Exception:
        pass
    await queries.install()
    await connection.close()


async def remaining() -> int:
    connection = await asyncpg.connect(dsn())
    count = await connection.fetchval("SELECT count(*) FROM pgqueuer")
    await connection.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--jobs", type=int, default=4000)
    options = parser.parse_args()
    for workers in [int(w) for w in options.workers.split(",") if w]:
        asyncio.run(reset())
        shares = [(options.jobs // workers + (1 if i < options.jobs % workers else 0),) for i in range(workers)]
        start = time.perf_counter()
        run_processes(enqueue, shares)
        enqueued = time.perf_counter()
        run_processes(drain, [()] * workers)
        end = time.perf_counter()
        left = asyncio.run(remaining())
        if left != 0:
            raise SystemExit(f"pgqueuer left {left} jobs")
        total = end - start
        print(
            f"queue=pgqueuer workers={workers} jobs={options.jobs} enqueue_s={enqueued - start:.3f} "
            f"drain_s={end - enqueued:.3f} total_s={total:.3f} jobs_per_s={options.jobs / total:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
