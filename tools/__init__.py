"""Benchmarks, load generators and demos: the code that measures or shows the application
rather than runs it (`main.py bench ...`, `sessions demo`, `console --in-memory`, the README's
screenshots, the applicant simulator, the translations refresh). Above ui/ and services/ in the
layers; nothing but cli/ and tests import it."""


class BenchFailed(Exception):
    """A benchmark or load run could not measure; the message says why."""


# The PostgreSQL server a benchmark makes its scratch database on (the tests' server).
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
