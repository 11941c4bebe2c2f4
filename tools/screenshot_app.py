"""The Qt application the screenshot tools draw with: the console's style sheet and the
language's translations, which are removed again afterwards (a tool may shoot both languages in
one process)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from PySide6.QtWidgets import QApplication

from ui.languages import install_translators
from ui.style import STYLE_SHEET


@contextlib.contextmanager
def screenshot_app(language: str) -> Iterator[QApplication]:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setStyleSheet(STYLE_SHEET)
    translators = install_translators(app, language)
    try:
        yield app
    finally:
        for translator in translators:
            app.removeTranslator(translator)
