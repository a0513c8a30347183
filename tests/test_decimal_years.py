"""Series from R: a regular decimal-year column (R's time(): 1949.0, 1949.0833 …) is time, not a
measurement (issue 35, item 5): its kind is datetime (the `kwk profile` contract), it reads as
the months it stands for, charts draw it as dates, and a series page takes it as the time
column instead of a row number."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kwk.data.kinds import infer_kind
from kwk.data.times import decimal_year_steps, parse_dates, time_axis

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def _air(decimals=None, n=144):
    t = 1949 + np.arange(n) / 12
    if decimals is not None:
        t = np.round(t, decimals)
    return pd.DataFrame({"rownames": np.arange(1, n + 1), "time": t,
                         "value": np.round(120 + np.arange(n) + 30 * np.sin(np.arange(n) / 2), 1)})


@pytest.mark.parametrize("decimals", [None, 4])
def test_kwk_profile_calls_a_decimal_year_column_a_datetime(tmp_path, decimals):
    path = tmp_path / "air.csv"
    _air(decimals).to_csv(path, index=False)
    p = subprocess.run([sys.executable, "-m", "kwk", "profile", str(path)], capture_output=True,
                       text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    kinds = {c["name"]: c["kind"] for c in json.loads(p.stdout)["columns_info"]}
    assert kinds == {"rownames": "identifier", "time": "datetime", "value": "numeric"}


@pytest.mark.parametrize("k,step_name", [(12, "months"), (4, "quarters"), (2, "half-years")])
def test_the_steps_a_year_are_found_and_read_as_their_months(k, step_name):
    n = 40
    s = pd.Series(1990 + np.arange(n) / k, name="time")
    assert decimal_year_steps(s) == k
    kind, why = infer_kind(s)
    assert kind == "datetime" and step_name in why
    # independent: pandas' own periods, each month 12/k apart, from January 1990
    want = pd.period_range("1990-01", periods=n, freq=f"{12 // k}M").to_timestamp()
    got = parse_dates(s).dt.tz_convert(None)
    assert list(got) == list(want)


def test_r_values_written_with_four_decimals_read_as_the_right_month():
    got = parse_dates(pd.Series([1949.0833, 1949.1667, 1959.1667, 1960.9167]))
    assert [d.strftime("%b %Y") for d in got] == ["Feb 1949", "Mar 1949", "Mar 1959", "Dec 1960"]
    one = parse_dates(pd.Series([1961.5]))  # a single new row (prediction) reads the same way
    assert one.iloc[0].strftime("%b %Y") == "Jul 1961"


def test_charts_draw_decimal_years_as_dates_and_step_numbers_as_numbers():
    x = time_axis(_air()["time"])
    assert np.issubdtype(x.dtype, np.datetime64)
    assert pd.Timestamp(x[122]).strftime("%b %Y") == "Mar 1959"
    steps = pd.Series(np.arange(100, dtype=float), name="t")
    assert np.issubdtype(time_axis(steps).dtype, np.number)


@pytest.mark.parametrize("values,name", [
    (1990 + np.arange(40), "year"),                                  # whole years: numbers
    (np.random.default_rng(0).permutation(1200 + np.arange(40) / 4), "price"),  # quarter units
    (1990 + np.arange(0, 400, 7) / 12, "time"),                      # 1 in 7 months: not dense
    (np.arange(40) / 12 + 5, "time"),                                # not a calendar year
])
def test_numbers_that_only_look_alike_stay_numbers(values, name):
    s = pd.Series(values, name=name)
    assert decimal_year_steps(s) is None
    assert infer_kind(s)[0] != "datetime"


def test_several_series_repeating_their_decimal_times_are_recognised_by_the_name():
    t = np.tile(2000 + np.arange(24) / 4, 3)
    assert decimal_year_steps(pd.Series(t, name="Time")) == 4
    assert decimal_year_steps(pd.Series(t, name="x")) is None  # not rising, not named


def test_the_series_page_takes_the_decimal_year_column_as_time():
    from tests.app.test_pages import app, goto, no_crash
    at = app()
    at.file_uploader(key="upload").set_value(("air.csv", _air(4).to_csv(index=False).encode(),
                                              "text/csv")).run()
    at.session_state.target = "value"
    goto(at, "2_target")
    at.radio(key="modality_radio").set_value("series").run()
    no_crash(at)
    assert at.selectbox(key="seq_time").value == "time"


@pytest.mark.parametrize("times,step", [
    (pd.Series(1949 + np.arange(30) / 12, name="time"), "month"),
    (pd.Series(2000 + np.arange(30) / 4, name="time"), "quarter"),
    (pd.Series(pd.date_range("2024-01-01", periods=30).strftime("%Y-%m-%d")), "day"),
    (pd.Series(pd.date_range("2024-01-01", periods=30, freq="W").astype(str)), "week"),
    (pd.Series(pd.date_range("2020-01-01", periods=30, freq="MS").astype(str)), "month"),
    (pd.Series(pd.date_range("2024-01-01", periods=30, freq="h").astype(str)), "hour"),
    (pd.Series(np.arange(30.0)), None),                      # step numbers: rows
])
def test_the_step_between_times_in_words(times, step):
    from kwk.data.times import in_steps, time_step
    assert time_step(times) == step
    assert in_steps(24, step) == f"24 {step or 'row'}s" and in_steps(1, step) == f"1 {step or 'row'}"


def test_the_series_page_says_the_window_and_horizon_in_the_series_units():
    from tests.app.test_pages import app, goto, no_crash
    at = app()
    at.file_uploader(key="upload").set_value(("air.csv", _air(4).to_csv(index=False).encode(),
                                              "text/csv")).run()
    at.session_state.target = "value"
    goto(at, "2_target")
    at.radio(key="modality_radio").set_value("series").run()
    at.number_input(key="seq_window").set_value(24).run()
    no_crash(at)
    words = " ".join(c.value for c in at.caption)
    assert "looks back **24 months** and forecasts **1 month** ahead" in words
