"""The similarity chart under the video: the curve per leg, the threshold line, markers for
flags, connection events, answers and decisions (click one to seek there), and the playhead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.face import Liveness, LivenessRecord
from app.replay import SessionReplay
from ui.replay.texts import event_label, event_name, face_flag_name, outcome_name

LEG_COLOURS = ("#1f6fb2", "#00897b", "#6a4fb3")


@dataclass(frozen=True)
class Marker:
    t: float
    # flag | connection | camera | challenge | challenge_failed | challenge_not_judged | answer |
    # decision | amendment
    kind: str
    label: str  # in the supervisor's language
    subject: str = ""  # an answer's question id (the window shows its prompt)


MARKER_STYLE = {
    # kind: (y, symbol, colour)
    "connection": (96.0, "t", "#e08a00"),
    "flag": (88.0, "d", "#8e24aa"),
    "challenge": (72.0, "s", "#1565c0"),  # a liveness challenge asked, or passed
    "challenge_failed": (72.0, "x", "#c62828"),
    "challenge_not_judged": (72.0, "s", "#8d6e63"),  # the worker was kept from judging it
    "camera": (64.0, "p", "#546e7a"),  # the applicant's camera reported (its flags are "flag")
    "answer": (6.0, "o", "#2e7d32"),
    "decision": (80.0, "star", "#111111"),
}


# Flag events the recorder raised from the scores: the scores themselves give these markers
# (below), so each shows once.
_FLAGS_FROM_SCORES = ("flag.multiple_faces", "flag.liveness_failed", "flag.liveness_passed")


FLAG_EPISODE_GAP = 2.0


def markers_of(replay: SessionReplay) -> list[Marker]:
    markers: list[Marker] = []
    for event in replay.events:
        if replay.scores and event.kind in _FLAGS_FROM_SCORES:
            continue
        if event.kind.startswith("connection"):
            kind = "connection"
        elif event.kind == "challenge.failed":
            kind = "challenge_failed"
        elif event.kind == "challenge.not_judged":
            kind = "challenge_not_judged"
        elif event.kind.startswith("challenge."):
            kind = "challenge"
        elif event.kind == "camera.reported":
            kind = "camera"
        else:
            kind = "flag"
        markers.append(Marker(event.t, kind, event_label(event)))
    last_flags: set[str] = set()
    # A flag that comes back within this many seconds of its last sighting is the same
    # episode (a detection flickering), not a new row.
    last_seen: dict[str, float] = {}
    # Liveness as the console read it during the call: the same fold (app.face.LivenessRecord).
    liveness = LivenessRecord()
    for sample in replay.scores:
        flags = set(sample.flags) - {"no_face"}
        if sample.faces > 1 or "several_faces" in flags:
            flags.discard("several_faces")
            flags.add("more_than_one_face")
        for flag in sorted(flags - last_flags):
            if sample.t - last_seen.get(flag, -FLAG_EPISODE_GAP - 1.0) > FLAG_EPISODE_GAP:
                markers.append(Marker(sample.t, "flag", face_flag_name(flag)))
        for flag in flags:
            last_seen[flag] = sample.t
        last_flags = flags
        turned = liveness.observe(sample.t, sample.live)
        if turned is Liveness.FAILED:
            markers.append(Marker(sample.t, "flag", event_name("flag.liveness_failed")))
        elif turned is Liveness.PASSED and liveness.ever_failed:
            markers.append(Marker(sample.t, "flag", event_name("flag.liveness_passed")))
    for answer in replay.answers:
        if answer.t is not None:
            markers.append(Marker(answer.t, "answer", answer_label(answer.question_id), answer.question_id))
    for decision in replay.decisions:
        if decision.t is not None:
            label = QCoreApplication.translate("TimelineChart", "decision: {0}").format(
                outcome_name(decision.outcome)
            )
            markers.append(Marker(decision.t, "decision", label))
    return sorted(markers, key=lambda m: m.t)


def answer_label(question: str) -> str:
    return QCoreApplication.translate("TimelineChart", "answer: {0}").format(question)


class TimelineChart(QWidget):
    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="#333")
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(170)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        # Similarity is 0-100; before a session (or with no scores) the seconds axis shows a
        # minute from 0, not pyqtgraph's automatic range around nothing.
        self.plot.setYRange(0, 100, padding=0.02)
        self.plot.setXRange(0, 60, padding=0)
        self.plot.getPlotItem().vb.disableAutoRange()
        self.plot.setLimits(xMin=0, yMin=-2, yMax=102)
        self.plot.setLabel("left", self.tr("similarity"))
        self.plot.setLabel("bottom", self.tr("seconds on the recording's clock"))
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.threshold_line = pg.InfiniteLine(
            pos=50.0, angle=0, pen=pg.mkPen("#c62828", width=1, style=Qt.PenStyle.DashLine),
            label=self.tr("match threshold {value:.0f}"),
            # Its left end just right of the axis: centred, a narrow chart cut off its first letters.
            labelOpts={"position": 0.02, "color": "#c62828", "anchors": [(0, 0), (0, 1)]},
        )  # fmt: skip
        self.plot.addItem(self.threshold_line)
        self.playhead = pg.InfiniteLine(pos=0.0, angle=90, movable=True, pen=pg.mkPen("#d81b60", width=2))
        self.playhead.sigPositionChangeFinished.connect(
            lambda line: self.seek_requested.emit(float(line.value()))
        )
        self.plot.addItem(self.playhead)
        self._items: list[Any] = []
        self.markers: list[Marker] = []
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        keys = (
            ("#2e7d32", "●", self.tr("answer")),
            ("#e08a00", "▼", self.tr("connection")),
            ("#8e24aa", "◆", self.tr("face flag")),
            ("#1565c0", "■", self.tr("challenge")),
            ("#c62828", "✕", self.tr("failed")),
            ("#8d6e63", "■", self.tr("not judged")),
            ("#546e7a", "⬟", self.tr("camera")),
            ("#111111", "★", self.tr("decision")),
            ("#c62828", "- -", self.tr("threshold")),
        )
        legend = QLabel(
            "&nbsp; ".join(
                f"<span style='color:{colour}'>{sign}</span> {text}" for colour, sign, text in keys
            )
            + " · "
            + self.tr("click a marker or the chart to seek there")
        )
        legend.setObjectName("caption")
        legend.setWordWrap(True)  # the window fits 1024 px wide
        layout.addWidget(legend)

    def set_threshold(self, value: float) -> None:
        self.threshold_line.setValue(value)

    def show_session(self, replay: SessionReplay, duration: float, spans: list[Any]) -> None:
        for item in self._items:
            self.plot.removeItem(item)
        self._items = []
        for span in spans:
            region = pg.LinearRegionItem(
                values=(span.start, span.end), movable=False, brush=pg.mkBrush(31, 111, 178, 18),
                pen=pg.mkPen(None),
            )  # fmt: skip
            region.setZValue(-10)
            self._add(region)
        legs = sorted({s.leg_number for s in replay.scores})
        for index, leg in enumerate(legs):
            points = [
                (s.t, s.similarity) for s in replay.scores if s.leg_number == leg and s.similarity is not None
            ]
            if points:
                xs, ys = zip(*points, strict=True)
                self._add(
                    pg.PlotDataItem(
                        list(xs),
                        list(ys),
                        pen=pg.mkPen(LEG_COLOURS[index % 3], width=2),
                        name=self.tr("leg {0}").format(leg),
                    )
                )
        self.markers = markers_of(replay)
        for kind, (y, symbol, colour) in MARKER_STYLE.items():
            chosen = [m for m in self.markers if m.kind == kind]
            if not chosen:
                continue
            scatter = pg.ScatterPlotItem(
                x=[m.t for m in chosen], y=[y] * len(chosen), data=[m.t for m in chosen], symbol=symbol,
                size=13, brush=pg.mkBrush(colour), pen=pg.mkPen("w"), hoverable=True,
                tip=lambda x, y, data, _c=chosen: next((m.label for m in _c if m.t == data), ""),
            )  # fmt: skip
            scatter.sigClicked.connect(self._marker_clicked)
            self._add(scatter)
        end = max([duration, 10.0, *[m.t for m in self.markers]])
        self.plot.setXRange(0, end * 1.01, padding=0)
        self.plot.setYRange(0, 100, padding=0.02)

    def _add(self, item: Any) -> None:
        self.plot.addItem(item)
        self._items.append(item)

    def _marker_clicked(self, _scatter: Any, points: Any, *_args: Any) -> None:
        if len(points):
            self.seek_requested.emit(float(points[0].data()))

    def _clicked(self, event: Any) -> None:
        if event.isAccepted() or event.button() != Qt.MouseButton.LeftButton:
            return
        view = self.plot.getPlotItem().vb
        if self.plot.sceneBoundingRect().contains(event.scenePos()):
            point = view.mapSceneToView(event.scenePos())
            self.seek_requested.emit(max(0.0, float(point.x())))

    def set_position(self, t: float) -> None:
        self.playhead.blockSignals(True)
        self.playhead.setValue(t)
        self.playhead.blockSignals(False)
