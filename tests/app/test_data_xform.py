"""Issue 33, item 2 on the Data page: a strongly skewed column is offered a transform with one
click (undoable), missing values that go with the target get their flag by default, and the
spec the session builds carries both."""
import io
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import T

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "kwk_app.py")


def _upload(df: pd.DataFrame, name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    at.file_uploader(key="upload").set_value((name, buf.getvalue().encode(), "text/csv")).run()
    assert not at.exception, at.exception
    return at


def _transforms_table(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "transform" in d.value.columns).set_index("column")


def _spec(at) -> dict:
    from kwk.spec import from_choices
    ss = at.session_state
    return from_choices({"layers": []}, ss.data.df, target=ss.target, roles=ss.roles,
                        kinds=ss.kinds, transforms=ss.transforms)


def test_data_page_applies_a_suggested_transform_and_undoes_it():
    rng = np.random.default_rng(0)
    n = 400
    y = rng.choice(["yes", "no"], n)
    lab = rng.normal(size=n)
    lab[rng.random(n) < np.where(y == "yes", 0.4, 0.05)] = np.nan  # missing goes with y
    df = pd.DataFrame({"income": rng.lognormal(3, 1.2, n), "x": rng.normal(size=n),
                       "lab": lab, "y": y})
    at = _upload(df, "skewed.csv")
    at.session_state.target = "y"
    at.run()
    assert not at.exception, at.exception
    table = _transforms_table(at)
    assert table.loc["income", "transform"] == "none"
    assert bool(table.loc["lab", "missing flag"]) and not bool(table.loc["x", "missing flag"])
    assert any("**income** is skewed to the right" in m.value for m in at.info)
    assert not any("**x** is skewed" in m.value for m in at.info)
    at.button(key="xf_apply_income").click().run()
    assert not at.exception, at.exception
    assert at.session_state.transforms["columns"] == {"income": "log"}
    assert _transforms_table(at).loc["income", "transform"] == "log"
    assert not any("**income** is skewed" in m.value for m in at.info)  # applied
    from kwk.spec import resolve
    spec, notes = resolve(_spec(at), df)
    assert spec["data"]["transforms"] == {"income": "log"}
    assert spec["data"]["missing_indicators"] == ["lab"]
    at.button(key="xf_undo").click().run()
    assert not at.exception, at.exception
    assert not (at.session_state.transforms.get("columns") or {})
    assert _transforms_table(at).loc["income", "transform"] == "none"
