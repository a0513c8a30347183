"""The engine's shape (issue 31): the layering declared in .importlinter holds (lint-imports),
no two modules import each other (counting imports inside functions), no module imports another
module's private names, and a data rule has one home that the spec, the preparation, the
profile and the pages all call (which columns are pixels; the series checks' words)."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_lint_imports_keeps_every_contract():
    """The contracts in .importlinter: packages point down (ui on top, data at the bottom),
    Streamlit only in kwk.ui, no cycle between the modules of a package."""
    r = subprocess.run(["lint-imports", "--no-cache"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def _module_cycles() -> list[list[str]]:
    grimp = pytest.importorskip("grimp")
    nx = pytest.importorskip("networkx")
    sys.path.insert(0, str(ROOT))
    g = grimp.build_graph("kwk")
    graph = nx.DiGraph()
    for m in g.modules:
        for imported in g.find_modules_directly_imported_by(m):
            graph.add_edge(m, imported)
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)




def test_no_two_modules_import_each_other():
    """grimp counts imports inside functions too: an arrow is an arrow."""
    assert _module_cycles() == []


def test_no_module_imports_another_modules_private_names():
    found = []
    for p in sorted((ROOT / "kwk").rglob("*.py")):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kwk"):
                found += [f"{p.relative_to(ROOT)}: {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == []


# ------------------------------------------------------------------ one rule: pixel columns

def _pixels_and_an_id() -> pd.DataFrame:
    """A CSV of 2x2 grey pictures (px_0..px_3) with a numeric id column and a label."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 256, (40, 4)), columns=[f"px_{i}" for i in range(4)])
    df.insert(0, "id", np.arange(1000, 1040))
    df["label"] = ["cat", "dog"] * 20
    return df


def test_pixel_columns_of_px_columns_beside_a_numeric_id_agree_everywhere(tmp_path):
    from kwk.data.image_profile import picture_columns
    from kwk.data.pixels import pixel_columns
    from kwk.spec import resolve
    from kwk.spec.choices import from_choices
    path = tmp_path / "pics_layers.csv"
    _pixels_and_an_id().to_csv(path, index=False)
    df = pd.read_csv(path)
    px = ["px_0", "px_1", "px_2", "px_3"]  # the known answer: 4 pixels, the id is not one
    assert pixel_columns(df, "label") == px
    assert pixel_columns(list(df.columns), "label") == px
    # the choices (the pages' spec) and a spec written by hand (no data.features) agree
    spec = from_choices({"layers": []}, df, target="label", modality="images",
                        image_shape=[2, 2, 1])
    assert spec["data"]["features"] == px
    resolved, _ = resolve({"data": {"target": "label", "image_shape": [2, 2, 1]},
                           "layers": []}, df)
    assert resolved["data"]["features"] == px
    # the profile sees the same pictures
    assert picture_columns(df.drop(columns="id"), (2, 2, 1))[0] == px


# ------------------------------------------------------------------ one rule: series checks

def _sales_without_series() -> pd.DataFrame:
    n = 60
    return pd.DataFrame({"day": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
                         "shop": [None] * n, "y": np.arange(n, dtype=float)})


def test_an_empty_series_column_reads_the_same_in_the_spec_and_in_training():
    from kwk.errors import DataError
    from kwk.spec import resolve
    spec = {"data": {"target": "y", "sequence": {"time": "day", "group": "shop", "window": 3}},
            "layers": [{"type": "Dense", "units": 4}]}
    with pytest.raises(DataError) as at_resolve:
        resolve(spec, _sales_without_series())
    # the same words when training meets it (rows with a target but no series)
    from kwk.data.times import empty_series
    words = empty_series({"group": "shop"})
    assert (at_resolve.value.message, at_resolve.value.hint) == (words.message, words.hint)
    assert "empty on every row with a target value" in words.message
    import inspect

    import kwk.prep.prepare as prep_module
    import kwk.spec.checks.series as checks_module
    assert "empty_series(" in inspect.getsource(prep_module)
    assert "empty_series(" in inspect.getsource(checks_module)


def test_each_name_has_one_home():
    """``prepare`` lives in kwk.prep; kwk.training does not hand it out as its own (issue 31)."""
    import kwk.training
    assert not {"prepare", "Prepared", "plan"} & set(dir(kwk.training))
