"""The console's few colours and the style sheet: calm greys, and green / amber / red for states."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

GOOD = "#2e7d32"  # match, connected, saved
CAUTION = "#b26a00"  # checking, dropped, over time
BAD = "#c62828"  # no match, refused, not saved
NEUTRAL = "#5f6b76"
PANEL = "#f4f6f8"
TEXT = "#1f2a33"
FOCUS = "#1565c0"  # where the keyboard is: every focusable control shows it

STYLE_SHEET = f"""
QWidget {{ color: {TEXT}; font-size: 13px; }}
QMainWindow, QDialog {{ background: #ffffff; }}
QDialog {{ border: 1px solid #9aa4ad; }}
QGroupBox {{ background: {PANEL}; border: 1px solid #d9dee3; border-radius: 6px; margin-top: 18px;
            padding: 8px; font-weight: 600; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {NEUTRAL}; }}
QPushButton {{ padding: 6px 14px; border: 1px solid #b8c0c8; border-radius: 4px; background: #ffffff; }}
QPushButton:hover {{ background: #eef2f5; }}
QPushButton:disabled {{ color: #9aa4ad; background: #f2f4f6; }}
QPushButton#primary {{ background: #24527a; color: white; border-color: #24527a; font-weight: 600; }}
QPushButton#primary:disabled {{ background: #9db2c6; border-color: #9db2c6; }}
QPushButton#approve {{ border-color: {GOOD}; color: {GOOD}; font-weight: 600; }}
QPushButton#reject {{ border-color: {BAD}; color: {BAD}; font-weight: 600; }}
QPushButton#approve:disabled, QPushButton#reject:disabled {{ border-color: #c8cfd6; color: #9aa4ad; }}
QLineEdit, QComboBox, QPlainTextEdit {{ padding: 3px 5px; border: 1px solid #b8c0c8; border-radius: 3px;
                                        background: white; }}
QPushButton:focus, QLineEdit:focus, QComboBox:focus, QPlainTextEdit:focus {{ border: 2px solid {FOCUS}; }}
QRadioButton:focus, QCheckBox:focus {{ background: #dbe9f7; border-radius: 3px; }}
QAbstractSpinBox:focus, QAbstractItemView:focus, QTextBrowser:focus {{ border: 2px solid {FOCUS}; }}
QSlider:focus, QTabBar:focus, QGroupBox:focus {{ background: #dbe9f7; }}
QLineEdit[invalid="true"] {{ border: 1px solid {BAD}; background: #fdf1f1; }}
QLabel#fieldError {{ color: {BAD}; font-size: 12px; }}
QLabel#caption {{ color: {NEUTRAL}; font-size: 12px; }}
QLabel#bigFigure {{ font-size: 30px; font-weight: 600; }}
QFrame#banner {{ border-radius: 4px; padding: 4px; }}
"""


def state_label_css(colour: str) -> str:
    return f"color: white; background: {colour}; border-radius: 4px; padding: 3px 10px; font-weight: 600;"


def restyle(widget: QWidget, css: str) -> None:
    """Give the widget this style sheet, and do nothing when it already has it. Qt re-polishes a
    widget (and lays out what surrounds it) at every setStyleSheet, even with the same sheet:
    the face panel and the call status restyled their labels at every score and clock tick,
    about 150 times a second on the Qt thread."""
    if widget.styleSheet() != css:
        widget.setStyleSheet(css)
