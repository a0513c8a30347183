"""The files of statistics packages and other binary tables: SPSS ``.sav``, Stata ``.dta``,
SAS ``.sas7bdat`` / ``.xpt``, Feather / Arrow IPC, and the spreadsheets read beside Excel's
``.xlsx`` (OpenDocument ``.ods``, Excel 97-2003 ``.xls``).

Each is read by pandas' own reader with its usual engine (``pyreadstat``, ``odfpy``, ``xlrd``,
``pyarrow``), with the keyword arguments recorded in the read options, so the generated script
makes the very same call; a SAS transport file of version 8, which pandas cannot read, is read
by pyreadstat's ``read_xport`` (recorded as ``xport_version: 8``; the script calls it too). Every file is first checked against its format's signature: a file
named like one format but holding another (a CSV saved as ``.sav``, an encrypted workbook) gets
a message saying what it really is, and a damaged one says which reader gave up and why.
"""
from __future__ import annotations

import io
import os
import tempfile
from typing import TYPE_CHECKING

from kwk.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

# format -> (extensions, what the user calls it, pandas reader, engine package)
STAT_FORMATS = {
    "spss": ((".sav", ".zsav"), "an SPSS data file (.sav)", "read_spss", "pyreadstat"),
    "stata": ((".dta",), "a Stata data file (.dta)", "read_stata", None),
    "sas": ((".sas7bdat", ".xpt"), "a SAS data file", "read_sas", None),
    "feather": ((".feather", ".arrow", ".ipc"), "a Feather / Arrow IPC file", "read_feather",
                "pyarrow"),
}
# spreadsheets read by pd.read_excel with another engine than openpyxl: extension -> engine
SHEET_ENGINES = {".ods": ("odf", "odfpy", "an OpenDocument spreadsheet (.ods)"),
                 ".xls": ("xlrd", "xlrd", "an Excel 97-2003 workbook (.xls)")}
EXTENSIONS = tuple(e for exts, *_ in STAT_FORMATS.values() for e in exts) + tuple(SHEET_ENGINES)
# every file KwK reads (the upload box lists them without importing the readers)
SUPPORTED_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq", ".jsonl",
                        ".ndjson", ".json", ".zip", ".gz") + EXTENSIONS

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Microsoft's compound file (.xls, encrypted .xlsx)
_SAS7BDAT = (b"\x00" * 12 + b"\xc2\xea\x81\x60\xb3\x14\x11\xcf\xbd\x92\x08\x00"
             b"\x09\xc7\x31\x8c\x18\x1f\x10\x11")
_ODS_MIME = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"


def format_of_name(name: str) -> str | None:
    """``spss``, ``stata``, ``sas`` or ``feather`` from a file name's extension."""
    ext = os.path.splitext(name.lower())[1]
    for fmt, (exts, *_) in STAT_FORMATS.items():
        if ext in exts:
            return fmt
    return None


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file show it to be, among the formats above (and ``xls``,
    ``ods``, ``encrypted``: a password-protected Office file); ``None`` when none of them."""
    if head[:4] in (b"$FL2", b"$FL3"):
        return "spss"
    if head[:11] == b"<stata_dta>" or (len(head) > 3 and 0x66 <= head[0] <= 0x73
                                       and head[1] in (1, 2) and head[2] == 1 and head[3] == 0):
        return "stata"
    if head[:len(_SAS7BDAT)] == _SAS7BDAT:
        return "sas7bdat"
    if head[:80].startswith(b"HEADER RECORD*******LIB"):
        return "xport"
    if head[:6] == b"ARROW1" or head[:4] == b"FEA1":
        return "feather"
    if head[:2] == b"PK" and _ODS_MIME in head[:200]:
        return "ods"
    if head[:8] == _OLE2:
        # An OLE2 file that holds an "EncryptedPackage" stream is a password-protected
        # .xlsx; an .xls keeps its "Workbook" stream (its own encryption is found by xlrd).
        return "encrypted" if "EncryptedPackage".encode("utf-16-le") in head else "xls"
    return None


# what a file is, for messages, by what sniff() (or _what_it_is) finds
DESCRIPTIONS = {"spss": "an SPSS .sav file", "stata": "a Stata .dta file",
                "sas7bdat": "a SAS .sas7bdat file", "xport": "a SAS transport (.xpt) file",
                "feather": "a Feather / Arrow file", "ods": "an OpenDocument spreadsheet (.ods)",
                "xls": "an Excel 97-2003 workbook (.xls)", "parquet": "a Parquet file",
                "zip": "a zip archive (or an .xlsx workbook)", "gzip": "a gzip file",
                "pdf": "a PDF document", "text": "text (a CSV or TSV table?)"}
EXTENSION_OF = {"spss": ".sav", "stata": ".dta", "sas7bdat": ".sas7bdat", "xport": ".xpt",
                "feather": ".feather", "ods": ".ods", "xls": ".xls"}


def _what_it_is(head: bytes) -> str | None:
    """A description of a file none of our formats' signatures matched (or None)."""
    found = sniff(head)
    if found:
        return DESCRIPTIONS[found]
    if head[:4] == b"PAR1":
        return DESCRIPTIONS["parquet"]
    if head[:2] == b"PK":
        return DESCRIPTIONS["zip"]
    if head[:2] == b"\x1f\x8b":
        return DESCRIPTIONS["gzip"]
    if head[:5] == b"%PDF-":
        return DESCRIPTIONS["pdf"]
    sample = head[:4096]
    if sample and b"\x00" not in sample:
        try:
            sample.decode("utf-8")
            return DESCRIPTIONS["text"]
        except UnicodeDecodeError:
            if sum(32 <= b < 127 or b in (9, 10, 13) for b in sample) > 0.95 * len(sample):
                return DESCRIPTIONS["text"]
    return None


def check_signature(head: bytes, name: str, expected: str) -> None:
    """Refuse ``name`` when its bytes are not of the format its extension names: ``expected``
    is one of ``spss``, ``stata``, ``sas``, ``feather``, ``ods``, ``xls``, ``xlsx``."""
    found = sniff(head)
    if expected == "feather" and head[:4] == b"\xff\xff\xff\xff":
        raise DataError(f"'{name}' is an Arrow IPC stream; KwK reads the Arrow IPC file "
                        "format (Feather version 2).",
                        "Write it with pyarrow.feather.write_feather (or pandas' to_feather), "
                        "or as Parquet, and upload that file.")
    if found == "encrypted":
        raise DataError(f"'{name}' is protected with a password (an encrypted Office file).",
                        "Open it in Excel or LibreOffice with its password, remove the password "
                        "(File > Info > Protect Workbook, or Save As without one) and upload it "
                        "again.")
    ok = {"spss": ("spss",), "stata": ("stata",), "sas": ("sas7bdat", "xport"),
          "feather": ("feather",), "ods": ("ods",), "xls": ("xls",), "xlsx": ()}
    if found in ok[expected]:
        ext = os.path.splitext(name.lower())[1]
        if expected == "sas" and ext in (".xpt", ".sas7bdat") and ext != EXTENSION_OF[found]:
            raise DataError(f"'{name}' is {DESCRIPTIONS[found]}, not what its extension says.",
                            f"Rename it to {EXTENSION_OF[found]} and upload it again.")
        return
    if expected == "xlsx" and found is None:
        return  # other problems of an .xlsx are found by openpyxl
    label = {"spss": "an SPSS .sav file", "stata": "a Stata .dta file",
             "sas": "a SAS file (.sas7bdat or .xpt)", "feather": "a Feather / Arrow file",
             "ods": "an OpenDocument spreadsheet (.ods)",
             "xls": "an Excel 97-2003 workbook (.xls)",
             "xlsx": "an Excel workbook (.xlsx)"}[expected]
    really = DESCRIPTIONS[found] if found else _what_it_is(head)
    if really is None:
        raise DataError(f"'{name}' is named like {label} but does not start like one: it is "
                        "damaged or another kind of file.",
                        "Export the data again from the program that made it, or save it as CSV "
                        "and upload that.")
    if really == DESCRIPTIONS["text"]:
        fix = "If it is a CSV or TSV table, rename it to .csv (or .tsv) and upload it again."
    elif found:
        fix = f"Rename it to {EXTENSION_OF[found]} and upload it again."
    else:
        fix = "Upload it with its real extension, or export the data again."
    raise DataError(f"'{name}' is named like {label} but holds {really}.", fix)


def read_options_for(fmt: str, head: bytes) -> dict:
    """The pandas reader's keyword arguments for a file of ``fmt`` that starts with ``head``
    (recorded in the read options and written into the generated script)."""
    if fmt == "sas":
        if is_xport_v8(head):
            # pandas reads version 5 only; pyreadstat (pandas' SPSS engine) reads both
            return {"xport_version": 8}
        if sniff(head) == "xport":
            return {"format": "xport", "encoding": "ISO-8859-1"}  # XPORT records no encoding
        return {"format": "sas7bdat", "encoding": "infer"}  # the encoding the file records
    return {}


def is_xport_v8(head: bytes) -> bool:
    """A SAS transport file of version 8 (current SAS's ``xport`` engine and pyreadstat write
    it: long names and labels), which pandas' ``read_sas`` cannot read."""
    return sniff(head) == "xport" and b"LIBV8" in head[:80]


def read_xport_v8(src) -> "pd.DataFrame":
    """A SAS transport file of version 8, read by pyreadstat (from a path: it reads no buffers)
    with its dates as dates, the way pandas reads version 5."""
    import pyreadstat
    df, _meta = pyreadstat.read_xport(str(src))
    return df


def _head_of(path) -> bytes:
    with open(path, "rb") as f:
        return f.read(256)


def read_stat(data: bytes | None, path, fmt: str, name: str) -> tuple[pd.DataFrame, dict]:
    """Read a statistics-package or Arrow file (``data`` bytes, or a ``path``) with pandas'
    reader. SPSS and Stata value labels become categories (pandas' ``convert_categoricals``);
    a Stata file whose labels pandas cannot turn into categories (one label for two values) is
    read with its codes, and says so in the options."""
    import pandas as pd
    _, label, reader, package = STAT_FORMATS[fmt]
    opts = read_options_for(fmt, data[:256] if data is not None else _head_of(path))
    tmp = None
    try:
        v8 = bool(opts.get("xport_version") == 8)
        if (fmt == "spss" or v8) and path is None:  # pyreadstat reads from a path only
            fd, tmp = tempfile.mkstemp(suffix=os.path.splitext(name)[1] or
                                       (".xpt" if v8 else ".sav"))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        src = path if path is not None else (tmp or io.BytesIO(data))
        try:
            df = read_xport_v8(src) if v8 else getattr(pd, reader)(src, **opts)
        except ValueError as e:
            if fmt != "stata" or "not unique" not in str(e):
                raise
            opts["convert_categoricals"] = False  # labels shared by several values
            if hasattr(src, "seek"):
                src.seek(0)
            df = getattr(pd, reader)(src, **opts)
    except DataError:
        raise
    except ImportError as e:
        pkg = package or "pandas"
        pkg = "pyreadstat" if fmt == "sas" and opts.get("xport_version") == 8 else pkg
        raise DataError(f"Reading {label} needs the {pkg} package, which is not installed "
                        f"({str(e).strip()[:120]}).",
                        f"Install it (pip install {pkg}) or export the data as CSV.")
    except Exception as e:  # each engine raises its own exception types for a damaged file
        raise DataError(f"'{name}' could not be read as {label} ({type(e).__name__}: "
                        f"{str(e).strip()[:160]}).",
                        "The file is damaged or cut off (an interrupted download or copy?): "
                        "export or copy it again, or save the data as CSV.")
    finally:
        if tmp:
            os.unlink(tmp)
    if not isinstance(df, pd.DataFrame):  # read_sas/read_stata iterators are never asked for
        raise DataError(f"'{name}' could not be read as {label}.", "Export it again as CSV.")
    return df, opts
