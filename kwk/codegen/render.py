"""The renderer: template files (``kwk/codegen/templates/``) + a plain dict of inputs -> code.

Everything that writes code from data lives here and is offered to the templates as a filter:
- ``lit``: a value as a Python literal (``repr``), the only way a value from a spec or a file
  (paths, column names, class labels) enters a script, so it can never become code;
- ``wrapped``: a long list or dict literal wrapped over several lines;
- ``call``: a recipe (``kwk.model.recipe``) as a Keras constructor call;
- ``prose``: text from the data made harmless for the script's docstring.
:func:`copy_source` is the one way an engine helper is copied into a script.

The templates are found next to this module (``Path(__file__).parent``), so a checkout runs
without any packaging step.
"""
from __future__ import annotations

import functools
import inspect
import re
import textwrap
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
WIDTH = 96  # the scripts' line length


def lit(v) -> str:
    """A Python literal for a JSON-like value (str, number, bool, None, list, dict)."""
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, (int, float, str)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(lit(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{lit(str(k))}: {lit(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"not a literal: {type(v).__name__}")


def wrapped(value: list | dict, indent: int = 4, width: int = 92) -> str:
    """A list or dict literal, wrapped over several lines (``indent`` spaces) when it does not
    fit in ``width`` characters."""
    one = lit(value)
    if len(one) <= width - indent:
        return one
    items = ([f"{lit(str(k))}: {lit(v)}" for k, v in value.items()] if isinstance(value, dict)
             else [lit(v) for v in value])
    lines, cur = [], ""
    for it in items:
        piece = it + ", "
        if len(cur) + len(piece) > width - indent and cur:
            lines.append(" " * indent + cur.rstrip())
            cur = ""
        cur += piece
    lines.append(" " * indent + cur.rstrip())
    brackets = "{}" if isinstance(value, dict) else "[]"
    return brackets[0] + "\n" + "\n".join(lines) + "\n" + brackets[1]


def call(recipe: dict, column: int = 0, **names: str) -> str:
    """A recipe as code: ``keras.callbacks.EarlyStopping(monitor='val_loss', patience=3)``.
    Named values are written by name; ``names`` writes the given keyword arguments as those
    variable names (a schedule built on the line above). ``column``: where the call starts in
    its (top-level) line; a call too long for the line continues on the next lines, indented
    by four spaces."""
    from kwk.model.recipe import Named
    args = []
    for k, v in recipe["kwargs"].items():
        if k in names:
            code = names[k]
        elif isinstance(v, Named):
            code = v.code
        elif isinstance(v, dict) and "class" in v:
            code = call(v)
        else:
            code = lit(v)
        args.append(f"{k}={code}")
    one = f"{recipe['class']}({', '.join(args)})"
    if column + len(one) <= WIDTH:
        return one
    body = textwrap.fill(", ".join(args) + ")", WIDTH, initial_indent="    ",
                         subsequent_indent="    ", break_long_words=False,
                         break_on_hyphens=False)
    return f"{recipe['class']}(\n{body}"


def prose(text: str, limit: int = 80) -> str:
    """Text from the data shown inside the docstring: harmless characters only."""
    return re.sub(r"[^\w .,()+-]", "_", str(text))[:limit]


def copy_source(*funcs) -> str:
    """The source of engine functions, as written in the engine, separated by two blank lines:
    the one way a helper enters a script, so the script computes exactly what KwK computes.
    The functions must be module-level and self-contained (NumPy, pandas and other copied
    helpers only); the template tests check that every name they use is defined."""
    return "\n\n\n".join(textwrap.dedent(inspect.getsource(f)).rstrip() for f in funcs)


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment over the template folder. Undefined names are errors; block tags
    take their own line (``trim_blocks``/``lstrip_blocks``), so templates read like the script."""
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(lit=lit, wrapped=wrapped, call=call, prose=prose)
    return env


def render(template: str, **inputs) -> str:
    """Render ``templates/<template>`` with a plain dict of inputs."""
    return environment().get_template(template).render(**inputs)
