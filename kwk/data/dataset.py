"""Data spread over several files: a folder of Parquet files (a "Parquet dataset", as Spark,
Dask or ``pandas.to_parquet(partition_cols=...)`` write them) or a glob of CSV / Parquet files
(``data/part-*.csv``), used as one table.

:func:`data_files` lists the files of such a path in a stable order (sorted by their path
relative to the folder); :class:`kwk.data.chunks.ChunkReader` streams them, and
:func:`load_many` loads them into memory for the commands that need the whole table
(``profile`` without ``--stream``, ``predict``).
"""
from __future__ import annotations

import glob as _glob
from pathlib import Path

from kwk.errors import DataError

PARQUET = (".parquet", ".pq")
CSV = (".csv", ".tsv", ".txt")
_MAGIC = "*?["


def is_many(path) -> bool:
    """True when ``path`` names several files: a folder, or a glob pattern."""
    s = str(path)
    return Path(s).is_dir() or (any(ch in s for ch in _MAGIC) and not Path(s).exists())


def _fmt(p: Path) -> str | None:
    suffix = p.suffix.lower()
    return "parquet" if suffix in PARQUET else "csv" if suffix in CSV else None


def _hidden(rel: Path) -> bool:  # _SUCCESS, _metadata, .crc files of Spark and Hadoop
    return any(part.startswith((".", "_")) for part in rel.parts)


def data_files(path) -> tuple[list[Path], str]:
    """The files of a data path and their format (``csv`` or ``parquet``): the file itself, the
    Parquet files of a folder (searched recursively, hidden and ``_`` files skipped), or the
    files a glob matches. Raises :class:`DataError` when there are none or formats are mixed."""
    s = str(path)
    p = Path(s)
    if p.is_file():
        fmt = _fmt(p)
        if fmt is None:
            raise DataError(f"Streaming reads CSV or Parquet files, not '{p.suffix or p.name}'.",
                            "Convert the data to Parquet (best for large data) or CSV.")
        return [p], fmt
    if p.is_dir():
        files = sorted((f for f in p.rglob("*") if f.is_file() and _fmt(f) == "parquet"
                        and not _hidden(f.relative_to(p))),
                       key=lambda f: f.relative_to(p).as_posix())
        if not files:
            others = sorted({f.suffix.lower() for f in p.rglob("*") if f.is_file()} - {""})
            raise DataError(f"The folder {p} holds no Parquet files (.parquet or .pq)"
                            + (f"; it holds {', '.join(others[:5])} files." if others else "."),
                            "Give a folder of Parquet files, or a glob such as "
                            f"'{p}/*.csv' for CSV files.")
        return files, "parquet"
    if any(ch in s for ch in _MAGIC):
        files = sorted(Path(f) for f in _glob.glob(s, recursive=True) if Path(f).is_file())
        if not files:
            raise DataError(f"No file matches '{s}'.", "Check the pattern (quote it in the shell "
                            "so that KwK, not the shell, expands it).")
        fmts = {_fmt(f) for f in files}
        if None in fmts:
            bad = next(f for f in files if _fmt(f) is None)
            raise DataError(f"'{s}' matches {bad.name}, which is neither CSV nor Parquet.",
                            "Narrow the pattern, e.g. '*.parquet'.")
        if len(fmts) > 1:
            raise DataError(f"'{s}' matches both CSV and Parquet files.",
                            "Use one format: narrow the pattern to '*.csv' or '*.parquet'.")
        return files, fmts.pop()
    raise DataError(f"{s} is not a file, a folder or a glob pattern.",
                    "Give the path of a CSV or Parquet file, a folder of Parquet files, or a "
                    "pattern such as 'data/part-*.parquet'.")


def describe(path) -> str:
    """A short name for a data path: the file's name, or the folder / pattern with its count."""
    files, _ = data_files(path)
    if len(files) == 1 and Path(str(path)).is_file():
        return files[0].name
    return f"{Path(str(path)).name or str(path)} ({len(files)} files)"


def fingerprint_many(files: list[Path]) -> str:
    """One fingerprint for several files: the hash of their names and fingerprints."""
    import hashlib

    from kwk.data.loader import fingerprint_file
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + fingerprint_file(f).encode() + b"\n")
    return h.hexdigest()[:16]


def load_many(path, min_columns: int = 2):
    """Load every file of a folder or glob into one table (in memory), each file read as the
    loader reads it; the columns must be the same in every file. Returns a
    :class:`kwk.data.loader.LoadedData`."""
    import pandas as pd

    from kwk.data.loader import LoadedData, load
    files, fmt = data_files(path)
    parts, notes, first = [], [], None
    for f in files:
        ld = load(f, min_columns=min_columns)
        if parts and list(ld.df.columns) != list(parts[0].columns):
            raise DataError(f"{f.name} has other columns than {files[0].name}.",
                            "Every file of a data folder needs the same columns.")
        parts.append(ld.df)
        notes.extend(n for n in ld.notes if n not in notes)
        first = first or ld
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return LoadedData(df=df, name=describe(path), fmt=fmt, read_options=first.read_options,
                      fingerprint=fingerprint_many(files),
                      n_bytes=sum(f.stat().st_size for f in files), notes=notes)
