"""A recorded leg as it sits on disk: the format media.recording writes and media.playback reads.

This is the named interface between those two sub-packages (they do not import each other;
see the independence contract in pyproject.toml): layout.py (the leg directory, its segment
files and manifest) and sealing.py (encryption at rest of segments and manifest lines).
"""
