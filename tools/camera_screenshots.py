"""Screenshots of the console when the applicant's camera is suspect (a virtual camera, then a
camera change mid-call: the face panel's camera line, approval blocked; video with no camera
report from the page) and when the applicant
hung up (the outcome the service recorded, no decision offered); English and Chinese, at
1280x800 and 1024x768, on the in-memory stand-ins (tools.demo_console, simulated scores).

    QT_QPA_PLATFORM=offscreen python -m tools.camera_screenshots docs/screenshots
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings

from app.camera import CameraReport, CameraWatch, load_camera_rules
from app.console import ConnectionState
from app.ids import ReviewerId
from app.settings import load_settings
from tools.demo_console import DemoConsoleServices, demo_applicant
from tools.screenshot_app import screenshot_app
from tools.screenshots import settle, take_until_matched, wait_until
from ui.main_window import ConsoleWindow
from ui.sign_in import SignedIn

SIZES = ((1280, 800), (1024, 768))


def from_another_thread(work: Callable[..., None], *args: object) -> None:
    """As the media layer reports: from a thread of its own."""
    thread = threading.Thread(target=work, args=args)
    thread.start()
    thread.join()


def report(label: str, reason: str = "call_started") -> CameraReport:
    settings = {"width": 1280, "height": 720, "frameRate": 30, "deviceId": label}
    return CameraReport.from_json({"reason": reason, "label": label, "settings": settings})


def shoot(out: Path, language: str) -> list[Path]:
    settings = load_settings()
    suffix = "" if language == "en" else f"-{language}"
    shots: list[Path] = []
    services = DemoConsoleServices()
    for _ in range(3):
        services.add_applicant(demo_applicant(settings.shared_data_dir))
    try:
        with screenshot_app(language), tempfile.TemporaryDirectory() as scratch:
            qsettings = QSettings(str(Path(scratch) / "console.ini"), QSettings.Format.IniFormat)
            reviewer = SignedIn(ReviewerId(1), "李娜" if language.startswith("zh") else "li.na")
            window = ConsoleWindow(services, reviewer, settings, qsettings, language)
            window.resize(*SIZES[0])
            window.show()
            for ending in ("camera", "not_reported", "hung_up"):
                take_until_matched(window)
                bridge = window.bridge
                assert bridge is not None
                if ending in ("camera", "not_reported"):
                    watch = CameraWatch(load_camera_rules())
                    if ending == "camera":
                        from_another_thread(bridge.camera, watch.observe(report("Integrated Webcam")))
                        changed = report("OBS Virtual Camera", reason="camera_changed")
                        from_another_thread(bridge.camera, watch.observe(changed))
                    else:  # the page sent no report while its video came (services.recording)
                        from_another_thread(bridge.camera, watch.not_reported())
                    wait_until(lambda: window.approval_conditions.blocked)
                    for width, height in SIZES:
                        window.resize(width, height)
                        settle(1.5)
                        name = (
                            (
                                "console-virtual-camera"
                                if ending == "camera"
                                else "console-camera-not-reported"
                            )
                            + suffix
                            + ("" if width == 1280 else f"-{width}x{height}")
                        )
                        shots.append(out / f"{name}.png")
                        window.grab().save(str(shots[-1]))
                    window.resize(*SIZES[0])
                else:
                    from_another_thread(bridge.connection, ConnectionState.APPLICANT_HUNG_UP, 1)
                    wait_until(lambda: window.recorded_by_service is not None)
                    settle(1.5)
                    shots.append(out / f"console-applicant-hung-up{suffix}.png")
                    window.grab().save(str(shots[-1]))
                window.close_review()
                settle(0.5)
            window.close()
    finally:
        services.close()
    return shots


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for language in ("en", "zh_CN"):
        for path in shoot(out, language):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
