"""Reading a recorded session back: every leg on one timeline, the session's clock.

    from media.playback import SessionPlayback

    playback = SessionPlayback.open(session_dir)           # offsets from the manifests, or
    playback = SessionPlayback.open(session_dir, offsets={1: 0.0, 2: 31.4})   # from the database
    playback.duration                                       # seconds, session clock
    playback.spans                                          # [LegSpan(leg, start, end, crashed)]
    frame = playback.frame_at(t)                            # DecodedFrame | None (None: between legs)
    frame.image, frame.t, frame.leg                         # BGR numpy, session clock, leg number
    playback.next_frame() / playback.previous_frame()       # frame step from the last frame shown
    playback.audio(t0, t1)                                  # float32 mono 48 kHz, both sides mixed
    playback.key_frames([t1, t2, ...])                      # for the PDF report
    playback.close()

Not thread-safe: one SessionPlayback per thread (the replay window keeps one on its decoding
thread). Seeking opens the one-second segment holding t and decodes from its key frame, so a
seek costs at most a second of decoding; playing forward decodes on from where it is.
"""

from media.playback.session import AUDIO_RATE, DecodedFrame, LegSpan, SessionPlayback

__all__ = ["AUDIO_RATE", "DecodedFrame", "LegSpan", "SessionPlayback"]
