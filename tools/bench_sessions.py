"""`bench sessions`: the supervisors' session browser queries over many sessions on SQLite."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path


def run_bench_sessions(count: int, database_file: Path | None, *, say: Callable[[str], None]) -> None:
    """Session browser queries over `count` sessions on SQLite (seeded when missing), each
    timed five times; `say` gets each line of figures."""
    from storage.benchmarks import count_session_summaries, seed_finished_sessions
    from storage.database import open_database
    from storage.replay import Flag, ReplayRecords, SessionFilter, SortKey

    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        path = database_file or Path(tmp) / "sessions.db"
        database = open_database(f"sqlite:///{path}")
        existing = count_session_summaries(database)
        if existing < count:
            begin = time.perf_counter()
            seed_finished_sessions(database, count - existing)
            say(f"seeded {count - existing} sessions in {time.perf_counter() - begin:.0f} s")
        records = ReplayRecords(database)
        reviewers = records.reviewers()
        now = datetime.now(UTC)
        cases: list[tuple[str, SessionFilter, SortKey]] = [
            ("no filter, newest first", SessionFilter(), SortKey.STARTED),
            ("last 7 days", SessionFilter(started_from=now - timedelta(days=7)), SortKey.STARTED),
            ("one reviewer, 30 days", SessionFilter(reviewer_id=reviewers[3][0], started_from=now - timedelta(days=30)), SortKey.STARTED),  # noqa: E501
            ("rejected, reason fraud_suspected", SessionFilter(outcome="reject", reason_code="fraud_suspected"), SortKey.STARTED),  # noqa: E501
            ("lowest similarity < 40, by lowest", SessionFilter(lowest_similarity_below=40.0), SortKey.LOWEST_SIMILARITY),  # noqa: E501
            ("flags: multiple faces + dropped", SessionFilter(flags=Flag.MULTIPLE_FACES | Flag.DROPPED_CONNECTION), SortKey.STARTED),  # noqa: E501
            ("everything at once, page 3", SessionFilter(started_from=now - timedelta(days=90), outcome="approve", lowest_similarity_below=70.0, flags=Flag.LIVENESS_FAILED), SortKey.DURATION),  # noqa: E501
        ]  # fmt: skip
        say(
            f"session browser over {count_session_summaries(database)} sessions on SQLite (page of 50 + total count):"  # noqa: E501
        )
        worst = 0.0
        for name, spec, sort in cases:
            page = 2 if "page 3" in name else 0
            records.browse(spec, sort=sort, page=page)  # warm the page cache once
            timings = []
            for _ in range(5):
                begin = time.perf_counter()
                result = records.browse(spec, sort=sort, page=page)
                timings.append((time.perf_counter() - begin) * 1000)
            median = statistics.median(timings)
            worst = max(worst, *timings)
            say(f"  {name:<40} {median:7.1f} ms (max {max(timings):.1f})  {result.total} match")
        say(f"slowest query {worst:.1f} ms (target: under 200 ms)")
        database.dispose()
