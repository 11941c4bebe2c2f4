"""The intake service: the applicant page, the waiting queue and WebRTC signalling (see service.py)."""

from media.intake.server import IntakeServer, run_intake
from media.intake.service import IntakeService, applicant_url

__all__ = ["IntakeServer", "IntakeService", "applicant_url", "run_intake"]
