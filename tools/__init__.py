"""Benchmarks, load generators and demos: the code that measures or shows the application
rather than runs it (`main.py bench ...`, `sessions demo`, `console --in-memory`, the README's
screenshots). Above ui/ and services/ in the layers; nothing but cli/ and tests import it."""


class BenchFailed(Exception):
    """A benchmark or load run could not measure; the message says why."""
