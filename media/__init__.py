"""Everything that touches media: frames, face matching, WebRTC, recording and playback decoding."""
