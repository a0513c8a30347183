"""Files larger than memory, read in chunks: :class:`ChunkReader` reads a CSV or Parquet file
(or a folder / glob of them, see :mod:`kwk.data.dataset`) ``chunk_rows`` rows at a time (the
same chunks on every pass, each read as the loader read the first rows), and
:func:`profile_streamed` profiles such data in one chunked pass.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from kwk.data.dataset import is_many
from kwk.data.loader import after_read, reader_options
from kwk.errors import DataError

DEFAULT_CHUNK_ROWS = 100_000
PROFILE_SAMPLE = 100_000  # rows sampled for a streamed profile's kinds, quantiles, histograms


class ChunkReader:
    """A CSV or Parquet file, a folder of Parquet files or a glob of CSV / Parquet files, read
    ``chunk_rows`` rows at a time (the same chunks on every pass).

    Chunks never straddle two files: chunk ``c`` of file ``f`` holds that file's rows
    ``c * chunk_rows`` up to ``(c + 1) * chunk_rows``, whichever part (:meth:`shard`) of the
    data reads it, so everything keyed on ``(file, chunk)`` (the train / validation / test
    draw) is the same for one worker or many.
    """

    def __init__(self, path, chunk_rows: int = DEFAULT_CHUNK_ROWS):
        from kwk.data.dataset import data_files, describe
        self.path = Path(str(path))
        if not is_many(path) and not self.path.is_file():
            raise DataError(f"{self.path} is not a file.", "Give the path of a CSV or Parquet "
                            "file, a folder of Parquet files, or a glob such as 'data/*.csv'.")
        self.files, self.fmt = data_files(path)
        if chunk_rows < 100:
            raise DataError(f"--chunk-rows is {chunk_rows}; use at least 100 rows per chunk.")
        self.chunk_rows = int(chunk_rows)
        self.read_options = self._sniff_csv() if self.fmt == "csv" else {}
        self.name = describe(path)
        self.n_bytes = sum(f.stat().st_size for f in self.files)
        # rows per file: Parquet footers say it; CSV files are counted by a pass (the plan's)
        self.file_rows: list[int | None] = [self._parquet_rows(f) if self.fmt == "parquet"
                                            else None for f in self.files]
        # what this reader reads: (file number, first chunk, end chunk or None, stride, phase)
        self.units: list[tuple] = [(i, 0, None, 1, 0) for i in range(len(self.files))]
        self.whole = self  # the unsharded reader
        self.part = (0, 1)  # (index, parts)

    @staticmethod
    def _parquet_rows(f: Path) -> int:
        import pyarrow.parquet as pq
        try:
            return int(pq.ParquetFile(f).metadata.num_rows)
        except Exception as e:  # pyarrow raises its own ArrowInvalid (a ValueError) or OSError
            raise DataError(f"{f.name} is not a readable Parquet file: {str(e)[:160]}",
                            "Check the file, or remove it from the folder.")

    def _sniff_csv(self) -> dict:
        """Delimiter, encoding and decimal mark from the first rows, as the loader reads them."""
        from kwk.data.loader import load
        with open(self.files[0], "rb") as f:
            head = f.read(1 << 20)
        cut = head.rfind(b"\n")
        if cut > 0 and len(head) == 1 << 20:
            head = head[:cut + 1]
        return dict(load(head, name=self.files[0].name).read_options)

    # ------------------------------------------------------------------ sharing out the data
    def shard(self, index: int, parts: int) -> "ChunkReader":
        """This worker's share of the data, out of ``parts``: whole files when there are at
        least as many files as parts (balanced by rows, or bytes for CSV); otherwise
        contiguous runs of Parquet chunks (row ranges), or, for CSV, every ``parts``-th chunk
        (each worker then parses the whole file but keeps only its chunks)."""
        import copy
        if parts <= 1:
            return self
        out = copy.copy(self)
        out.whole, out.part = self, (index, parts)
        if len(self.files) >= parts:
            weight = [r if r is not None else f.stat().st_size
                      for r, f in zip(self.file_rows, self.files)]
            load, owner = [0] * parts, {}
            for i in sorted(range(len(self.files)), key=lambda i: (-weight[i], i)):
                w = min(range(parts), key=lambda w: (load[w], w))  # the least loaded so far
                owner[i], load[w] = w, load[w] + weight[i]
            out.units = [(i, 0, None, 1, 0) for i in range(len(self.files)) if owner[i] == index]
        elif self.fmt == "parquet":
            chunks = [(i, c) for i, r in enumerate(self.file_rows)
                      for c in range(math.ceil(r / self.chunk_rows))]
            if len(chunks) < parts:
                raise DataError(f"{self.name} has {len(chunks)} chunk(s) of {self.chunk_rows:,} "
                                f"rows: too few for {parts} workers.",
                                "Use smaller --chunk-rows, or fewer workers.")
            mine = np.array_split(np.arange(len(chunks)), parts)[index]
            units: dict[int, list] = {}
            for k in mine:
                f, c = chunks[k]
                units.setdefault(f, [c, c])[1] = c
            out.units = [(f, lo, hi + 1, 1, 0) for f, (lo, hi) in units.items()]
        else:
            out.units = [(i, 0, None, parts, index) for i in range(len(self.files))]
        return out

    def file_starts(self) -> list[int] | None:
        """The global row number of each file's first row (None while a CSV is uncounted)."""
        if any(r is None for r in self.file_rows):
            return None
        return [0, *np.cumsum(self.file_rows[:-1]).tolist()]

    # ------------------------------------------------------------------ reading
    def keyed_chunks(self):
        """Yield ``(file number, chunk number, DataFrame)`` for this reader's chunks."""
        try:
            for f, lo, hi, stride, phase in self.units:
                if self.fmt == "parquet":
                    yield from ((f, c, d) for c, d in self._parquet(self.files[f], lo, hi))
                    continue
                with pd.read_csv(self.files[f], chunksize=self.chunk_rows,
                                 **reader_options(self.read_options)) as it:
                    for c, chunk in enumerate(it):  # the same reading as the first 1 MB decided
                        if hi is not None and c >= hi:
                            break
                        if c >= lo and (c - lo) % stride == phase:
                            yield f, c, after_read(self._clean(chunk), self.read_options)
                        del chunk
        except (OSError, ValueError, pd.errors.ParserError) as e:
            if isinstance(e, DataError):
                raise
            raise DataError(f"Reading {self.name} in chunks failed: {str(e)[:200]}",
                            "Check that the file is a well-formed CSV or Parquet file.")

    def chunks(self):
        """Yield this reader's rows as DataFrames of at most ``chunk_rows`` rows."""
        for _, _, chunk in self.keyed_chunks():
            yield chunk

    def _parquet(self, path: Path, lo: int, hi: int | None):
        """``(chunk number, DataFrame)`` of chunks ``lo`` up to ``hi`` of one Parquet file,
        each exactly its rows (Arrow batches are re-cut at chunk boundaries)."""
        import pyarrow as pa
        import pyarrow.parquet as pq
        pf = pq.ParquetFile(path)
        n, cr = pf.metadata.num_rows, self.chunk_rows
        a, b = lo * cr, n if hi is None else min(n, hi * cr)
        if a >= b:
            return
        if lo == 0:  # from the start, Arrow's batches are the chunks
            groups, pos = list(range(pf.num_row_groups)), 0
        else:
            groups, pos, start = [], None, 0
            for g in range(pf.num_row_groups):
                m = pf.metadata.row_group(g).num_rows
                if start + m > a and start < b:
                    groups.append(g)
                    pos = start if pos is None else pos
                start += m
        buf, have, c = [], 0, lo
        for batch in pf.iter_batches(batch_size=cr, row_groups=groups):
            s, e = pos, pos + len(batch)
            pos = e
            if e <= a:
                continue
            if s >= b:
                break
            buf.append(batch.slice(max(a - s, 0), min(e, b) - max(s, a)))
            have += len(buf[-1])
            del batch
            while have and (have >= cr or (pos >= b and have)):
                take = min(cr, have)
                table = pa.Table.from_batches(buf)
                chunk = self._clean(table.slice(0, take).to_pandas())
                rest = table.slice(take)
                buf, have = rest.to_batches() if rest.num_rows else [], rest.num_rows
                del table, rest  # the Arrow buffers go before the chunk is used
                yield c, chunk
                c += 1
                del chunk
        if have:
            yield c, self._clean(pa.Table.from_batches(buf).to_pandas())

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
        from kwk.data.dataset import fingerprint_many
        from kwk.data.loader import fingerprint_file
        return fingerprint_file(self.files[0]) if len(self.files) == 1 and self.path.is_file() \
            else fingerprint_many(self.files)


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
    from kwk.data.profile import profile
    from kwk.data.sampling import Reservoir
    counts, rows = _ExactCounts(), Reservoir(PROFILE_SAMPLE, seed=0)
    for chunk in reader.chunks():
        counts.add(chunk)
        rows.add(chunk)
    sample = rows.sample
    if sample is None:
        raise DataError(f"'{reader.name}' has a header but no data rows.")
    out = profile(sample, target=target, name=reader.name)
    if target is not None and target in sample.columns:  # screening and leaks, on the sample
        from kwk.data.profile import add_screening
        add_screening(out, sample, target)
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
