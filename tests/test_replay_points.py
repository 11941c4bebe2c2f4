"""The replay window's smaller points: an approval's overridden rules shown (window, PDF text)
and filterable ("approved with override"); face boxes coloured against the threshold; a no-op
amendment refused (dialog and storage); the empty chart's axes; four-digit years; one timeline
row per flag; the export dialog's folder and its Chinese."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtGui import QImage

from app.decisions import DecisionDraft, DecisionSubmission, Outcome
from app.errors import InvalidDecision
from app.four_eyes import NO_CHECKS
from app.ids import SessionId
from app.replay import DecisionEntry, EventEntry, Flag, ScoreEntry, SessionFilter, SessionReplay
from storage.replay import ReplayRecords
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import taken_session
from tools.fixtures import approval, approval_with_override, complete_answers

pytestmark = pytest.mark.gui
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _replay(**fields: Any) -> SessionReplay:
    base: dict[str, Any] = dict(
        session_id=SessionId(7), state="decided", application_id=1, applicant_name="Wang Fang",
        masked_national_id="1101**********1234", phone="+86 138 ****", amount=Decimal("5000"), term_months=12,
        purpose="Shop stock", applied_at=NOW, reference_photo=b"", reference_photo_format="jpeg",
        reviewer_name="li", queued_at=NOW, taken_at=NOW, ended_at=NOW,
    )  # fmt: skip
    return SessionReplay(**(base | fields))


def _decision(outcome: str = "approve", overridden: list[str] | None = None, **fields: Any) -> DecisionEntry:
    values: dict[str, Any] = dict(
        id=1, outcome=outcome, reasons=[], note="", override_reason="", decided_by="li", decided_at=NOW,
        t=30.0, amends_id=None, face_summary={}, overridden=overridden or [],
    )  # fmt: skip
    return DecisionEntry(**(values | fields))


def _score(t: float, similarity: float | None = 60.0, live: bool | None = None, faces: int = 1) -> ScoreEntry:
    return ScoreEntry(t, 1, faces, similarity, None, bool(similarity and similarity >= 50), live, [], None)


def test_approvals_with_override_are_stored_listed_and_filtered(database) -> None:  # type: ignore[no-untyped-def]
    reviewer = Accounts(database).add("li.reviewer", "password1")
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    plain = taken_session(database, reviewer.id, NOW)
    records.record_decision(
        DecisionSubmission(
            plain.session_id, reviewer.id, approval(), answers=complete_answers(plain.questions)
        ),
        actor="li",
        now=NOW,
    )
    overridden = taken_session(database, reviewer.id, NOW + timedelta(minutes=5))
    records.record_decision(
        DecisionSubmission(overridden.session_id, reviewer.id, approval_with_override()),
        actor="li",
        now=NOW + timedelta(minutes=6),
    )
    replay = ReplayRecords(database)
    page = replay.browse(SessionFilter(flags=Flag.APPROVED_WITH_OVERRIDE))
    assert [item.session_id for item in page.items] == [overridden.session_id]
    assert Flag.APPROVED_WITH_OVERRIDE in page.items[0].flags
    stored = replay.session_replay(overridden.session_id).decisions[0]
    assert stored.overridden == ["required_answers_missing"]


def test_the_window_and_the_report_name_the_overridden_rules(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.replay.report import _decision_text
    from ui.replay.window import ReplayWindow

    decision = _decision(
        overridden=["face_not_matched", "required_answers_missing"],
        override_reason="[identity_verified_otherwise] Seen at the branch with the original card.",
    )
    window = ReplayWindow.__new__(ReplayWindow)  # only the decision text, no services
    from PySide6.QtWidgets import QMainWindow

    QMainWindow.__init__(window)
    qtbot.addWidget(window)
    html = ReplayWindow._decisions_html(window, _replay(decisions=[decision]))
    assert "Approved against the approval policy" in html
    assert "The face has not matched the ID photo" in html and "Required answers are missing" in html
    report = _decision_text(decision)
    assert "approved against the approval policy: The face has not matched the ID photo" in report


def test_face_boxes_follow_the_similarity_against_the_threshold(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.face import FaceBoxInFrame
    from ui.replay.player import BOX_COLOURS, RecordingView

    view = RecordingView()
    qtbot.addWidget(view)
    image = QImage(64, 48, QImage.Format.Format_RGB888)
    box = FaceBoxInFrame(10, 40, 40, 10, 64, 48)
    view.show_frame(image, box, "12", matched=False)
    assert view.box_colour == BOX_COLOURS[False] != BOX_COLOURS[True]
    view.show_frame(image, box, "83", matched=True)
    assert view.box_colour == BOX_COLOURS[True]
    view.show_frame(image, box, "", matched=None)
    assert view.box_colour == BOX_COLOURS[None]


def test_the_window_colours_the_box_by_the_samples_similarity(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.face import FaceBoxInFrame
    from ui.replay.player import BOX_COLOURS
    from ui.replay.window import ReplayWindow

    shown: list[Any] = []
    fake = SimpleNamespace(
        _shown_serial=0, _last_serial=-1, threshold=50.0, clock=SimpleNamespace(playing=True),
        video=SimpleNamespace(show_frame=lambda *a, **k: shown.append(k.get("matched"))),
        _show_state=lambda *a: None,
    )  # fmt: skip
    box = FaceBoxInFrame(10, 40, 40, 10, 64, 48)
    for similarity in (12.0, 83.0):
        fake._sample_near = lambda _t, s=similarity: SimpleNamespace(similarity=s, box=box)
        ReplayWindow._frame_ready(fake, QImage(64, 48, QImage.Format.Format_RGB888), 1.0, 1, 1)  # type: ignore[arg-type]
    assert shown == [False, True]
    assert BOX_COLOURS[False] == "#e53935"


def test_a_no_op_amendment_is_refused_in_the_dialog_and_in_storage(qtbot, database) -> None:  # type: ignore[no-untyped-def]
    from app.roles import Role
    from ui.replay.amend import AmendDialog

    in_force = _decision("approve", note="")
    dialog = AmendDialog(in_force, in_force=in_force)
    qtbot.addWidget(dialog)
    dialog.reason.setPlainText("Checked again")
    dialog.submit()
    assert dialog.result_value is None and "Nothing changes" in dialog.error.text()
    dialog.outcome.setCurrentIndex(2)  # verify later: a change
    dialog.submit()
    assert dialog.result_value is not None

    reviewer = Accounts(database).add("li.reviewer", "password1")
    boss = Accounts(database).add("zhang", "password2", Role.SUPERVISOR)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    taken = taken_session(database, reviewer.id, NOW)
    stored = records.record_decision(
        DecisionSubmission(
            taken.session_id, reviewer.id, approval(), answers=complete_answers(taken.questions)
        ),
        actor="li",
        now=NOW,
    )
    with pytest.raises(InvalidDecision, match="Nothing changes"):
        records.amend_decision(stored.id, DecisionDraft(Outcome.APPROVE), reason="again",
                               supervisor_id=boss.id, actor="zhang", now=NOW)  # fmt: skip
    assert len(records.decisions(taken.session_id)) == 1


def test_the_empty_chart_shows_0_to_100_similarity_from_zero_seconds(qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.replay.timeline import TimelineChart

    chart = TimelineChart()
    qtbot.addWidget(chart)
    chart.resize(600, 200)
    chart.show()
    qtbot.waitExposed(chart)
    qtbot.wait(200)  # pyqtgraph sets its automatic ranges on later turns of the event loop

    def ranges() -> tuple[list[float], list[float]]:
        return chart.plot.getPlotItem().vb.viewRange()  # type: ignore[no-any-return]

    (x0, _x1), (y0, y1) = ranges()
    assert x0 >= 0 and -3 <= y0 <= 0 and 100 <= y1 <= 103, ranges()
    chart.show_session(_replay(), 0.0, [])
    qtbot.wait(200)
    (x0, x1), (y0, y1) = ranges()
    assert x0 >= 0 and x1 <= 20 and -3 <= y0 <= 0 and 100 <= y1 <= 103, ranges()


def test_the_threshold_label_is_whole_in_a_narrow_chart(qtbot) -> None:  # type: ignore[no-untyped-def]
    """At 1024x768 the chart is about 550 px wide: the label "match threshold 50" starts inside
    the plot, not under the axis (centred at a tenth of the width, it lost its first letters)."""
    from ui.replay.timeline import TimelineChart

    chart = TimelineChart()
    qtbot.addWidget(chart)
    chart.resize(550, 230)
    chart.show()
    qtbot.waitExposed(chart)
    chart.show_session(_replay(), 0.0, [])
    view = chart.plot.getPlotItem().vb
    label = chart.threshold_line.label

    def inside() -> bool:
        shown, plot = label.sceneBoundingRect(), view.sceneBoundingRect()
        return bool(plot.left() <= shown.left() and shown.right() <= plot.right() and shown.width() > 50)

    qtbot.waitUntil(inside, timeout=3000)  # pyqtgraph places the label on later turns
    qtbot.wait(100)
    assert inside(), (label.sceneBoundingRect(), view.sceneBoundingRect())


def test_each_flag_is_one_timeline_row_and_liveness_reads_as_the_console_reads_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.replay.timeline import markers_of

    scores = [_score(float(t), live=None if t < 8 else False) for t in range(12)]
    scores += [_score(12.0, live=True), _score(13.0, faces=2), _score(14.0, faces=2)]
    events = [
        EventEntry(8.0, 1, "flag.liveness_failed", {}),
        EventEntry(12.0, 1, "flag.liveness_passed", {}),
        EventEntry(13.0, 1, "flag.multiple_faces", {}),
        EventEntry(20.0, 1, "connection.dropped", {}),
    ]
    labels = [(m.t, m.label) for m in markers_of(_replay(scores=scores, events=events))]
    assert labels.count((8.0, "liveness failed")) == 1
    assert labels.count((12.0, "liveness passed after failing")) == 1
    assert sum(1 for t, label in labels if t == 13.0) == 1
    assert len(labels) == len(set(labels)) == 4


def test_the_browser_shows_four_digit_years(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.replay import SessionListItem
    from ui.replay.browser import SessionTableModel

    model = SessionTableModel()
    item = SessionListItem(SessionId(1), "Wang Fang", "li", NOW, 60.0, "decided", "approve", False, [],
                           55.0, Flag(0), 1, True)  # fmt: skip
    model.set_items([item])
    assert model.data(model.index(0, 0)).startswith("2026-11-23")


def test_the_export_dialog_opens_in_documents_or_the_last_folder_and_speaks_chinese(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtCore import QCoreApplication, QLibraryInfo, QStandardPaths, QTranslator
    from PySide6.QtWidgets import QLabel, QPushButton

    from ui.replay.window import ReplayWindow

    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", staticmethod(lambda location: str(documents)))
    window = SimpleNamespace(last_export_folder=None)
    assert ReplayWindow.export_folder(window) == documents  # type: ignore[arg-type]
    window.last_export_folder = tmp_path
    assert ReplayWindow.export_folder(window) == tmp_path  # type: ignore[arg-type]

    from ui.languages import I18N_DIR

    app = QCoreApplication.instance()
    qt_own, ours = QTranslator(), QTranslator()
    assert qt_own.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    assert ours.load(str(I18N_DIR / "console_zh_CN.qm"))
    app.installTranslator(qt_own)
    app.installTranslator(ours)
    try:
        dialog = ReplayWindow.export_dialog(None, documents / "session-7.pdf")
        qtbot.addWidget(dialog)
        assert Path(dialog.directory().absolutePath()) == documents
        labels = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "查找范围" in labels and "文件类型" in labels, labels
        assert "Look in" not in labels and "Files of type" not in labels
        buttons = " ".join(button.text() for button in dialog.findChildren(QPushButton))
        assert "保存" in buttons and "取消" in buttons, buttons
    finally:
        app.removeTranslator(ours)
        app.removeTranslator(qt_own)
