"""Load CSV/TSV, Excel, Parquet and JSON-lines files, from a path or from bytes.

``load`` returns a :class:`LoadedData`: the DataFrame plus how it was read (format, delimiter,
encoding, sheet), so the code generator can emit the same ``pandas`` call. Every problem a user
can cause raises :class:`kwk.errors.DataError` with a message that says what to do.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kwk.data import formats
from kwk.data.loaded import LoadedData  # noqa: F401  (kwk.data.loader.LoadedData, as always)
from kwk.errors import DataError

SUPPORTED_EXTENSIONS = formats.SUPPORTED_EXTENSIONS
MAX_COLUMNS = int(os.environ.get("KWK_MAX_COLUMNS", "5000"))
MAX_CELL_CHARS = 100_000
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_DELIMS = ",;\t|"
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kwk-fingerprint")
_HEAD = 1 << 20  # bytes looked at to detect encoding and delimiter
_SUPPORTED_HINT = ("Supported files: CSV or TSV text, Excel (.xlsx, .xls), OpenDocument (.ods), "
                   "Parquet, Feather / Arrow, JSON lines (.jsonl), SPSS (.sav), Stata (.dta), "
                   "SAS (.sas7bdat, .xpt), a CSV or JSON table packed in .gz or .zip, or a .zip "
                   "of image folders (one folder per class).")


def _fmt_from_name(name: str) -> str | None:
    ext = os.path.splitext(name.lower())[1]
    return {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel",
            ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".json": "jsonl", ".zip": "images", ".ods": "excel", ".xls": "excel"}.get(ext) \
        or formats.format_of_name(name)


def _sniff_fmt(data: bytes) -> str:
    found = formats.sniff(data)
    if found:
        return {"sas7bdat": "sas", "xport": "sas", "ods": "excel", "xls": "excel",
                "encrypted": "excel"}.get(found, found)
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:2] == b"PK":
        return "excel"
    if data.lstrip()[:1] in (b"{",):
        return "jsonl"
    return "csv"


def _utf16(head: bytes) -> bool:
    return head[:2] in (b"\xff\xfe", b"\xfe\xff")


def _looks_binary(head: bytes) -> bool:
    if not head or _utf16(head):
        return False
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head if b < 9 or 13 < b < 32)
    return ctrl / len(head) > 0.05


def _decode(data: bytes) -> tuple[str, str]:
    """Decode ``data`` (usually the head of a file). Returns ``(text, encoding)`` where the
    encoding is what pandas should be told: utf-8-sig (with a byte-order mark), utf-8 or cp1252."""
    if _utf16(data):  # Excel's "Unicode text" export
        text = data[:len(data) // 2 * 2].decode("utf-16", errors="ignore")
        return text, "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        order = ("utf-8-sig", "cp1252", "latin-1")
    else:
        order = ("utf-8", "cp1252", "latin-1")
    for enc in order:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as e:
            # A head cut in the middle of a multi-byte character is still UTF-8.
            if enc.startswith("utf-8") and e.start >= len(data) - 3 and len(data) >= _HEAD:
                return data[:e.start].decode(enc), enc
            continue
    raise DataError("The file's text encoding could not be recognised.",
                    "Save it again as UTF-8 (in Excel: File > Save As > CSV UTF-8).")


def _records(text: str, sep: str, limit: int = 51, truncated: bool = False) -> list[list[str]]:
    """The first ``limit`` records of ``text`` split by ``sep`` with the csv module, quotes
    respected (a quoted field may hold the delimiter, quotes and line breaks); blank lines are
    left out, as pandas does. A record the parser cannot finish (a cell over the csv module's
    size limit) ends the list; so does the last record of a ``truncated`` head."""
    out: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        for r in reader:
            if r:
                out.append(r)
            if len(out) >= limit:
                return out
    except csv.Error:
        return out
    if truncated and out:
        out.pop()  # the head of a larger file ends inside this record
    return out


def _unclosed_quote(text: str, sep: str) -> bool:
    """True when splitting ``text`` by ``sep`` ends inside a quoted field that never closes."""
    try:
        for _ in csv.reader(io.StringIO(text[:262_144], newline=""), delimiter=sep, strict=True):
            pass
    except csv.Error as e:
        return "unexpected end of data" in str(e)
    return False


def _sniff_delimiter(text: str, name: str, truncated: bool = False) -> str:
    """The delimiter among ``, ; tab |`` whose quote-aware split gives the header at least two
    fields and the most data records (of the first 50) the header's field count (or one more,
    empty: a delimiter at the end of every data row). Ties go to the wider split, then to the
    order above. ``text`` has its newlines normalised to ``\\n``."""
    if name.lower().endswith(".tsv"):
        return "\t"
    best, best_key = None, None
    for i, d in enumerate(_DELIMS):
        recs = _records(text, d, truncated=truncated)
        if not recs or len(recs[0]) < 2:
            continue
        h, rows = len(recs[0]), recs[1:]
        fits = sum(1 for r in rows if len(r) == h or (len(r) == h + 1 and not r[-1].strip()))
        # A wrong delimiter can open a quote mid-way that is never closed and swallows the
        # following lines into one field (its few records then "fit"): such a split comes last.
        closed = truncated or not _unclosed_quote(text, d)
        # A split with no data record left (a quote it opened swallowed the other lines into
        # the header: '"a","a;",";a;"' split by ';') fits nothing; with no data rows at all,
        # every delimiter scores 0 and the widest header wins.
        key = (closed, fits / len(rows) if rows else 0.0, h, -i)
        if best_key is None or key > best_key:
            best, best_key = d, key
    if best is not None:
        return best
    return _sniff_delimiter_by_counts(text)


def _sniff_delimiter_by_counts(text: str) -> str:
    """No delimiter splits the header: the csv module's sniffer over the first lines, else the
    delimiter seen most in the first line (a one-column file is refused later, with a hint)."""
    lines = [ln for ln in text[:65536].splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        d = csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMS).delimiter
    except csv.Error:
        d = None
    counts = {c: lines[0].count(c) for c in _DELIMS}
    if d is None or d not in _DELIMS or lines[0].count(d) == 0:
        d = max(counts, key=counts.get) if max(counts.values()) > 0 else ","
    return d


_DEC_COMMA = re.compile(r"^-?\d+,\d+$")
_DEC_POINT = re.compile(r"^-?\d+\.\d+$")


_SEP_LINE = re.compile(r'^"?sep=(.)"?,*$', re.I)


def _leading_lines(lines: list[str]) -> tuple[int, str | None]:
    """Lines above the header to skip: blank lines, comment lines starting with '#', title lines
    without any delimiter and Excel's 'sep=;' line (which also names the delimiter). Returns
    ``(count, delimiter or None)``; the count is 0 when there is nothing but blank lines
    (pandas skips those itself)."""
    skip, sep, meaningful = 0, None, False
    while skip < min(len(lines) - 1, 100):
        ln = lines[skip].strip()
        m = _SEP_LINE.match(ln)
        if m and m.group(1) in _DELIMS and sep is None:
            sep, meaningful = m.group(1), True
        elif ln.startswith("#"):
            meaningful = True
        elif (" " in ln and not any(d in ln for d in _DELIMS) and '"' not in ln
              and _table_follows(lines[skip + 1:])):
            meaningful = True  # a title such as "Sales report 2024" above the table
        elif ln:
            break
        skip += 1
    return (skip, sep) if meaningful else (0, None)


def _header_cells(text: str, sep: str) -> list[str]:
    """The names in the first record, read by us (quotes respected; a quoted name may span
    lines): pandas silently renames duplicates."""
    recs = _records(text, sep, limit=1)
    return [c.strip() for c in recs[0]] if recs else []


def _table_follows(lines: list[str]) -> bool:
    """The next non-blank lines (up to 5) split into the same number of fields, at least two,
    with one delimiter (quotes respected): a table starts there."""
    rest = [ln.rstrip("\r") for ln in lines[:20] if ln.strip()][:5]
    if len(rest) < 2:
        return False
    for d in _DELIMS:
        try:
            counts = {len(r) for r in csv.reader(rest, delimiter=d)}
        except csv.Error:
            continue
        if len(counts) == 1 and counts.pop() >= 2:
            return True
    return False


def _decimal_comma(rows: list[list[str]]) -> bool:
    """True when the values of the data records ``rows`` use a decimal comma (and never a
    decimal point)."""
    cells = [c.strip() for r in rows for c in r]
    commas = sum(1 for c in cells if _DEC_COMMA.match(c))
    points = sum(1 for c in cells if _DEC_POINT.match(c))
    return commas > 0 and points == 0


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _check_header(cols: list[str], n_rows: int) -> None:
    names = [str(c) for c in cols]
    if len(names) >= 2 and all(_NUMBER.match(n) for n in names):
        raise DataError(
            "The first row looks like data, not column names (it is all numbers: "
            f"{', '.join(names[:4])}{'…' if len(names) > 4 else ''}).",
            "Add a header row with a name for each column, then upload the file again.")
    seen, dups = set(), []
    for n in names:
        if n in seen and n not in dups:
            dups.append(n)
        seen.add(n)
    if dups:
        raise DataError(
            f"Several columns share the same name: {', '.join(repr(d) for d in dups[:5])}.",
            "Give every column a unique name in the header row, then upload again.")
    empty = [i + 1 for i, n in enumerate(names) if not n.strip()]
    if empty and n_rows >= 0 and len(empty) == len(names):
        raise DataError("The header row is empty.", "Put the column names in the first row.")


def _read_csv(source, head: bytes, name: str) -> tuple[pd.DataFrame, dict]:
    """``source`` is a path or a BytesIO; ``head`` its first bytes (for sniffing). Three
    stages: the file's layout from its head (encoding, delimiter, lines above the header,
    decimal comma), pandas' read with its errors put in the user's words, and the blank
    columns a trailing delimiter leaves. Returns the table and the options that read it."""
    _refuse_binary(head, name)
    text, enc = _decode(head)
    if not text.strip():
        raise DataError(f"'{name}' is empty.", "Upload a file with a header row and data rows.")
    sep, skip, blank_tail, extra = _csv_layout(text, name, truncated=len(head) >= _HEAD)
    df, enc = _parse_csv(source, sep, enc, extra, skip, name)
    opts = {"sep": sep, "encoding": enc, **extra}
    return _drop_blank_tail(df, blank_tail, opts, name), opts


def _refuse_binary(head: bytes, name: str) -> None:
    """Binary data is not a text table; UTF-16 without a byte-order mark gets its own words."""
    if not _looks_binary(head[:8192]):
        return
    odd_zero = head[1:4096:2].count(0) > 0.4 * len(head[1:4096:2])
    even_zero = head[0:4096:2].count(0) > 0.4 * len(head[0:4096:2])
    if odd_zero != even_zero:
        raise DataError(
            f"'{name}' looks like UTF-16 text without a byte-order mark, which cannot be "
            "read reliably.",
            "Save it again as UTF-8 (in Excel: File > Save As > CSV UTF-8).")
    raise DataError(
        f"'{name}' is not a text table: it contains binary data.",
        "Export your data as CSV, Excel (.xlsx) or Parquet and upload that file.")


def _csv_layout(text: str, name: str, truncated: bool) -> tuple[str, int, int, dict]:
    """The delimiter, the lines above the header, the empty header cells at the end and
    pandas' extra options (skiprows/header, decimal, index_col), from the decoded head.
    ``truncated``: the head of a larger file, whose last record may be cut."""
    # Universal newlines for every look at the text (old Mac and instrument exports end their
    # lines with a lone CR); pandas itself reads all three styles.
    cr_only = "\r" in text[:65536] and "\n" not in text[:65536]
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    skip, sep = _leading_lines(lines)
    text = "\n".join(lines[skip:])
    sep = sep or _sniff_delimiter(text, name, truncated)
    # Read the header ourselves: pandas silently renames duplicates ("a", "a.1").
    first = _header_cells(text, sep)
    hashed = _hashed_header(lines[:skip], first, sep)
    if hashed is not None:
        skip = hashed
        text = "\n".join(lines[skip:])
        first = _header_cells(text, sep)
    blank_tail = len(first) - len("\x00".join(first).rstrip("\x00").split("\x00")) \
        if any(first) else 0  # header cells left empty at the end (a trailing delimiter)
    _check_header(first[:len(first) - blank_tail], -1)
    extra = {}
    if skip and cr_only:  # pandas counts the skipped blank lines of a CR file its own way;
        extra["header"] = sum(1 for ln in lines[:skip] if ln.strip())  # header= skips them all
    elif skip:
        extra["skiprows"] = skip  # comment lines, or Excel's "sep=;" line, above the header
    records = _records(text, sep, limit=200, truncated=truncated)
    if sep in ";\t" and _decimal_comma(records[1:]):
        extra["decimal"] = ","  # European exports: 1,5 means one and a half
    rows = records[1:51]
    if rows and not blank_tail and all(len(r) == len(first) + 1 and not r[-1].strip() for r in rows):
        extra["index_col"] = False  # a delimiter at the end of every data row, not of the header
    return sep, skip, blank_tail, extra


def _hashed_header(above: list[str], first: list[str], sep: str) -> int | None:
    """The index of a line above the header that starts with "#" and is itself the header
    ("#,Name,Type": the first column is called "#"; "# of items,price" above "3,4.5"), or
    None when the lines above are comments."""
    for i, line in enumerate(above):
        if not line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split(sep)]
        below_is_data = any(_NUMBER.match(c) for c in first) and \
            not any(_NUMBER.match(c) for c in cells)
        if len(cells) == len(first) >= 2 and (re.fullmatch(r"#\w*", cells[0]) or below_is_data):
            return i
    return None


def _parse_csv(source, sep: str, enc: str, extra: dict, skip: int,
               name: str) -> tuple[pd.DataFrame, str]:
    """pandas' read, trying the usual single-byte encodings when a later part of the file is
    not the head's; every parser error is put in the user's words. Returns the table and the
    encoding that read it."""
    for attempt in ((enc,) if enc == "utf-16" else (enc, "cp1252", "latin-1")):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)
                warnings.simplefilter("always", pd.errors.ParserWarning)
                if hasattr(source, "seek"):
                    source.seek(0)
                df = pd.read_csv(source, sep=sep, encoding=attempt, **extra)
        except UnicodeDecodeError:
            continue  # the head was valid UTF-8 but a later part is not
        except pd.errors.EmptyDataError:
            raise DataError(f"'{name}' has no columns.",
                            "Upload a file with a header row and data rows.")
        except pd.errors.ParserError as e:
            raise _parser_error(e, skip, name) from None
        except Exception as e:  # anything else the parser raises is still the file's problem
            raise DataError(f"'{name}' could not be read as a table ({type(e).__name__}: "
                            f"{str(e).strip()[:200]})",
                            "Check that it is a well-formed CSV file: every row with the same "
                            "number of values, quotes closed, one delimiter throughout.")
        _check_ragged(df, caught, name)
        return df, attempt
    raise DataError(f"'{name}' could not be read as text in {enc}, cp1252 or latin-1.",
                    "Save it again as UTF-8 (in Excel: File > Save As > CSV UTF-8).")


def _check_ragged(df: pd.DataFrame, caught: list, name: str) -> None:
    """Rows with more values than the header names: pandas takes the first column as the
    index (every data row one longer) or warns that it dropped values."""
    if not isinstance(df.index, pd.RangeIndex):
        raise DataError(
            f"Row 2 has {df.shape[1] + 1} values but the header names {df.shape[1]} "
            "columns (ragged rows).",
            "Give the first column a name in the header row, or check the rows for an "
            "extra delimiter or an unquoted comma inside a value; then upload again.")
    if any("loss of data" in str(w.message) for w in caught):
        raise DataError(f"Some rows of '{name}' have more values than the header names "
                        "columns (ragged rows).",
                        "Check those rows for an extra delimiter or an unquoted comma "
                        "inside a value; quote such values or fix the rows, then upload "
                        "again.")


def _parser_error(e: Exception, skip: int, name: str) -> DataError:
    """pandas' ParserError in the user's words: which row is ragged, which quote is open."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
    if m:
        return DataError(
            f"Row {m.group(2)} has {m.group(3)} values but the header names {m.group(1)} "
            "columns (ragged rows).",
            "Check that row for an extra delimiter or an unquoted comma inside a value; "
            "quote such values or fix the row, then upload again.")
    m = re.search(r"EOF inside string starting at row (\d+)", str(e))
    if m:
        return DataError(
            f"A quote (\") opened on line {int(m.group(1)) + 1 + skip} "
            f"of '{name}' is never closed, so the rest of the file would be one value.",
            "Close that quote (a quote inside a value is written twice: \"\"), or remove "
            "it, then upload again.")
    return DataError(f"'{name}' could not be read as a table: {str(e).strip()[:200]}",
                     "Check that it is a well-formed CSV file.")


def _drop_blank_tail(df: pd.DataFrame, blank_tail: int, opts: dict, name: str) -> pd.DataFrame:
    """Columns with no name at the end of the header (a trailing delimiter): dropped when
    empty, as the generated script does (see after_read; recorded in ``opts``), refused when
    they hold values."""
    if not blank_tail or df.shape[1] <= blank_tail:
        return df
    if not df.iloc[:, -blank_tail:].isna().all().all():
        raise DataError(f"The last {blank_tail} column(s) of '{name}' hold values but have "
                        "no name in the header row.",
                        "Give every column a name in the header row, then upload again.")
    opts["blank_tail_columns"] = blank_tail
    return df.iloc[:, :-blank_tail]


def _excel_engine(name: str, data: bytes) -> str:
    """openpyxl for .xlsx/.xlsm, odf for OpenDocument, xlrd for Excel 97-2003 (by extension,
    else by the file's first bytes)."""
    ext = os.path.splitext(name.lower())[1]
    if ext in formats.SHEET_ENGINES:
        return formats.SHEET_ENGINES[ext][0]
    if ext in (".xlsx", ".xlsm"):
        return "openpyxl"
    return {"ods": "odf", "xls": "xlrd"}.get(formats.sniff(data[:_HEAD]), "openpyxl")


def _read_sheet(data: bytes, engine: str, sheet, name: str) -> tuple[pd.DataFrame, dict, list]:
    """One sheet of a workbook (the first unless ``sheet`` names one), below any title rows."""
    xl = pd.ExcelFile(io.BytesIO(data), engine=engine)
    sheets = list(xl.sheet_names)
    if sheet is None:
        sheet = sheets[0]
    if isinstance(sheet, str) and sheet not in sheets:
        raise DataError(f"The workbook has no sheet named '{sheet}'.",
                        f"Choose one of: {', '.join(sheets)}.")
    opts = {"sheet_name": sheet}
    if engine != "openpyxl":
        opts["engine"] = engine  # .ods (odfpy) or .xls (xlrd)
    k = _excel_header_row(xl.parse(sheet, header=None, nrows=30))
    if k:
        opts["header"] = k  # a title (and blank rows) above the table
    df = xl.parse(sheet, header=k)
    return df, opts, sheets


def _read_other(data: bytes | None, fmt: str, name: str, sheet,
                path=None) -> tuple[pd.DataFrame, dict, list]:
    """A table of a binary format: from ``data``, or for SPSS, Stata, SAS and Feather files
    from ``path`` when the file is on disk."""
    sheets: list[str] = []
    if fmt in formats.STAT_FORMATS:
        df, opts = formats.read_stat(data, path, fmt, name)
        return df, opts, sheets
    engine = _excel_engine(name, data) if fmt == "excel" else None
    try:
        if fmt == "excel":
            with warnings.catch_warnings():  # pandas 3.1 announces xlrd's retirement
                warnings.filterwarnings("ignore", message=".*xlrd engine is deprecated")
                return _read_sheet(data, engine, sheet, name)
        if fmt == "parquet":
            return pd.read_parquet(io.BytesIO(data)), {}, sheets
        if fmt == "jsonl":
            text, _ = _decode(data)
            stripped = text.lstrip()
            lines = not stripped.startswith("[")
            return pd.read_json(io.StringIO(text), lines=lines), ({"lines": True} if lines else {}), sheets
    except DataError:
        raise
    except ImportError as e:
        raise _missing_engine(e, name, engine, fmt)
    except Exception as e:  # the readers raise many exception types for corrupt files
        raise _workbook_error(e, name, engine, fmt)
    raise DataError(f"Unsupported format for '{name}'.", _SUPPORTED_HINT)


def _excel_header_row(raw: pd.DataFrame) -> int:
    """The row of a sheet's column names when a title or notes sit above the table (0 when
    the table starts at the top): the first row wider than half the table, when it is as wide
    as the table and holds distinct names, and only narrow rows (titles, blanks) are above."""
    if raw.shape[0] < 2:
        return 0
    filled = raw.notna().sum(axis=1).to_numpy()
    width = int(filled.max())
    if width < 2:
        return 0
    for i in range(len(raw) - 1):
        if filled[i] > width // 2:  # the first wide row: the header if a title sits above it
            cells = raw.iloc[i].dropna()
            names = [str(v).strip() for v in cells]
            header = (filled[i] >= 0.8 * width and all(isinstance(v, str) for v in cells)
                      and len(set(names)) == len(names))
            return i if i > 0 and header else 0
    return 0


def _check_size(df: pd.DataFrame, name: str) -> None:
    if df.shape[1] > MAX_COLUMNS:
        raise DataError(
            f"'{name}' has {df.shape[1]:,} columns; KwK reads tables of up to {MAX_COLUMNS:,}.",
            "Keep the columns you need (for example in a spreadsheet) and upload that file. "
            "For images, upload a .zip with one folder of pictures per class.")
    for c in df.columns:
        s = df[c]
        if ptypes.is_object_dtype(s) or ptypes.is_string_dtype(s):
            lengths = s.astype("str").str.len() if not ptypes.is_string_dtype(s) else s.str.len()
            longest = lengths.max()
            if pd.notna(longest) and longest > MAX_CELL_CHARS:
                row = int(np.argmax(lengths.fillna(0).to_numpy())) + 1
                raise DataError(
                    f"A cell of column '{c}' (data row {row}) holds {int(longest):,} "
                    f"characters; KwK reads cells of up to {MAX_CELL_CHARS:,}.",
                    "This usually comes from a quote (\") that is never closed, which swallows "
                    "the rows after it. Fix that cell or remove the column, then upload again.")


def _check_formulas(df: pd.DataFrame, data: bytes, sheet, name: str, header_row: int = 0) -> None:
    """openpyxl reads the values Excel saved with the formulas; a workbook written by a program
    may have formulas and no saved values, which would silently read as empty columns."""
    empty = [c for c in df.columns if df[c].isna().all()]
    if not empty:
        return
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(data), read_only=True, data_only=False)[sheet]
    header = None
    formula_cols = set()
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if header is None:
            header = [str(v).strip() if v is not None else "" for v in row]
            continue
        for h, v in zip(header, row):
            if h in empty and isinstance(v, str) and v.startswith("="):
                formula_cols.add(h)
        if len(formula_cols) == len(empty):
            break
    if formula_cols:
        cols = ", ".join(f"'{c}'" for c in sorted(formula_cols))
        raise DataError(
            f"Column(s) {cols} of sheet '{sheet}' hold formulas whose results were never saved "
            "in the file (it was written by a program, not by Excel).",
            "Open the workbook in Excel or LibreOffice and save it (that stores the results), "
            "or export the sheet as CSV.")


def list_sheets(source, name: str | None = None) -> list[str]:
    """The sheet names of an Excel workbook (empty list for other formats)."""
    data, name = _bytes_of(source, name)
    if (_fmt_from_name(name) or _sniff_fmt(data)) != "excel":
        return []
    formats.check_signature(data, name, _workbook_kind(name, data))
    engine = _excel_engine(name, data)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*xlrd engine is deprecated")
            return list(pd.ExcelFile(io.BytesIO(data), engine=engine).sheet_names)
    except ImportError as e:
        raise _missing_engine(e, name, engine)
    except Exception as e:
        raise _workbook_error(e, name, engine)


def _workbook_kind(name: str, data: bytes) -> str:
    """What a workbook should be (``xlsx``, ``ods``, ``xls``): by extension, else by its bytes."""
    ext = os.path.splitext(name.lower())[1]
    return ({".ods": "ods", ".xls": "xls", ".xlsx": "xlsx", ".xlsm": "xlsx"}.get(ext)
            or {"ods": "ods", "xls": "xls"}.get(formats.sniff(data[:_HEAD]), "xlsx"))


def _missing_engine(e: ImportError, name: str, engine: str | None, fmt: str = "excel") -> DataError:
    pkg = {"odf": "odfpy", "xlrd": "xlrd"}.get(engine or "",
                                               "pyarrow" if fmt == "parquet" else "openpyxl")
    return DataError(f"Reading '{name}' needs the {pkg} package, which is not installed "
                     f"({str(e).strip()[:120]}).",
                     f"Install it (pip install {pkg}) or export the data as CSV.")


def _workbook_error(e: Exception, name: str, engine: str | None, fmt: str = "excel") -> DataError:
    """The DataError for a reader's exception on a workbook (or Parquet / JSON lines) file."""
    if engine == "xlrd" and "encrypted" in str(e).lower():
        return DataError(f"'{name}' is protected with a password (an encrypted Excel 97-2003 "
                         "workbook).",
                         "Open it in Excel or LibreOffice with its password, save it without "
                         "one (or as .xlsx or CSV) and upload that file.")
    kind = {"excel": {"odf": "an OpenDocument spreadsheet", "xlrd": "an Excel 97-2003 workbook"}
            .get(engine or "", "an Excel workbook"), "parquet": "a Parquet file",
            "jsonl": "JSON lines"}[fmt]
    return DataError(f"'{name}' could not be read as {kind} ({type(e).__name__}: "
                     f"{str(e).strip()[:160]}).",
                     f"Check the file is not damaged or renamed. {_SUPPORTED_HINT}")


def _bytes_of(source, name):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "upload"
    p = _check_path(source)
    return p.read_bytes(), name or p.name


def _check_path(source) -> Path:
    p = Path(source)
    if not p.exists():
        raise DataError(f"File not found: {p}.", "Check the path and try again.")
    if p.is_dir():
        raise DataError(f"{p} is a folder, not a data file.",
                        "Give the path of a file; a folder of Parquet or CSV files (or a glob "
                        "such as 'data/*.parquet') trains with --stream, and profile and "
                        "predict read it as one table.")
    return p


def fingerprint_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def fingerprint_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()[:16]


# read_options that are KwK's own steps around the pandas reader, not its keyword arguments
KWK_READ_KEYS = ("blank_tail_columns", "formatted_numbers", "zip_member", "xport_version")
MAX_UNPACKED_BYTES = int(os.environ.get("KWK_MAX_UNPACKED_MB", "1024")) << 20
_PACKED_TABLES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json")
# A class challenge's student.zip (kwk/learn/challenge.py): its training table is the data.
CHALLENGE_META, CHALLENGE_TRAIN, CHALLENGE_TEST = "challenge.json", "train.csv", "test.csv"


def _unpack_table(data: bytes, name: str):
    """A table inside a gzip file or a zip archive: ``(bytes, inner name, (compression,
    member))``; ``None`` for a zip without exactly one table (a zip of pictures). The unpacked
    size is capped (``KWK_MAX_UNPACKED_MB``), so a small bomb cannot fill the memory."""
    import zlib
    too_big = DataError(f"'{name}' unpacks to more than {MAX_UNPACKED_BYTES >> 20} MB.",
                        "Unpack it and use a server file path with --stream on the CLI, or "
                        "upload a smaller extract.")
    if data[:2] == b"\x1f\x8b":
        parts, size, rest = [], 0, data
        while rest[:2] == b"\x1f\x8b":  # one gzip member after another (as `cat a.gz b.gz`)
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                part = d.decompress(rest, MAX_UNPACKED_BYTES + 1 - size)
            except zlib.error as e:
                raise DataError(f"'{name}' is a damaged gzip file ({e}).",
                                "Compress the table again, or upload it unpacked.")
            size += len(part)
            if size > MAX_UNPACKED_BYTES:
                raise too_big
            if not d.eof:
                raise DataError(f"'{name}' is cut off: the gzip data ends before the table does.",
                                "Download or copy the file again, or upload it unpacked.")
            parts.append(part)
            rest = d.unused_data
        out = b"".join(parts)
        inner = name[:-3] if name.lower().endswith(".gz") else name
        return out, inner, ("gzip", None)
    import zipfile

    from kwk.data.images import image_members, unsafe_name
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # the picture reader explains a broken zip
    names = [i.filename for i in infos]
    if image_members(names):
        return None
    challenge = CHALLENGE_META in names and CHALLENGE_TRAIN in names  # its training rows
    tables = [zf.getinfo(CHALLENGE_TRAIN)] if challenge else [
        i for i in infos if i.filename.lower().endswith(_PACKED_TABLES)
        and not any(p.startswith((".", "__MACOSX")) for p in i.filename.split("/"))]
    if len(tables) > 1:
        shown = ", ".join(i.filename for i in tables[:5])
        raise DataError(f"'{name}' holds {len(tables)} tables ({shown}{', …' if len(tables) > 5 else ''}): "
                        "KwK reads one table at a time.",
                        "Upload the one you want to use, unpacked or zipped alone.")
    if not tables:
        return None
    info = tables[0]
    if unsafe_name(info.filename):
        raise DataError(f"'{name}' contains an unsafe file path ('{info.filename[:80]}').",
                        "Zip the table itself.")
    if info.file_size > MAX_UNPACKED_BYTES:
        raise too_big
    try:
        with zf.open(info) as f:
            out = f.read(MAX_UNPACKED_BYTES + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as e:
        raise DataError(f"'{info.filename}' in '{name}' could not be unpacked ({e}).",
                        "Zip the table again without a password, or upload it unpacked.")
    if len(out) > MAX_UNPACKED_BYTES:
        raise too_big
    return out, info.filename.split("/")[-1], ("challenge" if challenge else "zip", info.filename)


def _challenge_parts(data: bytes, name: str) -> dict[str, bytes]:
    """challenge.json and test.csv of a challenge's student.zip (its test rows are read by
    kwk.learn.challenge, which knows what they mean)."""
    import zipfile
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        return {m: zf.read(m) for m in (CHALLENGE_META, CHALLENGE_TEST) if m in zf.namelist()
                and zf.getinfo(m).file_size <= MAX_UNPACKED_BYTES}
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as e:
        raise DataError(f"'{name}' could not be unpacked ({e}).",
                        "Download the challenge's student.zip again.")


def reader_options(read_options: dict) -> dict:
    """The pandas reader's keyword arguments among ``read_options``."""
    return {k: v for k, v in read_options.items() if k not in KWK_READ_KEYS}


def after_read(df: pd.DataFrame, read_options: dict) -> pd.DataFrame:
    """KwK's own steps after the pandas reader (for a chunk of a streamed file too): drop the
    header's empty trailing columns and read formatted numbers, as the first read decided."""
    from kwk.data.numbers import parse_formatted
    k = read_options.get("blank_tail_columns", 0)
    if k and df.shape[1] > k:
        df = df.iloc[:, :-k]
    for c, mark in read_options.get("formatted_numbers", {}).items():
        if c in df.columns:
            df[c] = parse_formatted(df[c], mark)
    return df


def _read_formatted_numbers(df: pd.DataFrame, opts: dict) -> list[str]:
    """Read text columns of formatted numbers ("$1,234", "12%") as numbers, in place; records
    them in ``opts`` and returns a note for the user."""
    from kwk.data.numbers import formatted_number_columns, parse_formatted
    cols = formatted_number_columns(df, opts.get("decimal", "."))
    if not cols:
        return []
    for c, mark in cols.items():
        df[c] = parse_formatted(df[c], mark)
    opts["formatted_numbers"] = cols
    cols = list(cols)
    shown = ", ".join(f"'{c}'" for c in cols[:8]) + (f" and {len(cols) - 8} more" if len(cols) > 8 else "")
    return [f"{shown} {'holds' if len(cols) == 1 else 'hold'} numbers written with currency or "
            "percent signs or thousands separators: read as numbers (12.5% reads 12.5). Set the "
            "kind to categorical under Roles & kinds to treat them as labels instead."]


def _flatten_nested(df: pd.DataFrame) -> None:
    """Cells holding lists or objects (from JSON) become their JSON text, so every column can be
    counted, compared and profiled."""
    import json
    for c in df.columns:
        s = df[c]
        if s.dtype == object:
            sample = s.dropna().head(1000)
            if sample.map(lambda v: isinstance(v, (list, dict, set, tuple))).any():
                df[c] = s.map(lambda v: json.dumps(v, default=str, sort_keys=True)
                              if isinstance(v, (list, dict, set, tuple)) else v)


@dataclass
class _Opened:
    """A file being loaded: its name, first bytes, size, and where its bytes are (in memory
    as ``data``, or at ``path`` until something needs them all)."""
    name: str
    head: bytes
    n_bytes: int
    data: bytes | None
    path: Path | None
    fingerprint: Future
    packed: tuple | None = None  # a table inside a .gz or .zip: (compression, member name)
    inner: str | None = None     # that member's name
    challenge: dict | None = None

    def all_bytes(self) -> bytes:
        if self.data is None:
            self.data = self.path.read_bytes()
        return self.data

    def reader(self):
        """What pandas reads: the path when the bytes are not in memory."""
        return self.path if self.path is not None else io.BytesIO(self.data)


def load(source, name: str | None = None, sheet=None, image_size=None,
         image_color: str | None = None, min_columns: int = 2) -> LoadedData:
    """Load a table from a path or from bytes (``name`` gives the file name of an upload).
    A zip of pictures is resized to ``image_size`` (height, width) in ``image_color``
    ("grayscale" or "rgb"); by default their most common size and colour (within limits).

    Stages: open (and fingerprint on a second thread), unpack a .gz/.zip, tell the format,
    read, add the notes, check the shape. Returns a :class:`LoadedData`. Raises
    :class:`DataError` for anything unreadable, empty, with a missing or duplicated header,
    ragged rows, or a single column (``min_columns=1`` accepts one: new rows for a model that
    reads one column, such as a text model).
    """
    f = _open(source, name)
    _unpack(f)
    fmt = _format_of(f)
    if fmt == "images":
        from kwk.data.images import read_image_zip
        return read_image_zip(f.all_bytes(), f.name, f.fingerprint.result(), image_size,
                              image_color)
    sheets: list[str] = []
    if fmt == "csv":
        df, opts = _read_csv(f.reader(), f.head, f.name)
    else:
        data = f.data if fmt in formats.STAT_FORMATS else f.all_bytes()
        df, opts, sheets = _read_other(data, fmt, f.name, sheet, f.path)
    df.columns = [str(c).strip() for c in df.columns]
    _check_header(list(df.columns), len(df))
    _flatten_nested(df)
    if f.packed:
        opts.update({"compression": "gzip"} if f.packed[0] == "gzip"
                    else {"zip_member": f.packed[1]})
    notes = _load_notes(df, opts, f)
    _check_shape(df, opts, sheets, f.name, min_columns)
    _check_size(df, f.name)
    if fmt == "excel" and "engine" not in opts:  # openpyxl's workbooks only
        _check_formulas(df, f.data, opts["sheet_name"], f.name, opts.get("header", 0))
    return LoadedData(df=df, name=f.name, fmt=fmt, read_options=opts,
                      fingerprint=f.fingerprint.result(), n_bytes=f.n_bytes, sheets=sheets,
                      notes=notes, challenge=f.challenge)


def _open(source, name: str | None) -> _Opened:
    """Bytes of an upload, or a path on the server (its head read, the rest left on disk).
    The fingerprint is computed on a second thread while the file is parsed (hashlib
    releases the GIL)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        f = _Opened(name or "upload", data[:_HEAD], len(data), data, None,
                    _POOL.submit(fingerprint_bytes, data))
    else:
        path = _check_path(source)
        with open(path, "rb") as fh:
            head = fh.read(_HEAD)
        f = _Opened(name or path.name, head, path.stat().st_size, None, path,
                    _POOL.submit(fingerprint_file, path))
    if not f.head or not f.head.strip():
        raise DataError(f"'{f.name}' is empty.", "Upload a file with a header row and data rows.")
    return f


def _unpack(f: _Opened) -> None:
    """A table inside a .gz file or a .zip (a class challenge's zip included) replaces the
    file's bytes by the table's; anything else is left as it is."""
    if not (f.head[:2] == b"\x1f\x8b" or (f.head[:2] == b"PK"
                                          and f.name.lower().endswith(".zip"))):
        return
    raw = f.all_bytes()
    unpacked = _unpack_table(raw, f.name)
    if unpacked is None:
        return
    f.data, f.inner, f.packed = unpacked
    if f.packed[0] == "challenge":
        f.challenge = _challenge_parts(raw, f.name)
    f.head, f.path = f.data[:_HEAD], None
    if not f.head.strip():
        raise DataError(f"The table in '{f.name}' is empty.",
                        "Upload a file with a header row and data rows.")


def _format_of(f: _Opened) -> str:
    """The file's format from its name, or from its first bytes when the name says nothing;
    a name that lies about the content (a workbook called .csv) is refused with the real
    one, and a workbook's or statistics file's signature is checked."""
    name = f.name
    fmt = _fmt_from_name(f.inner if f.packed else name)
    if f.packed and fmt not in (None, "csv", "jsonl"):
        raise DataError(f"'{name}' holds '{f.inner}': KwK reads CSV, TSV and JSON tables from a "
                        ".gz or .zip file.", "Upload that file itself, unpacked.")
    head = f.head
    if fmt is None:
        ext = os.path.splitext(name)[1] or "(none)"
        sniffed = _sniff_fmt(head)
        if sniffed == "csv" and _looks_binary(head[:8192]):
            raise DataError(f"Files of type {ext} are not supported.", _SUPPORTED_HINT)
        fmt = sniffed
    elif fmt == "csv" and (head[:4] == b"PAR1" or head[:2] == b"PK"):
        raise DataError(f"'{name}' is named like a CSV file but is binary (a zip, Excel or "
                        "Parquet file renamed?).",
                        "Upload it with its real extension (.xlsx, .parquet) or export it as CSV.")
    elif fmt == "csv" and formats.sniff(head) not in (None, "encrypted"):
        really = formats.sniff(head)
        raise DataError(f"'{name}' is named like a CSV file but is "
                        f"{formats.DESCRIPTIONS[really]}.",
                        f"Upload it with its real extension ({formats.EXTENSION_OF[really]}), "
                        "or export the data as CSV.")
    if fmt in formats.STAT_FORMATS:
        formats.check_signature(head, name, fmt)  # a server file is read from its path
    elif fmt == "excel":
        data = f.all_bytes()
        formats.check_signature(data, name, _workbook_kind(name, data))
    return fmt


def _load_notes(df: pd.DataFrame, opts: dict, f: _Opened) -> list[str]:
    """What the user should know about how the file was read (formatted numbers read as
    numbers, a class challenge, Stata labels kept as codes)."""
    notes = _read_formatted_numbers(df, opts)
    if f.packed and f.packed[0] == "challenge":
        notes.insert(0, f"'{f.name}' is a class challenge: its training rows ({CHALLENGE_TRAIN}) "
                        f"are the data. Predict its test rows ({CHALLENGE_TEST}) for your "
                        "submission: on the Challenge page (which also chooses the target and "
                        "shows the goal), or with 'python -m kwk predict RUN test.csv'.")
    if opts.get("convert_categoricals") is False:
        notes.append("Some value labels of this Stata file stand for several codes, so pandas "
                     "cannot turn them into categories: the columns hold the codes instead.")
    return notes


def _check_shape(df: pd.DataFrame, opts: dict, sheets: list, name: str,
                 min_columns: int) -> None:
    """No columns, no rows, or one column where a model needs two: refused with what to do
    (another sheet of the workbook, where there is one)."""
    if df.shape[1] == 0:
        raise DataError(f"'{name}' has no columns.", "Upload a file with a header row and data rows.")
    others = [sh for sh in sheets if sh != opts.get("sheet_name")]
    if len(df) == 0:
        if others:
            raise DataError(f"The sheet '{opts.get('sheet_name')}' of '{name}' has no data rows.",
                            f"Choose another sheet: {', '.join(map(str, others[:10]))}.")
        raise DataError(f"'{name}' has a header but no data rows.",
                        "Add at least a few dozen rows of data.")
    if df.shape[1] == 1 and min_columns > 1:
        col = str(df.columns[0])
        if others:
            raise DataError(f"The sheet '{opts.get('sheet_name')}' of '{name}' has only one "
                            f"column ('{col[:60]}').",
                            f"Choose another sheet: {', '.join(map(str, others[:10]))}.")
        hint = ("It looks like the values are separated by a character KwK did not recognise; "
                "use commas, semicolons or tabs.") if any(c in col for c in ";|:, ") else (
                "A model needs at least one input column besides the target.")
        raise DataError(f"'{name}' has only one column ('{col[:60]}').", hint)
