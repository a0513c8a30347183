"""Files larger than memory, read in chunks: :class:`ChunkReader` reads a CSV or Parquet file
``chunk_rows`` rows at a time (the same chunks on every pass, each read as the loader read the
first rows), and :func:`profile_streamed` profiles such a file in one chunked pass.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from kwk.data.loader import after_read, reader_options
from kwk.errors import DataError

DEFAULT_CHUNK_ROWS = 100_000
PROFILE_SAMPLE = 100_000  # rows sampled for a streamed profile's kinds, quantiles, histograms


class ChunkReader:
    """A CSV or Parquet file read ``chunk_rows`` rows at a time (same chunks on every pass)."""

    def __init__(self, path, chunk_rows: int = DEFAULT_CHUNK_ROWS):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path} is not a file.", "Give the path of a CSV or Parquet file.")
        if chunk_rows < 100:
            raise DataError(f"--chunk-rows is {chunk_rows}; use at least 100 rows per chunk.")
        self.chunk_rows = int(chunk_rows)
        suffix = self.path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            self.fmt, self.read_options = "parquet", {}
        elif suffix in (".csv", ".tsv", ".txt"):
            self.fmt, self.read_options = "csv", self._sniff_csv()
        else:
            raise DataError(f"Streaming reads CSV or Parquet files, not '{suffix or self.path.name}'.",
                            "Convert the data to Parquet (best for large data) or CSV.")
        self.name = self.path.name
        self.n_bytes = self.path.stat().st_size

    def _sniff_csv(self) -> dict:
        """Delimiter, encoding and decimal mark from the first rows, as the loader reads them."""
        from kwk.data.loader import load
        with open(self.path, "rb") as f:
            head = f.read(1 << 20)
        cut = head.rfind(b"\n")
        if cut > 0 and len(head) == 1 << 20:
            head = head[:cut + 1]
        return dict(load(head, name=self.path.name).read_options)

    def chunks(self):
        """Yield the file's rows as DataFrames of at most ``chunk_rows`` rows."""
        try:
            if self.fmt == "parquet":
                import pyarrow.parquet as pq
                pf = pq.ParquetFile(self.path)
                for batch in pf.iter_batches(batch_size=self.chunk_rows):
                    chunk = self._clean(batch.to_pandas())
                    del batch  # the Arrow buffers go before the chunk is used
                    yield chunk
                    del chunk
            else:
                with pd.read_csv(self.path, chunksize=self.chunk_rows,
                                 **reader_options(self.read_options)) as it:
                    for chunk in it:  # the same reading as the first 1 MB decided
                        yield after_read(self._clean(chunk), self.read_options)
                        del chunk
        except (OSError, ValueError, pd.errors.ParserError) as e:
            if isinstance(e, DataError):
                raise
            raise DataError(f"Reading {self.name} in chunks failed: {str(e)[:200]}",
                            "Check that the file is a well-formed CSV or Parquet file.")

    @staticmethod
    def _clean(df: pd.DataFrame) -> pd.DataFrame:
        df.columns = [str(c).strip() for c in df.columns]
        return df

    def first_chunk(self) -> pd.DataFrame:
        for chunk in self.chunks():
            if len(chunk):
                return chunk
        raise DataError(f"'{self.name}' has a header but no data rows.")

    def fingerprint(self) -> str:
        from kwk.data.loader import fingerprint_file
        return fingerprint_file(self.path)


class _ExactCounts:
    """Exact per-column counts over every chunk: rows, missing values, label counts (until
    there are too many labels to count) and number moments ``[n, sum, sum of squares, min,
    max]`` of the finite values."""
    MAX_LABELS = 100_000

    def __init__(self):
        self.rows = 0
        self.missing: Counter = Counter()
        self.numbers: dict[str, list] = {}
        self.labels: dict[str, Counter] = {}

    def add(self, chunk: pd.DataFrame) -> None:
        self.rows += len(chunk)
        for c in chunk.columns:
            s = chunk[c]
            self.missing[c] += int(s.isna().sum())
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                v = s.to_numpy(dtype=float, na_value=np.nan)
                v = v[np.isfinite(v)]
                acc = self.numbers.setdefault(c, [0, 0.0, 0.0, np.inf, -np.inf])
                acc[0] += len(v)
                acc[1] += float(v.sum())
                acc[2] += float((v * v).sum())
                if len(v):
                    acc[3], acc[4] = min(acc[3], float(v.min())), max(acc[4], float(v.max()))
            elif len(self.labels.get(c, ())) <= self.MAX_LABELS:  # exact unless unbounded
                self.labels.setdefault(c, Counter()).update(s.dropna().astype(str).tolist())

    def correct(self, info: dict) -> None:
        """Replace a sampled column profile's counts and moments with the exact ones."""
        c = info["name"]
        info["missing"] = int(self.missing[c])
        info["missing_pct"] = round(100.0 * self.missing[c] / max(self.rows, 1), 2)
        if c in self.labels and len(self.labels[c]) <= self.MAX_LABELS:
            info["unique"], info["unique_estimated"] = len(self.labels[c]), False
            info["top"] = [{"value": v, "count": int(n)} for v, n in self.labels[c].most_common(10)]
        if c in self.numbers and info.get("stats") and self.numbers[c][0]:
            n, total, squares, lo, hi = self.numbers[c]
            mean = total / n
            info["stats"].update(mean=mean, min=lo, max=hi,
                                 std=math.sqrt(max((squares - n * mean * mean) / max(n - 1, 1), 0.0)))


def profile_streamed(reader: ChunkReader, target: str | None = None) -> dict:
    """Profile a file too large for memory: exact row, missing and distinct-label counts and
    exact numeric mean, spread, minimum and maximum from one chunked pass; kinds, quantiles,
    histograms and correlations from a random sample of rows (and the profile says so)."""
    from kwk.data import profile
    from kwk.prep.sampling import Reservoir
    counts, rows = _ExactCounts(), Reservoir(PROFILE_SAMPLE, seed=0)
    for chunk in reader.chunks():
        counts.add(chunk)
        rows.add(chunk)
    sample = rows.sample
    if sample is None:
        raise DataError(f"'{reader.name}' has a header but no data rows.")
    out = profile(sample, target=target, name=reader.name)
    out["rows"] = counts.rows
    for info in out["columns_info"]:
        counts.correct(info)
    out["streamed"] = {
        "chunk_rows": reader.chunk_rows, "sample_rows": int(len(sample)),
        "note": f"Read in chunks of {reader.chunk_rows:,} rows. Row, missing and label counts, "
                f"means, spreads, minima and maxima are exact over all {counts.rows:,} rows; "
                f"kinds, quartiles, histograms, correlations and duplicate rows come from a "
                f"random sample of {len(sample):,} rows."}
    return out
