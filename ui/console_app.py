"""Starts the console: the Qt application, languages, style, sign-in, then the window."""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.console import ConsoleServices
from app.settings import Settings
from ui.bridge import ServiceWorker
from ui.languages import choose_language, install_translators
from ui.main_window import ConsoleWindow
from ui.sign_in import SignInDialog
from ui.style import STYLE_SHEET

ORGANISATION = "VideoAuditConsole"
APPLICATION = "console"


def run_console_app(
    settings: Settings,
    services: ConsoleServices,
    *,
    demo_credentials: tuple[str, str] | None = None,
    on_window: Callable[[ConsoleWindow], None] | None = None,
    qsettings: QSettings | None = None,
) -> int:
    """Run the console until the reviewer closes it; the exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    qsettings = qsettings if qsettings is not None else QSettings()
    language = choose_language(settings.language, qsettings)
    translators = install_translators(app, language)
    app.setStyleSheet(STYLE_SHEET)

    worker = ServiceWorker("console-sign-in")
    try:
        reviewer = SignInDialog.ask(None, services, worker, prefill=demo_credentials)
    finally:
        worker.shutdown()
    if reviewer is None:
        return 1
    window = ConsoleWindow(services, reviewer, settings, qsettings, language)
    window.show()
    if on_window is not None:
        on_window(window)
    code = app.exec()
    del translators
    return int(code)
