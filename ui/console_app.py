"""Starts the application's windows, the console's and the replay's, the same way: the Qt
application, its language and style, the sign-in (checked on a worker), then the window."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app.console import ConsoleServices
from app.replay import ReplayServices
from app.roles import Account
from app.settings import Settings
from ui.bridge import ServiceWorker
from ui.languages import choose_language, install_translators
from ui.main_window import ConsoleWindow
from ui.responsiveness import favour_the_qt_thread, freeze_the_start_up_heap
from ui.sign_in import SignedIn, SignInDialog
from ui.style import STYLE_SHEET

if TYPE_CHECKING:
    from PySide6.QtCore import QTranslator

    from ui.replay.window import ReplayWindow

ORGANISATION = "VideoAuditConsole"
APPLICATION = "console"


class _Started:
    """The Qt application with the chosen language and the style in place."""

    def __init__(self, settings: Settings, qsettings: QSettings | None) -> None:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        favour_the_qt_thread()
        app.setOrganizationName(ORGANISATION)
        app.setApplicationName(APPLICATION)
        self.app = app
        self.qsettings = qsettings if qsettings is not None else QSettings()
        self.language = choose_language(settings.language, self.qsettings)
        # Kept referenced for as long as the application runs.
        self.translators: list[QTranslator] = install_translators(app, self.language)
        app.setStyleSheet(STYLE_SHEET)

    def use_language(self, language: str) -> None:
        """Install another language's translations (the windows opened next speak it)."""
        for translator in self.translators:
            self.app.removeTranslator(translator)
        self.language = language
        if language == "en":
            QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        self.translators = install_translators(self.app, language)

    def run_console_window(
        self,
        services: ConsoleServices,
        reviewer: SignedIn,
        settings: Settings,
        on_window: Callable[[ConsoleWindow], None] | None,
    ) -> tuple[int, bool]:
        """Run the console's window until it closes; opened again in another language when the
        reviewer chooses one. The exit code, and whether the reviewer signed out."""
        while True:
            window = ConsoleWindow(services, reviewer, settings, self.qsettings, self.language)
            events: list[str] = []
            window.signed_out.connect(partial(events.append, "signed out"))
            window.language_chosen.connect(events.append)
            freeze_the_start_up_heap()
            window.show()
            if on_window is not None:
                on_window(window)
            code = int(self.app.exec())
            if not events or events[-1] == "signed out":
                return code, bool(events)
            self.use_language(events[-1])

    def sign_in(
        self,
        services: ConsoleServices | ReplayServices,
        *,
        prefill: tuple[str, str] | None,
        replay: bool,
    ) -> tuple[SignedIn | None, Account | None]:
        """The signed-in user (None: cancelled), and their account when the services give it."""
        worker = ServiceWorker("sign-in")
        try:
            dialog = SignInDialog(services, worker, replay=replay)
            signed_in = dialog.run(prefill)
            return signed_in, dialog.account
        finally:
            worker.shutdown()


def run_console_app(
    settings: Settings,
    services: ConsoleServices,
    *,
    demo_credentials: tuple[str, str] | None = None,
    on_window: Callable[[ConsoleWindow], None] | None = None,
    qsettings: QSettings | None = None,
) -> int:
    """Run the console until the reviewer closes it; the exit code."""
    started = _Started(settings, qsettings)
    prefill, first = demo_credentials, True
    while True:  # until the reviewer closes the console; a sign-out asks for a sign-in again
        reviewer, _account = started.sign_in(services, prefill=prefill, replay=False)
        if reviewer is None:
            return 1 if first else 0
        code, signed_out = started.run_console_window(services, reviewer, settings, on_window)
        if not signed_out:
            return code
        prefill, first = None, False


def run_replay_app(
    settings: Settings,
    services: ReplayServices,
    *,
    session_id: int | None = None,
    at: float | None = None,
    credentials: tuple[str, str] | None = None,
    screenshot: Path | None = None,
    on_window: Callable[[ReplayWindow], None] | None = None,
) -> int:
    """Run the replay window until the supervisor closes it: sign in as a supervisor, then
    browse and replay. `credentials` (a kiosk, screenshots) sign in without typing."""
    from ui.replay.window import ReplayWindow

    started = _Started(settings, None)
    signed_in, account = started.sign_in(services, prefill=credentials, replay=True)
    if signed_in is None or account is None:
        return 1
    current: list[ReplayWindow] = []
    if screenshot is not None:

        def shoot(path: Path = screenshot) -> None:  # of the window shown then
            current[-1].grab().save(str(path))
            started.app.quit()

        QTimer.singleShot(6000, shoot)
    while True:  # opened again, on the same session and moment, when another language is chosen
        window = ReplayWindow(
            services, settings, account, language=started.language, qsettings=started.qsettings
        )
        if current:
            window.carry_over(current[-1])
        current[:] = [window]
        chosen: list[str] = []
        window.language_chosen.connect(chosen.append)
        window.show()
        window.start(session_id, at=at)
        if on_window is not None:
            on_window(window)
        code = started.app.exec()
        window.shutdown()
        if not chosen:
            return int(code)
        started.use_language(chosen[-1])
        session_id, at = window.reopen_at
