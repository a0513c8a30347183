"""One small error hierarchy. Every error carries a message written for a non-coder and,
where possible, a hint saying what to do about it."""
from __future__ import annotations


class KwkError(Exception):
    """Base class: ``str(err)`` is the user-facing message (plus the hint)."""

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message} {hint}")


class DataError(KwkError):
    """The data file cannot be read or used as asked."""


class SpecError(KwkError):
    """The model spec is invalid. ``problems`` lists every problem found, one sentence each."""

    def __init__(self, problems: list[str] | str, hint: str | None = None):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        msg = self.problems[0] if len(self.problems) == 1 else (
            f"The spec has {len(self.problems)} problems: " + " | ".join(self.problems))
        super().__init__(msg, hint)


class TrainError(KwkError):
    """Training could not start or failed (e.g. the loss became NaN)."""
