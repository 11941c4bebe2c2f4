"""The application under review: the applicant's details, and the ID photo beside the live face."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFormLayout, QGridLayout, QGroupBox, QLabel, QWidget

from app.queue import TakenApplicant
from ui.bridge import bgr_to_qimage
from ui.queue_panel import duration_text

PHOTO_SIZE = 132


def money_text(amount: Decimal) -> str:
    """Amounts as the bank prints them: grouped thousands, two decimals."""
    return f"{amount:,.2f}"


def prepare_photo(data: bytes) -> QImage | None:
    """Decode the ID photo and scale it to fit PHOTO_SIZE, on a worker thread: decoding a large
    JPEG takes milliseconds the Qt thread must not spend. With OpenCV, which lets go of the GIL
    while it decodes and scales: QImage.fromData held it for 10-15 ms, and the Qt thread, needing
    it for every slot and paint in Python, stood still for as long at each take."""
    import cv2
    import numpy as np

    if not data:
        return None
    try:
        array = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    if array is None:
        return None
    height, width = array.shape[:2]
    scale = min(PHOTO_SIZE / width, PHOTO_SIZE / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return bgr_to_qimage(np.asarray(cv2.resize(array, size, interpolation=shrink), dtype=np.uint8))


class ApplicationPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Application"))
        self.name_label = QLabel()
        self.name_label.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.id_label = QLabel()
        self.phone_label = QLabel()
        self.amount_label = QLabel()
        self.term_label = QLabel()
        self.purpose_label = QLabel()
        self.purpose_label.setWordWrap(True)
        self.applied_label = QLabel()
        for label in (self.id_label, self.phone_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.id_photo = self._photo_box()
        self.live_face = self._photo_box()
        id_caption = QLabel(self.tr("ID photo"))
        live_caption = QLabel(self.tr("Live face"))
        for caption in (id_caption, live_caption):
            caption.setObjectName("caption")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)

        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name_label)
        form.addRow(self.tr("ID number"), self.id_label)
        form.addRow(self.tr("Phone"), self.phone_label)
        form.addRow(self.tr("Amount"), self.amount_label)
        form.addRow(self.tr("Term"), self.term_label)
        form.addRow(self.tr("Purpose"), self.purpose_label)
        form.addRow(self.tr("Applied"), self.applied_label)
        grid = QGridLayout(self)
        grid.addLayout(form, 0, 0, 2, 1)
        grid.addWidget(self.id_photo, 0, 1)
        grid.addWidget(self.live_face, 0, 2)
        grid.addWidget(id_caption, 1, 1)
        grid.addWidget(live_caption, 1, 2)
        grid.setColumnStretch(0, 1)
        self.applicant: TakenApplicant | None = None
        self.clear()

    def _photo_box(self) -> QLabel:
        box = QLabel()
        box.setFixedSize(PHOTO_SIZE, PHOTO_SIZE)
        box.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.setStyleSheet("background: #e4e8ec; border-radius: 4px; color: #5f6b76;")
        return box

    def clear(self) -> None:
        self.applicant = None
        for label in (
            self.name_label,
            self.id_label,
            self.phone_label,
            self.amount_label,
            self.term_label,
            self.purpose_label,
            self.applied_label,
        ):
            label.setText("–")
        self.id_photo.clear()
        self.id_photo.setText(self.tr("No photo"))
        self.live_face.clear()
        self.live_face.setText("–")

    def show_applicant(
        self, applicant: TakenApplicant, photo: QImage | None = None, now: datetime | None = None
    ) -> None:
        """photo: the ID photo from prepare_photo (decoded here when not given)."""
        self.applicant = applicant
        self.name_label.setText(applicant.applicant_name)
        self.id_label.setText(applicant.masked_national_id)
        self.phone_label.setText(applicant.phone)
        self.amount_label.setText(money_text(applicant.amount))
        self.term_label.setText(self.tr("{0} months").format(applicant.term_months))
        self.purpose_label.setText(applicant.purpose)
        self.refresh_times(now)
        if photo is None:
            photo = prepare_photo(applicant.reference_photo)
        if photo is None:
            self.id_photo.setText(self.tr("Photo unreadable"))
        else:
            self.id_photo.setPixmap(QPixmap.fromImage(photo))

    def refresh_times(self, now: datetime | None = None) -> None:
        if self.applicant is None:
            return
        now = now or datetime.now(UTC)
        since = (now - self.applicant.applied_at).total_seconds()
        self.applied_label.setText(self.tr("{0} ago").format(duration_text(since)))

    def show_live_face(self, face: QImage | None) -> None:
        if face is None or face.isNull():
            return
        self.live_face.setPixmap(self._fit(face))

    def _fit(self, image: QImage) -> QPixmap:
        return QPixmap.fromImage(
            image.scaled(
                PHOTO_SIZE,
                PHOTO_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
