"""Write a run as a stand-alone artifact: ``.keras``, SavedModel, LiteRT (``.tflite``), ONNX.

:func:`export_run` is what ``python -m kwk export`` and the Predict & export page call. The
Keras and SavedModel artifacts take the raw columns (:mod:`kwk.model.raw`). LiteRT and ONNX
carry the same raw-input model when every input is a number (numbers, pictures); their
converters cannot carry the string lookups, date parsing and text vectorisation, so a model
with category, date or text inputs is exported as its numeric core, with ``preprocess.json``
beside it: the fitted preprocessing as data and how to apply it (see :func:`sidecar`).

Nothing is handed over unchecked: a network a format cannot carry is refused before converting
(:mod:`kwk.export.support`), and every written file is loaded in its own runtime and scores a
few rows as the run does (:mod:`kwk.export.verify`), or it is deleted and the export fails
with the reason.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from kwk.errors import KwkError
from kwk.export.errors import ExportCheckFailed, ExportError

FORMATS = ("keras", "savedmodel", "tflite", "onnx")
SUFFIX = {"keras": ".keras", "savedmodel": "", "tflite": ".tflite", "onnx": ".onnx"}
# Packages a format needs beyond TensorFlow, to convert and to check the file (LiteRT's
# converter is part of TensorFlow, and so is a copy of its interpreter, used when
# ai-edge-litert is not installed).
NEEDS = {"onnx": (("tf2onnx", "onnx", "onnxruntime"),
                  "pip install 'tf2onnx>=1.16.1' 'onnx>=1.16' 'onnxruntime>=1.20'")}
SIDECAR = "preprocess.json"

HOW_TO_ENCODE = {
    "numeric": "to a number (text such as '?' and ±inf count as missing); missing -> fill; "
               "then (x - mean) / std",
    "datetime": "three inputs: days since 1970-01-01 (UTC, time of day as a fraction), month "
                "(1-12), day of the week (Monday = 0); each missing -> parts[p].fill, then "
                "(x - mean) / std",
    "categorical": "one 0/1 input per label in 'categories', in order (labels as text: 1.0 is "
                   "'1'); missing or other labels give all zeros",
    "boolean": "as categorical",
}


@dataclass
class Exported:
    """What :func:`export_run` wrote: the artifact's ``path``, every file or folder written
    (``files``), a one-paragraph ``message`` for the user (what the file takes and gives) and
    the ``check`` it passed (:class:`kwk.export.verify.Check`; ``check.sentence`` says it)."""
    path: Path
    files: list = field(default_factory=list)
    message: str = ""
    preprocessing_inside: bool = True
    check: object = None  # kwk.export.verify.Check: the file loaded and matched the run


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise KwkError(f"Unknown export format '{fmt}'.", f"Use one of: {', '.join(FORMATS)}.")
    if fmt in NEEDS:
        import importlib.util
        mods, pip = NEEDS[fmt]
        missing = [m for m in mods if importlib.util.find_spec(m) is None]
        if missing:
            raise KwkError(f"Exporting to {fmt} needs the package(s) {', '.join(missing)}, "
                           "which are not installed on this machine.",
                           f"Install them with: {pip}")


def _numeric_only(meta: dict) -> bool:
    return all(i["dtype"] == "float32" for i in meta["inputs"])


def sidecar(bundle, inside: bool) -> dict:
    """``preprocess.json`` for LiteRT and ONNX: the metadata of the exported model plus, when
    the preprocessing is not inside it, the fitted preprocessing and the recipe to apply it
    (the encoded matrix's column order in ``encoded_inputs``; a text model's vocabulary)."""
    from kwk.model.raw import metadata, outputs_spec, text_vectorizer
    meta = metadata(bundle.pre, bundle.spec, inside=inside)
    if inside:
        return meta
    pre = bundle.pre
    out = {**meta, "outputs": outputs_spec(pre),
           "model_input": "token_ids" if pre.text else "encoded"}
    if pre.text:
        cfg = text_vectorizer(bundle).get_config()
        out["text"] = {
            "column": pre.features[0],
            "standardize": cfg["standardize"], "split": cfg["split"],
            "sequence_length": cfg["output_sequence_length"],
            "vocabulary": [str(v) for v in text_vectorizer(bundle).get_vocabulary()],
            "how": "lower-case, strip punctuation, split on whitespace; each word -> its "
                   "position in 'vocabulary' (1 for unknown words, 0 pads); cut or pad with 0 "
                   "to sequence_length; int64",
        }
    else:
        out["encoded_inputs"] = pre.input_names
        out["columns"] = pre.state["columns"]
        out["how"] = {k: v for k, v in HOW_TO_ENCODE.items()
                      if any(c["kind"] == k for c in pre.state["columns"])}
    return out


def _write_keras(model, meta: dict, path: Path) -> None:
    """Save a ``.keras`` file with the export metadata added to its ``metadata.json``."""
    from kwk.runs.bundle import save_model
    fd, tmp = tempfile.mkstemp(suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        save_model(model, Path(tmp))
        with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "metadata.json":
                    data = json.dumps({**json.loads(data), "kwk": meta}, indent=2).encode()
                dst.writestr(info, data)
    finally:
        os.unlink(tmp)


def _write_savedmodel(model, meta: dict, path: Path) -> None:
    """A TF SavedModel whose ``serving_default`` signature takes the inputs by name and gives
    the named outputs (plus ``classes``, the class names per row, for classification)."""
    import keras
    import tensorflow as tf
    classes = meta["classes"]
    sig = {i["name"]: tf.TensorSpec([None, *i["shape"]], tf.float32 if i["dtype"] == "float32"
                                    else tf.string, name=i["name"]) for i in meta["inputs"]}

    def serve(inputs):
        out = dict(model(inputs, training=False))
        if classes:
            p = out["probabilities"]
            out["classes"] = tf.tile(tf.constant([classes]), [tf.shape(p)[0], 1])
        return out

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serving_default", fn=serve, input_signature=[sig])
    archive.write_out(str(path), verbose=False)
    extra = path / "assets.extra"
    extra.mkdir(exist_ok=True)
    (extra / "kwk_export.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))


def _prepare_out(fmt: str, out) -> Path:
    out = Path(out)
    if fmt == "savedmodel":
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise KwkError(f"{out} already exists and is not an empty folder.",
                           "A SavedModel is a folder: give a new folder's path.")
    elif out.suffix.lower() != SUFFIX[fmt]:
        raise KwkError(f"A {fmt} export is a '{SUFFIX[fmt]}' file; {out.name} is not.",
                       f"Give a path ending in {SUFFIX[fmt]}, e.g. model{SUFFIX[fmt]}.")
    elif out.is_dir():
        raise KwkError(f"{out} is a folder.", f"Give a file path ending in {SUFFIX[fmt]}.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise KwkError(f"Cannot create the folder {out.parent}: {e.strerror or e}.")
    return out


def export_run(run_dir, fmt: str, out, phase=None, rows=None) -> Exported:
    """Export the run in ``run_dir`` (a bundle folder) as ``fmt`` (one of :data:`FORMATS`) to
    ``out``: a ``.keras``/``.tflite``/``.onnx`` file, or a new folder for a SavedModel; then
    load the file in its own runtime and compare its predictions with the run's on ``rows``
    (default: rows made from the run's preprocessing, see :mod:`kwk.export.verify`).
    ``phase``, when given, receives each step as it starts (loading, building, converting or
    writing, checking). Raises KwkError for unknown formats, missing converter packages,
    time-series runs and unwritable paths; :class:`kwk.export.errors.ExportRefused` for a
    network the format cannot carry (before converting) and
    :class:`kwk.export.errors.ExportCheckFailed` for a file that does not load or does not
    match (the file is deleted)."""
    phase = phase or (lambda text: None)
    _check_format(fmt)
    out = _prepare_out(fmt, out)
    phase("Loading the run (TensorFlow starts)")
    from kwk.runs.bundle import load_bundle
    bundle = load_bundle(run_dir)
    from kwk.model.raw import core_model, metadata, raw_model, refuse_unsupported
    from kwk.export.support import litert_friendly, onnx_friendly, refuse_up_front
    refuse_unsupported(bundle.pre)
    refuse_up_front(bundle.spec, fmt)
    meta = metadata(bundle.pre, bundle.spec)
    inside = fmt in ("keras", "savedmodel") or _numeric_only(meta)
    existed = out.exists()
    files = [out]
    try:
        phase("Building the model with its preprocessing inside" if inside else
              "Building the model (encoded numbers in)")
        model = raw_model(bundle, onnx=fmt == "onnx") if inside else core_model(bundle)
        if fmt == "keras":
            phase(f"Writing {out.name}")
            _write_keras(model, meta, out)
        elif fmt == "savedmodel":
            phase(f"Writing the SavedModel folder {out.name}")
            _write_savedmodel(model, meta, out)
        else:
            # formulations the converter carries, same numbers (see kwk.export.support)
            (onnx_friendly if fmt == "onnx" else litert_friendly)(model)
            phase(f"Converting to {'LiteRT' if fmt == 'tflite' else 'ONNX'} ({out.name})")
            _convert(model, fmt, out)
            side = out.parent / SIDECAR
            side.write_text(json.dumps(sidecar(bundle, inside), indent=2, ensure_ascii=False))
            files.append(side)
        from kwk.export.verify import RUNTIME, verify
        phase(f"Checking {out.name} in {RUNTIME[fmt]}")
        check = verify(bundle, fmt, out, inside, rows)
    except ExportError:
        _remove(files, keep_folder=existed)
        raise
    except OSError as e:
        _remove(files, keep_folder=existed)
        raise KwkError(f"Writing {out} failed: {e.strerror or e}.",
                       "Choose a folder you can write to, with free disk space.")
    except KwkError:
        _remove(files, keep_folder=existed)
        raise
    except Exception as e:  # the converters are other projects' code: any failure is theirs
        _remove(files, keep_folder=existed)
        import logging
        logging.getLogger("kwk").exception("export to %s failed", fmt)
        raise KwkError(f"The {fmt} export of this model failed: {type(e).__name__}: "
                       f"{str(e)[:300]}",
                       ("The .keras and SavedModel exports and the run folder still work; "
                        if fmt in ("tflite", "onnx") else "The run folder (model and "
                        "preprocessing) still works; ") + "please report this model's layers "
                       "with the error.")
    return Exported(path=out, files=files, message=_message(fmt, out, meta, inside),
                    preprocessing_inside=inside, check=check)


def _remove(files, keep_folder: bool) -> None:
    """Delete what a failed export wrote (a SavedModel folder's contents; the folder itself
    too unless it was there, empty, before)."""
    for f in files:
        f = Path(f)
        if f.is_dir():
            shutil.rmtree(f, ignore_errors=True)
            if keep_folder:
                f.mkdir(exist_ok=True)
        else:
            f.unlink(missing_ok=True)


def _call_once(model) -> None:
    """Run the model on one row of zeros (empty strings): Keras's ONNX export needs a model
    that was called. The exported models take a dict of named inputs."""
    import tensorflow as tf
    model({name: tf.fill([1, *t.shape[1:]], "") if t.dtype == "string"
           else tf.zeros([1, *t.shape[1:]], t.dtype) for name, t in model.input.items()})


def _convert(model, fmt: str, out: Path) -> None:
    import contextlib
    _call_once(model)
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):  # the converters print their progress
        if fmt == "tflite":
            model.export(str(out), format="litert", verbose=False)
        else:
            model.export(str(out), format="onnx", verbose=False)
            _check_onnx_inputs(out, list(model.input))


def _check_onnx_inputs(path: Path, expected: list[str]) -> None:
    """The converter must leave exactly the model's inputs to feed (a statistic it failed to
    capture shows up as one more input): refuse a file that would fail when used."""
    import onnx
    graph = onnx.load(str(path), load_external_data=False).graph
    constants = {t.name for t in graph.initializer}
    names = [i.name for i in graph.input if i.name not in constants]
    if sorted(names) != sorted(expected):
        path.unlink(missing_ok=True)
        raise ExportCheckFailed(f"The ONNX converter produced a model with unexpected inputs "
                       f"({', '.join(names[:6])}) instead of {', '.join(expected[:6])}.",
                       "Use the .keras or SavedModel export; please report the run's layers.")


def _message(fmt: str, out: Path, meta: dict, inside: bool) -> str:
    names = ", ".join(i["name"] for i in meta["inputs"][:8])
    more = f" and {len(meta['inputs']) - 8} more" if len(meta["inputs"]) > 8 else ""
    what = ("class probabilities (" + ", ".join(map(str, meta["classes"])) + ")"
            if meta["classes"] else f"'{meta['target']}' in its own units")
    if inside:
        msg = (f"Wrote {out}: raw columns in ({names}{more}), {what} out; the preprocessing "
               "fitted in training is inside the model.")
        if fmt == "keras" and any(i["kind"] == "datetime" for i in meta["inputs"]):
            msg += " Its date inputs use KwK's DateParts layer: 'import kwk.export.layers' " \
                   "before keras.saving.load_model."
        if fmt in ("tflite", "onnx"):
            msg += f" {SIDECAR} beside it lists the inputs and outputs."
        return msg
    return (f"Wrote {out} and {out.parent / SIDECAR}: the {fmt} converter cannot carry the "
            "string preprocessing (category lookups, dates, text), so the model takes the "
            "encoded numbers (token ids for a text model) and gives " + what + ". "
            f"{SIDECAR} holds the fitted preprocessing and how to apply it; the .keras and "
            "SavedModel exports take the raw columns.")


def export_bytes(run_dir, fmt: str) -> tuple[str, bytes, str]:
    """An export as one download, built and checked: ``(file name, bytes, message)``, the
    message being the check's sentence, an empty line, then what the file takes and gives.
    A SavedModel folder, and a LiteRT/ONNX file with its ``preprocess.json``, come as a zip.
    Raises as :func:`export_run` does: nothing unchecked is returned."""
    with tempfile.TemporaryDirectory() as tmp:
        name = "model" + (SUFFIX[fmt] or "_savedmodel")
        res = export_run(run_dir, fmt, Path(tmp) / name)
        # the temporary folder means nothing to whoever downloads the file
        message = f"{res.check.sentence}\n\n{res.message}".replace(f"{Path(tmp)}{os.sep}", "")
        if fmt == "keras":
            return name, res.path.read_bytes(), message
        return name + ".zip", zip_paths([Path(f) for f in res.files], Path(tmp)), message


def zip_paths(paths, root: Path) -> bytes:
    """Files and folders (recursively) as zip bytes, named relative to ``root``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in paths:
            items = sorted(p.rglob("*")) if p.is_dir() else [p]
            for f in items:
                if f.is_file():
                    z.write(f, f.relative_to(root).as_posix())
    return buf.getvalue()
