"""Artifacts that leave KwK: the raw-input Keras model, SavedModel, LiteRT and ONNX.

``export_run(RUN, format, out)`` writes one and checks it; :mod:`kwk.model.raw` builds the
raw-input model and turns rows into its inputs (below the code generator, which copies its
operations); :mod:`kwk.model.date_parts` holds the registered ``DateParts`` layer (``import
kwk.export.layers`` registers it); :mod:`kwk.export.support` says what each format can carry (and rewrites
what it can carry only in another form); :mod:`kwk.export.verify` loads each written file in
its own runtime and compares it with the run. Nothing here imports TensorFlow at import time.
"""
from kwk.export.artifacts import FORMATS, SIDECAR, Exported, export_bytes, export_run
from kwk.export.errors import ExportCheckFailed, ExportError, ExportRefused

__all__ = ["FORMATS", "SIDECAR", "Exported", "ExportCheckFailed", "ExportError", "ExportRefused",
           "export_bytes", "export_run"]
