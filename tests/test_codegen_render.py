"""The script templates: every combination of optimizer, schedule, early stopping, kind of data
and split renders to a script that compiles, defines every name it uses, and trains with the
optimizer and callbacks the builder builds (both read the same recipe)."""
import ast
import builtins
import inspect
import itertools
import symtable

import pytest

from codegen_cases import MODALITIES, SPLITS, spec_for
from kwk.codegen import generate_script, script_inputs
from kwk.codegen.render import TEMPLATES, call, copy_source, render
from kwk.model.recipe import Named, callback_recipes, optimizer_recipe

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw")
SCHEDULES = ("constant", "exponential", "cosine", "reduce_on_plateau")
PATIENCE = (0, 3)
DATA = [(m, s) for m, s in itertools.product(MODALITIES, SPLITS)
        if not (m.startswith("series") and s == "column")]  # series are split by time
COMBINATIONS = [pytest.param(o, sch, es, m, s, id=f"{o}-{sch}-es{es}-{m}-{s}")
                for o, sch, es, (m, s) in itertools.product(OPTIMIZERS, SCHEDULES, PATIENCE, DATA)]


def _training(optimizer, schedule, patience):
    extra = {"optimizer": optimizer, "lr_schedule": schedule, "early_stopping_patience": patience,
             "learning_rate": 0.02, "lr_decay_rate": 0.8, "lr_plateau_factor": 0.3,
             "lr_plateau_patience": 2, "restore_best_weights": False}
    if optimizer == "sgd":
        extra.update(momentum=0.9, nesterov=True)
    if optimizer == "rmsprop":
        extra.update(momentum=0.5)
    if optimizer == "adamw":
        extra.update(weight_decay=0.01)
    return extra


def undefined_names(code: str) -> set[str]:
    """Names the script reads that it never defines (imports, assignments, functions) and that
    are not builtins: what a helper copied without its own helpers would leave behind."""
    top = symtable.symtable(code, "train_script.py", "exec")
    defined = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    out = set()

    def walk(table):
        for s in table.get_symbols():
            name = s.get_name()
            if (s.is_referenced() and (table is top or s.is_global()) and name not in defined
                    and not hasattr(builtins, name)):
                out.add(name)
        for child in table.get_children():
            walk(child)
    walk(top)
    return out


def _train_section(script: str) -> dict:
    """Run the script's settings and its optimizer and callback lines (with 7 batches per
    epoch): what the script would train with."""
    import keras
    tree = ast.parse(script)
    keep = []
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        constant = target is not None and isinstance(node.value, ast.Constant)
        if isinstance(target, ast.Name) and (target.id.isupper() and constant or target.id in (
                "learning_rate", "optimizer", "callbacks")):
            keep.append(node)
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and ast.unparse(node.value.func) == "callbacks.append"):
            keep.append(node)
    space = {"keras": keras, "steps_per_epoch": 7}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "train_script.py", "exec"), space)
    return space


def _state(obj) -> dict:
    """A callback's settings (its plain attributes)."""
    return {k: v for k, v in vars(obj).items()
            if isinstance(v, (int, float, str, bool)) and not k.startswith("_")}


@pytest.mark.parametrize("optimizer,schedule,patience,modality,split", COMBINATIONS)
def test_every_combination_renders_compiles_and_trains_like_the_builder(
        optimizer, schedule, patience, modality, split):
    from kwk.model.builder import make_optimizer
    from kwk.model.recipe import make_callbacks
    spec = spec_for(modality, split, **_training(optimizer, schedule, patience))
    script = generate_script(spec, "data.csv")
    compile(script, "train_script.py", "exec")
    assert undefined_names(script) == set()
    assert "{{" not in script and "{%" not in script
    # the script's optimizer and callbacks are the builder's: same classes, same settings
    space = _train_section(script)
    tr = spec["training"]
    app_opt, script_opt = make_optimizer(tr, 7), space["optimizer"]
    assert type(script_opt) is type(app_opt)
    unnamed = [{k: v for k, v in o.get_config().items() if k != "name"}
               for o in (script_opt, app_opt)]  # Keras numbers the names: adam, adam_1
    assert unnamed[0] == unnamed[1]
    app_cbs, script_cbs = make_callbacks(tr), space["callbacks"]
    assert [type(c) for c in script_cbs] == [type(c) for c in app_cbs]
    assert [_state(c) for c in script_cbs] == [_state(c) for c in app_cbs]
    assert len(app_cbs) == (patience > 0) + (schedule == "reduce_on_plateau")


@pytest.mark.parametrize("optimizer,schedule", itertools.product(OPTIMIZERS, SCHEDULES))
def test_script_code_is_written_from_the_builders_recipe(optimizer, schedule):
    tr = spec_for("table", **_training(optimizer, schedule, 3))["training"]
    script = generate_script(spec_for("table", **_training(optimizer, schedule, 3)))
    recipe = optimizer_recipe(tr)
    schedule_recipe = recipe["kwargs"]["learning_rate"]
    if isinstance(schedule_recipe, dict):
        assert f"learning_rate = {call(schedule_recipe, 16)}\n" in script
        assert f"optimizer = {call(recipe, 12, learning_rate='learning_rate')}\n" in script
    else:
        assert schedule_recipe == Named("LEARNING_RATE", tr["learning_rate"])
        assert f"optimizer = {call(recipe, 12)}\n" in script
    for cb in callback_recipes(tr):
        assert f"# {cb['comment']}\ncallbacks.append({call(cb, 17)})\n" in script
    # the builder's recipe holds the numbers the script computes when it runs
    built = optimizer_recipe(tr, steps_per_epoch=7)["kwargs"]["learning_rate"]
    if schedule == "exponential":
        assert built["kwargs"]["decay_steps"] == Named("steps_per_epoch", 7)
    if schedule == "cosine":
        assert built["kwargs"]["decay_steps"] == Named("steps_per_epoch * EPOCHS", 7 * tr["epochs"])


def test_a_recipe_for_the_script_cannot_be_built():
    from kwk.model.recipe import build
    tr = spec_for("table", lr_schedule="cosine")["training"]
    with pytest.raises(ValueError, match="only known when the script runs"):
        build(optimizer_recipe(tr))


READS = {
    "sql": ("sql", {"url": "sqlite:///x.db", "query": "select * from t"}, "import sqlalchemy"),
    "zip_member": ("csv", {"zip_member": "a/b.csv", "sep": ";"},
                   "archive.read('a/b.csv')), sep=';')"),
    "formatted": ("csv", {"formatted_numbers": {"x": "."}, "blank_tail_columns": 2},
                  "df = df.iloc[:, :-2]"),
    "jsonl": ("jsonl", {"lines": True}, "_flatten_nested(df)"),
    "excel": ("excel", {"sheet_name": "S"}, "pd.read_excel(DATA_PATH, sheet_name='S')"),
    "parquet": ("parquet", {}, "pd.read_parquet(DATA_PATH)"),
}


@pytest.mark.parametrize("name", list(READS))
def test_every_way_of_reading_renders_and_compiles(name):
    fmt, options, expected = READS[name]
    script = generate_script(spec_for("table"), "data", fmt, options)
    compile(script, "train_script.py", "exec")
    assert undefined_names(script) == set()
    assert expected in script


def test_a_zip_of_pictures_renders_and_compiles():
    script = generate_script(spec_for("images"), "pics.zip", "images",
                             {"size": [8, 8], "color": "grayscale"})
    compile(script, "train_script.py", "exec")
    assert undefined_names(script) == set()
    assert "decode_image(zf.read(name), (8, 8), 'grayscale')" in script
    assert "fitted[col].update(mean=0.0, std=1.0)" in script  # pixels: scaled in the model


def test_helpers_are_copied_verbatim_from_the_engine():
    from kwk.prep import preprocess, series
    script = generate_script(spec_for("series_change"), "data.csv")
    for f in (preprocess.as_labels, preprocess.to_number, preprocess.date_parts,
              series.parse_dates, series.series_order, series.relative_to_last):
        assert inspect.getsource(f).rstrip() in script, f.__name__
    holdout = generate_script(spec_for("table"), "data.csv")
    assert copy_source(preprocess.split_indices) in holdout
    by_column = generate_script(spec_for("table", "column"), "data.csv")
    assert "split_indices" not in by_column and "ROLES = {" in by_column


def test_templates_are_found_next_to_the_module_and_take_a_plain_dict():
    assert {p.name for p in TEMPLATES.iterdir()} >= {"train_script.py.jinja", "model.py.jinja"}
    inputs = script_inputs(spec_for("text"), "data.csv")
    assert render("train_script.py.jinja", **inputs) == generate_script(spec_for("text"), "data.csv")
