"""Whether a run belongs to the data now loaded, and whether its model can read a table.

One home for the question every results page asks before it shows a run as "yours": the run
record (the store's row, or a bundle's ``run.json`` with its spec) holds the fingerprint and
name of the data it was trained on and its target; the data now loaded is a
:class:`kwk.data.loader.LoadedData` (its ``fingerprint`` is a hash of the file's bytes).
"""
from __future__ import annotations

import json
from pathlib import Path


def _record(run: dict) -> tuple[str, str, str | None]:
    """(data name, data fingerprint, target) of a store row or a ``run.json`` (+ ``spec``)."""
    data = run.get("data") if isinstance(run.get("data"), dict) else {}
    name = run.get("data_name") or data.get("name") or "another file"
    fingerprint = run.get("fingerprint") or data.get("fingerprint") or ""
    spec = run.get("spec") or {}
    target = (spec.get("data") or {}).get("target") if isinstance(spec, dict) else None
    return str(name), str(fingerprint), target


def trained_on(run: dict) -> str:
    """"iris.csv (target species)": what the run was trained on, in words."""
    name, _, target = _record(run)
    return f"{name} (target {target})" if target else name


def run_matches_data(run: dict, loaded, target: str | None) -> tuple[bool, str]:
    """Whether ``run`` was trained on ``loaded`` (the same bytes: its fingerprint) to predict
    ``target`` (``None``: no target chosen yet, so only the data is compared). Returns
    ``(True, "")`` or ``(False, reason)``, the reason a sentence for the user, e.g.
    "This run was trained on iris.csv (target species), not on tips.csv, the data now
    loaded."."""
    name, fingerprint, run_target = _record(run)
    what = trained_on(run)
    if loaded is None:
        return False, f"This run was trained on {what}; no data is loaded now."
    now = getattr(loaded, "name", "") or "the data now loaded"
    if not fingerprint or fingerprint != getattr(loaded, "fingerprint", None):
        same_name = " (a file of the same name with other contents)" if now == name else ""
        return False, (f"This run was trained on {what}, not on {now}{same_name}, the data "
                       "now loaded.")
    if target is not None and run_target is not None and str(target) != str(run_target):
        return False, (f"This run was trained on {name} to predict {run_target}, not "
                       f"{target}, the target now chosen.")
    return True, ""


def needed_columns(run_dir) -> list[str]:
    """The columns a run's model reads (its inputs, and a time series' time and series
    columns), from its fitted preprocessing (``preprocess.json``), without loading the model."""
    from kwk.prep.preprocess import Preprocessor
    state = json.loads((Path(run_dir) / "preprocess.json").read_text())
    return Preprocessor.from_state(state).needed_columns


def columns_fit(needed: list[str], columns) -> tuple[bool, str]:
    """Whether a table with ``columns`` has every column in ``needed`` (the model's own list,
    :func:`needed_columns`). Returns ``(True, "")`` or ``(False, reason)`` naming up to five
    missing columns."""
    have = {str(c) for c in columns}
    missing = [c for c in needed if str(c) not in have]
    if not missing:
        return True, ""
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return False, (f"The data now loaded lacks {len(missing)} of the {len(needed)} column(s) "
                   f"this model reads ({shown}).")


def editor_columns_of(run_dir) -> list[dict]:
    """The columns a run's model reads, with their kinds and training labels, for a grid
    of rows typed by hand (:func:`kwk.prep.editor.editor_columns` over ``preprocess.json``)."""
    from kwk.prep.editor import editor_columns
    return editor_columns(json.loads((Path(run_dir) / "preprocess.json").read_text()))
