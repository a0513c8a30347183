"""Why an export was not handed over: refused before converting (the format cannot carry the
network), or the written file failed its check (it did not load in its runtime, or it did not
give the run's predictions)."""
from __future__ import annotations

from kwk.errors import KwkError


class ExportError(KwkError):
    """An export that was not handed over."""


class ExportRefused(ExportError):
    """The format cannot carry this network: known from its layers, before converting."""


class ExportCheckFailed(ExportError):
    """The written file did not load in its own runtime, or its predictions differ from the
    run's beyond the tolerance; the file was deleted."""
