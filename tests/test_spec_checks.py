"""Each spec rule (kwk.spec.checks) on its own: the case that breaks it gives its message and
its hint; valid specs of every modality break none; resolve reports a stage's problems at once."""
import numpy as np
import pandas as pd
import pytest

from kwk.catalog.presets import modality
from kwk.errors import DataError, SpecError
from kwk.spec import normalize, resolve
from kwk.spec.checks import (STAGES, Context, Problem, REGISTRY, checks_for, common, images,
                             mixed, problems, raise_problems, series, text, transforms)

COLS = "x, c, id, k, y, num, two, empty"
USABLE = "numeric, categorical, boolean, datetime"


def table(n=100):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], n),
                         "id": np.arange(n), "k": 1, "y": rng.choice(["p", "q", "r"], n),
                         "num": rng.normal(size=n), "two": rng.choice([0, 1], n),
                         "empty": np.nan})


def sales(n=30, stores=("a", "b")):
    frames = [pd.DataFrame({"day": pd.date_range("2024-03-01", periods=n).strftime("%Y-%m-%d"),
                            "shop": s, "temp": np.arange(n) % 7 * 1.5,
                            "y": 100.0 * (k + 1) + np.arange(n)}) for k, s in enumerate(stores)]
    return pd.concat(frames, ignore_index=True)


def pictures():
    return pd.DataFrame({"px_0": [0, 1, 2, 3], "px_1": ["a", "b", "c", "d"], "px_2": [1, 2, 3, 4],
                         "px_3": [4, 3, 2, 1], "label": ["u", "v", "u", "v"]})


def reviews():
    return pd.DataFrame({"review": ["good film", "bad plot", "great cast", "poor sound"] * 5,
                         "note": ["fine words here", "more words there"] * 10,
                         "stars": [5, 1, 5, 2] * 5, "label": ["pos", "neg"] * 10})


def context(data, df=None, training=None, output=None, kinds=None, **state) -> Context:
    """The Context a resolve call has when the check runs (``state``: what earlier stages set)."""
    spec = normalize({"data": data, "training": training or {}, "output": output or {}})
    ctx = Context(spec, table() if df is None else df,
                  {**(kinds or {}), **spec["data"]["kinds"]}, modality(spec["data"]))
    for k, v in state.items():
        setattr(ctx, k, v)
    return ctx


def mixed_context(data, df, branches) -> Context:
    """The Context of a mixed-input model (``branches``: the branch names it has)."""
    layers = {"table": [{"type": "Dense"}], "text": [{"type": "Embedding"}, {"type": "GRU"}],
              "image": [{"type": "Flatten"}]}
    spec = normalize({"data": data, "branches": {b: layers[b] for b in branches}})
    return Context(spec, df, dict(spec["data"]["kinds"]), "mixed")


SEQ = {"time": "day", "group": "shop", "window": 3}
LONG_CLASSES = pd.DataFrame({"x": np.arange(1200.0), "y": [f"c{i}" for i in range(1200)]})

CASES = [
    # (check, context, message, hint, error)
    (common.target_chosen, lambda: context({"target": None}),
     "No target chosen: set data.target to the column the model should predict.",
     f"Columns: {COLS}.", SpecError),
    (common.target_in_data, lambda: context({"target": "nope"}),
     "The target column 'nope' is not in the data.", f"Choose one of: {COLS}.", SpecError),
    (common.kinds_in_data, lambda: context({"target": "y", "kinds": {"ghost": "numeric"}}),
     "data.kinds names columns that are not in the data: ghost.", f"Columns: {COLS}.",
     SpecError),
    (common.features_in_data, lambda: context({"target": "y", "features": ["x", "ghost", "ghost"]}),
     "data.features names columns that are not in the data: ghost.", f"Columns: {COLS}.",
     SpecError),
    (common.target_not_a_feature, lambda: context({"target": "y", "features": ["x", "y"]}),
     "The target 'y' is also listed as a feature.",
     "Remove it from data.features: the model cannot use the answer as an input.", SpecError),
    (common.target_has_values, lambda: context({"target": "empty"}),
     "Every value of the target 'empty' is missing.",
     "Choose another target column, or fill in the target values.", DataError),
    (common.target_varies, lambda: context({"target": "k"}),
     "The target 'k' has a single value (1): there is nothing to predict.",
     "Choose a column whose values vary.", DataError),
    (common.regression_target_is_numeric, lambda: context({"target": "c", "task": "regression"}),
     "data.task is 'regression' but the target 'c' is not numeric.",
     "Choose 'multiclass' or 'binary', or a numeric target.", SpecError),
    (common.binary_target_has_two_values, lambda: context({"target": "y", "task": "binary"}),
     "data.task is 'binary' but the target 'y' has 3 different values.",
     "Choose 'multiclass', or 'auto'.", SpecError),
    (common.classes_within_limit, lambda: context({"target": "y"}, LONG_CLASSES, task="multiclass"),
     "The target 'y' has 1200 different values: too many classes (at most 1000).",
     "If it is a number to predict, set the task to regression; otherwise choose another "
     "target.", SpecError),
    (common.feature_kinds_usable,
     lambda: context({"target": "y", "features": ["x", "id"]}, features=["x", "id"]),
     "Feature 'id' is a identifier column, which a tabular model cannot use.",
     f"Remove it from data.features, or set its kind to one of {USABLE}.", SpecError),
    (common.features_left, lambda: context({"target": "y"}, features=[]),
     "No usable feature columns are left besides the target.",
     "Check the column kinds: numeric, categorical, boolean or datetime columns can be inputs.",
     SpecError),
    (common.validation_column_set,
     lambda: context({"target": "y"}, training={"validation": "column"}),
     "training.validation is 'column' but no data.validation_column is set.",
     "Choose the column whose values say train / validation / test.", SpecError),
    (common.validation_column_in_data,
     lambda: context({"target": "y", "validation_column": "split"},
                     training={"validation": "column"}),
     "The validation column 'split' is not in the data.", None, SpecError),
    (common.validation_column_not_target,
     lambda: context({"target": "y", "validation_column": "y"}, training={"validation": "column"}),
     "The validation column cannot be the target.", None, SpecError),
    (common.features_left_besides_validation,
     lambda: context({"target": "y", "validation_column": "c"}, training={"validation": "column"},
                     features=["c"]),
     "No usable feature columns are left besides the target and the validation column.", None,
     SpecError),
    (common.loss_fits_task,
     lambda: context({"target": "y"}, training={"loss": "mean_squared_error"}, task="multiclass"),
     "training.loss 'mean_squared_error' does not fit a multiclass task.",
     "Choose 'auto' or one of: sparse_categorical_crossentropy, categorical_focal_crossentropy.",
     SpecError),
    (common.output_activation_fits_task,
     lambda: context({"target": "y"}, output={"activation": "sigmoid"}, task="multiclass"),
     "output.activation 'sigmoid' does not fit several classes.", "Use 'auto' or 'softmax'.",
     SpecError),
    (common.output_activation_fits_task,
     lambda: context({"target": "two"}, output={"activation": "softmax"}, task="binary"),
     "output.activation 'softmax' does not fit two classes.", "Use 'auto' or 'sigmoid'.",
     SpecError),
    (common.output_activation_fits_task,
     lambda: context({"target": "num"}, output={"activation": "sigmoid"}, task="regression"),
     "output.activation 'sigmoid' squeezes predictions into 0–1, which does not fit predicting "
     "a number.", "Use 'auto' (linear).", SpecError),
    # pictures
    (images.pixel_count_matches_shape,
     lambda: context({"target": "label", "image_shape": [3, 3, 1]}, pictures()),
     "data.image_shape [3, 3, 1] needs 9 pixel columns but 4 are given.",
     "List the pixel columns in data.features (row by row), or correct the image shape.",
     SpecError),
    (images.pixels_are_numbers,
     lambda: context({"target": "label", "image_shape": [2, 2, 1]}, pictures()),
     "Pixel column 'px_1' is not numeric.", "Every pixel column must hold numbers (e.g. 0–255).",
     SpecError),
    # time series
    (series.sequence_columns_in_data,
     lambda: context({"target": "y", "sequence": {**SEQ, "time": "when"}}, sales()),
     "The time column 'when' (data.sequence.time) is not in the data.",
     "Choose one of: day, shop, temp, y.", SpecError),
    (series.sequence_columns_not_target,
     lambda: context({"target": "y", "sequence": {**SEQ, "group": "y"}}, sales()),
     "The target 'y' cannot also be the group column.",
     "Choose another column for data.sequence.group.", SpecError),
    (series.group_differs_from_time,
     lambda: context({"target": "y", "sequence": {**SEQ, "group": "day"}}, sales()),
     "The time column and the series (group) column are the same.",
     "Leave the group empty for a single series.", SpecError),
    (series.split_by_time,
     lambda: context({"target": "y", "sequence": SEQ}, sales(), training={"validation": "kfold"}),
     "Time series are split by time, so training.validation must be 'holdout' (not 'kfold'): "
     "k-fold or a split column would train on rows that come after the ones tested.",
     "Set training.validation to 'holdout'.", SpecError),
    (series.forecast_task_is_regression,
     lambda: context({"target": "y", "sequence": SEQ, "task": "multiclass"}, sales()),
     "Time-series forecasting predicts a number; data.task is 'multiclass'.",
     "Set data.task to 'regression' or 'auto'.", SpecError),
    (series.series_column_not_empty,
     lambda: context({"target": "y", "sequence": SEQ}, sales().assign(shop=None)),
     "The series column 'shop' is empty on every row with a target value.",
     "Choose the column that names each series, or no series column for a single series.",
     DataError),
    (series.series_long_enough,
     lambda: context({"target": "y", "sequence": {**SEQ, "window": 40}}, sales()),
     "The longest series has 30 rows, too few for a look-back window of 40 rows and a horizon "
     "of 1 (several windows per series are needed).",
     "Use a shorter window or horizon, or check the series (group) column.", SpecError),
    (series.series_long_enough,
     lambda: context({"target": "y", "sequence": {**SEQ, "group": None, "window": 80}}, sales()),
     "The longest series has 60 rows, too few for a look-back window of 80 rows and a horizon "
     "of 1 (several windows per series are needed).", "Use a shorter window or horizon.",
     SpecError),
    (series.forecast_target_is_numeric,
     lambda: context({"target": "shop", "sequence": {**SEQ, "group": None}}, sales(),
                     guess="binary"),
     "Time-series forecasting predicts a number, but the target 'shop' is not numeric.",
     "Choose a numeric target column.", SpecError),
    (series.times_readable,
     lambda: context({"target": "y", "sequence": SEQ},
                     sales().assign(day=["yes", "no"] * 30)),
     "The time column 'day' does not hold dates, times or numbers on most rows (60 of 60 "
     "unreadable: 'yes', 'no').",
     "Choose the column that gives the order of the rows (a date, a timestamp or a step "
     "number) as the time column.", DataError),
    (series.times_distinct_per_series,
     lambda: context({"target": "y", "sequence": {**SEQ, "group": None}}, sales()),
     "Two rows share the time 2024-03-01 in 'day': each series needs one row per time.",
     "Choose the column that tells the series apart as the series (group) column, or combine "
     "the duplicate rows first.", DataError),
    # text
    (text.one_text_column,
     lambda: context({"target": "label", "text": {}}, reviews(), features=["review", "note"]),
     "A text model reads exactly one text column; there are 2: review, note.",
     "Set data.features to the one column that holds the text, e.g. [\"review\"].", SpecError),
    (text.one_text_column, lambda: context({"target": "label", "text": {}}, reviews(), features=[]),
     "A text model reads exactly one text column; none was found.",
     "Set data.features to the one column that holds the text, e.g. [\"review\"].", SpecError),
    (text.text_column_holds_words,
     lambda: context({"target": "label", "text": {}, "features": ["stars"]}, reviews(),
                     features=["stars"]),
     "The column 'stars' holds numbers, not text: a text model reads words.",
     "Set data.features to the column that holds the text (e.g. [\"review\"]), or train a "
     "table model (without data.text) for numbers.", SpecError),
    # mixed inputs
    (mixed.branch_columns_exist,
     lambda: mixed_context({"target": "label", "text": {"column": "ghost"}}, reviews(),
                           ["table", "text"]),
     "The text branch reads column(s) not in the data: ghost.",
     "Columns: review, note, stars, label.", SpecError),
    (mixed.text_branch_reads_words,
     lambda: mixed_context({"target": "label", "text": {"column": "stars"}}, reviews(),
                           ["table", "text"]),
     "The column 'stars' holds numbers, not text: the text branch reads words.",
     "Set data.text.column to the column that holds the text, or leave this column to the "
     "table branch.", SpecError),
    (mixed.image_branch_reads_pixels,
     lambda: mixed_context({"target": "label", "image_shape": [2, 2, 1]},
                           pictures().assign(x=1.0), ["table", "image"]),
     "Pixel column 'px_1' is not numeric.", "Every pixel column must hold numbers (e.g. 0–255).",
     SpecError),
    (mixed.image_branch_reads_pixels,
     lambda: mixed_context({"target": "label", "image_shape": [3, 3, 1]},
                           pictures().assign(x=1.0), ["table", "image"]),
     "data.image_shape [3, 3, 1] needs 9 pixel columns but 4 are given.",  # the px_ columns
     "Name them px_0, px_1, … (or pixel1, pixel2, …), or list them in data.inputs.image, row "
     "by row.", SpecError),
    (mixed.table_branch_has_columns,
     lambda: mixed_context({"target": "label", "text": {"column": "review"}},
                           reviews()[["review", "label"]], ["table", "text"]),
     "The table branch has no usable column left besides the target, the text and the pixels.",
     "Remove the table branch, or give it columns (numeric, categorical, boolean or datetime).",
     SpecError),
    # transforms and informative missing (the cases of tests/test_spec_xform.py)
    (transforms.transform_columns_in_data,
     lambda: context({"target": "y", "transforms": {"ghost": "log"}}),
     "data.transforms names columns that are not in the data: ghost.", f"Columns: {COLS}.",
     SpecError),
    (transforms.indicator_columns_in_data,
     lambda: context({"target": "y", "missing_indicators": ["ghost"]}),
     "data.missing_indicators names columns that are not in the data: ghost.",
     f"Columns: {COLS}.", SpecError),
    (transforms.no_transforms_for_pixels_or_texts,
     lambda: context({"target": "label", "text": {}, "transforms": {"stars": "log"}}, reviews()),
     "data.transforms is for the number columns of a table; a text model has none.",
     "Remove data.transforms.", SpecError),
    (transforms.transforms_on_number_features,
     lambda: context({"target": "y", "transforms": {"c": "log"}}, features=["x", "c"]),
     "data.transforms: 'c' is a categorical column; a transform is for number columns.",
     "Remove 'c' from data.transforms.", SpecError),
    (transforms.log_needs_positive_values,
     lambda: context({"target": "y", "transforms": {"x": "log"}}, features=["x"]),
     f"data.transforms: 'x' has values of 0 or less (the smallest is {table().x.min():g}, "
     f"{int((table().x <= 0).sum())} of them), and a log only takes numbers above 0.",
     "Use 'yeo-johnson' for 'x': it works with zero and negative values too.", SpecError),
    (transforms.target_transform_fits_task,
     lambda: context({"target": "y", "target_transform": "log"}, task="multiclass"),
     "data.target_transform 'log' is for a number to predict, but the task is multiclass "
     "(classes).", "Remove data.target_transform, or set data.task to regression.", SpecError),
]


@pytest.mark.parametrize("check,make,message,hint,error", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_each_check_names_the_problem_and_the_fix(check, make, message, hint, error):
    found = list(check(make()))
    assert found == [Problem(message, hint, error)]
    with pytest.raises(error) as e:
        raise_problems(found)
    assert e.value.message == message and e.value.hint == hint


def test_every_check_is_documented_and_tested():
    tested = {c[0] for c in CASES}
    for stage in STAGES:
        for _, fn in REGISTRY[stage]:
            assert fn.__doc__ and len(fn.__doc__) > 20, fn.__name__
            assert fn in tested, f"{fn.__name__} has no case in CASES"


def test_checks_run_per_modality_the_modality_first():
    assert common.target_not_a_feature not in checks_for("columns", "series")
    assert checks_for("settings", "table") == []
    assert checks_for("settings", "images") == [images.pixel_count_matches_shape,
                                                images.pixels_are_numbers]
    feats = checks_for("features", "text")
    assert feats[:2] == [text.one_text_column, text.text_column_holds_words]
    assert common.features_left not in feats
    task = checks_for("task", "series")
    assert task[0] is series.forecast_target_is_numeric


@pytest.mark.parametrize("data,df", [
    ({"target": "y"}, table()),
    ({"target": "y", "features": ["x", "c"]}, table()),
    ({"target": "label", "image_shape": [1, 3, 1], "features": ["px_0", "px_2", "px_3"]},
     pictures()),
    ({"target": "y", "sequence": SEQ}, sales()),
    ({"target": "label", "text": {"max_tokens": 10}}, reviews().drop(columns="note")),
], ids=["table", "listed", "images", "series", "text"])
def test_valid_specs_break_no_rule(data, df):
    spec, notes = resolve({"data": data}, df)
    ctx = context(data, df, task=spec["data"]["task"], features=spec["data"]["features"])
    for stage in STAGES:
        assert problems(stage, ctx) == [], stage


def test_a_stage_reports_all_its_problems_at_once_each_with_its_hint():
    with pytest.raises(SpecError) as e:
        resolve({"data": {"target": "nope", "kinds": {"ghost": "numeric"},
                          "features": ["x", "phantom"]}}, table())
    assert e.value.problems == [
        f"The target column 'nope' is not in the data. Choose one of: {COLS}.",
        f"data.kinds names columns that are not in the data: ghost. Columns: {COLS}.",
        f"data.features names columns that are not in the data: phantom. Columns: {COLS}."]
    assert str(e.value).startswith("The spec has 3 problems: The target column 'nope'")


def test_later_stages_wait_for_earlier_ones():
    """A missing target stops resolve before its values, the task or the features are looked
    at; problems of one stage (loss, activation, features) come together."""
    with pytest.raises(SpecError) as e:
        resolve({"data": {"target": "nope", "task": "binary"}}, table())
    assert len(e.value.problems) == 1
    with pytest.raises(SpecError) as e:
        resolve({"data": {"target": "y", "features": ["x", "id"]},
                 "training": {"loss": "huber"}, "output": {"activation": "sigmoid"}}, table())
    assert e.value.problems == [
        "Feature 'id' is a identifier column, which a tabular model cannot use. Remove it from "
        f"data.features, or set its kind to one of {USABLE}.",
        "training.loss 'huber' does not fit a multiclass task. Choose 'auto' or one of: "
        "sparse_categorical_crossentropy, categorical_focal_crossentropy.",
        "output.activation 'sigmoid' does not fit several classes. Use 'auto' or 'softmax'."]


def test_one_problem_raises_exactly_as_before():
    with pytest.raises(DataError) as e:
        resolve({"data": {"target": "empty"}}, table())
    assert e.value.message == "Every value of the target 'empty' is missing."
    assert e.value.hint == "Choose another target column, or fill in the target values."
