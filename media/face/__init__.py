"""Face matching: the engine interface, the reference-photo check, the live worker and offline runs.

Nothing heavy is imported here; import the sub-modules you need (``media.face.reference``,
``media.face.worker``...). Face libraries load on first use.
"""
