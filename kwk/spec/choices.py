"""``from_choices``: the spec built from what a user chose in the app (roles, target, task,
kinds, the kind of data and its settings), without Streamlit, so the rules are tested here.

The rules: columns whose role is not "feature" are left out, and so are columns of a kind a
model cannot read; a picture's pixel columns are the ``px_…`` columns (else the numeric ones);
a time series lists its target first among its inputs, never its time or series column, and is
always split by time (holdout); a text model reads its one chosen column.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping

import pandas as pd

from kwk.data.pixels import pixel_columns  # the one rule for which columns are pixels
from kwk.data.kinds import MODEL_KINDS

FEATURE = "feature"  # the default role of a column (the others: "target", "ignore")


def from_choices(base: dict, df: pd.DataFrame | None = None, *, target: str | None = None,
                 task: str = "auto", kinds: Mapping[str, str] | None = None,
                 roles: Mapping[str, str] | None = None,
                 column_kinds: Mapping[str, str] | None = None,
                 validation_column: str | None = None, modality: str = "table",
                 image_shape: list[int] | None = None, sequence: dict | None = None,
                 text: dict | None = None, transforms: Mapping | None = None) -> dict:
    """The spec from a user's choices: a copy of ``base`` (layers, output, training) with its
    ``data`` section (and, for a series, ``training.validation``) set from the choices.

    ``df`` is the data (None before any is loaded: the data section then only holds the
    choices); ``kinds`` the user's kind overrides (kept in ``data.kinds``); ``roles`` maps a
    column to "feature", "target" or "ignore" (unlisted columns are features);
    ``column_kinds`` every column's kind from the profile (overrides included), used only when
    some column is not a feature; ``modality`` is table | images | series | text, or a table
    with a text column or pixel columns read by their own branches (table_text |
    table_images, ``base`` holding the "branches"), with its
    settings: ``image_shape`` ``[height, width, channels]``, ``sequence`` (data.sequence; used
    once its time column is chosen) and ``text`` (data.text plus ``"column"``, the text column).
    ``transforms`` (None: none) are the Data page's choices for a table (``{"columns": {column:
    transform}, "target": "log" | None, "missing": None | {column: bool}}``): they become
    data.transforms, data.target_transform and data.missing_indicators ("auto", KwK's default
    for a table: flags where missingness goes with the target, unless the user chose).
    Nothing is checked here: ``resolve`` checks the result against the data.
    """
    spec = copy.deepcopy(base)
    roles = dict(roles or {})
    features = None if df is None else _role_features(df, target, roles, column_kinds or {})
    spec["data"] = {"target": target, "features": features, "task": task,
                    "kinds": dict(kinds or {}), "validation_column": validation_column}
    if modality not in ("table_text", "table_images"):
        spec.pop("branches", None)  # one input: one stack
    if df is None:
        return spec
    if modality == "table" and transforms is not None:
        _transform_choices(spec["data"], df, transforms)
    if modality == "table_text" and text:  # the table, and a text column read by its branch
        spec["data"]["text"] = dict(text)
    elif modality == "table_images" and image_shape:  # the table, and its pixel columns
        spec["data"]["image_shape"] = list(image_shape)
    elif modality == "images" and image_shape:
        spec["data"]["image_shape"] = list(image_shape)
        spec["data"]["features"] = pixel_columns(df, target, roles)
    elif modality == "series" and sequence and sequence.get("time"):
        spec["data"]["sequence"] = dict(sequence)
        if features is not None:  # the target's own past values are inputs too
            spec["data"]["features"] = series_features(features, target, sequence)
        spec["training"]["validation"] = "holdout"  # time series are split by time
    elif modality == "text" and text:
        settings = dict(text)
        column = settings.pop("column", None)
        spec["data"]["text"] = settings
        spec["data"]["features"] = [column] if column else None
    return spec


def to_choices(spec: dict, columns) -> dict:
    """The data choices a spec records, as the app keeps them, for data with ``columns``: the
    inverse of :func:`from_choices` (loading a spec, a run's or a search's best network).

    Returns ``{"target", "task", "kinds", "roles", "validation_column", "transforms"}``, each
    only what fits these columns: ``target`` and ``task`` None when the spec's target is not
    among them (the rest is then still what fits); ``roles`` (None: KwK picks the features)
    mark the spec's features and every other column "ignore" for a table or series whose
    spec lists its features; ``transforms`` are the Data page's ``{"columns", "target",
    "missing"}`` (``missing`` ``{}`` when the spec asks for no missing flags, as a spec
    without them means)."""
    d = spec.get("data") or {}
    cols = [str(c) for c in columns]
    have = set(cols)
    target = d.get("target") if d.get("target") in have else None
    features = d.get("features")
    roles = None
    if target is not None and features is not None and not (
            d.get("image_shape") or d.get("text")):
        roles = {c: (FEATURE if c in features else "ignore") for c in cols if c != target}
    mi = d.get("missing_indicators")
    if isinstance(mi, list):
        mi = dict.fromkeys(mi, True)
    return {"target": target, "task": d.get("task", "auto") if target is not None else None,
            "kinds": {c: k for c, k in (d.get("kinds") or {}).items() if c in have},
            "roles": roles,
            "validation_column": d.get("validation_column")
            if d.get("validation_column") in have else None,
            "transforms": {
                "columns": {c: t for c, t in (d.get("transforms") or {}).items() if c in have},
                "target": d.get("target_transform") if target is not None else None,
                "missing": None if mi == "auto" else
                {c: bool(v) for c, v in (mi or {}).items() if c in have}}}


def _transform_choices(data: dict, df: pd.DataFrame, choices: Mapping) -> None:
    """The Data page's transforms into the data section (columns no longer in the data are
    dropped; the missing flags are 'auto' until the user chooses them)."""
    cols = {str(c) for c in df.columns}
    tf = {c: t for c, t in (choices.get("columns") or {}).items() if c in cols and t != "none"}
    if tf:
        data["transforms"] = tf
    if choices.get("target") and data.get("target"):
        data["target_transform"] = choices["target"]
    missing = choices.get("missing")
    data["missing_indicators"] = "auto" if missing is None else \
        {c: bool(on) for c, on in missing.items() if c in cols}


def _role_features(df: pd.DataFrame, target: str | None, roles: Mapping[str, str],
                   column_kinds: Mapping[str, str]) -> list[str] | None:
    """The features the roles imply: None (KwK picks them) while every column but the target is
    a feature; else the feature columns, in data order, of a kind a model reads."""
    if not any(r != FEATURE for c, r in roles.items() if c != target):
        return None
    return [str(c) for c in df.columns if str(c) != target
            and roles.get(str(c), FEATURE) == FEATURE and column_kinds.get(str(c)) in MODEL_KINDS]


def series_features(features: list[str], target: str | None, sequence: dict) -> list[str]:
    """A series' inputs: the target first (its past values), then the features except the
    time and series (group) columns."""
    return [target, *[c for c in features if c not in (sequence["time"], sequence.get("group"))]]


def class_weight_choice(setting: str, y, task: str) -> tuple[str, str | None]:
    """What ``training.class_weight`` means for this target: ``(choice, note)``. 'auto' becomes
    'balanced' when the target has a rare class (:func:`kwk.data.profile.rare_class`: under 20%
    of the rows with two classes), else 'none'; a regression uses none. The note says which
    and why (None when there is nothing to say); it starts "Rare class". ``y``: the target's
    values (all rows), or ``{class: training rows}`` (a streamed plan counts them)."""
    if setting != "auto":
        return setting, None
    if task == "regression":
        return "none", None
    from kwk.data.profile import rare_class
    rare = rare_class(y)
    if rare is None:
        return "none", None
    return "balanced", (f"Rare class '{rare['label']}' is {100 * rare['share']:.0f}% of rows: "
                        f"training weights it ×{rare['weight']:.1f} so the model does not ignore "
                        "it (class weights 'auto' became 'balanced'; choose 'none' in the Train "
                        "page's options to turn this off).")

