"""The PDF report of one review session (reportlab; no Qt, so `sessions export` runs without a
window): the application, the ID photo beside key frames of the live face, the similarity
chart, the answers, the decision and its amendments, and the audit events with their hashes.

    write_report(replay, Path("session-12.pdf"), settings=settings, progress=callback)

`progress(done, total, what)` is called as each part is made (the replay window shows it).

The headings and labels go through Qt's translations (QCoreApplication.translate works without
a window): in the replay window they follow its language; `sessions export` installs no
translator, so its reports are English.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.errors import RecordingUnreadable
from app.face import FaceBoxInFrame, similarity_from_distance
from app.replay import DecisionEntry, RecordingPlayback, SessionReplay
from app.settings import Settings
from ui.face_panel import challenge_text
from ui.replay.fonts import report_fonts
from ui.replay.texts import (
    answer_text,
    camera_event_text,
    challenge_result_name,
    consent_text,
    face_summary_name,
    outcome_name,
    overridden_text,
    reasons_text,
    state_name,
)
from ui.replay.texts import question_prompts as question_prompts_for

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
# Opens the session's recording (ReplayServices.open_recording, or services.replay.open_recording).
OpenRecording = Callable[[], RecordingPlayback | None]


def _needs_cjk(text: str) -> bool:
    return any(ord(ch) > 0x2E7F for ch in text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _para(text: str, style: Any) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(_markup(text), style)


def _runs(text: str) -> list[tuple[str, str]]:
    """The text cut where its font changes: (run, CJK font name, or "" for the Latin font).
    Raises ReportFontMissing when the text has Chinese and no installed font covers it."""
    fonts = report_fonts()
    runs: list[tuple[str, str]] = []
    for ch in text:
        font = fonts.cjk_font_for(ch) if _needs_cjk(ch) else ""
        if runs and runs[-1][1] == font:
            runs[-1] = (runs[-1][0] + ch, font)
        else:
            runs.append((ch, font))
    return runs


def _markup(text: str) -> str:
    """Escaped text with runs of CJK characters in a CJK font (some have no Latin letters)."""
    return "".join(
        f'<font name="{font}">{_escape(run)}</font>' if font else _escape(run) for run, font in _runs(text)
    )


def _label(x: float, y: float, text: str, size: float, colour: Any) -> Any:
    """A chart label, CJK runs in the CJK font (reportlab's String takes one font)."""
    from reportlab.graphics.shapes import Group, String
    from reportlab.pdfbase.pdfmetrics import stringWidth

    group = Group()
    for run, cjk_font in _runs(text):
        font = cjk_font or report_fonts().regular
        group.add(String(x, y, run, fontName=font, fontSize=size, fillColor=colour))
        x += stringWidth(run, font, size)
    return group


translate = QCoreApplication.translate  # lupdate reads translate("SessionReport", "...") calls


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "—"


def key_frame_times(replay: SessionReplay, duration: float) -> list[tuple[float, str]]:
    """Up to four moments worth showing: the start of each leg, the lowest and best match,
    and the decision."""
    # In order of interest; shown in time order.
    picks: list[tuple[float, str]] = []
    scored = [s for s in replay.scores if s.similarity is not None]
    if scored:
        lowest = min(scored, key=lambda s: s.similarity or 0.0)
        best = max(scored, key=lambda s: s.similarity or 0.0)
        picks.append(
            (lowest.t, translate("SessionReport", "lowest match {0}").format(f"{lowest.similarity:.0f}"))
        )
        picks.append((best.t, translate("SessionReport", "best match {0}").format(f"{best.similarity:.0f}")))
    decision = replay.original_decision
    if decision is not None and decision.t is not None:
        picks.append((min(decision.t, duration - 0.1), translate("SessionReport", "at the decision")))
    for leg in replay.legs[:2]:
        picks.append((leg.offset + 1.0, translate("SessionReport", "start of leg {0}").format(leg.number)))
    chosen: list[tuple[float, str]] = []
    for t, label in picks:
        if 0 <= t <= duration + 0.5 and all(abs(t - other) > 1.0 for other, _ in chosen):
            chosen.append((t, label))
    return sorted(chosen[:4])


def _frame_images(
    replay: SessionReplay,
    recording: OpenRecording | None,
    progress: Progress,
    step: int,
    total: int,
) -> list[tuple[bytes, str]]:
    """JPEG key frames with the face box drawn, and their captions."""
    if recording is None or replay.recording_directory is None:
        return []
    import cv2

    images: list[tuple[bytes, str]] = []
    playback = recording()
    if playback is None:
        return []
    try:
        if playback.problems:
            # A report must not pass over a deleted part of the recording in silence.
            raise RecordingUnreadable("The recording is damaged: " + " ".join(playback.problems))
        for t, label in key_frame_times(replay, playback.duration):
            progress(step, total, translate("SessionReport", "key frame at {0} s").format(f"{t:.1f}"))
            frame = playback.frame_at(t)
            if frame is None:
                continue
            image = frame.image.copy()
            box = _box_near(replay, frame.t)
            if box is not None:
                height, width = image.shape[:2]
                left, top, right, bottom = box.in_picture(
                    width, height, frame_width=width, frame_height=height
                )
                cv2.rectangle(image, (int(left), int(top)), (int(right), int(bottom)), (80, 200, 80), 2)
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
            if ok:
                where = translate("SessionReport", "{0} (t = {1} s, leg {2})")
                images.append((jpeg.tobytes(), where.format(label, f"{frame.t:.1f}", frame.leg)))
    finally:
        playback.close()
    return images


def _box_near(replay: SessionReplay, t: float, within: float = 0.5) -> FaceBoxInFrame | None:
    best = None
    for sample in replay.scores:
        if (
            sample.box is not None
            and abs(sample.t - t) <= within
            and (best is None or abs(sample.t - t) < abs(best.t - t))
        ):
            best = sample
    return None if best is None else best.box


def _chart(replay: SessionReplay, threshold: float, width: float, height: float) -> Any:
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing, Line
    from reportlab.lib import colors

    fonts = report_fonts()
    drawing = Drawing(width, height)
    points = [(s.t, s.similarity) for s in replay.scores if s.similarity is not None]
    # One line per leg: nothing was seen between legs, so nothing is drawn there.
    series: dict[int, list[tuple[float, float]]] = {}
    for s in replay.scores:
        if s.similarity is not None:
            series.setdefault(s.leg_number, []).append((s.t, s.similarity))
    end = max(
        [p[0] for p in points]
        + [e.t for e in replay.events]
        + [d.t for d in replay.decisions if d.t is not None]
        + [1.0]
    )
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 25, width - 55, height - 40
    plot.data = [series[leg] for leg in sorted(series)] or [[(0.0, 0.0)]]
    for index in range(len(plot.data)):
        plot.lines[index].strokeColor = colors.HexColor("#1f6fb2")
        plot.lines[index].strokeWidth = 1.2
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, end
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = 0, 100, 25
    plot.xValueAxis.labels.fontName = plot.yValueAxis.labels.fontName = fonts.regular
    plot.xValueAxis.labels.fontSize = plot.yValueAxis.labels.fontSize = 7
    drawing.add(plot)

    def x_of(t: float) -> float:
        return float(plot.x + plot.width * (t / end if end else 0))

    y_threshold = plot.y + plot.height * threshold / 100
    drawing.add(
        Line(
            plot.x,
            y_threshold,
            plot.x + plot.width,
            y_threshold,
            strokeColor=colors.red,
            strokeDashArray=[3, 2],
        )
    )
    line_label = translate("SessionReport", "match threshold {0}").format(f"{threshold:.0f}")
    drawing.add(_label(plot.x + 3, y_threshold + 2, line_label, 6, colors.red))
    for event in replay.events:
        if event.kind.startswith("challenge."):
            color = {"challenge.failed": colors.red, "challenge.not_judged": colors.HexColor("#8d6e63")}.get(
                event.kind, colors.HexColor("#1565c0")
            )
        else:
            color = colors.orange if event.kind.startswith("connection") else colors.purple
        drawing.add(
            Line(
                x_of(event.t), plot.y, x_of(event.t), plot.y + plot.height, strokeColor=color, strokeWidth=0.8
            )
        )
    for answer in replay.answers:
        if answer.t is not None:
            drawing.add(
                Line(x_of(answer.t), plot.y, x_of(answer.t), plot.y + 6, strokeColor=colors.darkgreen)
            )
    for decision in replay.decisions:
        if decision.t is not None:
            drawing.add(
                Line(
                    x_of(decision.t),
                    plot.y,
                    x_of(decision.t),
                    plot.y + plot.height,
                    strokeColor=colors.black,
                    strokeWidth=1.2,
                )
            )
    legend = translate(
        "SessionReport",
        "similarity (0-100) over seconds on the recording's clock   |  orange: connection  "
        "purple: face flags  blue: challenges (red: failed, brown: not judged)  green ticks: answers  "
        "black: decision",
    )
    drawing.add(_label(plot.x, 4, legend, 6, colors.black))
    return drawing


def _decision_text(decision: DecisionEntry) -> str:
    parts = [outcome_name(decision.outcome)]
    if decision.reasons:
        parts.append(translate("SessionReport", "reasons: {0}").format(reasons_text(decision.reasons)))
    if decision.note:
        parts.append(translate("SessionReport", "note: {0}").format(decision.note))
    if decision.override_reason:
        if decision.amends_id:
            parts.append(translate("SessionReport", "amendment reason: {0}").format(decision.override_reason))
        else:
            parts.append(translate("SessionReport", "override reason: {0}").format(decision.override_reason))
    if decision.overridden:
        parts.append(
            translate("SessionReport", "approved against the approval policy: {0}").format(
                overridden_text(decision.overridden)
            )
        )
    return translate("SessionReport", "; ").join(parts)


def write_report(
    replay: SessionReplay,
    path: Path,
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    question_prompts: dict[str, str] | None = None,
    recording: OpenRecording | None = None,
) -> Path:
    """`recording` opens the session's recording for the key frames (decrypted when it is
    encrypted at rest); without it the report has none. A damaged recording raises
    app.errors.RecordingUnreadable with a message fit to show."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

    report_progress: Progress = progress or (lambda _done, _total, _what: None)
    fonts = report_fonts()
    total = 8
    report_progress(0, total, translate("SessionReport", "starting"))
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName=fonts.regular, fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=body, fontSize=6.5, leading=8)
    heading = ParagraphStyle("h", parent=styles["Heading2"], fontName=fonts.bold, fontSize=12, spaceBefore=8)
    title = ParagraphStyle("t", parent=styles["Title"], fontName=fonts.bold, fontSize=16)
    if question_prompts is None and settings is not None:
        question_prompts = question_prompts_for(settings.questionnaire_file, settings.language or "en")
    prompts = question_prompts or {}
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), fonts.regular),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
        ]
    )
    document_title = translate("SessionReport", "Video review session {0}").format(replay.session_id)
    story: list[Any] = [
        _para(document_title, title),
        _para(
            translate("SessionReport", "Report made {0}. State: {1}.").format(
                _when(datetime.now().astimezone()), state_name(replay.state)
            ),
            body,
        ),
        _para(translate("SessionReport", "Application"), heading),
    ]
    report_progress(1, total, translate("SessionReport", "application"))
    leg_line = translate("SessionReport", "leg {0} ended: {1}, recording {2}")
    facts = [
        (translate("SessionReport", "Applicant"), replay.applicant_name),
        (translate("SessionReport", "National ID"), replay.masked_national_id),
        (translate("SessionReport", "Phone"), replay.phone),
        (
            translate("SessionReport", "Amount / term"),
            translate("SessionReport", "{0} for {1} months").format(replay.amount, replay.term_months),
        ),
        (translate("SessionReport", "Purpose"), replay.purpose),
        (translate("SessionReport", "Applied"), _when(replay.applied_at)),
        (translate("SessionReport", "Consent"), consent_text(replay.consent)),
        (translate("SessionReport", "Reviewer"), replay.reviewer_name or "—"),
        (translate("SessionReport", "Taken / ended"), f"{_when(replay.taken_at)} / {_when(replay.ended_at)}"),
        (
            translate("SessionReport", "Legs"),
            translate("SessionReport", ", ").join(
                leg_line.format(leg.number, leg.end_reason or "—", leg.recording_state or "—")
                for leg in replay.legs
            )
            or "—",
        ),
    ]
    story.append(
        Table([[_para(k, body), _para(v, body)] for k, v in facts], colWidths=[35 * mm, 135 * mm], style=grid)
    )

    report_progress(2, total, translate("SessionReport", "ID photo and key frames"))
    story.append(_para(translate("SessionReport", "ID photo and the live face"), heading))
    cells: list[Any] = []
    captions: list[Any] = []
    if replay.reference_photo:
        try:
            cells.append(
                Image(io.BytesIO(replay.reference_photo), width=32 * mm, height=32 * mm, kind="proportional")
            )
            captions.append(_para(translate("SessionReport", "ID photo on file"), small))
        except Exception as error:
            log.info("reference photo unreadable: %s", error)
    for jpeg, caption in _frame_images(replay, recording, report_progress, 3, total):
        cells.append(Image(io.BytesIO(jpeg), width=32 * mm, height=32 * mm, kind="proportional"))
        captions.append(_para(caption, small))
    if cells:
        story.append(
            Table(
                [cells, captions],
                colWidths=[34.5 * mm] * len(cells),
                style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
            )
        )
    else:
        story.append(_para(translate("SessionReport", "No photo and no recording available."), body))

    report_progress(4, total, translate("SessionReport", "similarity chart"))
    threshold = (
        similarity_from_distance(settings.face_match_threshold, settings.face_match_threshold)
        if settings
        else 50.0
    )
    story.append(
        KeepTogether(
            [
                _para(translate("SessionReport", "Face similarity over the session"), heading),
                _chart(replay, threshold, 170 * mm, 55 * mm),
            ]
        )
    )

    story.append(_para(translate("SessionReport", "Liveness challenges"), heading))
    challenges = replay.challenges
    if challenges:
        titles = (
            translate("SessionReport", "Asked (s)"),
            translate("SessionReport", "Challenge"),
            translate("SessionReport", "Result"),
            translate("SessionReport", "Met (s), frame"),
        )
        rows = [[_para(h, body) for h in titles]]
        for challenge in challenges:
            met = "—"
            if challenge.met_t is not None:
                met = f"{challenge.met_t:.1f}" + ("" if challenge.frame is None else f", #{challenge.frame}")
            rows.append(
                [
                    _para(f"{challenge.asked_t:.1f}", body),
                    _para(challenge_text(challenge.kind), body),
                    _para(challenge_result_name(challenge.result), body),
                    _para(met, body),
                ]
            )
        story.append(Table(rows, colWidths=[22 * mm, 58 * mm, 58 * mm, 32 * mm], style=grid, repeatRows=1))
    else:
        story.append(_para(translate("SessionReport", "No liveness challenge was asked."), body))

    camera_events = [
        e for e in replay.events if e.kind.startswith(("camera.", "flag.virtual_camera", "flag.injection"))
    ]
    story.append(_para(translate("SessionReport", "The applicant's camera"), heading))
    if camera_events:
        rows = [
            [
                _para(translate("SessionReport", "t (s)"), body),
                _para(translate("SessionReport", "Camera"), body),
            ]
        ]
        for camera_event in camera_events:
            text = camera_event_text(camera_event.kind, camera_event.details)
            rows.append([_para(f"{camera_event.t:.1f}", body), _para(text, body)])
        story.append(Table(rows, colWidths=[14 * mm, 156 * mm], style=grid, repeatRows=1))
    else:
        story.append(_para(translate("SessionReport", "The applicant's page reported no camera."), body))

    report_progress(5, total, translate("SessionReport", "answers"))
    if replay.questions_asked:
        story.append(_para(translate("SessionReport", "Questions asked, in the order asked"), heading))
        latest = replay.latest_answers()
        titles = (
            translate("SessionReport", "#"),
            translate("SessionReport", "Question"),
            translate("SessionReport", "Answer"),
            translate("SessionReport", "t (s)"),
        )
        rows = [[_para(h, body) for h in titles]]
        for number, question_id in enumerate(replay.questions_asked, start=1):
            answer = latest.get(question_id)
            rows.append(
                [
                    _para(str(number), body),
                    _para(prompts.get(question_id, question_id), body),
                    _para(
                        answer_text(answer.value)
                        if answer is not None
                        else translate("SessionReport", "not answered"),
                        body,
                    ),
                    _para("—" if answer is None or answer.t is None else f"{answer.t:.1f}", body),
                ]
            )
        story.append(Table(rows, colWidths=[10 * mm, 100 * mm, 44 * mm, 16 * mm], style=grid, repeatRows=1))
    story.append(_para(translate("SessionReport", "Answers, as entered"), heading))
    if replay.answers:
        titles = (
            translate("SessionReport", "t (s)"),
            translate("SessionReport", "Question"),
            translate("SessionReport", "Answer"),
            translate("SessionReport", "Entered"),
        )
        rows = [[_para(h, body) for h in titles]]
        for answer in replay.answers:
            rows.append(
                [
                    _para("—" if answer.t is None else f"{answer.t:.1f}", body),
                    _para(prompts.get(answer.question_id, answer.question_id), body),
                    _para(answer_text(answer.value), body),
                    _para(f"{_when(answer.answered_at)} {answer.answered_by}", small),
                ]
            )
        story.append(Table(rows, colWidths=[14 * mm, 70 * mm, 46 * mm, 40 * mm], style=grid, repeatRows=1))
    else:
        story.append(_para(translate("SessionReport", "No answers were entered."), body))

    report_progress(6, total, translate("SessionReport", "decision and amendments"))
    story.append(_para(translate("SessionReport", "Decision and amendments"), heading))
    if replay.decisions:
        columns = (
            "#",
            translate("SessionReport", "Decision"),
            translate("SessionReport", "By"),
            translate("SessionReport", "When"),
            translate("SessionReport", "Amends"),
        )
        rows = [[_para(h, body) for h in columns]]
        for decision in replay.decisions:
            rows.append(
                [
                    _para(str(decision.id), body),
                    _para(_decision_text(decision), body),
                    _para(decision.decided_by, body),
                    _para(_when(decision.decided_at), small),
                    _para(
                        f"#{decision.amends_id}"
                        if decision.amends_id
                        else translate("SessionReport", "original"),
                        body,
                    ),
                ]
            )
        story.append(
            Table(rows, colWidths=[10 * mm, 82 * mm, 26 * mm, 34 * mm, 18 * mm], style=grid, repeatRows=1)
        )
        summary = replay.original_decision.face_summary if replay.original_decision else {}
        if summary:
            story.append(
                _para(
                    translate("SessionReport", "Face summary on screen at the decision: {0}").format(
                        face_summary_name(summary)
                    ),
                    small,
                )
            )
    else:
        story.append(_para(translate("SessionReport", "No decision was recorded."), body))

    report_progress(7, total, translate("SessionReport", "audit events"))
    story.append(_para(translate("SessionReport", "Audit events (hash chain)"), heading))
    titles = (
        translate("SessionReport", "Seq"),
        translate("SessionReport", "At"),
        translate("SessionReport", "Actor / action"),
        translate("SessionReport", "Hash / previous hash"),
    )
    rows = [[_para(h, body) for h in titles]]
    for event in replay.audit:
        rows.append(
            [
                _para(str(event.seq), small),
                _para(event.at.replace("T", " ")[:23], small),
                _para(f"{event.actor}: {event.action}", small),
                [
                    _para(event.hash, small),
                    _para(translate("SessionReport", "prev {0}").format(event.prev_hash), small),
                ],
            ]
        )
    story.append(Table(rows, colWidths=[10 * mm, 32 * mm, 45 * mm, 83 * mm], style=grid, repeatRows=1))
    story.append(Spacer(1, 4 * mm))
    story.append(
        _para(
            translate(
                "SessionReport",
                "Each event's hash covers the previous event's hash: "
                "`main.py audit verify` checks the chain.",
            ),
            small,
        )
    )

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=15 * mm, bottomMargin=15 * mm,  # noqa: E501
        title=document_title, author="Video audit console",
    )  # fmt: skip
    document.build(story)
    report_progress(total, total, translate("SessionReport", "done"))
    return path
