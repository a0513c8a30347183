"""spec (resolved against the data) -> a standalone, readable Keras script in the style of the
keras-io examples: a title docstring, named constants, ``## Section`` prose, then load, split,
preprocess, build, train, evaluate, save.

- ``templates/``: one template file per script (``train_script.py.jinja``) and the model lines
  it shares with the Build page (``model.py.jinja``);
- ``render``: the renderer, its filters (``lit``, ``call``, ...) and ``copy_source``, the one
  way an engine helper is copied into a script;
- ``script``: a resolved spec -> the templates' inputs (a plain dict) -> the script.

Safety: every value taken from a spec or a file (paths, column names, class labels) enters the
script only through :func:`lit`, i.e. as a Python literal (``repr``), never as code.
"""
from kwk.codegen.render import lit
from kwk.codegen.script import generate_script, layer_code, model_code, script_inputs

__all__ = ["generate_script", "layer_code", "lit", "model_code", "script_inputs"]
