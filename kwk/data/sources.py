"""Data that does not come from an upload: a file on the server and a SQL query.

- Server files: only inside the folders an administrator lists in ``KWK_DATA_DIRS`` (separated
  by ``os.pathsep``). Paths are resolved (``..`` and symbolic links included) and refused when
  they end up outside those folders.
- SQL: a query over a SQLAlchemy URL (SQLite works out of the box; PostgreSQL, MySQL and others
  need their driver installed). The URL's user name and password never reach a run record, a
  generated script or a message: only :func:`redact_url` text is kept, and generated scripts
  read the URL from the ``KWK_DB_URL`` environment variable.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from typing import TYPE_CHECKING

from kwk.data.formats import SUPPORTED_EXTENSIONS
from kwk.errors import DataError

if TYPE_CHECKING:  # pandas and the loader come when something is read, not to list folders
    from kwk.data.loader import LoadedData

MAX_SQL_ROWS = 5_000_000
MAX_LISTED = 500


def data_dirs() -> list[Path]:
    """The folders server files may come from (``$KWK_DATA_DIRS``), resolved; missing ones are
    skipped."""
    raw = os.environ.get("KWK_DATA_DIRS", "")
    out = []
    for part in raw.split(os.pathsep):
        if part.strip():
            p = Path(part.strip()).expanduser().resolve()
            if p.is_dir():
                out.append(p)
    return out


def list_server_files(dirs: list[Path] | None = None) -> list[str]:
    """Supported data files under the allowed folders (at most ``MAX_LISTED``), as paths."""
    dirs = data_dirs() if dirs is None else dirs
    found = []
    for d in dirs:
        for p in sorted(d.rglob("*")):
            if (p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS
                    and not p.name.startswith(".") and p.resolve().is_relative_to(d)):
                found.append(str(p))
                if len(found) >= MAX_LISTED:
                    return found
    return found


def server_path(path: str, dirs: list[Path] | None = None) -> Path:
    """``path`` resolved, when it lies inside an allowed folder; DataError otherwise."""
    dirs = data_dirs() if dirs is None else dirs
    if not dirs:
        raise DataError("Reading files from the server is switched off.",
                        "An administrator can allow folders with the KWK_DATA_DIRS setting.")
    p = Path(path).expanduser()
    if not p.is_absolute():
        p = dirs[0] / p
    real = p.resolve()
    if not any(real == d or real.is_relative_to(d) for d in dirs):
        raise DataError(f"'{path}' is not inside the folders KwK may read.",
                        "Choose a file from the list (allowed: "
                        + ", ".join(str(d) for d in dirs) + ").")
    if not real.is_file():
        raise DataError(f"'{path}' is not a file.", "Choose a file from the list.")
    return real


def load_server_file(path: str, sheet=None, dirs: list[Path] | None = None) -> LoadedData:
    from kwk.data.loader import load
    return load(server_path(path, dirs), sheet=sheet)


def redact_url(url: str) -> str:
    """The URL without user name and password (``postgresql://***@host/db``)."""
    try:
        from sqlalchemy.engine import make_url
        u = make_url(url)
        if u.username or u.password:
            u = u.set(username="***", password=None)
        return u.render_as_string(hide_password=True)
    except Exception:  # not parseable: keep only the scheme
        return (url.split(":", 1)[0] + "://***") if ":" in url else "***"


def _scrub(text: str, url: str) -> str:
    """Remove the URL's secrets from a driver's error message."""
    try:
        from sqlalchemy.engine import make_url
        u = make_url(url)
        for secret in (u.password, u.username):
            if secret:
                text = text.replace(str(secret), "***")
    except Exception:
        pass
    return text.replace(url, redact_url(url))


def read_sql(url: str, query: str, max_rows: int = MAX_SQL_ROWS) -> LoadedData:
    """Run ``query`` on the database at ``url`` (a SQLAlchemy URL) and return its rows."""
    import pandas as pd

    from kwk.data.loader import LoadedData
    if not url or not url.strip():
        raise DataError("No database URL given.",
                        "Give a SQLAlchemy URL, e.g. sqlite:////path/to/file.db or "
                        "postgresql+psycopg://user@host/db (or set KWK_DB_URL).")
    if not query or not query.strip():
        raise DataError("No SQL query given.", "Write a query such as SELECT * FROM sales.")
    try:
        import sqlalchemy
        from sqlalchemy import exc
    except ImportError:
        raise DataError("SQL sources need the sqlalchemy package.", "pip install sqlalchemy")
    try:
        engine = sqlalchemy.create_engine(url)
    except exc.NoSuchModuleError as e:
        raise DataError(f"The database type of {redact_url(url)} is not supported here "
                        f"({_scrub(str(e), url)}).",
                        "Install its driver (e.g. pip install psycopg for PostgreSQL).")
    except (exc.ArgumentError, ValueError) as e:
        raise DataError(f"The database URL is not valid: {_scrub(str(e), url)[:200]}",
                        "Use a SQLAlchemy URL, e.g. sqlite:////path/to/file.db.")
    except ImportError as e:
        raise DataError(f"The driver for {redact_url(url)} is not installed ({e}).",
                        "Install it, e.g. pip install psycopg for PostgreSQL.")
    try:
        with engine.connect() as conn:
            rows = conn.execution_options(stream_results=True).execute(sqlalchemy.text(query))
            if not rows.returns_rows:
                raise DataError("The SQL statement returns no rows.",
                                "Use a SELECT query; KwK only reads from databases.")
            chunk = rows.fetchmany(max_rows + 1)
            df = pd.DataFrame(chunk, columns=[str(c) for c in rows.keys()])
            conn.rollback()  # never keep a change a statement might have made
    except DataError:
        raise
    except exc.SQLAlchemyError as e:
        msg = _scrub(str(getattr(e, "orig", None) or e), url).splitlines()[0][:300]
        raise DataError(f"The database answered with an error: {msg}",
                        "Check the query (table and column names) and that the database is "
                        "reachable.")
    finally:
        engine.dispose()
    if len(df) > max_rows:
        raise DataError(f"The query returns more than {max_rows:,} rows.",
                        "Add a WHERE clause or a LIMIT, or sample the rows in SQL.")
    if df.empty:
        raise DataError("The query returned no rows.", "Check its WHERE clause.")
    if df.shape[1] < 2:
        raise DataError("The query returns a single column.",
                        "Select the target and at least one input column.")
    if len(set(df.columns)) != df.shape[1]:
        dup = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
        raise DataError(f"The query returns several columns named {', '.join(dup)}.",
                        "Give each column a unique name with AS.")
    for c in df.columns:  # database decimals and dates arrive as objects
        if df[c].dtype == object:
            conv = pd.to_numeric(df[c], errors="coerce")
            if conv.notna().sum() == df[c].notna().sum() and df[c].notna().any():
                df[c] = conv
    safe = redact_url(url)
    digest = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes()
                            + query.encode()).hexdigest()[:16]
    short = re.sub(r"\s+", " ", query.strip())[:60]
    return LoadedData(df=df, name=f"SQL: {short}", fmt="sql",
                      read_options={"url": safe, "query": query},
                      fingerprint="sha256:" + digest, n_bytes=int(df.memory_usage(deep=True).sum()))
