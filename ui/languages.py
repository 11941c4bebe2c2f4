"""The console's languages: English (the source) and Simplified Chinese, from ui/i18n/*.qm."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

I18N_DIR = Path(__file__).resolve().parent / "i18n"  # the .ts sources and compiled .qm files
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}


def choose_language(setting: str, qsettings: QSettings | None = None) -> str:
    """The settings file (or AUDIT_LANGUAGE) wins, then the reviewer's choice, then the system locale."""
    chosen = setting or (str(qsettings.value("language", "")) if qsettings is not None else "")
    if not chosen:
        chosen = QLocale.system().name()
    if chosen.lower().startswith("zh"):
        return "zh_CN"
    return "en"


def add_language_choices(menu: QMenu, checked: str, choose: Callable[[str], None]) -> dict[str, QAction]:
    """A window's Language menu: one checkable action per language, `checked` checked, choosing
    one calls choose(code). The actions by language code."""
    group = QActionGroup(menu)
    actions: dict[str, QAction] = {}
    for code, name in LANGUAGES.items():
        action = QAction(name, menu, checkable=True)
        action.setChecked(code == checked)
        action.triggered.connect(lambda _checked=False, code=code: choose(code))
        group.addAction(action)
        menu.addAction(action)
        actions[code] = action
    return actions


def questionnaire_language(language: str) -> str:
    """The key the questionnaire file uses for its prompts ("en", "zh")."""
    return language.split("_", maxsplit=1)[0]


def install_translators(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Load the console's and Qt's own translations (buttons such as Cancel); keep the result alive."""
    installed: list[QTranslator] = []
    if language == "en":
        return installed
    ours = QTranslator(app)
    if ours.load(str(I18N_DIR / f"console_{language}.qm")):
        app.installTranslator(ours)
        installed.append(ours)
    qt_own = QTranslator(app)
    if qt_own.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt_own)
        installed.append(qt_own)
    QLocale.setDefault(QLocale(language))
    return installed


def install_windowless_translators(language: str) -> None:
    """For work without a window (the PDF report from the command line): a core application
    carries the translations the report's words follow. English needs none."""
    if language == "en":
        return
    app = QCoreApplication.instance() or QCoreApplication([])
    install_translators(app, language)
