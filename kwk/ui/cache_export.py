"""Memory-saving mode (``KWK_LOW_MEMORY=1``): the Predict page's model downloads are built in a
child process, and one job runs at a time (kwk_app.py sets ``KWK_MAX_JOBS=1`` unless it is set).

A model export loads converters and runtimes the app needs for nothing else (the LiteRT
converter and interpreter, tf2onnx, onnxruntime): about 90-110 MB that stay in the app's
process once imported (``bench/bench_memory_walk.py``, a 10,000-row walk: app peak 1,042 MB in
process, 955 MB in this mode). In this mode each download is built by ``python -c`` in a child
process, which returns the file, its name and its check's sentence and exits with all of it.

It moves memory rather than removing it: while a download is built, the child holds its own
TensorFlow (about 300 MB of its own memory; the libraries' files are shared), so the app and its
child together peaked at 1,253 MB in that walk against 1,042 MB in process. A container whose
limit counts every process (Streamlit Community Cloud) is better off without it; it is for a
long-lived server that must keep the app process small between exports. Off unless set.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from kwk.errors import KwkError

ROOT = Path(__file__).resolve().parents[2]


def low_memory() -> bool:
    """Whether ``KWK_LOW_MEMORY`` turns the memory-saving mode on (1, true, yes, on)."""
    return os.environ.get("KWK_LOW_MEMORY", "").strip().lower() in ("1", "true", "yes", "on")


_CHILD = """
import json, sys
from kwk.errors import KwkError
run_dir, fmt, out = sys.argv[1:4]
try:
    from kwk.export import export_bytes
    name, data, message = export_bytes(run_dir, fmt)
except KwkError as e:
    print(json.dumps({"error": type(e).__name__, "message": e.message, "hint": e.hint}))
else:
    with open(out, "wb") as f:
        f.write(data)
    print(json.dumps({"name": name, "message": message}))
"""


def export_in_child(run_dir, fmt: str) -> tuple[str, bytes, str]:
    """:func:`kwk.export.export_bytes` run in a child process: the same ``(file name, bytes,
    message)``, or the same error class (message and hint) when the export is refused or
    fails its check. Memory the export takes goes back when the child exits."""
    from kwk.export import errors as export_errors
    with tempfile.TemporaryDirectory(prefix="kwk_export_") as tmp:
        out = Path(tmp) / "download"
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get(
                   "PYTHONPATH", "")) if p)}
        p = subprocess.run([sys.executable, "-c", _CHILD, str(run_dir), fmt, str(out)],
                           capture_output=True, text=True, env=env, cwd=str(ROOT))
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if p.returncode != 0 or not lines:
            last = (p.stderr.strip().splitlines() or ["no output"])[-1]
            raise KwkError(f"Building the {fmt} download failed ({last}).",
                           "Try again; if it keeps failing, download the run folder and "
                           "export with `python -m kwk export`.")
        said = json.loads(lines[-1])
        if "error" in said:  # the same class where it is a plain (message, hint) one
            from kwk import errors
            cls = getattr(export_errors, said["error"], None) or getattr(errors, said["error"],
                                                                         None)
            try:
                err = cls(said["message"], said.get("hint"))
            except Exception:  # not a KwkError of that shape
                err = None
            raise err if isinstance(err, KwkError) else KwkError(said["message"], said.get("hint"))
        return said["name"], out.read_bytes(), said["message"]


def export_bytes(run_dir, fmt: str) -> tuple[str, bytes, str]:
    """A model download as :func:`kwk.export.export_bytes` builds it: in this process, or in
    a child process in memory-saving mode (:func:`low_memory`)."""
    if low_memory():
        return export_in_child(run_dir, fmt)
    from kwk.export import export_bytes as build
    return build(run_dir, fmt)
