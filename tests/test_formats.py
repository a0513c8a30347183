"""The files analysts and researchers export from other programs: SPSS ``.sav``, Stata ``.dta``,
SAS ``.sas7bdat`` / ``.xpt``, OpenDocument ``.ods``, Excel 97-2003 ``.xls`` and Feather / Arrow.

Each reads the same as an upload (bytes and a name) and as a server file (a path inside
``KWK_DATA_DIRS``), and the generated script's reading code, run on the file, gives the very
same DataFrame. Mislabelled and damaged files are refused with a message (more of them in the
corpus, ``tests/data/bad/``)."""
import gzip
import io
import re
import types

import numpy as np
import pandas as pd
import pytest

from kwk.codegen import generate_script
from kwk.data.loader import SUPPORTED_EXTENSIONS, list_sheets, load
from kwk.data.sources import list_server_files, load_server_file
from kwk.errors import DataError
from kwk.spec import normalize
from tests.testutil import ROOT

FIXTURES = ROOT / "tests" / "data" / "formats"
N = 60


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame({"age": rng.integers(18, 80, N).astype(float),
                         "sex": rng.choice([1.0, 2.0], N),
                         "score": rng.normal(50, 10, N).round(2),
                         "group": rng.choice(["north", "south", "east"], N),
                         "outcome": rng.choice([0.0, 1.0], N)})


def _write(fmt: str, folder):
    """A file of ``fmt`` in ``folder``; returns its path."""
    import pyreadstat
    df = _table()
    labels = {"sex": {1.0: "male", 2.0: "female"}, "outcome": {0.0: "no", 1.0: "yes"}}
    if fmt == "sav":
        path = folder / "survey.sav"
        pyreadstat.write_sav(df, str(path), variable_value_labels=labels)
    elif fmt == "dta":
        path = folder / "survey.dta"
        pyreadstat.write_dta(df, str(path), variable_value_labels={
            k: {int(c): v for c, v in m.items()} for k, m in labels.items()})
    elif fmt == "xpt":
        path = folder / "survey.xpt"
        pyreadstat.write_xport(df, str(path), file_format_version=5)  # the version pandas reads
    elif fmt == "xpt8":  # what current SAS and pyreadstat write by default: long names
        path = folder / "survey_v8.xpt"
        pyreadstat.write_xport(df.rename(columns={"outcome": "outcome_after_treatment"}),
                               str(path), file_format_version=8)
    elif fmt == "sas7bdat":
        path = folder / "sample.sas7bdat"
        path.write_bytes(gzip.decompress((FIXTURES / "sample.sas7bdat.gz").read_bytes()))
    elif fmt == "ods":
        path = folder / "survey.ods"
        with pd.ExcelWriter(path, engine="odf") as w:
            pd.DataFrame([["Survey 2024, all regions"]]).to_excel(w, sheet_name="Data", index=False,
                                                                 header=False)
            df.to_excel(w, sheet_name="Data", index=False, startrow=2)
            pd.DataFrame({"note": ["codes as in the codebook"]}).to_excel(w, sheet_name="Notes",
                                                                          index=False)
    elif fmt == "xls":
        path = folder / "survey.xls"
        path.write_bytes((FIXTURES / "survey.xls").read_bytes())
    elif fmt == "feather":
        path = folder / "survey.feather"
        df.to_feather(path)
    return path


FORMATS = ["sav", "dta", "xpt", "xpt8", "sas7bdat", "ods", "xls", "feather"]
EXPECTED = {  # fmt, read options, columns
    "sav": ("spss", {}, ["age", "sex", "score", "group", "outcome"]),
    "dta": ("stata", {}, ["age", "sex", "score", "group", "outcome"]),
    "xpt": ("sas", {"format": "xport", "encoding": "ISO-8859-1"},
            ["age", "sex", "score", "group", "outcome"]),
    "xpt8": ("sas", {"xport_version": 8},
             ["age", "sex", "score", "group", "outcome_after_treatment"]),
    "sas7bdat": ("sas", {"format": "sas7bdat", "encoding": "infer"},
                 ["mychar", "mynum", "mydate", "dtime", "mylabl", "myord", "mytime"]),
    # pandas' odf writer leaves two blank rows below the title for startrow=2: header row 3
    "ods": ("excel", {"sheet_name": "Data", "engine": "odf", "header": 3},
            ["age", "sex", "score", "group", "outcome"]),
    "xls": ("excel", {"sheet_name": "Survey", "engine": "xlrd", "header": 2},
            ["plot", "rainfall mm", "soil", "yield"]),
    "feather": ("feather", {}, ["age", "sex", "score", "group", "outcome"]),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    return folder, {f: _write(f, folder) for f in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_on_upload_and_as_a_server_file(files, fmt):
    folder, paths = files
    path = paths[fmt]
    assert path.suffix in SUPPORTED_EXTENSIONS
    assert str(path) in list_server_files([folder])
    server = load_server_file(str(path), dirs=[folder])
    upload = load(path.read_bytes(), name=path.name)
    kind, options, columns = EXPECTED[fmt]
    for ld in (server, upload):
        assert (ld.fmt, ld.read_options, list(ld.df.columns)) == (kind, options, columns)
    pd.testing.assert_frame_equal(server.df, upload.df)
    assert server.fingerprint == upload.fingerprint
    n = {"sas7bdat": 5, "xls": 40}.get(fmt, N)
    assert len(server.df) == n


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_value_labels_become_categories(files, fmt):
    df = load(files[1][fmt]).df
    assert isinstance(df["sex"].dtype, pd.CategoricalDtype)
    assert set(df["sex"].cat.categories) == {"male", "female"}
    assert (df["sex"] == "male").sum() == (_table()["sex"] == 1.0).sum()
    assert pd.api.types.is_float_dtype(df["score"])


def test_values_survive_the_round_trip(files):
    want = _table()
    for fmt in ("xpt", "xpt8", "feather", "ods"):
        got = load(files[1][fmt]).df
        np.testing.assert_allclose(got["score"].to_numpy(float), want["score"].to_numpy())
        assert got["group"].astype(str).tolist() == want["group"].tolist()
    sas = load(files[1]["sas7bdat"]).df
    assert sas["mychar"].tolist() == ["a", "b", "c", "d", "e"]  # text, not bytes
    assert pd.api.types.is_datetime64_any_dtype(sas["mydate"])


def test_workbook_sheets_are_listed(files):
    assert list_sheets(files[1]["ods"]) == ["Data", "Notes"]
    assert list_sheets(files[1]["xls"]) == ["Survey", "Notes"]
    with pytest.raises(DataError, match="has only one column"):
        load(files[1]["xls"], sheet="Notes")


def _script_frame(ld, path) -> pd.DataFrame:
    """Run the generated script's reading code (its DATA_PATH setting and its "Load the data"
    section, up to the first clean-up of the column names) on ``path``; its DataFrame."""
    spec = normalize({"data": {"target": ld.df.columns[-1], "task": "multiclass"},
                      "layers": [{"type": "Dense", "units": 4}]})
    spec["data"]["features"] = [str(c) for c in ld.df.columns[:-1]]
    spec["data"]["kinds"] = {str(c): "numeric" for c in ld.df.columns}
    code = generate_script(spec, data_path=str(path), fmt=ld.fmt, read_options=ld.read_options)
    settings = code[code.index("DATA_PATH = "):].split("\n", 1)[0] + "\n"
    start = code.index('"""\n## Load the data')
    end = code.index("df.columns = [str(c).strip() for c in df.columns]", start)
    block = settings + code[start:end] + "df.columns = [str(c).strip() for c in df.columns]\n"
    assert "pd.read_" in block or "pyreadstat.read_xport(DATA_PATH)" in block
    ns = {"sys": types.SimpleNamespace(argv=["train_script.py"]), "pd": pd, "np": np, "io": io}
    exec(compile("import os\nimport warnings\n" + block, "train_script.py", "exec"), ns)
    return ns["df"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_script_reads_the_same_data(files, fmt):
    path = files[1][fmt]
    ld = load(path)
    pd.testing.assert_frame_equal(_script_frame(ld, path), ld.df)


@pytest.mark.parametrize("name, data, message", [
    ("survey.sav", b"age,sex\n1,2\n3,4\n", "is named like an SPSS .sav file but holds text"),
    ("survey.dta", b"$FL2@(#) IBM SPSS",
     "is named like a Stata .dta file but holds an SPSS .sav file"),
    ("survey.sas7bdat", b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!",
     "is a SAS transport (.xpt) file, not what its extension says"),
    ("survey.feather", b"PAR1\x00\x00",
     "is named like a Feather / Arrow file but holds a Parquet file"),
    ("survey.ods", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
     "is named like an OpenDocument spreadsheet (.ods) but holds an Excel 97-2003 workbook"),
    ("survey.xls", b"PK\x03\x04 not a workbook",
     "is named like an Excel 97-2003 workbook (.xls) but holds a zip"),
    ("data.csv", b"$FL2@(#) IBM SPSS STATISTICS" + b"\x00" * 100,
     "is named like a CSV file but is an SPSS .sav file"),
])
def test_mislabelled_files_say_what_they_are(name, data, message):
    with pytest.raises(DataError, match=re.escape(message)) as e:
        load(data, name=name)
    assert e.value.hint


@pytest.mark.parametrize("fmt", ["sav", "dta", "xpt", "xpt8", "sas7bdat", "ods", "xls",
                                 "feather"])
def test_cut_off_files_are_refused_with_a_message(files, fmt):
    data = files[1][fmt].read_bytes()
    with pytest.raises(DataError) as e:
        load(data[:len(data) // 3], name=files[1][fmt].name)
    assert "could not be read as" in str(e.value) and e.value.hint, str(e.value)


def test_files_without_an_extension_are_recognised_by_their_bytes(files):
    for fmt in ("sav", "dta", "xpt", "xpt8", "feather", "xls"):
        ld = load(files[1][fmt].read_bytes(), name="export")
        assert ld.fmt == EXPECTED[fmt][0] and ld.read_options == EXPECTED[fmt][1]


def test_stata_labels_shared_by_two_codes_are_read_as_codes(tmp_path):
    import pyreadstat
    path = tmp_path / "shared.dta"
    df = pd.DataFrame({"a": [1.0, 2, 3, 1] * 5, "b": np.arange(20) / 2})
    pyreadstat.write_dta(df, str(path), variable_value_labels={"a": {1: "x", 2: "x", 3: "y"}})
    ld = load(path)
    assert ld.read_options == {"convert_categoricals": False}
    assert ld.df["a"].tolist() == df["a"].tolist() and "hold the codes" in ld.notes[0]
    pd.testing.assert_frame_equal(_script_frame(ld, path), ld.df)


def test_sas_transport_version_8_keeps_long_names_dates_and_accents(tmp_path):
    """Version 8 (the default of current SAS's XPORT engine and of pyreadstat) holds names over
    8 characters, dates and Latin-1 text; pandas refuses it, so pyreadstat reads it."""
    import pyreadstat
    df = pd.DataFrame({"systolic_blood_pressure": [120.5, 131.0, np.nan],
                       "visit_date": pd.to_datetime(["2021-03-01", "2022-11-30", None]),
                       "site": ["Genève", "Zürich", "Basel"]})
    pyreadstat.write_xport(df, str(tmp_path / "trial.xpt"), file_format_version=8)
    ld = load((tmp_path / "trial.xpt").read_bytes(), name="trial.xpt")
    assert ld.read_options == {"xport_version": 8}
    assert list(ld.df.columns) == list(df.columns)
    np.testing.assert_allclose(ld.df["systolic_blood_pressure"], df["systolic_blood_pressure"])
    assert pd.api.types.is_datetime64_any_dtype(ld.df["visit_date"])
    assert ld.df["visit_date"].dt.strftime("%Y-%m-%d").tolist()[:2] == ["2021-03-01", "2022-11-30"]
    assert ld.df["site"].tolist() == ["Genève", "Zürich", "Basel"]


def test_unreadable_variants_are_explained(tmp_path):
    import pyarrow as pa
    import pyreadstat
    df = _table()
    with pa.OSFile(str(tmp_path / "s.arrow"), "wb") as sink:
        with pa.ipc.new_stream(sink, pa.Schema.from_pandas(df, preserve_index=False)) as w:
            w.write_table(pa.Table.from_pandas(df, preserve_index=False))
    with pytest.raises(DataError, match="is an Arrow IPC stream"):
        load(tmp_path / "s.arrow")


@pytest.mark.slow
def test_a_labelled_spss_file_trains_and_its_script_reproduces_the_metrics(files, tmp_path):
    """Categories from value labels go through the whole pipeline: the CLI trains on the .sav
    (its labelled target 'outcome'), and the generated script, run on the same file, scores
    the same."""
    import json

    from tests.testutil import run_cli, run_script, tiny_spec
    path = files[1]["sav"]
    (tmp_path / "spec.json").write_text(json.dumps(tiny_spec("outcome", epochs=3)))
    r = run_cli("train", path, "--spec", tmp_path / "spec.json", "--out", tmp_path / "run",
                "--quiet")
    assert r.returncode == 0, r.stderr
    assert "pd.read_spss(DATA_PATH)" in (tmp_path / "run" / "train_script.py").read_text()
    app = json.loads((tmp_path / "run" / "metrics.json").read_text())["test"]
    p = run_script(tmp_path / "run" / "train_script.py", path, tmp_path / "out")
    assert p.returncode == 0, p.stderr[-3000:]
    mine = json.loads((tmp_path / "out" / "script_metrics.json").read_text())
    for k, v in mine.items():
        assert v == pytest.approx(app[k], rel=1e-3, abs=1e-3), k


@pytest.mark.parametrize("name", ["password.xlsx", "password.xls"])
def test_listing_the_sheets_of_a_protected_workbook_says_so(name):
    """The Data page lists a workbook's sheets before reading it: same message as reading."""
    data = (ROOT / "tests" / "data" / "bad" / name).read_bytes()
    for call in (lambda: list_sheets(data, name), lambda: load(data, name=name)):
        with pytest.raises(DataError, match="is protected with a password"):
            call()
