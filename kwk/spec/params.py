"""The spec's settings described as data: versions, tasks, losses, optimizers and the
:class:`Param` lists of ``training``, ``output``, ``data.sequence`` and ``data.text``. Read by
:func:`kwk.spec.schema.normalize`, the tune section's rules (:mod:`kwk.spec.tuning`), the forms
and the code generator; kept apart so the rules that read them import them one way."""
from __future__ import annotations

from kwk.catalog.params import Param

SPEC_VERSION = 2
READS_VERSIONS = (1, 2)
V2_DATA_KEYS = ("transforms", "target_transform", "missing_indicators")  # what needs version 2
TRANSFORMS = ("log", "yeo-johnson", "quantile")  # kwk.prep.transforms applies them
TARGET_TRANSFORMS = ("log",)
TASKS = ("auto", "binary", "multiclass", "regression")
MAX_CLASSES = 1000
MAX_PARAMS = 20_000_000  # parameter budget: protects a shared server's memory
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop",
              "adagrad": "Adagrad", "adadelta": "Adadelta", "adamax": "Adamax",
              "nadam": "Nadam", "lion": "Lion"}
CLASS_LOSSES = {"binary": ("binary_crossentropy", "binary_focal_crossentropy", "hinge",
                           "squared_hinge"),
                "multiclass": ("sparse_categorical_crossentropy", "categorical_focal_crossentropy")}
REGRESSION_LOSSES = ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh")
LOSSES = ("auto",) + CLASS_LOSSES["binary"] + CLASS_LOSSES["multiclass"] + REGRESSION_LOSSES
OUTPUT_ACTIVATIONS = ("auto", "sigmoid", "softmax", "linear", "relu", "softplus", "tanh")

TRAINING_PARAMS: tuple[Param, ...] = (
    Param("optimizer", "choice", "adam", "The algorithm that adjusts the weights. 'adam' works "
          "well almost everywhere; 'sgd' with momentum is the classic.",
          choices=tuple(OPTIMIZERS)),
    Param("learning_rate", "float", 0.001, "How big each weight update is. Too high: the loss "
          "jumps around or explodes; too low: training crawls.", min=0.0, max=10.0,
          min_exclusive=True, tune={"low": 1e-5, "high": 0.3, "log": True}),
    Param("momentum", "float", 0.0, "SGD and RMSprop only: how much of the previous update "
          "carries over (0.9 is common for SGD).", min=0.0, max=1.0, max_exclusive=True,
          advanced=True),
    Param("nesterov", "bool", False, "SGD only: look-ahead momentum, often slightly better.",
          advanced=True),
    Param("weight_decay", "float", None, "Shrinks all weights a little at every step (AdamW's "
          "key setting). Leave empty for the optimizer's default.", min=0.0, max=1.0,
          nullable=True, advanced=True),
    Param("lr_schedule", "choice", "constant", "How the learning rate changes over training: "
          "constant; exponential (multiplied by the decay rate each epoch); cosine (glides "
          "down to a small value by the last epoch); reduce_on_plateau (cut when validation "
          "loss stops improving).",
          choices=("constant", "exponential", "cosine", "reduce_on_plateau")),
    Param("lr_decay_rate", "float", 0.9, "Exponential schedule: the factor applied to the "
          "learning rate every epoch.", min=0.0, max=1.0, min_exclusive=True, advanced=True),
    Param("lr_plateau_factor", "float", 0.5, "Reduce-on-plateau: the factor applied when "
          "validation loss stalls.", min=0.0, max=1.0, min_exclusive=True,
          max_exclusive=True, advanced=True),
    Param("lr_plateau_patience", "int", 5, "Reduce-on-plateau: epochs without improvement "
          "before the learning rate is cut.", min=1, max=1000, advanced=True),
    Param("validation", "choice", "holdout", "How the model is judged: 'holdout' keeps "
          "validation and test rows aside; 'kfold' also trains one model per fold and reports "
          "each metric as mean ± sd over folds; 'column' takes the split from a column of your "
          "data (values train / validation / test).", choices=("holdout", "kfold", "column")),
    Param("folds", "int", 5, "k-fold only: how many folds (every row is validated exactly "
          "once).", min=2, max=20, advanced=True),
    Param("repeats", "int", 1, "Train the same spec with this many different seeds and report "
          "each metric as mean ± sd, to see whether differences are real.", min=1, max=20,
          advanced=True),
    Param("epochs", "int", 50, "How many passes over the training data at most.", min=1,
          max=10_000),
    Param("batch_size", "int", 32, "How many rows are used for each weight update. Larger is "
          "faster per epoch but can generalise worse.", min=1, max=65_536,
          tune={"choices": [16, 32, 64, 128, 256, 512]}),
    Param("validation_fraction", "float", 0.15, "Share of rows held out to watch over-fitting "
          "during training.", min=0.0, max=0.5, min_exclusive=True),
    Param("test_fraction", "float", 0.15, "Share of rows kept aside, never seen in training, "
          "for the final honest evaluation.", min=0.0, max=0.5, min_exclusive=True),
    Param("early_stopping_patience", "int", 10, "Stop when validation loss has not improved for "
          "this many epochs (0 = never stop early).", min=0, max=10_000),
    Param("restore_best_weights", "bool", True, "Only with early stopping (patience above 0): "
          "at the end, go back to the weights of the epoch with the lowest validation loss. With "
          "patience 0 the last epoch's weights are kept."),
    Param("class_weight", "choice", "auto", "Classification: 'balanced' gives rare classes more "
          "weight so the model does not ignore them; 'auto' (the default) is 'balanced' when "
          "the rarest class is under 20% of the rows (two classes; under 40% of an even share "
          "with more), else 'none'. The run records which was used.",
          choices=("auto", "none", "balanced")),
    Param("loss", "choice", "auto", "What training minimises. 'auto' picks the standard loss "
          "for the task (cross-entropy for classes, mean squared error for numbers).",
          choices=LOSSES, advanced=True),
    Param("stratify", "bool", True, "Classification: keep class proportions equal in the "
          "train, validation and test splits.", advanced=True),
    Param("mixed_precision", "bool", False, "On a GPU with tensor cores (compute capability "
          "7.0+): compute in float16 and keep the weights in float32, often 2-3x faster. "
          "Ignored, with a note, where there is no such GPU.", advanced=True),
    Param("seed", "int", 0, "Fixes all randomness (split, initial weights, shuffling) so a "
          "run can be repeated exactly.", min=0, max=2**31 - 1),
)
OUTPUT_PARAMS: tuple[Param, ...] = (
    Param("activation", "choice", "auto", "The output layer's activation; 'auto' uses sigmoid "
          "(two classes), softmax (several classes) or linear (numbers).",
          choices=OUTPUT_ACTIVATIONS),
)
TOP_KEYS = ("kwk_spec", "name", "data", "branches", "layers", "output", "training", "tune")
DATA_KEYS = ("target", "features", "task", "kinds", "validation_column", "image_shape",
             "sequence", "text", "inputs", *V2_DATA_KEYS)
# A mixed-input model ("branches"): one stack of layers per input, merged into the head
# ("layers"). "table" reads the feature columns, "text" the column data.text.column, "image"
# the pixel columns of data.image_shape. data.inputs lists each branch's columns (resolved).
BRANCHES = ("table", "text", "image")
MAX_IMAGE_VALUES = 1_000_000
# data.sequence: the rows are time series; each example is a look-back window of rows.
SEQUENCE_PARAMS: tuple[Param, ...] = (
    Param("time", "column", None, "The column that orders the rows in time (dates or numbers)."),
    Param("group", "column", None, "Optional: the column that says which series a row belongs "
          "to (a store, a sensor, a ticker). Windows never mix two series.", nullable=True),
    Param("window", "int", 12, "Look-back window: how many consecutive past rows the model sees "
          "to make one forecast.", min=1, max=1000),
    Param("horizon", "int", 1, "Forecast horizon: how many rows after the window's last row the "
          "predicted value lies (1 = the next row).", min=1, max=1000),
    Param("predict", "choice", "change", "What the network learns: 'change' = how much the target "
          "moves from the window's last value (it starts as good as the naive forecast and copes "
          "with trends beyond the training range); 'value' = the target itself.",
          choices=("change", "value")),
)
# data.text: one text column is the input; the model itself turns raw text into word numbers.
TEXT_PARAMS: tuple[Param, ...] = (
    Param("max_tokens", "int", 10_000, "Vocabulary size: the most frequent words kept (the rest "
          "count as 'unknown').", min=10, max=200_000),
    Param("sequence_length", "int", 100, "Words read per text: longer texts are cut, shorter "
          "ones padded.", min=1, max=5000),
    Param("column", "column", None, "The column that holds the text (else data.features names "
          "it). A model with a text branch needs it.", nullable=True),
)
