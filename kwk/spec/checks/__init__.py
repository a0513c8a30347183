"""The rules a spec must follow against its data, one small named function per rule.

Each check takes the :class:`Context` of one ``resolve`` call and yields the
:class:`Problem` s it finds (none when the rule holds). Checks are registered with
:func:`check` for one *stage* of ``resolve`` (what has been decided when they run, see
``STAGES``) and, optionally, for some modalities only (the kind of data: table, images, series,
text). ``resolve`` runs a stage's checks with :func:`run_stage`, which reports every problem of
the stage at once; a later stage runs only when the earlier ones found nothing, because it
relies on what they checked (a target column that exists, settings that fit).

The modules: ``common`` (target, columns, task, features, validation column, loss and output),
``images`` (pixel columns), ``series`` (time-series settings and rows), ``text`` (the text
column). Within a stage, the modality's own checks run before the common ones.
"""
from __future__ import annotations

from kwk.spec.checks.base import (  # noqa: F401  (the names kwk.spec.checks has always had)
    MODALITIES, REGISTRY, STAGES, Check, Context, Problem, check, checks_for, missing_columns,
    problems, raise_problems, run_stage)

# The order of these imports is the order of the checks within a stage: the modality's own
# checks first, then the common ones.
from kwk.spec.checks import images, mixed, series, text  # noqa: F401
from kwk.spec.checks import common  # noqa: F401
from kwk.spec.checks import transforms  # noqa: F401

__all__ = ["STAGES", "MODALITIES", "Problem", "Context", "check", "checks_for", "problems",
           "raise_problems", "run_stage", "missing_columns"]
