"""The session browser: filters, a sorted and paged table of finished sessions. Queries run on
the window's database worker; the widget only shows what comes back."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.decisions import Outcome, RejectReason
from app.replay import Flag, SessionFilter, SessionListItem, SessionPage, SortKey
from app.review import SessionState
from ui.decision import outcome_text, reason_text
from ui.replay.texts import outcome_name, reasons_text, state_name

# lupdate reads the translate() calls; the lambdas keep them lazy (the translator comes later).
COLUMNS: tuple[Callable[[], str], ...] = (
    lambda: QCoreApplication.translate("SessionBrowser", "Started"),
    lambda: QCoreApplication.translate("SessionBrowser", "Applicant"),
    lambda: QCoreApplication.translate("SessionBrowser", "Reviewer"),
    lambda: QCoreApplication.translate("SessionBrowser", "Outcome"),
    lambda: QCoreApplication.translate("SessionBrowser", "Low"),
    lambda: QCoreApplication.translate("SessionBrowser", "Flags"),
)
FLAG_SHORT: dict[Flag, Callable[[], str]] = {
    Flag.MULTIPLE_FACES: lambda: QCoreApplication.translate("SessionBrowser", "2+ faces"),
    Flag.LIVENESS_FAILED: lambda: QCoreApplication.translate("SessionBrowser", "liveness"),
    Flag.DROPPED_CONNECTION: lambda: QCoreApplication.translate("SessionBrowser", "dropped"),
    Flag.INJECTION_SUSPECTED: lambda: QCoreApplication.translate("SessionBrowser", "camera"),
    Flag.APPROVED_WITH_OVERRIDE: lambda: QCoreApplication.translate("SessionBrowser", "override"),
}
SORTS: dict[str, tuple[SortKey, bool, Callable[[], str]]] = {
    "newest": (SortKey.STARTED, True, lambda: QCoreApplication.translate("SessionBrowser", "Newest first")),
    "oldest": (SortKey.STARTED, False, lambda: QCoreApplication.translate("SessionBrowser", "Oldest first")),
    "lowest": (
        SortKey.LOWEST_SIMILARITY,
        False,
        lambda: QCoreApplication.translate("SessionBrowser", "Lowest similarity first"),
    ),
    "longest": (
        SortKey.DURATION,
        True,
        lambda: QCoreApplication.translate("SessionBrowser", "Longest first"),
    ),
    "applicant": (
        SortKey.APPLICANT,
        False,
        lambda: QCoreApplication.translate("SessionBrowser", "Applicant A-Z"),
    ),
    "reviewer": (
        SortKey.REVIEWER,
        False,
        lambda: QCoreApplication.translate("SessionBrowser", "Reviewer A-Z"),
    ),
}


def flag_text(flags: Flag) -> str:
    return QCoreApplication.translate("ReplayTexts", ", ").join(
        text() for flag, text in FLAG_SHORT.items() if flag in flags
    )


class SessionTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[SessionListItem] = []

    def set_items(self, items: list[SessionListItem]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]()
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            outcome = outcome_name(item.outcome) if item.outcome else state_name(item.state)
            if item.amended:
                outcome += " *"
            values = (
                item.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                item.applicant_name,
                item.reviewer_name,
                outcome,
                "—" if item.lowest_similarity is None else f"{item.lowest_similarity:.0f}",
                flag_text(item.flags),
            )
            return values[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self.tr("Session {0}; legs: {1}; reasons: {2}").format(
                item.session_id, item.legs, reasons_text(item.reason_codes) or "—"
            )
            return text + (self.tr(" (amended: *)") if item.amended else "")
        return None


class SessionBrowser(QWidget):
    """Emits `query_changed(filter, sort, descending, page)` for the window to run, and
    `session_chosen(id)`. Call `show_page(page, ms)` with the answer."""

    query_changed = Signal(object, object, bool, int)
    session_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = 0
        self.pages = 1
        self.selected_id: int | None = None  # the session open in the player
        filters = QGroupBox(self.tr("Find sessions"))
        grid = QGridLayout(filters)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-30))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.reviewer = QComboBox()
        self.reviewer.addItem(self.tr("Any reviewer"), None)
        self.outcome = QComboBox()
        self.outcome.addItem(self.tr("Any decision"), None)
        for outcome in Outcome:
            self.outcome.addItem(outcome_text(outcome), outcome.value)
        # Sessions that ended without a decision (hung up, console lost or stopped).
        self.outcome.addItem(self.tr("Ended without a decision"), SessionState.ABANDONED.value)
        self.reason = QComboBox()
        self.reason.addItem(self.tr("Any reason"), None)
        for reason in RejectReason:
            self.reason.addItem(reason_text(reason), reason.value)
        self.lowest = QDoubleSpinBox()
        self.lowest.setRange(0, 100)
        self.lowest.setSpecialValueText(self.tr("any"))
        self.lowest.setPrefix(self.tr("below "))
        self.lowest.setToolTip(self.tr("Sessions whose lowest face similarity is below this value"))
        self.flag_boxes = {
            Flag.MULTIPLE_FACES: QCheckBox(self.tr("More than one face")),
            Flag.LIVENESS_FAILED: QCheckBox(self.tr("Liveness failed")),
            Flag.DROPPED_CONNECTION: QCheckBox(self.tr("Dropped connection")),
            Flag.INJECTION_SUSPECTED: QCheckBox(self.tr("Virtual camera or injection suspected")),
            Flag.APPROVED_WITH_OVERRIDE: QCheckBox(self.tr("Approved with override")),
        }
        self.flag_boxes[Flag.APPROVED_WITH_OVERRIDE].setToolTip(
            self.tr("Approvals that overrode a rule of the approval policy")
        )
        self.amended = QCheckBox(self.tr("Amended only"))
        self.sort = QComboBox()
        for key, (_sort, _descending, text) in SORTS.items():
            self.sort.addItem(text(), key)
        for combo in (self.reviewer, self.outcome, self.reason, self.sort):
            # Narrow enough for the browser to leave the player room at 1024 px; the full
            # text shows when the list opens.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        grid.addWidget(QLabel(self.tr("From")), 0, 0)
        grid.addWidget(self.date_from, 0, 1)
        grid.addWidget(QLabel(self.tr("to")), 0, 2)
        grid.addWidget(self.date_to, 0, 3)
        grid.addWidget(self.reviewer, 1, 0, 1, 2)
        grid.addWidget(self.outcome, 1, 2, 1, 2)
        grid.addWidget(self.reason, 2, 0, 1, 2)
        grid.addWidget(QLabel(self.tr("Lowest similarity")), 2, 2)
        grid.addWidget(self.lowest, 2, 3)
        grid.addWidget(self.flag_boxes[Flag.MULTIPLE_FACES], 3, 0, 1, 2)
        grid.addWidget(self.flag_boxes[Flag.LIVENESS_FAILED], 3, 2, 1, 2)
        grid.addWidget(self.flag_boxes[Flag.DROPPED_CONNECTION], 4, 0, 1, 2)
        grid.addWidget(self.amended, 4, 2, 1, 2)
        grid.addWidget(self.flag_boxes[Flag.INJECTION_SUSPECTED], 5, 0, 1, 4)
        grid.addWidget(self.flag_boxes[Flag.APPROVED_WITH_OVERRIDE], 6, 0, 1, 4)
        grid.addWidget(QLabel(self.tr("Sort")), 7, 0)
        grid.addWidget(self.sort, 7, 1, 1, 3)

        self.model = SessionTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        # Every column as wide as its text (nothing cut to "…"); the table scrolls sideways in
        # a narrow window instead.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._chosen)
        self.table.activated.connect(self._chosen)

        self.previous_button = QPushButton(self.tr("◀ Previous"))
        self.next_button = QPushButton(self.tr("Next ▶"))
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.setObjectName("primary")
        self.status = QLabel("")
        self.status.setObjectName("caption")
        self.status.setWordWrap(True)  # the browser stays narrow at 1024 px
        paging = QHBoxLayout()
        paging.addWidget(self.previous_button)
        paging.addWidget(self.next_button)
        paging.addWidget(self.status, 1)
        paging.addWidget(self.open_button)
        self.previous_button.clicked.connect(lambda: self.go_to(self.page - 1))
        self.next_button.clicked.connect(lambda: self.go_to(self.page + 1))
        self.open_button.clicked.connect(lambda: self._chosen(self.table.currentIndex()))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(paging)

        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self.refresh_first_page)
        for combo in (self.reviewer, self.outcome, self.reason, self.sort):
            combo.currentIndexChanged.connect(self.refresh_first_page)
        self.lowest.valueChanged.connect(self.refresh_first_page)
        for box in (*self.flag_boxes.values(), self.amended):
            box.toggled.connect(self.refresh_first_page)

    def set_reviewers(self, reviewers: list[tuple[int, str]]) -> None:
        self.reviewer.blockSignals(True)
        for reviewer_id, name in reviewers:
            self.reviewer.addItem(name, reviewer_id)
        self.reviewer.blockSignals(False)

    def choices(self) -> dict[str, object]:
        """What the supervisor set in the filters and the sort, to set again (restore) in a
        browser opened anew (the window in another language)."""
        return {
            "from": self.date_from.date(),
            "to": self.date_to.date(),
            "reviewer": self.reviewer.currentData(),
            "outcome": self.outcome.currentData(),
            "reason": self.reason.currentData(),
            "lowest": self.lowest.value(),
            "flags": {flag: box.isChecked() for flag, box in self.flag_boxes.items()},
            "amended": self.amended.isChecked(),
            "sort": self.sort.currentData(),
        }

    def restore(self, choices: dict[str, object]) -> None:
        """Set the filters and the sort as choices() gave them, without a search for each (the
        caller searches once); a reviewer no longer listed is left at "Any reviewer"."""
        widgets = [
            self.date_from, self.date_to, self.reviewer, self.outcome, self.reason, self.lowest,
            *self.flag_boxes.values(), self.amended, self.sort,
        ]  # fmt: skip
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.date_from.setDate(choices["from"])  # type: ignore[arg-type]
            self.date_to.setDate(choices["to"])  # type: ignore[arg-type]
            for combo, key in (
                (self.reviewer, "reviewer"),
                (self.outcome, "outcome"),
                (self.reason, "reason"),
            ):
                combo.setCurrentIndex(max(0, combo.findData(choices[key])))
            self.sort.setCurrentIndex(max(0, self.sort.findData(choices["sort"])))
            self.lowest.setValue(float(choices["lowest"]))  # type: ignore[arg-type]
            flags: dict[Flag, bool] = choices["flags"]  # type: ignore[assignment]
            for flag, box in self.flag_boxes.items():
                box.setChecked(flags.get(flag, False))
            self.amended.setChecked(bool(choices["amended"]))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def current_filter(self) -> SessionFilter:
        first, last = self.date_from.date(), self.date_to.date().addDays(1)
        start = date(first.year(), first.month(), first.day())
        end = date(last.year(), last.month(), last.day())
        flags = Flag(0)
        for flag, box in self.flag_boxes.items():
            if box.isChecked():
                flags |= flag
        return SessionFilter(
            started_from=datetime(start.year, start.month, start.day).astimezone(UTC),
            started_to=datetime(end.year, end.month, end.day).astimezone(UTC),
            reviewer_id=self.reviewer.currentData(),
            outcome=self.outcome.currentData(),
            reason_code=self.reason.currentData(),
            lowest_similarity_below=self.lowest.value() or None,
            flags=flags,
            amended_only=self.amended.isChecked(),
        )

    def refresh_first_page(self) -> None:
        self.go_to(0)

    def go_to(self, page: int) -> None:
        self.page = max(0, min(page, self.pages - 1)) if page > self.page else max(0, page)
        sort, descending, _text = SORTS[str(self.sort.currentData())]
        self.status.setText(self.tr("Searching…"))
        self._asked_at = time.perf_counter()
        self.query_changed.emit(self.current_filter(), sort, descending, self.page)

    def show_page(self, page: SessionPage, query_ms: float) -> None:
        self.page = page.page
        self.pages = page.pages
        self.model.set_items(page.items)
        self.previous_button.setEnabled(page.page > 0)
        self.next_button.setEnabled(page.page + 1 < page.pages)
        where = (page.page + 1, page.pages, f"{query_ms:.0f}")
        if page.total == 1:
            found = self.tr("1 session · page {0} of {1} · {2} ms").format(*where)
        else:
            found = self.tr("{0} sessions · page {1} of {2} · {3} ms").format(page.total, *where)
        self.status.setText(found)
        rows = [i for i, item in enumerate(page.items) if item.session_id == self.selected_id]
        if rows or page.items:
            self.table.selectRow(rows[0] if rows else 0)

    def select_session(self, session_id: int) -> None:
        self.selected_id = session_id
        for row, item in enumerate(self.model.items):
            if item.session_id == session_id:
                self.table.selectRow(row)

    def show_error(self, message: str) -> None:
        self.status.setText(message)

    def _chosen(self, index: QModelIndex) -> None:
        if index.isValid():
            self.session_chosen.emit(int(self.model.items[index.row()].session_id))
