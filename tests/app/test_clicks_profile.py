"""Issue 30 (clicks): choosing the target does not profile the table again; the profile's
target parts (the target's warnings, informative missingness) still come with it."""
import numpy as np
import pandas as pd
from scipy import stats

from test_pages import goto, no_crash, texts, app


def _table(n=600, seed=0):
    """x's missing values go with the target (missing in 40% of 'yes' rows, 2% of 'no' rows);
    z's are random."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.4, "yes", "no")
    x = rng.normal(size=n)
    x[(y == "yes") & (rng.random(n) < 0.4) | (y == "no") & (rng.random(n) < 0.02)] = np.nan
    z = rng.normal(size=n)
    z[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"x": x, "z": z, "c": rng.choice(["a", "b", "c"], n), "y": y,
                         "w": rng.normal(size=n)})


def test_choosing_the_target_reuses_the_profile(monkeypatch):
    import kwk.data.profile as profile_mod
    calls = []
    real = profile_mod.column_card
    monkeypatch.setattr(profile_mod, "column_card",
                        lambda *a, **k: calls.append(a[0].name) or real(*a, **k))
    df = _table()
    at = app()
    at.file_uploader(key="upload").set_value(
        ("clicks.csv", df.to_csv(index=False).encode(), "text/csv")).run()
    no_crash(at)
    assert sorted(calls) == sorted(df.columns)  # profiled once, column by column
    calls.clear()
    goto(at, "2_target")
    at.selectbox(key="target_select").set_value("y").run()
    no_crash(at)
    assert "Task: **binary**" in texts(at)
    at.run()
    goto(at, "1_data")
    assert calls == []  # the target changed: no column was profiled again
    # the profile now carries the target's part: x's missingness goes with y, z's does not
    from kwk.ui import state
    prof = state.cached_profile(at.session_state.data.fingerprint, "{}", "y",
                                at.session_state.data.df)
    info = {c["name"]: c for c in prof["columns_info"]}
    flag = df["x"].isna().to_numpy()
    p = stats.chi2_contingency(pd.crosstab(flag, df["y"]).to_numpy())[1]
    assert np.isclose(info["x"]["missing_informative"], p)
    assert "missing_informative" not in info["z"]
    roles = next(d.value for d in at.dataframe if "role" in d.value.columns)
    assert roles.set_index("column").loc["y", "role"] == "target"


def test_with_target_matches_a_profile_made_with_the_target():
    from kwk.data.profile import profile_table, with_target
    df = _table(seed=1)
    df.loc[:3, "y"] = "rare"  # a class with 4 rows: a target warning
    base = profile_table(df)
    assert not any(w["columns"] == ["y"] for w in base["warnings"])
    added = with_target(base, df, "y")
    assert added == profile_table(df, target="y")
    assert any(w["columns"] == ["y"] for w in added["warnings"])
    assert base == profile_table(df)  # the base profile is left as it was
