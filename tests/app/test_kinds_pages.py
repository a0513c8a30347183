"""Issue 28 (items 3 and 7) on the pages: the Data page offers a code column as a category with
one click; the Train page says what the default class weights do with a rare class."""
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


def _roles(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "role" in d.value.columns).set_index("column")


def test_data_page_offers_a_code_as_a_category():
    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"s": rng.choice([1, 2, 3, 4, 7], n), "x": rng.normal(size=n),
                       "y": rng.choice(["a", "b"], n)})
    at = _upload(df, "codes.csv")
    assert _roles(at).loc["s", "kind"] == "numeric"
    assert any("**s**" in m.value and "treat it as a category" in m.value for m in at.info)
    at.button(key="code_kind_s").click().run()
    assert not at.exception, at.exception
    assert at.session_state.kinds["s"] == "categorical"
    assert _roles(at).loc["s", "kind"] == "categorical"
    assert not any("**s**" in m.value for m in at.info)  # accepted: no longer offered


def test_train_page_says_a_rare_class_is_weighted():
    rng = np.random.default_rng(1)
    n = 600
    x = rng.normal(size=n)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-(-2.2 + 1.5 * x))), "yes", "no")
    at = _upload(pd.DataFrame({"x": x, "y": y}), "rare.csv")
    at.session_state.target = "y"
    at.switch_page("pages/4_train.py").run()
    assert not at.exception, at.exception
    share = 100 * (y == "yes").mean()
    weight = n / (2 * (y == "yes").sum())
    msg = " ".join(m.value for m in at.info)
    assert f"Rare class 'yes' is {share:.0f}% of rows" in msg and f"×{weight:.1f}" in msg
    # the Target page says it too (the spec's notes) and warns about accuracy
    at.switch_page("pages/2_target.py").run()
    assert not at.exception, at.exception
    assert any("Rare class 'yes'" in c.value for c in at.caption)
    assert any("target imbalance" in w.value for w in at.warning)
