"""kwk.spec.from_choices: the spec built from a user's choices in the app (the rules that
ui.state.session_spec used to hold), one named case per rule, and its result resolves."""
import copy

import numpy as np
import pandas as pd
import pytest

from kwk.spec import default_spec, from_choices, resolve

BASE = default_spec()


def frame():
    n = 40
    return pd.DataFrame({"id": np.arange(n), "a": np.arange(n) % 5 * 1.0,
                         "when": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
                         "colour": ["red", "blue"] * (n // 2), "note": "same",
                         "y": np.arange(n) * 2.0})


KINDS = {"id": "identifier", "a": "numeric", "when": "datetime", "colour": "categorical",
         "note": "constant", "y": "numeric"}


def test_no_data_yet_gives_only_the_choices():
    spec = from_choices(BASE, None, target="y", task="regression", kinds={"a": "numeric"},
                        roles={"a": "ignore"}, validation_column="split", modality="series",
                        sequence={"time": "when", "group": None})
    assert spec["data"] == {"target": "y", "features": None, "task": "regression",
                            "kinds": {"a": "numeric"}, "validation_column": "split"}
    assert spec["layers"] == BASE["layers"] and spec["training"] == BASE["training"]


def test_every_column_a_feature_lets_kwk_pick_them():
    spec = from_choices(BASE, frame(), target="y", column_kinds=KINDS)
    assert spec["data"]["features"] is None
    # the target's own role does not count as a choice
    spec = from_choices(BASE, frame(), target="y", roles={"y": "target", "a": "feature"},
                        column_kinds=KINDS)
    assert spec["data"]["features"] is None


def test_roles_list_the_feature_columns_of_usable_kinds_in_data_order():
    spec = from_choices(BASE, frame(), target="y", roles={"colour": "ignore"}, column_kinds=KINDS)
    # id (identifier) and note (constant) are left out: a model cannot read them
    assert spec["data"]["features"] == ["a", "when"]


def test_usable_kinds_are_the_model_kinds():
    kinds = {**KINDS, "id": "numeric", "note": "boolean", "colour": "text"}
    spec = from_choices(BASE, frame(), target="y", roles={"a": "ignore"}, column_kinds=kinds)
    assert spec["data"]["features"] == ["id", "when", "note"]


def test_choices_are_kept_in_the_data_section():
    spec = from_choices(BASE, frame(), target="y", task="multiclass", kinds={"a": "categorical"},
                        validation_column="colour", column_kinds=KINDS)
    assert spec["data"] == {"target": "y", "features": None, "task": "multiclass",
                            "kinds": {"a": "categorical"}, "validation_column": "colour"}


def test_pictures_read_the_px_columns_whatever_the_roles():
    df = pd.DataFrame({"px_0": [0, 1], "px_1": [1, 0], "extra": [5, 6], "label": ["u", "v"]})
    spec = from_choices(BASE, df, target="label", modality="images", image_shape=(1, 2, 1),
                        roles={"px_1": "ignore"})
    assert spec["data"]["image_shape"] == [1, 2, 1]
    assert spec["data"]["features"] == ["px_0", "px_1"]


def test_pictures_without_px_columns_read_the_numeric_feature_columns():
    df = pd.DataFrame({"p": [0, 1], "q": [1, 0], "r": [2, 2], "word": ["a", "b"], "t": [1, 2]})
    spec = from_choices(BASE, df, target="t", modality="images", image_shape=[1, 2, 1],
                        roles={"r": "ignore"})
    assert spec["data"]["features"] == ["p", "q"]


def test_pictures_need_a_shape():
    spec = from_choices(BASE, frame(), target="y", modality="images", image_shape=None)
    assert "image_shape" not in spec["data"] and spec["data"]["features"] is None


def test_a_series_is_split_by_time_and_keeps_its_settings():
    base = copy.deepcopy(BASE)
    base["training"]["validation"] = "kfold"
    seq = {"time": "when", "group": None, "window": 4, "horizon": 1, "predict": "change"}
    spec = from_choices(base, frame(), target="y", modality="series", sequence=seq,
                        column_kinds=KINDS)
    assert spec["data"]["sequence"] == seq and spec["data"]["sequence"] is not seq
    assert spec["training"]["validation"] == "holdout"
    assert spec["data"]["features"] is None  # KwK puts the target first itself


def test_a_series_lists_its_target_first_and_never_its_time_or_group():
    seq = {"time": "when", "group": "colour", "window": 4}
    spec = from_choices(BASE, frame(), target="y", modality="series", sequence=seq,
                        roles={"id": "ignore"}, column_kinds={**KINDS, "colour": "categorical"})
    assert spec["data"]["features"] == ["y", "a"]


def test_a_series_needs_its_time_column():
    base = copy.deepcopy(BASE)
    base["training"]["validation"] = "kfold"
    spec = from_choices(base, frame(), target="y", modality="series",
                        sequence={"time": None, "group": None})
    assert "sequence" not in spec["data"] and spec["training"]["validation"] == "kfold"


def test_text_reads_its_chosen_column():
    settings = {"max_tokens": 100, "sequence_length": 8, "column": "colour"}
    spec = from_choices(BASE, frame(), target="y", modality="text", text=settings,
                        roles={"a": "ignore"}, column_kinds=KINDS)
    assert spec["data"]["text"] == {"max_tokens": 100, "sequence_length": 8}
    assert spec["data"]["features"] == ["colour"]
    assert settings["column"] == "colour"  # the caller's settings are not changed


def test_text_without_a_column_lets_kwk_find_it():
    spec = from_choices(BASE, frame(), target="y", modality="text",
                        text={"max_tokens": 100, "sequence_length": 8})
    assert spec["data"]["features"] is None and "text" in spec["data"]


def test_settings_of_another_modality_are_ignored():
    spec = from_choices(BASE, frame(), target="y", modality="table", image_shape=[2, 2, 1],
                        sequence={"time": "when"}, text={"column": "colour"})
    assert set(spec["data"]) == {"target", "features", "task", "kinds", "validation_column"}


def test_from_choices_is_pure():
    base = copy.deepcopy(BASE)
    roles, kinds = {"a": "ignore"}, {"a": "numeric"}
    spec = from_choices(base, frame(), target="y", roles=roles, kinds=kinds, column_kinds=KINDS,
                        modality="series", sequence={"time": "when", "group": None})
    assert base == BASE and roles == {"a": "ignore"} and kinds == {"a": "numeric"}
    spec["data"]["kinds"]["b"] = "numeric"
    assert kinds == {"a": "numeric"}


@pytest.mark.parametrize("choices", [
    {"target": "y", "roles": {"colour": "ignore"}},
    {"target": "y", "modality": "series", "sequence": {"time": "when", "group": None, "window": 3}},
    {"target": "colour", "modality": "text",
     "text": {"max_tokens": 10, "sequence_length": 4, "column": "note"}},
], ids=["table", "series", "text"])
def test_the_spec_built_from_choices_resolves(choices):
    df = frame()
    if choices.get("modality") == "text":
        df["note"] = ["a long text", "another long text"] * 20
    spec = from_choices(BASE, df, column_kinds=KINDS, **choices)
    resolved, _ = resolve(spec, df)
    assert resolved["data"]["target"] == choices["target"]


# --- to_choices: the choices a spec records, read back (loading a spec, a run's, a search's)

from kwk.spec import to_choices  # noqa: E402


def _data_again(spec: dict, df: pd.DataFrame, **fixed) -> dict:
    ch = to_choices(spec, df.columns)
    return from_choices(BASE, df, target=ch["target"], task=ch["task"], kinds=ch["kinds"],
                        roles=ch["roles"] or {}, column_kinds=KINDS,
                        validation_column=ch["validation_column"],
                        transforms=ch["transforms"], **fixed)["data"]


@pytest.mark.parametrize("missing", [None, {"a": True, "colour": False}, {}])
def test_to_choices_gives_back_the_table_choices_from_choices_made(missing):
    df = frame().assign(split=["train", "test"] * 20)
    spec = from_choices(BASE, df, target="y", task="regression", kinds={"a": "numeric"},
                        roles={"id": "ignore", "when": "ignore"}, column_kinds=KINDS,
                        validation_column="split",
                        transforms={"columns": {"a": "yeo-johnson"}, "target": "log",
                                    "missing": missing})
    assert spec["data"]["transforms"] == {"a": "yeo-johnson"}
    assert _data_again(spec, df) == spec["data"]
    ch = to_choices(spec, df.columns)
    assert ch["roles"] == {"id": "ignore", "a": "feature", "when": "ignore",
                           "colour": "feature", "note": "ignore", "split": "ignore"}
    assert ch["transforms"]["missing"] == missing


def test_to_choices_of_a_series_keeps_its_inputs():
    seq = {"time": "when", "group": None, "window": 4, "horizon": 1}
    spec = from_choices(BASE, frame(), target="y", modality="series", sequence=seq,
                        roles={"colour": "ignore"}, column_kinds=KINDS)
    again = _data_again(spec, frame(), modality="series", sequence=seq)
    assert again["features"] == spec["data"]["features"] == ["y", "a"]


def test_to_choices_keeps_only_what_fits_other_data():
    spec = from_choices(BASE, frame(), target="y", kinds={"a": "categorical", "gone": "numeric"},
                        roles={"id": "ignore"}, column_kinds=KINDS, validation_column="gone",
                        transforms={"columns": {"a": "log", "gone": "log"}, "target": "log",
                                    "missing": {"gone": True}})
    other = ["a", "b", "label"]  # the spec's target is not in this data
    ch = to_choices(spec, other)
    assert ch["target"] is None and ch["task"] is None and ch["roles"] is None
    assert ch["kinds"] == {"a": "categorical"} and ch["validation_column"] is None
    assert ch["transforms"] == {"columns": {"a": "log"}, "target": None, "missing": {}}


def test_to_choices_reads_a_hand_written_spec():
    """A spec file written by hand: missing flags as a list, "auto", or left out (none)."""
    for mi, want in ((["a"], {"a": True}), ("auto", None), (None, {})):
        spec = {"data": {"target": "y", "task": "auto", "missing_indicators": mi}}
        assert to_choices(spec, frame().columns)["transforms"]["missing"] == want
