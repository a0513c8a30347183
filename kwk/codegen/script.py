"""A resolved spec -> the inputs of the script templates (a plain dict) -> code.

:func:`script_inputs` gathers every choice the training script depends on; the template
(``templates/train_script.py.jinja``) decides what to write for each. :func:`layer_code` and
:func:`model_code` write the model lines (``templates/model.py.jinja``), which the Build page
shows live.
"""
from __future__ import annotations

import datetime as _dt
import math

from kwk.catalog.layers import CATALOG
from kwk.catalog.params import constraint_args, penalty_args
from kwk.codegen.render import copy_source, lit, render
from kwk.spec import loss_name, output_activation

TASK_TEXT = {"binary": "Two-class classification", "multiclass": "Multiclass classification",
             "regression": "Regression"}
READERS = {"csv": "read_csv", "excel": "read_excel", "parquet": "read_parquet",
           "jsonl": "read_json", "spss": "read_spss", "stata": "read_stata", "sas": "read_sas",
           "feather": "read_feather"}  # .ods and .xls are "excel" with their engine


def layer_code(layer: dict, name: str | None = None) -> str:
    """``layers.Dense(16, activation='relu')`` for one spec layer: positional arguments first,
    then only the settings that differ from Keras's defaults; ``name=`` when given (a layer
    whose weights are reused) and ``trainable=False`` for a frozen layer."""
    own = ([f"name={lit(name)}"] if name else []) + \
        (["trainable=False"] if layer.get("trainable") is False else [])
    if own:
        bare = layer_code({k: v for k, v in layer.items() if k not in ("weights", "trainable")})
        return bare[:-1] + (", " if not bare.endswith("()") else "") + ", ".join(own) + ")"
    lt = CATALOG[layer["type"]]
    wraps = lt.extra.get("wraps")
    if wraps:  # layers.Bidirectional(layers.LSTM(32), merge_mode=...)
        inner_type = layer.get(wraps, lt.defaults()[wraps])
        inner = {"type": inner_type, **{k: v for k, v in layer.items()
                                        if k not in ("type", wraps, *lt.extra.get("outer", ()))}}
        outer = [f"{k}={lit(layer.get(k, lt.defaults()[k]))}" for k in lt.extra.get("outer", ())
                 if layer.get(k, lt.defaults()[k]) != next(p for p in lt.params if p.name == k).default]
        return f"layers.{lt.name}({', '.join([layer_code(inner), *outer])})"
    args = []
    for p in lt.params:
        v = layer.get(p.name, p.default)
        if p.name in lt.positional:
            args.append(lit(v))
            continue
        if not p.differs_from_keras(v):
            continue
        if p.value_type == "regularizer":
            kw = ", ".join(f"{k}={lit(x)}" for k, x in penalty_args(v).items())
            args.append(f"{p.name}=keras.regularizers.{v['type']}({kw})")
        elif p.value_type == "constraint":
            kw = ", ".join(f"{k}={lit(x)}" for k, x in constraint_args(v).items())
            args.append(f"{p.name}=keras.constraints.{v['type']}({kw})")
        else:
            args.append(f"{p.name}={lit(v)}")
    return f"layers.{lt.name}({', '.join(args)})"


def model_inputs(spec: dict, n_inputs: int | str, n_out: int | str) -> dict:
    """The inputs of ``templates/model.py.jinja``. ``n_inputs``/``n_out``: numbers, or the
    script's expressions for them (``"X_train.shape[1]"``)."""
    d = spec["data"]
    task = d["task"] if d["task"] != "auto" else "regression"
    branches = None
    if spec.get("branches"):  # a mixed-input model: each branch's columns and layers
        branches = [{"name": name, **where,
                     "layers": [layer_code(layer) for layer in spec["branches"][name]]}
                    for name, where in _slice_code(spec, n_inputs).items()]
    return {"branches": branches,
            "text": None if branches else d.get("text"),
            "window": (d.get("sequence") or {}).get("window"),
            "image": d.get("image_shape"), "n_inputs": n_inputs, "n_out": n_out,
            "layers": [layer_code(layer, f"reused_{i}" if layer.get("weights") else None)
                       for i, layer in enumerate(spec["layers"], start=1)],
            "reuse": reuse_inputs(spec["layers"]),
            # a text model whose Embedding is reused keeps that model's word numbers
            "vocabulary_from": (spec["layers"][0]["weights"]["file"] if d.get("text")
                                and spec["layers"] and spec["layers"][0]["type"] == "Embedding"
                                and spec["layers"][0].get("weights") else None),
            "activation": output_activation({**spec, "data": {**d, "task": task}})}


def _slice_code(spec: dict, n_inputs: int | str) -> dict[str, dict]:
    """Each branch's columns of the encoded row as code: ``left`` (columns cropped before it),
    ``right`` (after it) and ``width``. The text's word numbers and the pixels have widths
    fixed by the spec and come after the table, which takes the rest: so only the table's
    width (and where the others start) depends on ``n_inputs`` when it is an expression."""
    d = spec["data"]
    fixed = {"text": (d.get("text") or {}).get("sequence_length", 0),
             "image": math.prod(d["image_shape"]) if d.get("image_shape") else 0}
    order = [b for b in ("table", "text", "image") if b in spec["branches"]]
    out = {}
    for i, b in enumerate(order):
        after = sum(fixed[o] for o in order[i + 1:])
        if b == "table":
            width = n_inputs - after if isinstance(n_inputs, int) else f"{n_inputs} - {after}"
            out[b] = {"left": 0, "right": after, "width": width}
            continue
        left = (n_inputs - after - fixed[b] if isinstance(n_inputs, int)
                else f"{n_inputs} - {after + fixed[b]}")
        out[b] = {"left": left, "right": after, "width": fixed[b]}
    return out


def reuse_inputs(layers: list[dict]) -> list[dict]:
    """The saved models whose weights the script copies: ``[{"var", "file", "note", "layers":
    [(name in the script, name in the file)]}]``, one entry per file."""
    files: dict[str, dict] = {}
    for i, layer in enumerate(layers, start=1):
        ref = layer.get("weights")
        if not ref:
            continue
        f = files.setdefault(ref["file"], {
            "var": f"base_{len(files) + 1}", "file": ref["file"], "layers": [],
            "note": (f"run {ref['run']}" if ref.get("run") else "an uploaded model")
            + (f", sha256 {ref['sha256'][:12]}" if ref.get("sha256") else "")})
        f["layers"].append((f"reused_{i}", ref["layer"]))
    return list(files.values())


def model_code(spec: dict, n_inputs: int | str = "N_INPUTS", n_out: int | str = "N_OUTPUTS") -> str:
    """The model-building lines alone (shown live on the Build page)."""
    return render("model.py.jinja", model=model_inputs(spec, n_inputs, n_out)).rstrip("\n")


def _read_inputs(fmt: str, read_options: dict) -> dict:
    """How the script reads the data: the format and its options."""
    out = {"fmt": fmt, "zip_member": read_options.get("zip_member"),
           "blank_tail_columns": read_options.get("blank_tail_columns", 0),
           "formatted_numbers": dict(read_options.get("formatted_numbers") or {})}
    if fmt == "images":
        from kwk.data.images import HELD_OUT, SPLIT_COLUMN, SPLIT_FOLDERS
        out.update(size=tuple(int(v) for v in read_options["size"]),
                   color="grayscale" if read_options.get("color") == "grayscale" else "rgb",
                   split_folders=dict(SPLIT_FOLDERS), held_out=HELD_OUT,
                   split_column=SPLIT_COLUMN)
    elif fmt == "sql":
        out.update(url=read_options.get("url", ""), query=read_options["query"])
    else:
        from kwk.data.loader import reader_options
        out.update(function=READERS[fmt], options=reader_options(read_options),
                   xport8=fmt == "sas" and read_options.get("xport_version") == 8)
    return out


def _helpers(relative: bool, dates: bool = False) -> dict[str, str]:
    """The engine helpers the script copies, by the name the template uses for them (the
    DateParts layer, which imports Keras, only for a script with date inputs)."""
    from kwk.data import images, loader, numbers
    from kwk.model import raw as model_raw
    from kwk.model import builder
    from kwk.prep import preprocess as pp
    from kwk.prep import series, stats, text, transforms
    from kwk.training import core
    return {
        "class_weights": copy_source(core.class_weights_from_counts, core.class_weights),
        "image_members": copy_source(images.image_members),
        "split_layout": copy_source(images.split_layout, images._hold_out),
        "decode_image": copy_source(images.decode_image),
        "parse_formatted": copy_source(numbers.parse_formatted),
        "flatten_nested": copy_source(loader._flatten_nested),
        "as_labels": copy_source(pp.as_labels), "to_number": copy_source(pp.to_number),
        "parse_dates": copy_source(series.parse_dates), "date_parts": copy_source(pp.date_parts),
        "split_indices": copy_source(pp.split_indices),
        "number_stats": copy_source(stats.number_stats), "scale": copy_source(pp.scale),
        "text_values": copy_source(pp.text_values),
        "text_words": copy_source(text.text_words),
        "fit_vocabulary": copy_source(text.fit_vocabulary, text.top_words),
        "word_numbers": copy_source(text.word_numbers),
        "pixel_scale": copy_source(builder.pixel_scale),
        "safe_name": copy_source(model_raw._safe_name),
        "transforms": copy_source(transforms.fit_transform, transforms.transformer,
                                  transforms.apply_transform),
        "transform_ops": copy_source(model_raw.transform_ops, model_raw.missing_flag_ops),
        "date_layer": _date_layer() if dates else "",
        "series": copy_source(series.time_values, series.series_labels, series.series_order,
                              series.chronological_roles, series.series_ids,
                              series.window_positions, series.make_windows,
                              *((series.relative_to_last,) if relative else ())),
    }


def _date_layer() -> str:
    from kwk.model.date_parts import DateParts
    return copy_source(DateParts)


def script_inputs(spec: dict, data_path: str = "data.csv", fmt: str = "csv",
                  read_options: dict | None = None, data_name: str | None = None,
                  decision_threshold: float = 0.5) -> dict:
    """Every input of ``templates/train_script.py.jinja`` for a *resolved* spec, as a plain
    dict (values from the spec and the file are raw: the template writes them with ``lit``)."""
    from kwk.model.recipe import callback_recipes, optimizer_recipe
    from kwk.prep.preprocess import DATE_PARTS, MAX_CATEGORIES, ROLE_WORDS
    from kwk.prep.series import ISO_DATE
    from kwk.prep.transforms import flag_columns
    d, tr = spec["data"], spec["training"]
    seq, text = d.get("sequence"), d.get("text")
    # Series forecasting the change; the target's past inputs relative to the last value
    # when they are the first input (as kwk.prep.preprocess.Preprocessor.relative_target_input).
    change = bool(seq) and seq.get("predict", "value") == "change"
    relative = change and d["features"][:1] == [d["target"]]
    dates = not seq and any(d["kinds"].get(c) == "datetime" for c in d["features"])
    mixed = d.get("inputs")
    return {
        "decision_threshold": float(decision_threshold),
        "date": _dt.date.today().isoformat(), "task_text": TASK_TEXT[d["task"]],
        "data_name": data_name or data_path, "data_path": str(data_path),
        "read": _read_inputs(fmt, read_options or {}),
        "target": d["target"], "task": d["task"], "features": list(d["features"]),
        "kinds": d["kinds"], "max_categories": MAX_CATEGORIES, "training": tr,
        "loss": loss_name(spec),
        "sequence": seq, "change": change, "relative": relative,
        "split_column": d.get("validation_column") if tr["validation"] == "column" else None,
        "roles": ROLE_WORDS,
        "text": {**text, "column": d["features"][0]} if text and not mixed else None,
        "image": bool(d.get("image_shape")),
        # a mixed-input model: each branch's columns, and the text branch's settings
        "inputs": mixed, "words": text if mixed and "text" in mixed else None,
        "model": model_inputs(spec, "X_train.shape[1]", "N_OUTPUTS"),
        "optimizer": optimizer_recipe(tr), "callbacks": callback_recipes(tr),
        "balanced": tr["class_weight"] == "balanced" and d["task"] != "regression",
        "helpers": _helpers(relative, dates),
        # the raw-input model at the script's end: dates need the DateParts layer
        "dates": dates, "date_parts": DATE_PARTS, "iso_date": ISO_DATE,
        # transforms of skewed columns, informative-missing flags, the log target
        "transforms": dict(d.get("transforms") or {}),
        "missing_flags": flag_columns(d.get("missing_indicators")),
        "target_transform": d.get("target_transform") if d["task"] == "regression" else None,
    }


def generate_script(spec: dict, data_path: str = "data.csv", fmt: str = "csv",
                    read_options: dict | None = None, data_name: str | None = None,
                    decision_threshold: float = 0.5) -> str:
    """The full training script for a *resolved* spec (see ``kwk.spec.resolve``); a binary
    model's script labels its test rows at ``decision_threshold``."""
    return render("train_script.py.jinja",
                  **script_inputs(spec, data_path, fmt, read_options, data_name,
                                  decision_threshold))
