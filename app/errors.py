"""Errors the domain raises for bad input: each carries a message fit to show a person."""


class ReviewError(Exception):
    """Base class: the message says what was wrong, in plain words."""


class InvalidApplication(ReviewError):
    """An application's fields are missing or out of range."""


class InvalidAnswer(ReviewError):
    """A questionnaire answer is of the wrong type, out of range, or for an unknown question."""


class InvalidDecision(ReviewError):
    """A decision lacks what the bank requires (a reason code, answers, a face match...)."""


class InvalidTransition(ReviewError):
    """A review session was asked to move to a state it cannot reach from where it is."""


class NotFound(ReviewError):
    """A record (application, session, reviewer) that does not exist was asked for."""


class RecordingUnreadable(ReviewError):
    """A recording (or a part of it) cannot be read: damaged, altered, missing, or encrypted with
    another key. The message names the part, fit for a supervisor. media's RecordingError is
    one, so that windows can tell it apart without importing media."""
