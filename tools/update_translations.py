"""Refresh the console's translations: lupdate collects the strings of ui/*.py and of the
supervisors' replay window (ui/replay/*.py) into the .ts sources (keeping what is translated),
lrelease compiles them to the .qm files the console loads.

    .venv/bin/python -m tools.update_translations

Translate new strings in the .ts (pyside6-linguist, or by hand: fill <translation> and drop
type="unfinished"), then run this again. tests/test_ui_i18n.py fails while one is unfinished.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

UI = Path(__file__).resolve().parent.parent / "ui"
HERE = UI / "i18n"  # the .ts sources and the compiled .qm files
BIN = Path(sys.executable).parent
LANGUAGES = ["zh_CN"]
SOURCE_GLOBS = ["*.py", "replay/*.py"]  # the console, and the supervisors' replay window


def source_files() -> list[str]:
    return sorted(str(path) for pattern in SOURCE_GLOBS for path in UI.glob(pattern))


def main() -> int:
    sources = source_files()
    for language in LANGUAGES:
        ts = HERE / f"console_{language}.ts"
        subprocess.run([str(BIN / "pyside6-lupdate"), *sources, "-ts", str(ts), "-no-obsolete"], check=True)
        subprocess.run(
            [str(BIN / "pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
