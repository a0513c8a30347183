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


def test_a_loaded_spec_brings_its_transforms_and_the_data_page_can_undo_them():
    """Issue 31: one way to turn a spec into the session's choices. A spec.json loaded on
    Build brings its transforms, missing flags, kinds and features to the Data page; Undo
    there puts the page's own choices back."""
    import json
    rng = np.random.default_rng(1)
    n = 300
    df = pd.DataFrame({"income": rng.lognormal(3, 1.2, n), "x": rng.normal(size=n),
                       "lab": rng.normal(size=n), "y": rng.lognormal(1, 0.5, n)})
    at = _upload(df, "skewed.csv")
    at.session_state.target = "y"
    at.run()
    at.switch_page("pages/3_build.py").run()
    assert not at.exception, at.exception
    spec = {"kwk_spec": 2, "name": "mine",
            "data": {"target": "y", "task": "regression", "features": ["income", "lab"],
                     "kinds": {"lab": "numeric"}, "transforms": {"income": "log"},
                     "target_transform": "log", "missing_indicators": {"lab": True}},
            "layers": [{"type": "Dense", "units": 5}], "training": {"epochs": 3}}
    at.file_uploader(key="spec_upload").set_value(
        ("mine.json", json.dumps(spec).encode(), "application/json")).run()
    assert not at.exception, at.exception
    at.button(key="confirm_import").click().run()  # it replaces the default stack: asked
    assert not at.exception, at.exception
    ss = at.session_state
    assert [layer["units"] for layer in ss.spec["layers"]] == [5]
    assert ss.target == "y" and ss.task == "regression"
    assert ss.roles == {"income": "feature", "x": "ignore", "lab": "feature"}
    assert ss.transforms["columns"] == {"income": "log"} and ss.transforms["target"] == "log"
    assert ss.transforms["missing"] == {"lab": True}
    from kwk.spec import from_choices, resolve
    spec_now = from_choices({"layers": []}, ss.data.df, target=ss.target, roles=ss.roles,
                            kinds=ss.kinds, transforms=ss.transforms,
                            column_kinds=dict.fromkeys(df.columns, "numeric"))
    data = resolve(spec_now, df)[0]["data"]
    assert data["transforms"] == {"income": "log"} and data["target_transform"] == "log"
    assert data["features"] == ["income", "lab"] and data["missing_indicators"] == ["lab"]
    at.switch_page("pages/1_data.py").run()
    assert not at.exception, at.exception
    assert _transforms_table(at).loc["income", "transform"] == "log"
    at.button(key="xf_undo").click().run()
    assert not at.exception, at.exception
    assert not (at.session_state.transforms.get("columns") or {})
