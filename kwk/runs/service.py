"""The run service: train -> script -> save, one sequence for the CLI and the Train page.

A finished :class:`kwk.training.core.TrainResult` becomes a run: the training script is generated
for the data it was trained on, and the bundle is written either into the workspace's store
(the app: indexed, owned by the signed-in user) or into a folder (the CLI's ``--out``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DataSource:
    """Where the training data came from, as the run records and the script read it."""
    name: str                      # the file's name (or "query")
    fmt: str                       # csv, parquet, excel, sql, images, ...
    fingerprint: str               # the data's content hash
    path: str = ""                 # what the script reads: a path, or the URL without credentials
    read_options: dict = field(default_factory=dict)

    @classmethod
    def of(cls, loaded, path: str | None = None) -> "DataSource":
        """From a :class:`kwk.data.LoadedData`; ``path`` is the file as the user named it (the
        CLI), else its name. A SQL source is read again from its URL (never with credentials:
        the loader keeps them out of ``read_options``)."""
        where = loaded.read_options.get("url", "") if loaded.fmt == "sql" else (path or loaded.name)
        return cls(name=loaded.name, fmt=loaded.fmt, fingerprint=loaded.fingerprint,
                   path=str(where), read_options=dict(loaded.read_options))


    @classmethod
    def from_record(cls, data: dict) -> "DataSource":
        """Back from ``run.json``'s ``data`` section (name, fingerprint and ``source``)."""
        src = data["source"]
        return cls(name=data["name"], fingerprint=data["fingerprint"], fmt=src["fmt"],
                   path=src["path"], read_options=dict(src.get("read_options") or {}))

    def record(self) -> dict:
        """How the run's script reads the data again (kept in ``run.json``)."""
        return {"fmt": self.fmt, "path": self.path, "read_options": self.read_options}


def training_script(spec: dict, source: DataSource, decision_threshold: float = 0.5) -> str:
    """The standalone Keras script that reproduces a run trained on ``source``."""
    from kwk.codegen import generate_script
    return generate_script(spec, data_path=source.path, fmt=source.fmt,
                           read_options=source.read_options, data_name=source.name,
                           decision_threshold=decision_threshold)


def save_run(result, source: DataSource, *, store=None, out_dir=None, owner: str = "",
             script: bool = True):
    """Write a trained result as a run with its script. With ``store`` (a
    :class:`kwk.runs.store.Store`) the run is indexed and its id returned; with ``out_dir`` the
    bundle is written there and its path returned. ``script=False`` (streamed data, which the
    script could not hold in memory) writes no script and says so in the run's notes."""
    if (store is None) == (out_dir is None):
        raise ValueError("give exactly one of store and out_dir")
    text = training_script(result.prepared.spec, source) if script else None
    if not script:
        result.prepared.notes.append("No training script was written: the generated script "
                                     "reads the whole file into memory, which this data does "
                                     "not fit.")
    if store is not None:
        return store.save(result, source.name, source.fingerprint, text, owner=owner,
                          source=source.record())
    from kwk.runs.bundle import save_bundle
    return save_bundle(result, Path(out_dir), source.name, source.fingerprint, text,
                       source.record())


def set_threshold(run_dir, threshold: float) -> None:
    """Make ``threshold`` the run's decision threshold: Predict, ``kwk predict``, the report and
    the run's script label its second class from this probability on. Only binary runs have one.
    The script is written again with it when the run recorded how it read its data."""
    from kwk.errors import KwkError
    from kwk.runs.bundle import write_threshold
    d = Path(run_dir)
    saved = write_threshold(d, threshold)
    data = saved["run"].get("data", {})
    if "source" not in data or not (d / "train_script.py").exists():
        return
    try:
        (d / "train_script.py").write_text(
            training_script(saved["spec"], DataSource.from_record(data), float(threshold)))
    except OSError as e:
        raise KwkError(f"The run's script could not be written again: {e.strerror or e}.",
                       "Check the workspace folder's free space and permissions.")


def run_in_background(prepared, source: DataSource, *, store, owner: str = "", gate=None,
                      label: str = ""):
    """Start a background :class:`kwk.training.job.Job` whose run is saved into ``store`` by the
    training thread when it ends (so leaving the page does not lose it)."""
    from kwk.training import Job

    def on_finish(result):
        return save_run(result, source, store=store, owner=owner)
    return Job(prepared, label=label or source.name, on_finish=on_finish, gate=gate).start()
