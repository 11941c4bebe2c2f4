"""Three consoles in separate processes, each through its own intake service, drain one
PostgreSQL queue of 30 applicants: every applicant is taken exactly once."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest

from tests.e2e.conftest import CallWorld, json_lines


@pytest.mark.slow
@pytest.mark.postgres
def test_three_consoles_take_thirty_applicants_exactly_once(postgres_world: CallWorld) -> None:
    from storage.reviewers import Accounts

    _, tokens = postgres_world.seed([f"Applicant {index:02d}" for index in range(30)])
    accounts = Accounts(postgres_world.database)
    reviewers = {
        int(accounts.ensure(f"console-{n}", "console-password").id): f"console-{n}" for n in (1, 2, 3)
    }
    queued = postgres_world.queue(tokens)
    assert len(set(queued)) == 30

    # One intake service per console, as behind a load balancer: they share only the database.
    urls = [postgres_world.intake() for _ in reviewers]
    consoles = []
    for url, name in zip(urls, reviewers.values(), strict=True):
        args = ["review-probe", "--url", url, "--drain", "--wait", "3", "--reviewer", name]
        password = {"AUDIT_REVIEWER_PASSWORD": "console-password"}
        consoles.append(postgres_world.run(*args, env=password, stderr=subprocess.PIPE))
    taken_by: dict[int, list[int]] = {}
    for reviewer, console in zip(reviewers, consoles, strict=True):
        out, err = console.communicate(timeout=120)
        assert console.returncode in (0, 1), err
        taken_by[reviewer] = [line["taken"] for line in json_lines(out) if "taken" in line]

    every = [session for sessions in taken_by.values() for session in sessions]
    print("taken per console:", {reviewer: len(sessions) for reviewer, sessions in taken_by.items()})
    duplicates = [session for session, count in Counter(every).items() if count > 1]
    assert duplicates == []
    assert sorted(every) == sorted(queued)

    # The database agrees on who took whom.
    from sqlalchemy import select

    from storage.models import ReviewSessionRow

    with postgres_world.database.session() as session:
        rows = dict(session.execute(select(ReviewSessionRow.id, ReviewSessionRow.reviewer_id)).all())
    for reviewer, sessions in taken_by.items():
        assert all(rows[s] == reviewer for s in sessions)
