"""Made-up applications for benchmarks and load runs."""

from __future__ import annotations

from datetime import UTC, datetime

from app.applications import ApplicationForm, make_application_form


def bench_application_form(name: str) -> ApplicationForm:
    """An application with made-up details under `name`, applied now."""
    return make_application_form(
        name=name,
        national_id="110101199001011234",
        phone="+86 138 0013 8000",
        amount="5000",
        term_months=12,
        purpose="Shop stock",
        applied_at=datetime.now(UTC),
    )
