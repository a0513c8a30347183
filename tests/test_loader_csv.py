"""Quote-aware delimiter and newline detection in the CSV loader, and parser failures that
always come back as a DataError (never an internal error). The random version of these checks
is tests/test_csv_property.py."""
import csv
import io
import json

import pandas as pd
import pytest

from kwk.cli import main
from kwk.data.loader import load
from kwk.errors import DataError
from tests.testutil import ROOT

BAD = ROOT / "tests" / "data" / "bad"


def _csv(rows, **fmt) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, **fmt).writerows(rows)
    return buf.getvalue().encode()


def test_quoted_header_names_with_quotes_semicolons_and_brackets():
    """Python's csv module (RFC 4180): three columns, as pandas reads them."""
    names = ['weight "kg"; (raw)', 'size (cm); "h"', 'label; "a" (b)']
    data = _csv([names] + [[i * 1.5, i, "yes" if i % 2 else "no"] for i in range(30)])
    ld = load(data, name="export.csv")
    assert ld.read_options["sep"] == "," and list(ld.df.columns) == names
    pd.testing.assert_frame_equal(ld.df, pd.read_csv(io.BytesIO(data)))


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_every_line_ending_reads(ending):
    data = _csv([["x", "y", "label"]] + [[i, i * 2, "a b"] for i in range(20)],
                lineterminator=ending)
    ld = load(data, name="instrument.csv")
    assert ld.df.shape == (20, 3) and ld.df["y"].sum() == 380


def test_cr_line_endings_with_a_title_and_a_decimal_comma():
    """The older steps (a title line, ';' and decimal commas) see the lines of a CR file too."""
    text = "Plate reader export\r\rwell;od;label\r" + "".join(
        f"A{i};0,{i + 10};{'hi' if i % 2 else 'lo'}\r" for i in range(20))
    ld = load(text.encode(), name="plate.csv")
    assert ld.read_options == {"sep": ";", "encoding": "utf-8", "header": 1, "decimal": ","}
    assert ld.df["od"].iloc[0] == pytest.approx(0.10)


def test_multi_line_quoted_header_name_and_cells():
    data = _csv([["first\nname", "age", "note"]]
                + [[f"n{i}", i, "line one\r\nline two; (x)"] for i in range(15)], delimiter=";")
    ld = load(data, name="people.csv")
    assert ld.read_options["sep"] == ";" and list(ld.df.columns) == ["first\nname", "age", "note"]
    assert ld.df["note"].iloc[0] == "line one\r\nline two; (x)"


def test_commas_inside_quoted_cells_do_not_outvote_the_delimiter():
    data = _csv([["city", "population", "note"]]
                + [[f"Town, {i}", i * 1000, '"big", "old", "wet"'] for i in range(20)],
                delimiter="|")
    assert load(data, name="towns.txt").read_options["sep"] == "|"


@pytest.mark.parametrize("text, message", [
    ('a,b,label\n1,2,"yes\n3,4,no\n', "A quote (\") opened on line 2"),
    ("a,b,c\r1,2,3\r4,5,6,7,8\r9,10,11\r", "Row 3 has 5 values but the header names 3 columns"),
])
def test_parser_failures_are_data_errors(text, message):
    with pytest.raises(DataError) as e:
        load(text.encode(), name="broken.csv")
    assert message in str(e.value) and e.value.hint


def test_any_other_parser_exception_is_a_data_error(monkeypatch):
    def boom(*a, **k):
        raise ValueError("something pandas did not expect")
    monkeypatch.setattr(pd, "read_csv", boom)
    with pytest.raises(DataError, match="could not be read as a table .ValueError") as e:
        load(b"a,b\n1,2\n", name="odd.csv")
    assert "well-formed CSV" in e.value.hint


@pytest.mark.parametrize("case", [c for c in json.loads((BAD / "cases.json").read_text())
                                  if c["exit"] == 0 and c["cmd"] == "profile"],
                         ids=lambda c: c["file"])
def test_corpus_files_that_are_read(case, capsys):
    assert main(["profile", str(BAD / case["file"])]) == 0
    p = json.loads(capsys.readouterr().out)
    assert p["rows"] == 120 and len(p["columns_info"]) == 3
