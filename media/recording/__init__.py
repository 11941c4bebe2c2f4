"""Recording each leg of a call to disk so that a crash loses at most the last second or two.

Why not aiortc's MediaRecorder: it writes one MP4 that is unreadable until closed (a crash
loses the whole call) and it stalls on non-monotonic timestamps after a network hiccup.

API (thread-safe; nothing blocks the caller, so call it from the asyncio loop or a frame
callback; encoding runs on the recorder's own thread):

    from media.recording import LegRecorder, RecorderState

    recorder = LegRecorder(session_dir, leg_number, fps=30.0, started_at=time.time())
    recorder.add_video(frame_bgr, t)          # numpy HxWx3 uint8 BGR; copied; -> bool (False: dropped)
    recorder.add_audio(samples, 48000, t, source="applicant")   # or source="reviewer";
                                              # numpy (mono or channels x n, int16/float) or an
                                              # av.AudioFrame as aiortc hands them out
    recorder.elapsed()                        # now on the leg clock (seconds since started_at)
    recorder.state                            # RecorderState.RECORDING | DISK_FULL | WRITE_FAILED | CLOSED
    recorder.message                          # the warning in words when state.is_warning
    recorder.stats()                          # RecorderStats: frames written/dropped, segments, bytes...
    recorder.close()                          # finishes the last segment; call it when the leg ends

    LegRecorder(..., sealer=sealer)           # encrypted at rest: any object with seal(data, purpose)
                                              # and open(blob, purpose, what=...), e.g.
                                              # storage.sealing.Sealer passed in by services/ (media
                                              # never imports storage); see media/recording_format/sealing.py

- Files: `session_dir/leg-NN/seg-NNNNNN.ts` (MPEG-TS, H.264 ultrafast/zerolatency + two
  AAC mono streams, "applicant" and "reviewer", each segment about `segment_seconds` long and
  starting with a key frame; one encoder per leg and frame size serves all its segments) and
  `session_dir/leg-NN/manifest.jsonl`. See media/recording_format/layout.py.
- Timestamps: every frame and chunk is stamped on arrival on the recorder's monotonic clock
  (the caller's `t` is only checked for jumps, counted in stats().timestamp_jumps), so a
  sender whose clock jumps or goes backwards after a reconnect cannot stall the recording.
  Video timestamps are strictly increasing; audio is kept continuous and a gap over 0.25 s
  stays a gap.
- Back-pressure: bounded queues (45 frames, 400 audio chunks by default); when the writer
  falls behind, new items are dropped and counted, the caller never waits.
- Disk full (ENOSPC) or any other write error: the recorder stops writing, `state` becomes a
  warning (show `message` to the reviewer) and the call goes on; what was written stays
  readable. Nothing is raised to the caller.
- A SIGKILL loses the frames still queued or in the open segment's unflushed buffer (packets
  are flushed to the file as they are muxed, so in practice well under a second). Encrypted,
  the open segment is in memory until complete (plaintext never reaches the disk), so a
  SIGKILL loses it whole: up to `segment_seconds` plus what is queued.

Wiring into the live call (media.call.ReviewerCall): create one LegRecorder per leg when the
call reports a new leg (CallStatus.leg changes), with `started_at` = the wall time given to
storage's start_leg, so the leg's clock and the database's clock agree; subscribe to
`call.frames` and call `add_video(sample.image, sample.received_at)` from the callback; feed
each received applicant audio frame and each microphone frame to `add_audio(frame,
source=...)`; `close()` when the leg ends. Reading back: media.playback.
"""

from media.recording.recorder import AUDIO_SOURCES, LegRecorder, RecorderState, RecorderStats
from media.recording_format.layout import LegManifest, SegmentInfo, leg_directory, read_manifest
from media.recording_format.sealing import RecordingDamaged, RecordingError, SegmentSealer

__all__ = [
    "AUDIO_SOURCES",
    "LegManifest",
    "LegRecorder",
    "RecorderState",
    "RecorderStats",
    "RecordingDamaged",
    "RecordingError",
    "SegmentInfo",
    "SegmentSealer",
    "leg_directory",
    "read_manifest",
]
