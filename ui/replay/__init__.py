"""The supervisors' replay: session browser, player in sync with the timeline, amendments and
the PDF report. `recording.py` (no Qt) stores a live call's recording timeline; the rest is Qt."""
