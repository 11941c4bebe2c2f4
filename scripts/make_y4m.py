"""Make Chromium's fake camera and microphone input from a shared video: a 640x480 30 fps .y4m
(cropped to 4:3, then scaled) and a 48 kHz .wav, written to a directory of your choice
(a temporary one in tests; never commit the output).

    python scripts/make_y4m.py OUT_DIR [--seconds 6] [--video FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.settings import load_settings


def make_fake_media(out_dir: Path, *, seconds: float = 6.0, video: Path | None = None) -> tuple[Path, Path]:
    source = video or load_settings().shared_data_dir / "videos" / "obama_weekly_address.mp4"
    if not source.is_file():
        raise FileNotFoundError(f"no source video at {source}")
    out_dir.mkdir(parents=True, exist_ok=True)
    y4m, wav = out_dir / "applicant.y4m", out_dir / "applicant.wav"
    common = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-t", str(seconds), "-i", str(source)]
    subprocess.run(
        [*common, "-an", "-vf", "crop=ih*4/3:ih,scale=640:480,fps=30", "-pix_fmt", "yuv420p", str(y4m)],
        check=True,
    )
    subprocess.run([*common, "-vn", "-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", str(wav)], check=True)
    return y4m, wav


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--video", type=Path)
    args = parser.parse_args()
    y4m, wav = make_fake_media(args.out_dir, seconds=args.seconds, video=args.video)
    print(y4m)
    print(wav)
    return 0


if __name__ == "__main__":
    sys.exit(main())
