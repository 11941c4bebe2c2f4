"""Typed identifiers, so an application id is never passed where a session id is meant."""

from typing import NewType

ApplicationId = NewType("ApplicationId", int)
SessionId = NewType("SessionId", int)
ReviewerId = NewType("ReviewerId", int)
LegId = NewType("LegId", int)
DecisionId = NewType("DecisionId", int)
