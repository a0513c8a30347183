"""Rules for every modality: the target, the columns the spec names, the task, the features,
the validation column, and the loss and output activation the task allows."""
from __future__ import annotations

from typing import Iterator

from kwk.data.kinds import MODEL_KINDS
from kwk.data.numbers import to_number
from kwk.errors import DataError
from kwk.spec.checks.base import Context, Problem, check, missing_columns
from kwk.spec.schema import CLASS_LOSSES, MAX_CLASSES, REGRESSION_LOSSES

NOT_SERIES = ("table", "images", "text", "mixed")  # a series lists its target among its inputs


# ------------------------------------------------------------------ columns: the names given

@check("columns")
def target_chosen(ctx: Context) -> Iterator[Problem]:
    """data.target must name the column the model predicts."""
    if not ctx.target:
        yield Problem("No target chosen: set data.target to the column the model should "
                      "predict.", f"Columns: {', '.join(ctx.cols[:20])}.")


@check("columns")
def target_in_data(ctx: Context) -> Iterator[Problem]:
    """The target column must be in the data."""
    if ctx.target and ctx.target not in ctx.cols:
        yield Problem(f"The target column '{ctx.target}' is not in the data.",
                      f"Choose one of: {', '.join(ctx.cols[:30])}.")


@check("columns")
def kinds_in_data(ctx: Context) -> Iterator[Problem]:
    """Every column given a kind (data.kinds, or the profile's kinds) must be in the data."""
    yield from missing_columns(ctx.kinds, ctx, "data.kinds")


@check("columns")
def features_in_data(ctx: Context) -> Iterator[Problem]:
    """Every column listed in data.features must be in the data."""
    if ctx.data["features"] is not None:
        yield from missing_columns(dict.fromkeys(ctx.data["features"]), ctx, "data.features")


@check("columns", *NOT_SERIES)
def target_not_a_feature(ctx: Context) -> Iterator[Problem]:
    """The target cannot also be an input (a time series is the exception: its own past values
    are inputs)."""
    if ctx.target and ctx.target in (ctx.data["features"] or ()):
        yield Problem(f"The target '{ctx.target}' is also listed as a feature.",
                      "Remove it from data.features: the model cannot use the answer as an input.")


# ------------------------------------------------------------------ target: its values

@check("target")
def target_has_values(ctx: Context) -> Iterator[Problem]:
    """The target must have at least one value."""
    if ctx.y.notna().sum() == 0:
        yield Problem(f"Every value of the target '{ctx.target}' is missing.",
                      "Choose another target column, or fill in the target values.", DataError)


@check("target")
def target_varies(ctx: Context) -> Iterator[Problem]:
    """The target must hold at least two different values."""
    y = ctx.y.dropna()
    if len(y) and y.nunique() < 2:
        yield Problem(f"The target '{ctx.target}' has a single value ({y.iloc[0]!s}): "
                      "there is nothing to predict.", "Choose a column whose values vary.",
                      DataError)


# ------------------------------------------------------------------ task: the task chosen

@check("task")
def regression_target_is_numeric(ctx: Context) -> Iterator[Problem]:
    """A regression target must hold numbers (at most 5% of its values may not read as one)."""
    if ctx.data["task"] == "regression" and to_number(ctx.y.dropna()).isna().mean() > 0.05:
        yield Problem(f"data.task is 'regression' but the target '{ctx.target}' is not "
                      "numeric.", "Choose 'multiclass' or 'binary', or a numeric target.")


@check("task")
def binary_target_has_two_values(ctx: Context) -> Iterator[Problem]:
    """A binary target must hold exactly two different values."""
    n = int(ctx.y.nunique(dropna=True))
    if ctx.data["task"] == "binary" and n != 2:
        yield Problem(f"data.task is 'binary' but the target '{ctx.target}' has {n} "
                      "different values.", "Choose 'multiclass', or 'auto'.")


@check("task")
def classes_within_limit(ctx: Context) -> Iterator[Problem]:
    """A classification target may have at most ``MAX_CLASSES`` classes."""
    n = int(ctx.y.nunique(dropna=True))
    if ctx.task in ("binary", "multiclass") and n > MAX_CLASSES:
        yield Problem(f"The target '{ctx.target}' has {n} different values: too many "
                      f"classes (at most {MAX_CLASSES}).",
                      "If it is a number to predict, set the task to regression; otherwise "
                      "choose another target.")


# ------------------------------------------------------------------ features: the inputs chosen

@check("features", "table", "images", "series")
def feature_kinds_usable(ctx: Context) -> Iterator[Problem]:
    """Every listed feature must be of a kind the model reads (``MODEL_KINDS``); the features
    KwK picks itself are usable by construction."""
    if ctx.data["features"] is None:
        return
    for c in ctx.features:
        k = ctx.kind(c)
        if k not in MODEL_KINDS:
            yield Problem(f"Feature '{c}' is a {k} column, which a tabular model cannot use.",
                          f"Remove it from data.features, or set its kind to one of "
                          f"{', '.join(MODEL_KINDS)}.")


@check("features", "table", "images", "series")
def features_left(ctx: Context) -> Iterator[Problem]:
    """At least one usable input column must remain besides the target."""
    if not ctx.features:
        yield Problem("No usable feature columns are left besides the target.",
                      "Check the column kinds: numeric, categorical, boolean or datetime "
                      "columns can be inputs.")


@check("features")
def validation_column_set(ctx: Context) -> Iterator[Problem]:
    """training.validation 'column' needs data.validation_column."""
    if ctx.validation == "column" and not ctx.data.get("validation_column"):
        yield Problem("training.validation is 'column' but no data.validation_column is set.",
                      "Choose the column whose values say train / validation / test.")


@check("features")
def validation_column_in_data(ctx: Context) -> Iterator[Problem]:
    """The validation column must be in the data."""
    vcol = ctx.data.get("validation_column")
    if ctx.validation == "column" and vcol and vcol not in ctx.cols:
        yield Problem(f"The validation column '{vcol}' is not in the data.")


@check("features")
def validation_column_not_target(ctx: Context) -> Iterator[Problem]:
    """The validation column cannot be the target."""
    if ctx.validation == "column" and ctx.data.get("validation_column") == ctx.target:
        yield Problem("The validation column cannot be the target.")


@check("features")
def features_left_besides_validation(ctx: Context) -> Iterator[Problem]:
    """Some input must remain once the validation column is taken out of the features."""
    vcol = ctx.data.get("validation_column")
    if (ctx.validation == "column" and vcol and vcol != ctx.target and ctx.features
            and not [f for f in ctx.features if f != vcol]):
        yield Problem("No usable feature columns are left besides the target and the "
                      "validation column.")


@check("features")
def loss_fits_task(ctx: Context) -> Iterator[Problem]:
    """training.loss must be 'auto' or a loss of the task (class losses for classes, regression
    losses for numbers)."""
    loss = ctx.spec["training"]["loss"]
    ok = REGRESSION_LOSSES if ctx.task == "regression" else CLASS_LOSSES[ctx.task]
    if loss != "auto" and loss not in ok:
        yield Problem(f"training.loss '{loss}' does not fit a {ctx.task} task.",
                      f"Choose 'auto' or one of: {', '.join(ok)}.")


@check("features")
def output_activation_fits_task(ctx: Context) -> Iterator[Problem]:
    """output.activation must fit the task: softmax for several classes, sigmoid for two, and
    nothing that squeezes a predicted number into 0–1."""
    act = ctx.spec["output"]["activation"]
    if ctx.task == "multiclass" and act not in ("auto", "softmax"):
        yield Problem(f"output.activation '{act}' does not fit several classes.",
                      "Use 'auto' or 'softmax'.")
    if ctx.task == "binary" and act not in ("auto", "sigmoid"):
        yield Problem(f"output.activation '{act}' does not fit two classes.",
                      "Use 'auto' or 'sigmoid'.")
    if ctx.task == "regression" and act in ("sigmoid", "softmax"):
        yield Problem(f"output.activation '{act}' squeezes predictions into 0–1, which does "
                      "not fit predicting a number.", "Use 'auto' (linear).")
