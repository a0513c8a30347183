"""The model spec: plain, versioned JSON that users save, share and reload — a public contract.

    {"kwk_spec": 1,
     "data": {"target": "species", "features": null, "task": "auto", "kinds": {}},
     "layers": [{"type": "Dense", "units": 16, "activation": "relu"}, ...],
     "output": {"activation": "auto"},
     "training": {"optimizer": "adam", "learning_rate": 0.001, ...}}

- ``schema``: the settings (Params), defaults, ``normalize`` (structure; every problem at once),
  ``loads`` / ``dumps``;
- ``checks``: the rules a spec follows against its data, one small named function per rule,
  grouped per modality (``common``, ``images``, ``series``, ``text``);
- ``resolve``: the spec checked against a DataFrame by a short pipeline of those checks, returned
  resolved (features listed, task decided) with plain-language notes;
- ``stack``: the input shape, output layer and loss, and the layer stack's shapes and size;
- ``choices``: ``from_choices``, the spec built from a user's choices in the app, and
  ``to_choices``, the choices a spec records (loading a spec into the app).

Every problem raises :class:`SpecError` (or :class:`DataError` for unusable data) whose message
names the layer, setting or column, with a hint saying what to do.
"""
from kwk.spec.schema import (CLASS_LOSSES, DATA_KEYS, LOSSES, MAX_CLASSES, MAX_IMAGE_VALUES,
                             MAX_PARAMS, OPTIMIZERS, OUTPUT_ACTIVATIONS, OUTPUT_PARAMS,
                             REGRESSION_LOSSES, SEQUENCE_PARAMS, SPEC_VERSION, TASKS, TEXT_PARAMS,
                             TOP_KEYS, TRAINING_PARAMS, changed_training, default_spec, dumps,
                             loads, normalize)
from kwk.spec.stack import check_stack, input_shape, loss_name, output_activation, output_units

__all__ = ["CLASS_LOSSES", "DATA_KEYS", "LOSSES", "MAX_CLASSES", "MAX_IMAGE_VALUES", "MAX_PARAMS",
           "OPTIMIZERS", "OUTPUT_ACTIVATIONS", "OUTPUT_PARAMS", "REGRESSION_LOSSES",
           "SEQUENCE_PARAMS", "SPEC_VERSION", "TASKS", "TEXT_PARAMS", "TOP_KEYS",
           "TRAINING_PARAMS", "changed_training", "default_spec", "dumps", "loads", "normalize", "infer_task",
           "resolve", "target_classes", "check_stack", "input_shape", "loss_name",
           "output_activation", "output_units", "from_choices", "to_choices"]

# Checking a spec against a table needs pandas: those names are imported when first used
# (PEP 562), so a page that only shows the default spec does not pay for pandas.
_LAZY = {"infer_task": "resolving", "resolve": "resolving", "target_classes": "resolving",
         "from_choices": "choices", "to_choices": "choices"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f"kwk.spec.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'kwk.spec' has no attribute {name!r}")
