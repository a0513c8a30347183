"""A run folder's training script as a Jupyter notebook: the script the run keeps (rendered
again from its spec and recorded data source, else its ``train_script.py``), cut into cells by
:func:`kwk.codegen.notebook.notebook_from_script`.

    notebook_bytes(run_dir) -> bytes     the .ipynb file (for a download button)
    write_notebook(run_dir, out) -> Path
"""
from __future__ import annotations

import json
from pathlib import Path

from kwk.codegen.notebook import notebook_from_script
from kwk.errors import KwkError


def script_text(run_dir) -> str:
    """The run's training script: rendered from its spec and recorded data source (with its
    decision threshold), else the saved ``train_script.py``."""
    d = Path(run_dir)
    if not d.is_dir():
        raise KwkError(f"{d} is not a run folder.",
                       "Give the folder written by 'python -m kwk train ... --out DIR'.")
    try:
        spec = json.loads((d / "spec.json").read_text()) if (d / "spec.json").exists() else None
        record = json.loads((d / "run.json").read_text()) if (d / "run.json").exists() else {}
    except (OSError, json.JSONDecodeError) as e:
        raise KwkError(f"The run folder {d} is damaged: {e}.", "Train the model again.")
    data = record.get("data") or {}
    if spec is not None and "source" in data and (d / "train_script.py").exists():
        from kwk.runs.bundle import read_threshold
        from kwk.runs.service import DataSource, training_script
        try:
            return training_script(spec, DataSource.from_record(data), read_threshold(d))
        except (KwkError, KeyError, TypeError, ValueError):
            pass  # a run recorded by an older KwK: its own script still reproduces it
    if (d / "train_script.py").exists():
        return (d / "train_script.py").read_text(encoding="utf-8")
    raise KwkError(f"The run in {d} has no training script, so it has no notebook either.",
                   "Runs trained on streamed data (larger than memory) keep no script; train "
                   "on data that fits in memory to get one.")


def notebook_bytes(run_dir, data_path: str | None = None) -> bytes:
    """The run's training script as a notebook (``.ipynb`` bytes, UTF-8)."""
    nb = notebook_from_script(script_text(run_dir), data_path)
    import nbformat
    return nbformat.writes(nb).encode("utf-8")


def write_notebook(run_dir, out, data_path: str | None = None) -> Path:
    data = notebook_bytes(run_dir, data_path)
    out = Path(out)
    try:
        out.write_bytes(data)
    except OSError as e:
        raise KwkError(f"Cannot write {out}: {e.strerror or e}.", "Choose a folder you can "
                       "write to.")
    return out
