import io

import numpy as np
import pandas as pd
import pytest

from kwk.data import infer_kind, list_sheets, load
from kwk.data.profile import profile
from kwk.errors import DataError

CSV = "a,b,c\n1,x,2.5\n2,y,3.5\n3,x,4.5\n"


@pytest.mark.parametrize("encoding,sep,ext", [("utf-8", ",", ".csv"), ("utf-8-sig", ",", ".csv"),
                                              ("cp1252", ";", ".csv"), ("latin-1", "\t", ".tsv"),
                                              ("utf-8", "|", ".txt")])
def test_csv_encodings_and_delimiters(encoding, sep, ext):
    text = f"name{sep}città{sep}value\nAndré{sep}Zürich{sep}1\nJosé{sep}Köln{sep}2\n"
    ld = load(text.encode(encoding), name="f" + ext)
    assert list(ld.df.columns) == ["name", "città", "value"]
    assert ld.df.iloc[0, 1] == "Zürich"
    assert ld.read_options["sep"] == sep
    # the recorded options re-read the same table with plain pandas (the generated script does)
    again = pd.read_csv(io.BytesIO(text.encode(encoding)), **ld.read_options)
    assert again.equals(ld.df)


def test_bom_header_is_clean():
    ld = load("\ufeffx,y\n1,2\n3,4\n".encode("utf-8"), name="bom.csv")
    assert list(ld.df.columns) == ["x", "y"]
    assert ld.read_options["encoding"] == "utf-8-sig"


def test_path_and_bytes_give_same_frame_and_fingerprint(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(CSV)
    a, b = load(p), load(p.read_bytes(), name="d.csv")
    assert a.df.equals(b.df) and a.fingerprint == b.fingerprint and a.name == "d.csv"


def test_excel_sheet_choice(tmp_path):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_excel(w, sheet_name="first", index=False)
        pd.DataFrame({"c": [5, 6, 7], "d": ["x", "y", "z"]}).to_excel(w, sheet_name="second",
                                                                      index=False)
    assert list_sheets(p) == ["first", "second"]
    assert list(load(p).df.columns) == ["a", "b"]
    ld = load(p, sheet="second")
    assert list(ld.df.columns) == ["c", "d"] and ld.read_options == {"sheet_name": "second"}
    with pytest.raises(DataError, match="no sheet named 'third'"):
        load(p, sheet="third")


def test_parquet_and_jsonl(tmp_path):
    df = pd.DataFrame({"a": [1.0, 2.0, None], "b": ["x", "y", "z"]})
    df.to_parquet(tmp_path / "d.parquet")
    assert load(tmp_path / "d.parquet").df.shape == (3, 2)
    df.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    ld = load(tmp_path / "d.jsonl")
    assert ld.df.shape == (3, 2) and ld.fmt == "jsonl"


@pytest.mark.parametrize("data,name,match", [
    (b"", "empty.csv", "is empty"),
    (b"   \n\n", "blank.csv", "is empty"),
    (bytes(range(256)) * 50, "binary.csv", "binary"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "picture.csv", "binary"),
    (b"PK\x03\x04" + b"\x00" * 100, "renamed.csv", "named like a CSV"),
    (b"a,b\n1,2\n3,4,5\n", "ragged.csv", r"Row 3 has 3 values"),
    (b"1.5,2.5,3\n4,5,6\n", "noheader.csv", "looks like data, not column names"),
    (b"onlyone\n1\n2\n", "single.csv", "only one column"),
    (b"a,b,a\n1,2,3\n", "dups.csv", "share the same name: 'a'"),
    (b"a,b\n", "header_only.csv", "no data rows"),
    (b"not really an excel file", "fake.xlsx", "could not be read as an Excel"),
    (b"garbage", "fake.parquet", "could not be read as a Parquet"),
    (b"\x00\x01\x02", "thing.bin", "not supported"),
])
def test_bad_files_raise_clear_data_errors(data, name, match):
    with pytest.raises(DataError, match=match) as e:
        load(data, name=name)
    assert e.value.hint  # every data error tells the user what to do


def test_missing_path():
    with pytest.raises(DataError, match="File not found"):
        load("/nonexistent/file.csv")


def test_kind_inference():
    n = 60
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "num": rng.normal(size=n), "cat": rng.choice(["a", "b", "c"], n),
        "flag": rng.choice(["yes", "no"], n), "zeroone": rng.integers(0, 2, n),
        "when": pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
        "row_id": np.arange(n), "name": [f"person {i} with a long free text note" * 2 for i in range(n)],
        "const": 5, "empty": np.nan,
        "qmark": ["?"] * 9 + ["N/A"] * 3 + [str(x) for x in rng.normal(size=n - 12)],
    })
    kinds = {c: infer_kind(df[c])[0] for c in df}
    assert kinds == {"num": "numeric", "cat": "categorical", "flag": "boolean",
                     "zeroone": "boolean", "when": "datetime", "row_id": "identifier",
                     "name": "text", "const": "constant", "empty": "constant", "qmark": "numeric"}


def test_profile_contents_and_warnings():
    n = 200
    rng = np.random.default_rng(1)
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "x_copy": x * 2 + 0.001 * rng.normal(size=n),
                       "mostly_missing": np.where(rng.random(n) < 0.6, np.nan, 1.0 * rng.random(n)),
                       "many": [f"label{i % 80}" for i in range(n)], "id": np.arange(n),
                       "const": "same", "y": np.where(rng.random(n) < 0.05, "rare", "common")})
    df = pd.concat([df, df.iloc[:3]], ignore_index=True)  # 3 duplicate rows
    p = profile(df, target="y")
    assert p["rows"] == n + 3 and p["columns"] == 7 and p["duplicate_rows"] == 3
    col = {c["name"]: c for c in p["columns_info"]}
    assert col["x"]["stats"]["min"] == pytest.approx(df["x"].min())
    assert col["x"]["stats"]["median"] == pytest.approx(df["x"].median())
    assert sum(col["x"]["histogram"]["counts"]) == n + 3
    assert col["mostly_missing"]["missing_pct"] > 50
    assert col["many"]["top"][0]["count"] >= 2
    text = " | ".join(w["message"] for w in p["warnings"])
    for expected in ("highly correlated", "many missing", "constant",
                     "high cardinality", "target imbalance", "duplicate rows"):
        assert expected in text, expected
    import json
    json.dumps(p)  # plain JSON
    ids = profile(df.drop_duplicates().assign(id=lambda d: np.arange(len(d))))
    assert any("ID-like" in w["message"] for w in ids["warnings"])


def test_profile_big_frame_samples_and_says_so():
    n = 150_000
    df = pd.DataFrame({"f": np.random.default_rng(0).normal(size=n), "g": np.arange(n) % 7})
    c = {c["name"]: c for c in profile(df)["columns_info"]}
    assert c["f"]["sampled_rows"] == 100_000 and c["f"]["unique_estimated"]
    assert c["g"]["unique"] == 7 and not c["g"]["unique_estimated"]


def test_decimal_comma_european_export():
    ld = load("Stadt;Preis;Menge\nKöln;1,5;3\nBonn;2,25;4\n".encode("cp1252"), name="de.csv")
    assert ld.df["Preis"].tolist() == [1.5, 2.25] and ld.read_options["decimal"] == ","
    assert ld.df["Stadt"].tolist() == ["Köln", "Bonn"]


def test_duplicate_rows_exact_on_big_frames():
    from kwk.data.profile import _duplicate_rows
    rng = np.random.default_rng(0)
    n = 50_000
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 3, n)})
    # 123 true duplicates, and 5 rows that repeat column 'a' only (not duplicates)
    df = pd.concat([df, df.iloc[:123], df.iloc[:5].assign(b=9)], ignore_index=True)
    assert _duplicate_rows(df) == df.duplicated().sum() == 123
    assert _duplicate_rows(df.drop_duplicates()) == 0


def test_nested_json_cells_become_text(tmp_path):
    import json
    p = tmp_path / "n.jsonl"
    p.write_text("\n".join(json.dumps({"a": i, "tags": ["x"] * (i % 3), "m": {"k": i % 2}})
                           for i in range(30)))
    df = load(p).df
    assert df["tags"].iloc[1] == '["x"]' and df["m"].iloc[0] == '{"k": 0}'
    assert profile(df)["columns_info"][1]["unique"] == 3


def test_empty_first_sheet_points_to_the_others(tmp_path):
    p = tmp_path / "b.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"note": []}).to_excel(w, sheet_name="readme", index=False)
        pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_excel(w, sheet_name="data", index=False)
    with pytest.raises(DataError, match="no data rows") as e:
        load(p)
    assert "data" in e.value.hint


def test_one_column_files_are_refused_unless_asked_for():
    from kwk.data import load
    data = b"review\ngreat film\nawful plot\n"
    with pytest.raises(DataError, match="only one column"):
        load(data, name="new.csv")
    ld = load(data, name="new.csv", min_columns=1)  # new rows for a text model
    assert list(ld.df.columns) == ["review"] and len(ld.df) == 2


def test_correlations_of_huge_and_tiny_numbers_do_not_overflow():
    import warnings

    from kwk.data.profile import correlations
    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    df = pd.DataFrame({"huge": a * 1e200, "tiny": a * 1e-300, "b": a + rng.normal(size=500),
                       "flat": np.ones(500)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        m = np.array(correlations(df, list(df.columns))["matrix"], dtype=float)
    assert m[0, 1] == pytest.approx(1.0) and m[0, 2] == pytest.approx(m[1, 2])
    assert np.isnan(m[3]).all()


# ------------------------------------------------------------------ numbers written for people

@pytest.mark.parametrize("text,decimal,expected", [
    ("$1,234.50", ".", 1234.5), ("-$5.00", ".", -5.0), ("$-5", ".", -5.0), ("12.5%", ".", 12.5),
    ("12.5 %", ".", 12.5), ("(300.00)", ".", -300.0), ("€ 1.234,50", ",", 1234.5),
    ("1\u00a0234,5 €", ",", 1234.5), ("£7", ".", 7.0), ("1,234,567", ".", 1234567.0),
    ("1,5", ".", None), ("12,34", ".", None), ("abc", ".", None), ("?", ".", None),
])
def test_formatted_numbers_are_read_as_people_write_them(text, decimal, expected):
    from kwk.data.numbers import parse_formatted
    got = parse_formatted(pd.Series([text, None], dtype=object), decimal)
    assert pd.isna(got.iloc[1])
    assert (pd.isna(got.iloc[0]) if expected is None else got.iloc[0] == pytest.approx(expected))


def test_columns_of_formatted_numbers_are_read_as_numbers_with_a_note():
    n = 60
    rng = np.random.default_rng(0)
    v = rng.uniform(100, 9000, n)
    df = pd.DataFrame({"price": [f"${x:,.2f}" for x in v], "share": [f"{x / 100:.1f}%" for x in v],
                       "loss": [f"({x:,.0f})" if i % 3 else f"{x:,.0f}" for i, x in enumerate(v)],
                       "when": pd.date_range("2020-01-01", periods=n).strftime("%d.%m.%Y"),
                       "plain": v.round(2).astype(str), "city": rng.choice(["Paris", "Lyon"], n),
                       "code": [f"A{i:03d}" for i in range(n)], "y": rng.integers(0, 2, n)})
    df.loc[5, "price"] = "?"  # a placeholder: missing, not a reason to give up
    ld = load(df.to_csv(index=False).encode(), name="money.csv")
    assert ld.read_options["formatted_numbers"] == {"price": ".", "share": ".", "loss": "."}
    assert ld.df["price"].iloc[0] == pytest.approx(round(v[0], 2)) and pd.isna(ld.df["price"].iloc[5])
    assert ld.df["loss"].iloc[1] == pytest.approx(-round(v[1])) and ld.df["loss"].iloc[0] > 0
    assert infer_kind(ld.df["share"])[0] == "numeric"
    assert ld.df["city"].iloc[0] in ("Paris", "Lyon") and ld.df["code"].iloc[0] == "A000"
    assert ld.df["when"].iloc[0] == "01.01.2020"
    assert any("'price', 'share', 'loss' hold numbers written with currency" in n for n in ld.notes)
    # a decimal-comma export: 1.234,50 €
    eu = pd.DataFrame({"Preis": [f"{x:,.2f} €".replace(",", "_").replace(".", ",").replace("_", ".")
                                 for x in v], "Menge": np.arange(n)})
    ld = load(eu.to_csv(index=False, sep=";").encode(), name="eu.csv")
    assert ld.read_options["formatted_numbers"] == {"Preis": ","}
    assert np.allclose(ld.df["Preis"], v.round(2))
    ld = load(eu.to_csv(index=False).encode(), name="eu.csv")  # quoted, in a comma file
    assert ld.read_options["formatted_numbers"] == {"Preis": ","}
    assert np.allclose(ld.df["Preis"], v.round(2))
    # words with a few numbers among them stay words
    mixed = pd.DataFrame({"note": ["$5"] * 3 + ["call back"] * 57, "y": range(n)})
    assert "formatted_numbers" not in load(mixed.to_csv(index=False).encode(), name="m.csv").read_options


def test_trailing_empty_header_cells_are_dropped_only_when_empty():
    text = "a,b,y,,\n1,2,x,,\n3,4,z,,\n5,6,x,,\n"
    ld = load(text.encode(), name="t.csv")
    assert list(ld.df.columns) == ["a", "b", "y"] and ld.read_options["blank_tail_columns"] == 2
    from kwk.data.loader import after_read, reader_options
    again = after_read(pd.read_csv(io.BytesIO(text.encode()), **reader_options(ld.read_options)),
                       ld.read_options)
    assert again.equals(ld.df)
    with pytest.raises(DataError, match="last 1 column\\(s\\) of 't.csv' hold values but have no name"):
        load(b"a,b,\n1,2,3\n4,5,6\n", name="t.csv")
    with pytest.raises(DataError, match="same name"):  # blank names in the middle: still refused
        load(b"a,,,b\n1,2,3,4\n", name="t.csv")


@pytest.mark.parametrize("name,data,columns,first", [
    ("comments.csv", b"# exported by Device 3000\n# units: mm\na,b,y\n1,2,x\n3,4,z\n",
     ["a", "b", "y"], [1, 2, "x"]),
    ("blank_and_comments.csv", b"\n# exported, by Device 3000\n\n#units: mm\n\na;b;y\n1;2;x\n3;4;z\n",
     ["a", "b", "y"], [1, 2, "x"]),
    ("excel_sep.csv", b"sep=;\r\na;b;y\r\n1,5;2;x\r\n3,5;4;z\r\n", ["a", "b", "y"], [1.5, 2, "x"]),
    ("pokemon.csv", b"#,Name,Type\n1,Bulbasaur,Grass\n2,Ivysaur,Grass\n", ["#", "Name", "Type"],
     [1, "Bulbasaur", "Grass"]),
    ("note_then_hash_header.csv", b"# exported\n#,Name,Type\n1,Bulbasaur,Grass\n2,Ivysaur,Grass\n",
     ["#", "Name", "Type"], [1, "Bulbasaur", "Grass"]),
    ("trailing_delimiter_in_rows.csv", b"a,b,y\n1,2,x,\n3,4,z,\n5,6,x,\n", ["a", "b", "y"], [1, 2, "x"]),
    ("comment_with_commas.csv", b"# exported, by tool, v2\na,b,y\n1,2,x\n3,4,z\n", ["a", "b", "y"],
     [1, 2, "x"]),
    ("hash_id_header.csv", b"#id,b,y\n1,2,x\n3,4,z\n", ["#id", "b", "y"], [1, 2, "x"]),
    ("count_header.csv", b"# of items,price\n3,4.5\n5,6.5\n", ["# of items", "price"], [3, 4.5]),
])
def test_lines_above_the_header_and_row_end_delimiters(name, data, columns, first):
    """Instrument exports with comment lines, Excel's 'sep=;' line, a delimiter at the end of
    every data row (pandas would silently shift the columns): read as they look, and the
    recorded options read them the same way with plain pandas (as the script does)."""
    from kwk.data.loader import after_read, reader_options
    ld = load(data, name=name)
    assert list(ld.df.columns) == columns and ld.df.iloc[0].tolist() == first
    again = after_read(pd.read_csv(io.BytesIO(data), **reader_options(ld.read_options)),
                       ld.read_options)
    assert again.equals(ld.df)


def test_rows_with_more_values_than_the_header_are_refused():
    data = b"a,b,y\n" + b"1,2,x,\n" * 60 + b"1,2,3,4\n"
    with pytest.raises(DataError, match="more values than the header names columns"):
        load(data, name="r.csv")


def test_a_title_above_the_table_is_skipped_in_excel_and_csv():
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["Sales report 2024"])
    ws.append([])
    ws.append(["region", "units", "price", "churned"])
    for i in range(20):
        ws.append(["north" if i % 2 else "south", i, 1.5 * i, "yes" if i % 3 else "no"])
    buf = io.BytesIO()
    wb.save(buf)
    ld = load(buf.getvalue(), name="report.xlsx")
    assert list(ld.df.columns) == ["region", "units", "price", "churned"] and len(ld.df) == 20
    assert pd.read_excel(io.BytesIO(buf.getvalue()), **ld.read_options).equals(ld.df)
    ld = load(b"Sales report 2024\n\nregion,units,y\nnorth,1,x\nsouth,2,z\nnorth,3,x\n", name="r.csv")
    assert list(ld.df.columns) == ["region", "units", "y"] and len(ld.df) == 3
    # one column of texts with commas in them is not a title above a table
    with pytest.raises(DataError, match="ragged"):
        load(b"review\nGreat, loved it\nBad, it broke\nFine, ok\n", name="t.csv", min_columns=1)


def test_formulas_without_saved_values_are_found_below_a_title():
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["Quarterly totals"])
    ws.append(["a", "b", "total"])
    for i in range(3, 40):
        ws.append([i, i * 2, f"=A{i}+B{i}"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(DataError, match="'total' of sheet 'Sheet' hold formulas"):
        load(buf.getvalue(), name="q.xlsx")


def test_a_one_column_file_of_quoted_texts_keeps_its_header():
    df = pd.DataFrame({"customer review": ["Great, loved it", "Bad, it broke", "Fine, ok"] * 5})
    ld = load(df.to_csv(index=False).encode(), name="new.csv", min_columns=1)
    assert list(ld.df.columns) == ["customer review"] and len(ld.df) == 15


def test_plain_files_read_as_pandas_reads_them():
    """Random ordinary tables (odd names, quotes, '#' and '%' inside values, any delimiter):
    the loader's extra steps (title and comment lines, trailing delimiters, formatted
    numbers) never change what plain pandas reads."""
    rng = np.random.default_rng(0)
    words = ["alpha", "beta gamma", "x, y", "#tag", 'say "hi"', "naïve", "", "1,5", "$", "50%"]
    for _ in range(60):
        n, k = int(rng.integers(3, 40)), int(rng.integers(2, 7))
        cols = {}
        for j in range(k):
            name = str(rng.choice(["id", "value", "my col", "#", "Größe", "a b c"])) + str(j)
            kind = rng.integers(0, 4)
            cols[name] = (rng.normal(size=n).round(3) if kind == 0 else rng.integers(-5, 1000, n)
                          if kind == 1 else rng.choice(words, n) if kind == 2 else
                          pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"))
        sep = str(rng.choice([",", ";", "\t", "|"]))
        text = pd.DataFrame(cols).to_csv(index=False, sep=sep)
        ld = load(text.encode(), name="f.csv")
        ref = pd.read_csv(io.StringIO(text), sep=sep)
        assert list(ld.df.columns) == list(ref.columns), text[:200]
        assert ld.df.astype(str).equals(ref.astype(str)), text[:200]


def test_a_header_with_some_blank_names_is_not_mistaken_for_a_title():
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["city", None, "kind", None, "y"])  # two unnamed columns, then rows of words
    for i in range(12):
        ws.append(["Paris", "a", "big" if i % 2 else "small", "x", "yes" if i % 3 else "no"])
    buf = io.BytesIO()
    wb.save(buf)
    ld = load(buf.getvalue(), name="h.xlsx")
    assert "header" not in ld.read_options and len(ld.df) == 12 and ld.df.columns[0] == "city"


def _zipped(files: dict) -> bytes:
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            z.writestr(n, d)
    return buf.getvalue()


def test_tables_packed_in_gz_or_zip_are_read_and_reread_the_same_way(tmp_path):
    import gzip
    import zipfile
    from kwk.data.loader import after_read, reader_options
    raw = pd.DataFrame({"a": range(30), "b": ["x", "y", "z"] * 10, "y": [0, 1] * 15}).to_csv(index=False)
    plain = load(raw.encode(), name="t.csv").df
    gz = gzip.compress(raw.encode())
    for name, data in (("t.csv.gz", gz), ("t.gz", gz),
                       ("two_members.csv.gz", gzip.compress(raw[:40].encode()) + gzip.compress(raw[40:].encode()))):
        ld = load(data, name=name)
        assert ld.df.equals(plain) and ld.read_options["compression"] == "gzip", name
        (tmp_path / name).write_bytes(data)
        again = pd.read_csv(tmp_path / name, **reader_options(ld.read_options))
        assert after_read(again, ld.read_options).equals(plain)
    kaggle = _zipped({"archive/train.csv": raw, "__MACOSX/archive/._train.csv": "junk", "README.md": "x"})
    ld = load(kaggle, name="archive.zip")
    assert ld.df.equals(plain) and ld.fmt == "csv" and ld.read_options["zip_member"] == "archive/train.csv"
    with zipfile.ZipFile(io.BytesIO(kaggle)) as z:  # as the generated script reads it
        again = pd.read_csv(io.BytesIO(z.read(ld.read_options["zip_member"])),
                            **reader_options(ld.read_options))
    assert again.equals(plain)
    assert ld.fingerprint == load(kaggle, name="archive.zip").fingerprint


@pytest.mark.parametrize("name,case,message", [
    ("cut.csv.gz", "cut", "is cut off"),
    ("two.zip", "two", "holds 2 tables \\(a.csv, b.csv\\): KwK reads one table at a time"),
    ("nothing.zip", "nothing", "no pictures .* and no CSV or JSON table"),
    ("book.xlsx.gz", "sheet", "KwK reads CSV, TSV and JSON tables from a .gz or .zip"),
])
def test_packed_files_that_cannot_be_read_say_why(name, case, message):
    import gzip
    rng = np.random.default_rng(0)
    raw = pd.DataFrame({"a": rng.normal(size=500), "y": rng.integers(0, 2, 500)}).to_csv(index=False).encode()
    data = {"cut": gzip.compress(raw)[:2000], "two": _zipped({"a.csv": raw, "b.csv": raw}),
            "nothing": _zipped({"notes.md": b"hi"}), "sheet": gzip.compress(b"PK\x03\x04 a workbook")}[case]
    with pytest.raises(DataError, match=message):
        load(data, name=name)


def test_an_unpacked_table_is_capped(monkeypatch):
    import gzip
    from kwk.data import loader
    monkeypatch.setattr(loader, "MAX_UNPACKED_BYTES", 10_000)
    with pytest.raises(DataError, match="unpacks to more than"):
        load(gzip.compress(b"a,b\n" + b"1,2\n" * 10_000), name="bomb.csv.gz")
    with pytest.raises(DataError, match="unpacks to more than"):
        load(_zipped({"t.csv": b"a,b\n" + b"1,2\n" * 10_000}), name="bomb.zip")
