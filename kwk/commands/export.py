"""``python -m kwk export RUN --format FORMAT --out PATH``: a run as a stand-alone artifact.

keras / savedmodel take the raw columns (the fitted preprocessing inside); tflite / onnx take
them too when every input is a number, else the encoded numbers with ``preprocess.json``
beside the file (see :mod:`kwk.export`).

Exit 0 only for a file that loads in its own runtime and gives the run's predictions on a few
rows (:mod:`kwk.export.verify`); otherwise exit 2 with ``error: <reason>``, and nothing is
left at ``--out`` (a network the format cannot carry is refused before converting).
"""
from __future__ import annotations

import sys

FORMATS = ("keras", "savedmodel", "tflite", "onnx")  # kwk.export.FORMATS, without importing it


def add(sub) -> None:
    s = sub.add_parser("export", help="export a trained run as .keras (raw columns in), a "
                       "SavedModel folder, LiteRT (.tflite) or ONNX (.onnx); the file is kept "
                       "only if it loads in its own runtime and gives the run's predictions")
    s.add_argument("run_dir", metavar="RUN", help="the run folder written by 'kwk train'")
    s.add_argument("--format", required=True, choices=FORMATS)
    s.add_argument("--out", required=True, help="the file to write (.keras, .tflite, .onnx), or "
                   "a new folder for a SavedModel")
    s.set_defaults(fn=run)


def run(a) -> int:
    from kwk.export import export_run
    res = export_run(a.run_dir, a.format, a.out,  # each step as it starts: nothing looks frozen
                     phase=lambda text: print(f"{text}…", file=sys.stderr, flush=True))
    print(res.message, file=sys.stderr)
    print(res.check.sentence, file=sys.stderr)
    return 0
