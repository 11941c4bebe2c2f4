"""The face-match panel: similarity, match state, a 30-second history line, quality flags,
liveness and attempts, as the reviewer reads them."""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from app.camera import CameraVerdict
from app.face import ChallengeKind, ChallengeState
from ui import style
from ui.face_check import HISTORY_SECONDS, FaceCheck, FaceState, HistoryPoint

# Quality flags in plain words. QT_TRANSLATE_NOOP-style: lupdate reads the translate() calls.
FLAG_TEXTS = {
    "no_face": lambda: QCoreApplication.translate("FaceFlags", "No face in view"),
    "several_faces": lambda: QCoreApplication.translate("FaceFlags", "More than one face"),
    "too_small": lambda: QCoreApplication.translate("FaceFlags", "Face too small: ask to come closer"),
    "too_dark": lambda: QCoreApplication.translate("FaceFlags", "Too dark"),
    "too_blurred": lambda: QCoreApplication.translate("FaceFlags", "Too blurred: ask to hold still"),
    "partly_covered": lambda: QCoreApplication.translate("FaceFlags", "Face partly covered"),
    "virtual_camera": lambda: QCoreApplication.translate(
        "FaceFlags", "Virtual camera: the video may be injected"
    ),
    "injection_suspected": lambda: QCoreApplication.translate(
        "FaceFlags", "Camera changed or unlike a phone's: the video may be injected"
    ),
}
# What a camera report raised (app.camera.CameraProblem), {0} its detail.
CAMERA_PROBLEM_TEXTS = {
    "virtual_camera": lambda: QCoreApplication.translate("FaceFlags", "a virtual camera: {0}"),
    "frame_rate": lambda: QCoreApplication.translate("FaceFlags", "a frame rate no phone camera has: {0}"),
    "picture_size": lambda: QCoreApplication.translate(
        "FaceFlags", "a picture size no phone camera has: {0}"
    ),
    "camera_changed": lambda: QCoreApplication.translate(
        "FaceFlags", "the camera changed during the call: {0}"
    ),
    "report_refused": lambda: QCoreApplication.translate(
        "FaceFlags", "the page sent camera reports the bank's page never sends ({0})"
    ),
    "not_reported": lambda: QCoreApplication.translate(
        "FaceFlags", "the page did not report its camera (the bank's page always does)"
    ),
}


# What the applicant is asked to do, in the reviewer's words (the applicant's page has its own).
CHALLENGE_TEXTS = {
    ChallengeKind.TURN_LEFT: lambda: QCoreApplication.translate("FaceChallenges", "turn the head left"),
    ChallengeKind.TURN_RIGHT: lambda: QCoreApplication.translate("FaceChallenges", "turn the head right"),
    ChallengeKind.BLINK_TWICE: lambda: QCoreApplication.translate("FaceChallenges", "blink twice"),
    ChallengeKind.OPEN_MOUTH: lambda: QCoreApplication.translate(
        "FaceChallenges", "open the mouth and hold it"
    ),
}


def challenge_text(kind: str | ChallengeKind) -> str:
    """A challenge kind (as the timeline stores it) in the reviewer's or supervisor's words."""
    try:
        return CHALLENGE_TEXTS[ChallengeKind(kind)]()
    except ValueError:
        return str(kind).replace("_", " ")


def flag_text(flag: str) -> str:
    text = FLAG_TEXTS.get(flag)
    return text() if text is not None else flag.replace("_", " ")


def camera_problem_text(problem: str, detail: str) -> str:
    text = CAMERA_PROBLEM_TEXTS.get(problem)
    return text().format(detail) if text is not None else f"{problem.replace('_', ' ')}: {detail}"


# The same, short, for the face panel's camera line (the details go in its tooltip).
CAMERA_PROBLEM_SHORT = {
    "virtual_camera": lambda: QCoreApplication.translate("FaceFlags", "virtual camera ({0})"),
    "virtual_camera_named": lambda: QCoreApplication.translate("FaceFlags", "a virtual camera"),
    "frame_rate": lambda: QCoreApplication.translate("FaceFlags", "frame rate {0}"),
    "picture_size": lambda: QCoreApplication.translate("FaceFlags", "picture size {0}"),
    "camera_changed": lambda: QCoreApplication.translate("FaceFlags", "changed during the call"),
    "report_refused": lambda: QCoreApplication.translate("FaceFlags", "reports altered"),
    "not_reported": lambda: QCoreApplication.translate("FaceFlags", "not reported by the page"),
}


def _short_label(label: str, limit: int = 36) -> str:
    return label if len(label) <= limit else "…" + label[-(limit - 1) :]


def camera_text(verdict: CameraVerdict | None) -> str:
    """The applicant's camera in a line or two: its name and settings, or what makes it suspect."""
    if verdict is None:
        return ""
    report = verdict.report
    name = (report.label if report is not None else "") or QCoreApplication.translate("FaceFlags", "unnamed")
    if verdict.findings:
        parts = []
        for finding in verdict.findings:
            short = CAMERA_PROBLEM_SHORT.get(finding.problem.value)
            if finding.problem.value == "virtual_camera" and finding.detail.casefold() in name.casefold():
                short = CAMERA_PROBLEM_SHORT["virtual_camera_named"]  # the label says which
            parts.append(short().format(finding.detail) if short is not None else finding.problem.value)
        joined = QCoreApplication.translate("FaceFlags", "; ").join(parts)
        if report is None:  # no report from the page at all: no name to show
            return QCoreApplication.translate("FaceFlags", "⚠ Camera: {0}").format(joined)
        return QCoreApplication.translate("FaceFlags", "⚠ Camera {0}: {1}").format(_short_label(name), joined)
    settings = (
        ", ".join(part for part in (report.size_text, report.frame_rate_text) if part) if report else ""
    )
    return QCoreApplication.translate("FaceFlags", "Camera: {0}").format(
        f"{_short_label(name)} ({settings})" if settings else _short_label(name)
    )


def camera_details(verdict: CameraVerdict | None) -> str:
    """Everything the camera line leaves out: the full label, each finding with its detail."""
    if verdict is None:
        return ""
    lines = [verdict.report.label] if verdict.report is not None and verdict.report.label else []
    lines += [camera_problem_text(f.problem.value, f.detail) for f in verdict.findings]
    if verdict.findings:
        lines.append(
            QCoreApplication.translate("FaceFlags", "The video may be injected: approval is blocked.")
        )
    return "\n".join(lines)


class SimilarityHistory(QWidget):
    """A small line of similarity over the last 30 s; points that matched are green."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(70)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._points: list[HistoryPoint] = []
        self._threshold: float | None = None

    def set_points(self, points: Iterable[HistoryPoint], threshold: float | None = None) -> None:
        self._points = list(points)
        self._threshold = threshold
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(2, 4, -2, -4)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        painter.setPen(QPen(QColor("#e1e6ea"), 1))
        for level in (0, 50, 100):
            y = area.bottom() - level / 100 * area.height()
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        if self._threshold is not None:
            y = area.bottom() - self._threshold / 100 * area.height()
            painter.setPen(QPen(QColor(style.NEUTRAL), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        if self._points:
            end = self._points[-1].time
            path = QPainterPath()
            started = False
            matched: list[QPointF] = []
            # At most one point per pixel column, the first in it (by time, so the same points
            # stay as the chart slides): 30 s of scores at 30 a second are three to a column, and
            # drawing them all took 4 ms of every score's repaint at the end of a call.
            last_column: int | None = None
            for point in self._points:
                if point.similarity is None:
                    started = False
                    last_column = None
                    continue
                x = area.right() - (end - point.time) / HISTORY_SECONDS * area.width()
                y = area.bottom() - max(0.0, min(100.0, point.similarity)) / 100 * area.height()
                column = math.floor(point.time / HISTORY_SECONDS * area.width())
                if column == last_column and point is not self._points[-1]:
                    continue
                last_column = column
                if started:
                    path.lineTo(x, y)
                else:
                    path.moveTo(x, y)
                    started = True
                if point.match:
                    matched.append(QPointF(x, y))
            painter.setPen(QPen(QColor("#24527a"), 2))
            painter.drawPath(path)
            # The matched points as round dots, in one call: up to 30 s of scores at 30 a second
            # drawn one ellipse each took several milliseconds of every score's repaint.
            painter.setPen(QPen(QColor(style.GOOD), 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawPoints(QPolygonF(matched))
        painter.end()


class FacePanel(QGroupBox):
    retry_requested = Signal()
    challenge_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Face match against the ID photo"))
        self.similarity_label = QLabel("–")
        self.similarity_label.setObjectName("bigFigure")
        self.state_label = QLabel()
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state_label.setMinimumWidth(150)
        self.history = SimilarityHistory()
        self.flags_label = QLabel()
        self.flags_label.setWordWrap(True)
        self.liveness_label = QLabel()
        self.liveness_label.setWordWrap(True)  # "failed: possibly a photo…" fits narrow windows
        self.attempts_label = QLabel()
        self.camera_label = QLabel()
        self.camera_label.setWordWrap(True)
        self.retry_button = QPushButton(self.tr("Check the face again"))
        self.retry_button.clicked.connect(self.retry_requested)
        self.challenge_label = QLabel()
        self.challenge_label.setObjectName("challenge")
        self.challenge_label.setWordWrap(True)
        # Short: the panel is narrow in a small window; the tooltip says the rest.
        self.challenge_button = QPushButton(self.tr("New challenge"))
        self.challenge_button.setToolTip(
            self.tr("The applicant is asked to do something chosen at random (turn, blink, open the mouth)")
        )
        self.challenge_button.clicked.connect(self.challenge_requested)
        # The figure's scale and where a match starts (similarity_from_distance: 50 at the threshold).
        caption = QLabel(self.tr("Similarity out of 100 (a match from 50), last 30 s"))
        caption.setObjectName("caption")

        grid = QGridLayout(self)
        grid.addWidget(self.similarity_label, 0, 0)
        grid.addWidget(self.state_label, 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(caption, 1, 0, 1, 2)
        grid.addWidget(self.history, 2, 0, 1, 2)
        grid.addWidget(self.flags_label, 3, 0, 1, 2)
        # The texts take the panel's whole width (a narrow window wraps them less); the
        # attempts and the buttons share the last row.
        grid.addWidget(self.liveness_label, 4, 0, 1, 2)
        grid.addWidget(self.challenge_label, 5, 0, 1, 2)
        grid.addWidget(self.camera_label, 6, 0, 1, 2)
        actions = QHBoxLayout()
        actions.addWidget(self.attempts_label, 1)
        actions.addWidget(self.challenge_button)
        actions.addWidget(self.retry_button)
        grid.addLayout(actions, 7, 0, 1, 2)
        self.similarity_threshold: float | None = None
        self.clear()

    def clear(self) -> None:
        self.similarity_label.setText("–")
        self._set_state(self.tr("No call"), style.NEUTRAL)
        self.history.set_points([])
        self.flags_label.setText("")
        self.liveness_label.setText(self.tr("Liveness: –"))
        self.attempts_label.setText("")
        self.camera_label.setText("")
        self.camera_label.setVisible(False)
        self.retry_button.setVisible(False)
        self.challenge_label.setText("")
        self.challenge_button.setEnabled(False)

    def _set_state(self, text: str, colour: str) -> None:
        self.state_label.setText(text)
        style.restyle(self.state_label, style.state_label_css(colour))

    def show_check(self, check: FaceCheck) -> None:
        last = check.last
        similarity = last.similarity if last is not None else None
        self.similarity_label.setText("–" if similarity is None else f"{similarity:.0f}")
        if check.state is FaceState.MATCHED:
            self._set_state(self.tr("Match"), style.GOOD)
        elif check.state is FaceState.CHECKING:
            self._set_state(self.tr("Checking…"), style.CAUTION)
        elif check.state is FaceState.NOT_MATCHED and check.best_similarity is None:
            self._set_state(self.tr("No face found"), style.BAD)  # not "No match": nothing compared
        elif check.state is FaceState.NOT_MATCHED:
            self._set_state(self.tr("No match"), style.BAD)
        elif check.state is FaceState.EXHAUSTED and check.best_similarity is None:
            self._set_state(self.tr("No face found: attempts used up"), style.BAD)
        elif check.state is FaceState.EXHAUSTED:
            self._set_state(self.tr("No match: attempts used up"), style.BAD)
        else:
            self._set_state(self.tr("Waiting for the face"), style.NEUTRAL)
        self.history.set_points(check.history, self.similarity_threshold)
        flags = sorted(last.flags) if last is not None else []
        if flags:
            self.flags_label.setText("⚠ " + "; ".join(flag_text(flag) for flag in flags))
            style.restyle(self.flags_label, f"color: {style.CAUTION};")
        else:
            self.flags_label.setText(self.tr("Picture quality good") if last is not None else "")
            style.restyle(self.flags_label, f"color: {style.NEUTRAL};")
        liveness = {
            "passed": self.tr("Liveness: passed (blinks, head movement)"),
            "failed": self.tr("Liveness: failed: possibly a photo or a replayed video"),
        }.get(check.liveness, self.tr("Liveness: checking…"))
        if check.liveness_failed_earlier:
            # The recording's timeline marks the failure and the pass: both say the same.
            liveness = self.tr("Liveness: passed, after failing earlier in the call")
        self.liveness_label.setText(liveness)
        self.attempts_label.setText(
            self.tr("Attempt {0} of {1}").format(check.attempts_used, check.attempts_limit)
        )
        self.retry_button.setVisible(check.can_retry)
        camera = check.camera
        self.camera_label.setVisible(camera is not None)
        self.camera_label.setText(camera_text(camera))
        self.camera_label.setToolTip(camera_details(camera))
        colour = style.BAD if camera is not None and camera.findings else style.NEUTRAL
        style.restyle(self.camera_label, f"color: {colour};")
        self._show_challenge(check)

    def _show_challenge(self, check: FaceCheck) -> None:
        self.challenge_button.setEnabled(check.state is not FaceState.WAITING and not check.challenge_running)
        status = check.challenge
        if check.challenge_pending:
            if check.challenge_asked is None:
                text = self.tr("Drawing a challenge…")
            else:
                text = self.tr("Challenge asked: {0}…").format(challenge_text(check.challenge_asked))
            colour = style.CAUTION
        elif status is None:
            text, colour = self.tr("No challenge asked yet"), style.NEUTRAL
        elif status.state is ChallengeState.ASKED:
            left = check.challenge_seconds_left or 0.0
            text = self.tr("Challenge: {0} ({1} s left)").format(challenge_text(status.kind), f"{left:.0f}")
            colour = style.CAUTION
        elif status.state is ChallengeState.PASSED:
            text = self.tr("Challenge passed: {0}").format(challenge_text(status.kind))
            colour = style.GOOD
        elif status.state is ChallengeState.NOT_JUDGED:
            text = self.tr(
                "Challenge not judged: {0} (this workstation fell behind the video; not counted, ask again)"
            )
            text = text.format(challenge_text(status.kind))
            colour = style.CAUTION
        else:
            text = self.tr("Challenge failed: {0} (a failed face attempt)")
            text = text.format(challenge_text(status.kind))
            colour = style.BAD
        self.challenge_label.setText(text)
        style.restyle(self.challenge_label, f"color: {colour}; font-weight: 600;")

    @property
    def state_text(self) -> str:
        return self.state_label.text()
