"""Camera rules for tests whose applicant is Chromium's fake capture device and must stay
approvable: the bank's default rules (app/cameras.toml) without that one entry, so nothing
else is weakened and the test says so by naming the file (setting camera_rules_file)."""

from __future__ import annotations

from pathlib import Path

from app.camera import DEFAULT_CAMERA_RULES_FILE

CHROMIUM_FAKE_DEVICE = 'name = "Chromium\'s fake capture device"'


def rules_allowing_chromium_fake_device(directory: Path) -> Path:
    text = DEFAULT_CAMERA_RULES_FILE.read_text(encoding="utf-8")
    blocks = text.split("[[virtual_camera]]")
    kept = [block for block in blocks if CHROMIUM_FAKE_DEVICE not in block]
    assert len(kept) == len(blocks) - 1, "the default rules no longer name Chromium's fake device"
    path = directory / "cameras-chromium-allowed.toml"
    path.write_text("[[virtual_camera]]".join(kept), encoding="utf-8")
    return path
