"""Sign-in, for the console (reviewers) and for the replay window (supervisors). The password
check (argon2, database) runs on the worker, never on the Qt thread."""

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
from app.ids import ReviewerId
from app.replay import ReplayServices
from app.roles import Account, Action, SignInFailed, may
from ui.bridge import ServiceWorker


@dataclass(frozen=True)
class SignedIn:
    reviewer_id: ReviewerId
    name: str


class SignInDialog(QDialog):
    """Name and password. With ReplayServices (the replay window), only an account that may
    replay any session (a supervisor) is let in; `account` is then the signed-in one."""

    def __init__(
        self,
        services: ConsoleServices | ReplayServices,
        worker: ServiceWorker,
        parent: QWidget | None = None,
        *,
        replay: bool = False,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.worker = worker
        self.replay = replay
        self.result_reviewer: SignedIn | None = None
        self.account: Account | None = None
        if replay:
            self.setWindowTitle(self.tr("Sign in to replay sessions"))
        else:
            self.setWindowTitle(self.tr("Sign in: video review console"))
        self.setMinimumWidth(380)
        self.name_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Name") if replay else self.tr("Reviewer name"), self.name_edit)
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
        services: ConsoleServices | ReplayServices,
        worker: ServiceWorker,
        *,
        prefill: tuple[str, str] | None = None,
        replay: bool = False,
    ) -> SignedIn | None:
        """The signed-in user, or None when cancelled. With prefill (the demo, a kiosk), signs
        in at once."""
        return cls(services, worker, parent, replay=replay).run(prefill)

    def run(self, prefill: tuple[str, str] | None = None) -> SignedIn | None:
        """Show the dialog until the sign-in is accepted (the user) or cancelled (None)."""
        if prefill is not None:
            self.name_edit.setText(prefill[0])
            self.password_edit.setText(prefill[1])
            QTimer.singleShot(0, self.submit)
        try:
            return self.result_reviewer if self.exec() == QDialog.DialogCode.Accepted else None
        finally:
            self.deleteLater()

    def submit(self) -> None:
        name = self.name_edit.text().strip()
        password = self.password_edit.text()
        if not name or not password:
            if self.replay:
                self.error_label.setText(self.tr("Enter your name and password."))
            else:
                self.error_label.setText(self.tr("Enter your reviewer name and password."))
            return
        self.sign_in_button.setEnabled(False)
        self.error_label.setText(self.tr("Checking…"))
        services = self.services
        self.worker.run(
            lambda: services.sign_in(name, password),
            lambda signed_in: self._signed_in(signed_in, name),
            self._refused,
        )

    def _signed_in(self, signed_in: ReviewerId | Account, name: str) -> None:
        if isinstance(signed_in, Account):
            if self.replay and not may(signed_in.role, Action.VIEW_ANY_SESSION):
                self.sign_in_button.setEnabled(True)
                self.error_label.setText(
                    self.tr("This account may not replay sessions: sign in as a supervisor.")
                )
                return
            self.account = signed_in
            self.result_reviewer = SignedIn(signed_in.id, signed_in.name)
        else:
            self.result_reviewer = SignedIn(signed_in, name)
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self.sign_in_button.setEnabled(True)
        self.password_edit.clear()
        self.password_edit.setFocus()
        if isinstance(error, SignInFailed):
            self.error_label.setText(self.tr("Sign-in refused: the name or the password is wrong."))
        else:
            self.error_label.setText(self.tr("Sign-in failed: {0}").format(error))
