"""``python -m kwk predict RUN PICTURES --out P.csv`` for a picture run: PICTURES is one PNG or
JPEG file, or a zip of pictures with or without class folders (at any depth). The CSV holds
``file`` (the file's name, or its path inside the zip), ``prediction`` and one ``proba_<class>``
column per class. Files that cannot be read are named on stderr with the reason, the rest are
scored; a file that is not a picture at all is ``error: …`` (exit 2).

``predict`` itself is ``kwk/cli.py``'s command: its ``cmd_predict`` hands a picture run's
pictures to :func:`predict_pictures` here, and a table of pixel columns stays with it.
"""
from __future__ import annotations

import sys
from pathlib import Path

TABLE_EXTS = (".csv", ".tsv", ".txt", ".tab", ".psv", ".xlsx", ".xlsm", ".xls", ".ods",
              ".parquet", ".pq", ".json", ".jsonl", ".ndjson", ".gz", ".feather", ".arrow",
              ".sav", ".dta", ".sas7bdat", ".xpt")


def add(sub) -> None:
    """No command of its own: ``predict`` (kwk/cli.py) calls :func:`predict_pictures`."""


def _pictures_given(a, bundle) -> bytes | None:
    """The file's bytes when ``a.data`` is pictures for a picture run, else None (the table
    route of ``cmd_predict``: pixel columns in a CSV, a zip holding one table, SQL)."""
    data = bundle.spec.get("data") or {}
    if not data.get("image_shape") or data.get("inputs") or not a.data or \
            getattr(a, "sql", None):
        return None
    path = Path(a.data)
    if not path.is_file() or path.suffix.lower() in TABLE_EXTS:
        return None
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04" or path.suffix.lower() == ".zip":
        import io
        import zipfile

        from kwk.data.images import image_members
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return raw  # the picture reader says why
        if not image_members(names):
            return None  # a zip holding a table
    return raw


def predict_pictures(a, bundle) -> int | None:
    """Score the pictures named by ``a.data`` with ``bundle`` and write ``a.out``; None when
    ``a.data`` is not pictures (``cmd_predict`` reads it as a table)."""
    raw = _pictures_given(a, bundle)
    if raw is None:
        return None
    from kwk.data.safety import csv_safe
    from kwk.errors import KwkError
    from kwk.evaluation.pictures import picture_uploads, score_pictures
    binary = bundle.pre.task == "binary"
    if a.threshold is not None and not (binary and 0.0 < a.threshold < 1.0):
        raise KwkError(f"--threshold {a.threshold:g} cannot be used here.",
                       "A decision threshold is a probability between 0 and 1, and only a "
                       "two-class (binary) model has one.")
    scored = score_pictures(bundle, picture_uploads([(Path(a.data).name, raw)]), a.threshold)
    if scored.failed:
        print(f"note: {scored.failed_text()}", file=sys.stderr)
    try:
        csv_safe(scored.table).to_csv(a.out, index=False)
    except OSError as e:
        raise KwkError(f"Cannot write {a.out}: {e.strerror or e}.")
    print(f"Wrote {len(scored.table)} predictions to {a.out} (one per picture, with its file "
          "name)", file=sys.stderr)
    return 0
