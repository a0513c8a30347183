"""``resolve``: a spec checked against a DataFrame, as a short pipeline of the named checks in
:mod:`kwk.spec.checks`, and the resolved spec it returns (features listed, task decided, every
used column's kind) with plain-language notes.

The pipeline: the spec's column names, the target's values, the modality's settings, the length
of the series, the task, the rows of the series, then the features. Each stage reports all of
its problems at once; the next one runs only when the stage found none.
"""
from __future__ import annotations

import pandas as pd

from kwk.catalog.presets import modality as modality_of
from kwk.data.kinds import MODEL_KINDS
from kwk.data.task import infer_task, target_classes  # noqa: F401  (kwk.spec's names)
from kwk.spec.checks import Context, run_stage
from kwk.spec.checks.images import spec_pixels
from kwk.spec.checks.mixed import branch_columns
from kwk.spec.checks.text import text_columns
from kwk.spec.choices import class_weight_choice
from kwk.spec.schema import SPEC_VERSION
from kwk.spec.schema import normalize


def resolve(spec: dict, df: pd.DataFrame, kinds: dict[str, str] | None = None) -> tuple[dict, list[str]]:
    """Check ``spec`` against ``df`` and return ``(resolved_spec, notes)``.

    ``kinds`` are column kinds already known (the profile's); the spec's ``data.kinds`` win.
    Resolved: ``data.features`` lists the columns used, ``data.task`` is decided, ``data.kinds``
    holds the kind of every feature and of the target. Raises :class:`SpecError` (or
    :class:`DataError` for an unusable target column) naming every problem of the first stage
    that has any.
    """
    from kwk.data.images import with_folder_split  # a zip of train/ and test/ folders
    spec = normalize(with_folder_split(spec, df))
    ctx = Context(spec, df, {**(kinds or {}), **spec["data"]["kinds"]},
                  "mixed" if spec.get("branches") else modality_of(spec["data"]))
    for stage in ("columns", "target", "settings", "length"):
        run_stage(stage, ctx)
    _decide_task(ctx)
    ctx.spec["training"]["class_weight"], note = class_weight_choice(  # 'auto' decided here
        ctx.spec["training"]["class_weight"], ctx.y, ctx.task)
    ctx.notes.extend([note] if note else [])
    run_stage("task", ctx)
    run_stage("rows", ctx)
    _choose_features(ctx)
    run_stage("features", ctx)
    extra = _transforms(ctx)  # read before _resolved replaces the data section
    out = _resolved(ctx)
    out["data"].update(extra)
    if extra:
        out["kwk_spec"] = SPEC_VERSION
    return out, ctx.notes


def _transforms(ctx: Context) -> dict:
    """The resolved transforms (of input columns), the target's transform and the missing
    flags: 'auto' flags become the number inputs whose missing values go with the target
    (:func:`kwk.data.profile.informative_missing`), named in a note. Empty when none is used,
    so a spec without them resolves as before."""
    d, out = ctx.data, {}
    tf = {c: n for c, n in (d.get("transforms") or {}).items() if c in ctx.features}
    if tf:
        out["transforms"] = tf
    if d.get("target_transform") and ctx.task == "regression":
        out["target_transform"] = d["target_transform"]
    mi = d.get("missing_indicators")
    if mi == "auto":
        mi = {}
        if ctx.modality in ("table", "mixed", "series"):
            from kwk.data.profile import informative_missing
            numbers = [c for c in ctx.features if c != ctx.target and ctx.kind(c) == "numeric"
                       and c not in (d.get("image_shape") and (d.get("inputs") or {}).get("image") or ())]
            tied = informative_missing(ctx.df, ctx.target, ctx.task, numbers)
            mi = dict.fromkeys(tied, True)
            if tied:
                ctx.notes.append(
                    "Informative missing: " + ", ".join(f"'{c}'" for c in list(tied)[:10])
                    + (" has" if len(tied) == 1 else " have") + " missing values that go with "
                    "the target (p < 0.01), so the model also gets a 0/1 input saying the value "
                    "was missing.")
    kept = [c for c, on in (mi or {}).items() if on and c in ctx.features]
    if kept:
        out["missing_indicators"] = kept
    return out


def _decide_task(ctx: Context) -> None:
    """The task: the data.task chosen, or the one the target's values suggest (a forecast is
    always a regression). Notes the reason, or that the choice differs from the guess."""
    ctx.guess, why = infer_task(ctx.y, ctx.kind(ctx.target))
    chosen = ctx.data["task"]
    if chosen == "auto":
        ctx.task = ctx.guess
        if ctx.seq is not None and ctx.guess != "regression":
            ctx.task, why = "regression", f"'{ctx.target}' is forecast as a number (regression)."
        ctx.notes.append(why)
        return
    if chosen != ctx.guess:
        ctx.notes.append(f"The task was set to {chosen} (KwK would have guessed {ctx.guess}).")
    ctx.task = chosen


def _choose_features(ctx: Context) -> None:
    """The input columns of each modality (checked by the "features" stage afterwards)."""
    if ctx.modality == "mixed":  # each branch's columns, in branch order
        ctx.features = [c for cols in branch_columns(ctx).values() for c in cols]
        return
    if ctx.modality == "text":
        ctx.features = text_columns(ctx)
        return
    if ctx.modality == "images":  # pixel columns, in order, all of them (constant ones too)
        ctx.features = list(dict.fromkeys(spec_pixels(ctx)))
        ctx.kinds.update({c: "numeric" for c in ctx.features})
        return
    seq = ctx.seq
    if ctx.data["features"] is not None:
        ctx.features = list(dict.fromkeys(ctx.data["features"]))
        if seq is not None and ctx.target in ctx.features:  # its past values come first
            ctx.features = [ctx.target, *[f for f in ctx.features if f != ctx.target]]
        return
    skip = {ctx.target} | ({seq["time"], seq["group"]} if seq is not None else set())
    used = [c for c in ctx.cols if c not in skip]
    ctx.features = [c for c in used if ctx.kind(c) in MODEL_KINDS]
    left = [f"{c} ({ctx.kind(c)})" for c in used if ctx.kind(c) not in MODEL_KINDS]
    if left:
        ctx.notes.append(f"Left out: {', '.join(left[:10])}{'…' if len(left) > 10 else ''} — "
                         "identifier, constant and free-text columns carry no usable signal for "
                         "this model.")
    if seq is not None:
        ctx.features = [ctx.target, *ctx.features]  # the target's own past values are inputs too
        ctx.notes.append(
            f"Time series: each forecast sees the last {seq['window']} rows of its series"
            + (f" ('{seq['group']}')" if seq["group"] else "") + f" — the target "
            f"'{ctx.target}' and {len(ctx.features) - 1} other input column(s) — and predicts "
            f"'{ctx.target}' {seq['horizon']} row(s) after the last one. The split is "
            "chronological: the model is tested on the latest period, never trained on the "
            "future.")


def _resolved(ctx: Context) -> dict:
    """The resolved spec: the checked data section, with the modality's settings and notes."""
    spec, data = ctx.spec, ctx.data  # the checked section, replaced below
    seq, text = data.get("sequence"), data.get("text")
    column = ctx.validation == "column"
    vcol = data.get("validation_column")
    features = [f for f in ctx.features if f != vcol] if column else ctx.features
    if ctx.modality == "text":
        ctx.kinds[features[0]] = "text"
    if ctx.modality == "mixed":
        return _resolved_mixed(ctx, features)
    spec["data"] = {"target": ctx.target, "features": features, "task": ctx.task,
                    "kinds": {c: ctx.kind(c) for c in [*features, ctx.target]},
                    "validation_column": vcol if column else None}
    if seq is not None:
        spec["data"]["sequence"] = dict(seq)
    if text is not None:
        spec["data"]["text"] = dict(text)
        ctx.notes.append(f"Text: the model reads the column '{features[0]}' itself, keeping the "
                         f"at most {text['max_tokens']:,} most frequent words (those seen at "
                         "least twice in the training texts) and the first "
                         f"{text['sequence_length']} words of each text.")
    shape = data.get("image_shape")
    if shape is not None:
        spec["data"]["image_shape"] = list(shape)
        ctx.notes.append(f"The {len(features):,} pixel columns form {shape[0]}×{shape[1]} "
                         f"{'grayscale' if shape[2] == 1 else 'colour'} images; the model "
                         "reshapes each row into its picture.")
    return spec


def _resolved_mixed(ctx: Context, features: list[str]) -> dict:
    """A mixed-input model: data.inputs lists each branch's columns (table, then text, then
    pixels: the order of the encoded row)."""
    spec, data = ctx.spec, ctx.data
    inputs = {k: [c for c in v if c in features] for k, v in branch_columns(ctx).items()}
    for c in inputs.get("text", []):
        ctx.kinds[c] = "text"
    for c in inputs.get("image", []):
        ctx.kinds[c] = "numeric"
    vcol = data.get("validation_column") if ctx.validation == "column" else None
    spec["data"] = {"target": ctx.target, "features": features, "task": ctx.task,
                    "kinds": {c: ctx.kind(c) for c in [*features, ctx.target]},
                    "validation_column": vcol, "inputs": inputs}
    parts = []
    if "table" in inputs:
        parts.append(f"the table branch reads {len(inputs['table'])} column(s)")
    if "text" in inputs:
        spec["data"]["text"] = dict(data["text"])
        parts.append(f"the text branch reads '{inputs['text'][0]}' (the "
                     f"at most {data['text']['max_tokens']:,} most frequent words, the first "
                     f"{data['text']['sequence_length']} of each text)")
    if "image" in inputs:
        shape = data["image_shape"]
        spec["data"]["image_shape"] = list(shape)
        parts.append(f"the image branch reads {len(inputs['image']):,} pixel columns as "
                     f"{shape[0]}×{shape[1]} {'grayscale' if shape[2] == 1 else 'colour'} "
                     "pictures")
    ctx.notes.append("Several inputs: " + "; ".join(parts) + ". Each branch's layers read its "
                     "own input; their outputs are joined and the layers after the merge read "
                     "them together.")
    return spec
