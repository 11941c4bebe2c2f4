"""The console's side of the call: `ReviewerCall` (see client.py for the API), the newest-frame
slot that feeds the GUI, the face worker and the recorder, and the workstation's audio."""

from media.call.audio import AudioOutput, AudioStatus, MicrophoneSource
from media.call.client import (
    CallApplicant,
    CallState,
    CallStats,
    CallStatus,
    IntakeError,
    IntakeSignIn,
    IntakeSignInRefused,
    ReviewerCall,
    sign_in,
    sign_out,
)
from media.call.frames import FrameSlot, VideoSample

__all__ = [
    "AudioOutput",
    "AudioStatus",
    "CallApplicant",
    "CallState",
    "CallStats",
    "CallStatus",
    "FrameSlot",
    "IntakeError",
    "IntakeSignIn",
    "IntakeSignInRefused",
    "MicrophoneSource",
    "ReviewerCall",
    "VideoSample",
    "sign_in",
    "sign_out",
]
