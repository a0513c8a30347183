"""Server-side files (only inside KWK_DATA_DIRS) and SQL sources (a real SQLite file)."""
import json
import sqlite3

import pytest

from testutil import run_cli, run_script, tiny_spec
from kwk.data.sources import list_server_files, read_sql, redact_url, server_path
from kwk.errors import DataError


@pytest.fixture(scope="module")
def db(tmp_path_factory, iris_df):
    path = tmp_path_factory.mktemp("db") / "shop.db"
    with sqlite3.connect(path) as con:
        iris_df.to_sql("iris", con, index=False)
    return path


def test_sql_query_reads_rows(db):
    ld = read_sql(f"sqlite:///{db}", "SELECT * FROM iris WHERE species != 'setosa'")
    assert ld.df.shape == (100, 5) and ld.fmt == "sql" and ld.name.startswith("SQL: SELECT")
    assert ld.read_options == {"url": f"sqlite:///{db}", "query": "SELECT * FROM iris WHERE species != 'setosa'"}
    again = read_sql(f"sqlite:///{db}", "SELECT * FROM iris WHERE species != 'setosa'")
    assert again.fingerprint == ld.fingerprint


@pytest.mark.parametrize("url,query,message", [
    ("sqlite:///{db}", "SELECT * FROM nowhere", "no such table: nowhere"),
    ("sqlite:///{db}", "DELETE FROM iris", "returns no rows"),
    ("sqlite:///{db}", "SELECT * FROM iris WHERE 1 = 0", "returned no rows"),
    ("sqlite:///{db}", "SELECT species FROM iris", "single column"),
    ("nosuchdb://host/x", "SELECT 1", "is not supported here"),
    ("not a url", "SELECT 1", "not valid"),
    ("", "SELECT 1", "No database URL"),
])
def test_sql_problems_are_explained(db, url, query, message):
    with pytest.raises(DataError, match=message):
        read_sql(url.format(db=db), query)
    with sqlite3.connect(db) as con:  # nothing was changed, even by a DELETE
        assert con.execute("SELECT COUNT(*) FROM iris").fetchone()[0] == 150


def test_credentials_never_leave_the_url():
    url = "postgresql+psycopg://bob:s3cret@db.example.com:5432/sales?sslmode=require"
    safe = redact_url(url)
    assert "s3cret" not in safe and "bob" not in safe and "db.example.com:5432/sales" in safe
    with pytest.raises(DataError) as e:  # the driver is not installed here
        read_sql(url, "SELECT 1")
    assert "s3cret" not in str(e.value) and "bob" not in str(e.value)


@pytest.mark.slow
def test_cli_trains_from_sql_and_the_script_reads_the_url_from_the_environment(db, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(tiny_spec("species", epochs=3)))
    url = f"sqlite:///{db}"
    p = run_cli("profile", "--db", url, "--sql", "SELECT * FROM iris")
    assert p.returncode == 0 and json.loads(p.stdout)["rows"] == 150
    p = run_cli("train", "--db", url, "--sql", "SELECT * FROM iris", "--spec", spec,
                "--out", tmp_path / "m", "--quiet")
    assert p.returncode == 0, p.stderr
    script = (tmp_path / "m" / "train_script.py").read_text()
    assert 'os.environ.get("KWK_DB_URL")' in script and "SELECT * FROM iris" in script
    r = run_script(tmp_path / "m" / "train_script.py", "", tmp_path / "s",
                   env={"KWK_DB_URL": url})
    assert r.returncode == 0, r.stderr[-2000:]
    ours = json.loads((tmp_path / "m" / "metrics.json").read_text())["test"]
    theirs = json.loads((tmp_path / "s" / "script_metrics.json").read_text())
    assert abs(ours["accuracy"] - theirs.get("test", theirs)["accuracy"]) < 1e-6
    p = run_cli("train", "--db", url, "--sql", "SELECT * FROM nope", "--spec", spec,
                "--out", tmp_path / "m2", "--quiet")
    assert p.returncode == 2 and "no such table" in p.stderr


def test_server_files_stay_inside_the_allowed_folders(tmp_path):
    allowed = tmp_path / "shared"
    (allowed / "sub").mkdir(parents=True)
    (allowed / "sub" / "sales.csv").write_text("a,b\n1,2\n3,4\n")
    (allowed / "notes.md").write_text("no")
    secret = tmp_path / "secret.csv"
    secret.write_text("x,y\n1,2\n")
    (allowed / "link.csv").symlink_to(secret)
    dirs = [allowed.resolve()]
    assert list_server_files(dirs) == [str(allowed / "sub" / "sales.csv")]  # not the link out
    assert server_path("sub/sales.csv", dirs) == (allowed / "sub" / "sales.csv").resolve()
    for bad in ("../secret.csv", str(secret), "link.csv", "sub/../../secret.csv"):
        with pytest.raises(DataError, match="not inside the folders"):
            server_path(bad, dirs)
    with pytest.raises(DataError, match="switched off"):
        server_path("sub/sales.csv", [])
