"""Reading a recorded session back: every leg on one timeline, the session's clock.

    from media.playback import SessionPlayback

    playback = SessionPlayback.open(session_dir)           # offsets from the manifests, or
    playback = SessionPlayback.open(session_dir, offsets={1: 0.0, 2: 31.4})   # from the database
    playback = SessionPlayback.open(session_dir, offsets, sealer=sealer)  # encrypted at rest
    playback.duration                                       # seconds, session clock
    playback.spans                                          # [LegSpan(leg, start, end, crashed)]
    frame = playback.frame_at(t)                            # DecodedFrame | None (None: between legs)
    frame.image, frame.t, frame.leg                         # BGR numpy, session clock, leg number
    playback.next_frame() / playback.previous_frame()       # frame step from the last frame shown
    playback.audio(t0, t1)                                  # float32 mono 48 kHz, both sides mixed
    playback.key_frames([t1, t2, ...])                      # for the PDF report
    playback.close()
    playback.problems                                       # damage found on opening, in words

Encrypted recordings (recorded with a sealer) open only with a sealer, and then every leg must
be encrypted; segments are decrypted in memory (a few are cached). RecordingError, or its
subclass RecordingDamaged, carries a message fit for the reviewer: raised by open() (wrong
key, altered manifest, an unencrypted leg where encryption is expected) and by frame_at /
next_frame / previous_frame on reaching an altered or missing segment (the message names it).
audio() gives silence for such a segment.

Not thread-safe: one SessionPlayback per thread (the replay window keeps one on its decoding
thread). Seeking opens the one-second segment holding t and decodes from its key frame, so a
seek costs at most a second of decoding; playing forward decodes on from where it is.
"""

from media.playback.session import AUDIO_RATE, DecodedFrame, LegSpan, SessionPlayback
from media.recording_format.sealing import RecordingDamaged, RecordingError

__all__ = ["AUDIO_RATE", "DecodedFrame", "LegSpan", "RecordingDamaged", "RecordingError", "SessionPlayback"]
