"""Issue 28, items 2, 3 and 7: row numbers with gaps are identifiers; whole-number codes are
categories (or a suggestion), swept by the profiler only at their values, and unseen codes in
new rows are unusual; two columns that carry the same information are named together; a rare
class (16%) is flagged and weighted by default ('auto' class weights)."""
import json
import re

import numpy as np
import pandas as pd
import pytest

from kwk.data.kinds import code_evidence, infer_kind, row_id_reason, whole_levels
from kwk.data.profile import profile, rare_class, same_information, target_warnings
from kwk.data.samples import SAMPLES
from kwk.evaluation.analysis import default_base, profile_grid
from kwk.prep.stats import fit_preprocessor
from kwk.spec import resolve
from testutil import run_cli, tiny_spec

N = 300


def _gappy(n=N, seed=0):
    """Row numbers 1, 2, 4, 5, 7 …: n rows kept, in order, out of 1.3 n."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(int(1.3 * n), n, replace=False)) + 1


def _kind(s):
    return infer_kind(s)[0]


# ------------------------------------------------------------------ item 2: row IDs with gaps
@pytest.mark.parametrize("name", ["rownames", "Unnamed: 0", "row", "index", "id", "obs", "X",
                                  "EmployeeNumber", "plain"])
def test_row_numbers_with_gaps_are_identifiers(name):
    ids = _gappy()
    assert len(np.unique(np.diff(ids))) > 1  # really has gaps
    assert _kind(pd.Series(ids, name=name)) == "identifier"
    # stored as floats because a value is missing: still whole numbers
    f = pd.Series(ids.astype(float), name=name)
    f.iloc[7] = np.nan
    assert f.dtype == float and _kind(f) == "identifier"


def test_row_numbers_from_a_csv_file(tmp_path):
    ids = _gappy()
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"rownames": ids, "x": rng.normal(size=N),
                       "y": rng.choice(["a", "b"], N)})
    df.loc[3, "x"] = np.nan
    path = tmp_path / "gappy.csv"
    df.to_csv(path, index=False)
    r = run_cli("profile", path, "--target", "y")
    assert r.returncode == 0, r.stderr
    kinds = {c["name"]: c["kind"] for c in json.loads(r.stdout)["columns_info"]}
    assert kinds["rownames"] == "identifier" and kinds["x"] == "numeric"
    # pandas' own index written by to_csv() is read back as "Unnamed: 0", from 0
    df.set_index(pd.Index(ids - 1)).to_csv(path)
    p = profile(pd.read_csv(path))
    assert {c["name"]: c["kind"] for c in p["columns_info"]}["Unnamed: 0"] == "identifier"


def test_measurements_are_not_row_ids():
    rng = np.random.default_rng(2)
    n = 78
    cases = {
        # unique and increasing, but not whole numbers
        "height": np.sort(rng.normal(170, 10, n)),
        # one row per year, gap-free: a time column, not a row ID
        "year": np.arange(1950, 1950 + n),
        # a table sorted by age, every age once: starts far from 0/1
        "age": np.arange(18, 18 + n),
        # a table sorted by income in dollars: unique whole numbers spread far wider than n
        "income": np.sort(rng.choice(np.arange(20_000, 200_000), n, replace=False)),
        # unique whole numbers in no order and with no ID-like name
        "score": rng.permutation(np.arange(1, n + 1) * 3),
    }
    for name, v in cases.items():
        s = pd.Series(v, name=name)
        assert _kind(s) == "numeric", (name, infer_kind(s))
        assert row_id_reason(s) is None


# ------------------------------------------------------------------ item 3: codes
def _stores(n=N, seed=3):
    rng = np.random.default_rng(seed)
    store = rng.choice([1, 2, 3, 4, 7], n)
    return pd.DataFrame({
        "StoreID": store,
        "STORE": pd.Series(store).map({1: 1, 2: 2, 3: 3, 4: 4, 7: 0}),  # the same stores 0-4
        "s": store,                                                     # no name to go by
        "price": np.round(rng.normal(2, 0.3, n), 2),
        "household_size": rng.integers(1, 7, n),                        # a count, 1-6
        "calls": rng.poisson(1.5, n),                                   # a count with a tail
        "y": rng.choice(["CH", "MM"], n),
    })


def test_codes_are_categories_or_a_suggestion():
    df = _stores()
    assert infer_kind(df["StoreID"]) [0] == "categorical"  # noqa: E211
    assert code_evidence(df["StoreID"])[0] == "strong"
    assert code_evidence(df["s"])[0] == "weak" and _kind(df["s"]) == "numeric"
    # years of schooling as statsmodels' fair table has them: whole numbers that skip values
    # but are an amount (they start at 9 and spread out), not a code
    df["educ"] = np.random.default_rng(8).choice([9, 12, 14, 16, 17, 20], len(df))
    for count in ("household_size", "calls", "price", "educ"):
        assert code_evidence(df[count]) is None and _kind(df[count]) == "numeric", count
    p = profile(df, target="y")
    cols = {c["name"]: c for c in p["columns_info"]}
    assert cols["StoreID"]["kind"] == "categorical" and cols["STORE"]["kind"] == "categorical"
    assert cols["s"]["kind"] == "numeric" and cols["s"]["suggestion"]["kind"] == "categorical"
    named = [w for w in p["warnings"] if w["columns"] == ["s"]]
    assert any("treat it as a category" in w["message"] for w in named)
    assert not any(c.get("suggestion") for n, c in cols.items() if n != "s")


def test_one_to_one_pairs_are_named_together():
    df = _stores()
    rng = np.random.default_rng(4)
    region = rng.choice(["north", "south", "east"], N)
    df["region"] = region
    df["region_short"] = pd.Series(region).map({"north": "N", "south": "S", "east": "E"})
    df.loc[5, ["region", "region_short"]] = None  # missing in both: still one-to-one
    df["shifted"] = df["s"] - 1  # numeric, r = 1.00: the correlation warning names it already
    df["Store7"] = np.where(df["StoreID"] == 7, "Yes", "No")  # many stores -> one flag
    p = profile(df, target="y")
    pairs = [sorted(w["columns"]) for w in p["warnings"] if len(w["columns"]) == 2]
    for a, b in (("STORE", "StoreID"), ("region", "region_short")):
        assert [a, b] in pairs, (a, b)
        msg = next(w["message"] for w in p["warnings"] if sorted(w["columns"]) == [a, b])
        assert "same information" in msg
    # StoreID, STORE, s and shifted are all one store: each pair named once, never twice
    assert pairs.count(["s", "shifted"]) == 1
    assert len(pairs) == len({tuple(x) for x in pairs})
    # not a one-to-one pair: a store flag (many stores -> one flag), or the price
    assert ["Store7", "StoreID"] not in pairs
    # the same answer from pandas' own counting: one value of b per value of a, both ways
    found = {(a, b) for a, b, _ in same_information(df, list(df.columns))}
    for a, b in found:
        sub = df[[a, b]].astype(str)
        assert sub.groupby(a)[b].nunique().max() == 1 and sub.groupby(b)[a].nunique().max() == 1
    assert ("price", "y") not in found


def test_profiler_sweeps_only_the_codes_it_saw():
    df = _stores()
    assert profile_grid(df["s"], "numeric", 30) == [1.0, 2.0, 3.0, 4.0, 7.0]
    assert profile_grid(df["household_size"], "numeric", 30) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    grid = profile_grid(df["price"], "numeric", 30)  # a measurement: an even sweep
    assert len(grid) == 30 and grid == sorted(grid)
    assert whole_levels(pd.Series(np.arange(100))) is None  # too many values to list
    base = default_base(pd.DataFrame({"s": [1, 2, 4, 7]}), ["s"], {"s": "numeric"})
    assert base["s"] in (2.0, 4.0)  # the median 3 is no store: the nearest one


@pytest.mark.parametrize("kind", ["numeric", "categorical"])
def test_an_unseen_code_is_unusual(kind):
    df = _stores()
    spec = {"data": {"target": "y", "task": "binary", "features": ["s", "price"],
                     "kinds": {"s": kind, "price": "numeric", "y": "categorical"}}}
    pre = fit_preprocessor(df, spec)
    new = pd.DataFrame({"s": [9, 3, 5, np.nan], "price": [2.0, 2.0, 2.0, 2.0]})
    flags = pre.unusual(new).tolist()
    assert re.search(r"s = '?9'? was never seen in training", flags[0]), flags
    assert re.search(r"s = '?5'? was never seen", flags[2]), flags
    assert flags[1] == "" and flags[3] == ""  # a store it saw; a missing value
    if kind == "numeric":
        col = next(c for c in pre.state["columns"] if c["name"] == "s")
        assert col["levels"] == [1.0, 2.0, 3.0, 4.0, 7.0]
        assert "levels" not in next(c for c in pre.state["columns"] if c["name"] == "price")


def test_contract_through_the_cli(tmp_path):
    df = _stores()
    df.insert(0, "rownames", _gappy())
    path = tmp_path / "stores.csv"
    df.to_csv(path, index=False)
    r = run_cli("profile", path, "--target", "y")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    kinds = {c["name"]: c["kind"] for c in p["columns_info"]}
    assert kinds["rownames"] == "identifier"
    assert kinds["StoreID"] != "numeric"
    assert kinds["s"] != "numeric" or any(w["columns"] == ["s"] for w in p["warnings"])
    assert any(sorted(w["columns"]) == ["STORE", "StoreID"] for w in p["warnings"])


@pytest.mark.parametrize("key", list(SAMPLES))
def test_bundled_samples_keep_their_kinds(key):
    """No measurement of a bundled sample becomes an identifier or a category, and none gets
    a code suggestion (tips' size 1-6 is a count; diabetes' features are measurements; the
    digits' pixel levels are amounts)."""
    s = SAMPLES[key]
    df = s.load()
    p = profile(df, target=s.target)
    for c in p["columns_info"]:
        if pd.api.types.is_numeric_dtype(df[c["name"]]) and c["name"] != s.target:
            allowed = {"numeric", "boolean", "constant"} | ({"identifier"} if c["name"] == "id"
                                                            else set())
            assert c["kind"] in allowed, (key, c["name"], c["kind"], c["kind_reason"])
        assert "suggestion" not in c, (key, c["name"])


# ------------------------------------------------------------------ item 7: a rare class
def _rare(n=3000, seed=5):
    """Two informative inputs; the class 'yes' is about 16% of rows."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-2.3 + 1.4 * x1 + 0.8 * x2)))
    y = np.where(rng.random(n) < p, "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y})


def test_a_16_percent_minority_is_flagged():
    df = _rare()
    share = (df["y"] == "yes").mean()
    assert 0.13 < share < 0.19
    rare = rare_class(df["y"])
    assert rare["label"] == "yes" and rare["share"] == pytest.approx(share)
    # 'balanced' weight: rows / (classes × rows of the class), as scikit-learn computes it
    from sklearn.utils.class_weight import compute_class_weight
    w = compute_class_weight("balanced", classes=np.array(["no", "yes"]), y=df["y"])
    assert rare["weight"] == pytest.approx(w[1])
    msg = " ".join(target_warnings(df["y"], "categorical"))
    assert "'yes'" in msg and f"{100 * share:.1f}%" in msg and "recall" in msg
    assert any("target imbalance" in w["message"] for w in profile(df, target="y")["warnings"])
    # not rare: 25% of two classes; ten even classes (10% each); a number
    assert rare_class(pd.Series(["a"] * 75 + ["b"] * 25)) is None
    assert rare_class(pd.Series(np.repeat(list("abcdefghij"), 30))) is None
    assert rare_class(pd.Series(["a"] * 40 + ["b"] * 40 + ["c"] * 5)) is not None


def test_auto_class_weights_resolve_from_the_class_shares():
    df = _rare()
    resolved, notes = resolve(tiny_spec("y"), df)
    assert resolved["training"]["class_weight"] == "balanced"
    assert any("Rare class 'yes'" in n and "×" in n for n in notes)
    for chosen in ("none", "balanced"):
        r, _ = resolve(tiny_spec("y", class_weight=chosen), df)
        assert r["training"]["class_weight"] == chosen
    even = df.assign(y=np.where(np.arange(len(df)) % 2, "yes", "no"))
    assert resolve(tiny_spec("y"), even)[0]["training"]["class_weight"] == "none"
    numbers = df.assign(y=df["x1"] * 2)
    assert resolve(tiny_spec("y"), numbers)[0]["training"]["class_weight"] == "none"


@pytest.mark.slow
def test_default_training_weights_a_rare_class(tmp_path):
    """The default spec (no class_weight) trains with balanced weights on a 16% minority; its
    recall of the rare class is far above the unweighted network's and near scikit-learn's
    balanced logistic regression on the same kind of data."""
    df = _rare()
    data = tmp_path / "rare.csv"
    df.to_csv(data, index=False)
    recall, specs = {}, {}
    for label, extra in (("auto", {}), ("none", {"class_weight": "none"})):
        spec = tiny_spec("y", epochs=20, **extra)
        spec["training"]["early_stopping_patience"] = 5
        (tmp_path / f"{label}.json").write_text(json.dumps(spec))
        out = tmp_path / label
        r = run_cli("train", data, "--spec", tmp_path / f"{label}.json", "--out", out, "--quiet",
                    timeout=600)
        assert r.returncode == 0, r.stderr
        metrics = json.loads((out / "metrics.json").read_text())
        recall[label] = metrics["test"]["per_class"]["yes"]["recall"]
        specs[label] = json.loads((out / "spec.json").read_text())
        if label == "auto":
            run = json.loads((out / "run.json").read_text())
            assert any("Rare class 'yes'" in n for n in run["notes"])
            script = (out / "train_script.py").read_text()
            assert "CLASS_WEIGHT = 'balanced'" in script or 'CLASS_WEIGHT = "balanced"' in script
            assert "class_weights(y_train" in script
    assert specs["auto"]["training"]["class_weight"] == "balanced"
    assert specs["none"]["training"]["class_weight"] == "none"
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    X, y = df[["x1", "x2"]].to_numpy(), (df["y"] == "yes").to_numpy()
    ref = cross_val_predict(LogisticRegression(class_weight="balanced"), X, y, cv=5)
    ref_recall = float(ref[y].mean())
    print("recall of the rare class:", recall, "scikit-learn balanced:", ref_recall)
    assert recall["auto"] >= recall["none"] + 0.2, recall
    assert abs(recall["auto"] - ref_recall) <= 0.15, (recall, ref_recall)


@pytest.mark.parametrize("head_share,want", [(0.5, "balanced"), (0.1, "none")])
def test_a_streamed_plan_decides_auto_weights_on_every_training_row(tmp_path, head_share, want):
    """A file read in chunks: 'auto' follows the class shares of all the training rows, not
    those of the first chunk (which the spec's other settings are resolved on)."""
    from kwk.data.chunks import ChunkReader
    from kwk.prep.streamed import plan
    rng = np.random.default_rng(6)
    head, rest = 300, 2700
    rest_share = 0.12 if want == "balanced" else 0.33  # overall about 16% or 31%
    y = np.r_[rng.random(head) < head_share, rng.random(rest) < rest_share]
    df = pd.DataFrame({"x": rng.normal(size=head + rest), "y": np.where(y, "yes", "no")})
    df.to_csv(tmp_path / "d.csv", index=False)
    first = resolve(tiny_spec("y"), df.iloc[:head])[0]["training"]["class_weight"]
    assert first != want  # the first chunk alone would decide the other way
    p = plan(ChunkReader(tmp_path / "d.csv", head), tiny_spec("y"))
    assert p.spec["training"]["class_weight"] == want
    rare_notes = [n for n in p.notes if n.startswith("Rare class ")]
    assert len(rare_notes) == (1 if want == "balanced" else 0)


def test_a_column_and_its_log_are_named_together():
    """statsmodels' anes96 holds popul and logpopul: r = 0.46, yet one is the log of the other.
    A noisy relation (rank correlation about 0.98) and an unrelated column are not named."""
    rng = np.random.default_rng(9)
    n = 400
    popul = np.round(rng.lognormal(3, 2, n), 1)
    df = pd.DataFrame({"popul": popul, "logpopul": np.log(popul + 0.1),
                       "noisy": np.log(popul + 0.1) + rng.normal(0, 0.5, n),
                       "other": rng.normal(size=n), "y": rng.normal(size=n)})
    r = np.corrcoef(df["popul"], df["logpopul"])[0, 1]
    assert r < 0.95  # the correlation warning cannot see it
    p = profile(df, target="y")
    pairs = {frozenset(w["columns"]): w["message"] for w in p["warnings"]
             if len(w["columns"]) == 2}
    assert "same information" in pairs[frozenset(("popul", "logpopul"))]
    assert "transform" in pairs[frozenset(("popul", "logpopul"))]
    rho = df[["popul", "noisy"]].corr("spearman").iloc[0, 1]
    assert 0.9 < rho < 0.999 and frozenset(("popul", "noisy")) not in pairs
    assert not any("other" in k for k in pairs)
