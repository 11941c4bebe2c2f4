"""Sign-in as a reviewer. The password check (argon2, database) runs on the worker."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.console import ConsoleServices
from app.errors import ReviewError
from app.ids import ReviewerId
from ui.bridge import ServiceWorker


@dataclass(frozen=True)
class SignedIn:
    reviewer_id: ReviewerId
    name: str


class SignInDialog(QDialog):
    def __init__(
        self, services: ConsoleServices, worker: ServiceWorker, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.worker = worker
        self.result_reviewer: SignedIn | None = None
        self.setWindowTitle(self.tr("Sign in: video review console"))
        self.setMinimumWidth(380)
        self.name_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Reviewer name"), self.name_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        self.buttons = QDialogButtonBox()
        self.sign_in_button = self.buttons.addButton(
            self.tr("Sign in"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_in_button.setObjectName("primary")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        services: ConsoleServices,
        worker: ServiceWorker,
        *,
        prefill: tuple[str, str] | None = None,
    ) -> SignedIn | None:
        """The signed-in reviewer, or None when cancelled. With prefill (the demo), signs in at once."""
        dialog = cls(services, worker, parent)
        if prefill is not None:
            dialog.name_edit.setText(prefill[0])
            dialog.password_edit.setText(prefill[1])
            QTimer.singleShot(0, dialog.submit)
        try:
            return dialog.result_reviewer if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def submit(self) -> None:
        name = self.name_edit.text().strip()
        password = self.password_edit.text()
        if not name or not password:
            self.error_label.setText(self.tr("Enter your reviewer name and password."))
            return
        self.sign_in_button.setEnabled(False)
        self.error_label.setText(self.tr("Checking…"))
        self.worker.run(
            lambda: self.services.sign_in(name, password),
            lambda reviewer_id: self._signed_in(reviewer_id, name),
            self._refused,
        )

    def _signed_in(self, reviewer_id: ReviewerId, name: str) -> None:
        self.result_reviewer = SignedIn(reviewer_id, name)
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self.sign_in_button.setEnabled(True)
        self.password_edit.clear()
        self.password_edit.setFocus()
        if isinstance(error, ReviewError):
            self.error_label.setText(self.tr("Sign-in refused: the name or the password is wrong."))
        else:
            self.error_label.setText(self.tr("Sign-in failed: {0}").format(error))
