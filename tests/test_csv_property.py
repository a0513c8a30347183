"""Property: any table Python's ``csv`` module writes, KwK reads exactly as pandas reads it when
told the true delimiter.

The tables are hostile on purpose: every delimiter among ``, ; \\t |``, every quoting mode
(minimal, all, non-numeric), header names and cells that hold the other delimiters, quotes,
brackets, line breaks, ``#``, ``$``, ``%`` and leading or trailing spaces, empty cells, three
line-ending styles (``\\r\\n``, ``\\n`` and the old Mac ``\\r``) and an optional byte-order mark.

What KwK does on purpose beyond pandas is kept out of the comparison by the tables themselves,
each for a stated reason: every name and text cell holds a letter (so a text column is never a
column of formatted numbers such as "$1,234" that KwK reads as numbers, and a header is never
all numbers), names are distinct once their outer spaces are stripped (KwK strips them and
refuses duplicates), and the first name does not start with ``#`` (a first line starting with
``#`` may be a comment above the table). Column names are compared stripped.
"""
import csv
import io

import pandas as pd
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from kwk.data.loader import load
from kwk.errors import DataError

DELIMS = [",", ";", "\t", "|"]
QUOTING = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]
ENDINGS = ["\r\n", "\n", "\r"]
# Letters, and the characters that fool a delimiter or newline detector.
_LETTERS = "abcxyzKWé"
_TRICKY = list(",;\t|\"'()#$%") + [" ", "\n", "\r\n", "  "]


def _text(min_size=1):
    """A string with at least one letter and any of the tricky characters around it."""
    piece = st.one_of(st.sampled_from(list(_LETTERS)), st.sampled_from(_TRICKY))
    return st.tuples(st.lists(piece, max_size=6), st.sampled_from(list(_LETTERS)),
                     st.lists(piece, max_size=6)).map(
        lambda t: "".join(t[0]) + t[1] + "".join(t[2]))


@st.composite
def tables(draw):
    n_cols = draw(st.integers(2, 5))
    names = draw(st.lists(_text(), min_size=n_cols, max_size=n_cols,
                          unique_by=lambda s: s.strip()))
    if names[0].lstrip().startswith("#"):
        names[0] = "c" + names[0]
    kinds = draw(st.lists(st.sampled_from(["int", "float", "text"]), min_size=n_cols,
                          max_size=n_cols))
    n_rows = draw(st.integers(1, 12))
    cell = {"int": st.integers(-10**6, 10**6),
            "float": st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)),
            "text": _text()}
    rows = [[draw(st.one_of(st.none(), cell[k]) if draw(st.booleans()) else cell[k])
             for k in kinds] for _ in range(n_rows)]
    delim = draw(st.sampled_from(DELIMS))
    quoting = draw(st.sampled_from(QUOTING))
    ending = draw(st.sampled_from(ENDINGS))
    bom = draw(st.booleans())
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delim, quoting=quoting, lineterminator=ending)
    w.writerow(names)
    w.writerows(rows)
    data = (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")
    return data, delim, (n_rows, n_cols)


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables())
# found by this test in CI-like runs: a quote opened by the wrong delimiter (";") swallowed the
# following lines, so its single record "fitted" best
@example((b'a,",;a;"\r\n0,0\r\n', ",", (1, 2)))
# found beside a busy suite (2026-12-06): the ';' split left no data record (its quote took the
# second line into the header's last field), yet a ratio of fitting rows of (0+1)/(0+1) won
@example((b'"a","a;",";a;"\r\n0,0,0\r\n', ",", (1, 3)))
@example((b'"a","a;;"\r\n"0","0"\r\n', ",", (1, 2)))
@example((b'a,aa,aaa,";a\na",a;\r\n0,0,0,0,a;\r\n', ",", (1, 5)))
def test_kwk_reads_what_pandas_reads_with_the_true_delimiter(table):
    data, delim, shape = table
    try:
        expected = pd.read_csv(io.BytesIO(data), sep=delim)
    except pd.errors.ParserError:
        expected = None
    if expected is None or expected.shape != shape:
        # Not a well-formed table: the csv module quotes a line break only when it holds a
        # character of its own line ending, so a "\n" in a cell of a "\r" file is written bare.
        # KwK then reads what pandas reads, or refuses the file with a message (a one-column
        # or ragged table), never with another exception; where pandas itself fails, any
        # reading or a message will do.
        event("malformed")
        try:
            got = load(data, name="table.csv")
        except DataError:
            return
        if expected is None:  # pandas cannot read it with the true delimiter either: KwK may
            return  # read it another way (it did not fail with another exception)
        expected.columns = [str(c).strip() for c in expected.columns]
        pd.testing.assert_frame_equal(got.df, expected)
        return
    event("well-formed")
    expected.columns = [str(c).strip() for c in expected.columns]
    got = load(data, name="table.csv")
    assert got.read_options["sep"] == delim
    pd.testing.assert_frame_equal(got.df, expected)
