"""Artifacts that leave KwK: the raw-input Keras model, SavedModel, LiteRT and ONNX.

``export_run(RUN, format, out)`` writes one; :mod:`kwk.export.raw` builds the raw-input model
and turns rows into its inputs; :mod:`kwk.export.layers` holds the registered ``DateParts``
layer. Nothing here imports TensorFlow at import time.
"""
from kwk.export.artifacts import FORMATS, SIDECAR, Exported, export_bytes, export_run

__all__ = ["FORMATS", "SIDECAR", "Exported", "export_bytes", "export_run"]
