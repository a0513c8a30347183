"""Lessons as data files: one TOML file per lesson, read with Python's own ``tomllib``.

The format is documented with a full example in ``docs/lessons.md``. The bundled lessons live
in ``kwk/learn/lessons/``; a teacher adds their own in the folder named by
``$KWK_LESSONS_DIR`` (a file with the same name as a bundled one replaces it). Within a folder
the files are taken in the order of their names (``01_….toml``, ``02_….toml``).

A file with a mistake is refused with its line and the reason, e.g.
``lesson_x.toml, line 12: 'threshold' must be a number``: a TOML syntax error carries the line
``tomllib`` gives; every other rule is one small named function below (registered with
:func:`rule`, like ``kwk.spec.checks``) that names the key, and the key's line is found in the
text. Every problem of a file is reported at once.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from kwk.errors import KwkError
from kwk.learn.checks import CHECKS

BUNDLED = Path(__file__).resolve().parent / "lessons"
ENV = "KWK_LESSONS_DIR"
# the pages a lesson can open (the Learn page maps each to its script)
PAGES = ("playground", "data", "target", "build", "train", "evaluate", "predict", "runs",
         "tune")
KEYS = {"title": "the lesson's name", "page": "the page Start opens",
        "summary": "one line shown in the list", "intro": "what the lesson is about",
        "goal": "one sentence with a measurable target", "hints": "a list of hints",
        "why": "why it worked, shown when done", "setup": "how KwK is set up",
        "check": "the Check: its name and parameters"}
REQUIRED = ("title", "page", "goal", "hints", "why", "check")
FLOW_SETUP = {"sample": "a bundled sample's key", "target": "the column to predict",
              "template": "a template of the Build page", "training": "training options"}


class LessonError(KwkError):
    """A lesson file that cannot be used: ``problems`` holds ``(line or None, reason)``."""

    def __init__(self, file: str, problems: list[tuple[int | None, str]]):
        self.file, self.problems = file, list(problems)
        lines = [f"{file}, line {n}: {why}" if n else f"{file}: {why}" for n, why in problems]
        super().__init__("\n".join(lines),
                         "Fix the file (the format is in docs/lessons.md) and reload the page.")

    def __reduce__(self):  # picklable (the app caches the lessons read)
        return (LessonError, (self.file, self.problems))


@dataclass(frozen=True)
class Lesson:
    """One lesson, checked: what the Learn page shows and what Start and Check do."""
    id: str                # the file name without .toml
    title: str
    page: str              # one of PAGES
    goal: str
    hints: tuple[str, ...]
    why: str
    check: str             # a name in kwk.learn.checks.CHECKS
    params: dict = field(default_factory=dict)
    setup: dict = field(default_factory=dict)
    summary: str = ""
    intro: str = ""
    source: str = ""       # the file it came from

    @property
    def needs(self) -> str:
        """What its check reads: "playground" or "run"."""
        return CHECKS[self.check].needs


# ----------------------------------------------------------------------------- the rules
@dataclass(frozen=True)
class Problem:
    path: tuple[str, ...]  # the key it is about, e.g. ("check", "threshold")
    reason: str


RULES: list[Callable[[dict], Iterator[Problem]]] = []


def rule(fn):
    """Register a rule: a function of the parsed file yielding its :class:`Problem` s."""
    RULES.append(fn)
    return fn


@rule
def known_keys(d: dict) -> Iterator[Problem]:
    """Every top-level key is one the format knows (a typo is named with the keys there are)."""
    for k in d:
        if k not in KEYS:
            yield Problem((k,), f"'{k}' is not a lesson key; the keys are: {', '.join(KEYS)}")


@rule
def required_keys(d: dict) -> Iterator[Problem]:
    """The title, page, goal, hints, why and check are there."""
    for k in REQUIRED:
        if k not in d:
            yield Problem((), f"the lesson has no '{k}' ({KEYS[k]})")


@rule
def texts(d: dict) -> Iterator[Problem]:
    """The words are texts: title, goal, why (and summary, intro) non-empty; hints a list of
    at least one text."""
    for k in ("title", "goal", "why", "summary", "intro"):
        if k in d and (not isinstance(d[k], str) or not d[k].strip()):
            yield Problem((k,), f"'{k}' must be a text in quotes, not empty")
    if "hints" in d:
        h = d["hints"]
        if not isinstance(h, list) or not h or not all(isinstance(s, str) and s.strip()
                                                       for s in h):
            yield Problem(("hints",), "'hints' must be a list of at least one text, e.g. "
                          "hints = [\"Press Play.\", \"Add a hidden layer.\"]")


@rule
def page_known(d: dict) -> Iterator[Problem]:
    """The page Start opens is one of KwK's pages."""
    if "page" in d and d["page"] not in PAGES:
        yield Problem(("page",), f"'page' is \"{d['page']}\"; choose one of: {', '.join(PAGES)}")


@rule
def check_named(d: dict) -> Iterator[Problem]:
    """The check is a table whose 'name' is a registered check."""
    c = d.get("check")
    if c is None:
        return
    if not isinstance(c, dict):
        yield Problem(("check",), "'check' must be a table: [check] with name = \"…\" and the "
                      "check's parameters under it")
        return
    if "name" not in c:
        yield Problem(("check",), f"[check] has no 'name'; the checks are: {', '.join(CHECKS)}")
    elif c["name"] not in CHECKS:
        yield Problem(("check", "name"), f"'{c['name']}' is not a check; the checks are: "
                      f"{', '.join(CHECKS)}")


@rule
def check_params(d: dict) -> Iterator[Problem]:
    """The check's parameters are the ones it takes, each of the right kind and range, and
    the required ones are given."""
    c = d.get("check")
    if not isinstance(c, dict) or c.get("name") not in CHECKS:
        return
    spec = CHECKS[c["name"]]
    for k, v in c.items():
        if k == "name":
            continue
        if k not in spec.params:
            yield Problem(("check", k), f"'{k}' is not a parameter of {spec.name}; it takes: "
                          f"{', '.join(spec.params) or 'nothing'}")
            continue
        why = spec.params[k].problem(k, v)
        if why:
            yield Problem(("check", k), why)
    for k, p in spec.params.items():
        if p.required and k not in c:
            yield Problem(("check",), f"{spec.name} needs '{k}' ({p.help})")


@rule
def check_fits_page(d: dict) -> Iterator[Problem]:
    """A Playground check belongs to a Playground lesson, a run check to the main flow."""
    c, page = d.get("check"), d.get("page")
    if not isinstance(c, dict) or c.get("name") not in CHECKS or page not in PAGES:
        return
    needs = CHECKS[c["name"]].needs
    if (needs == "playground") != (page == "playground"):
        where = "the Playground" if needs == "playground" else "a trained run"
        yield Problem(("check", "name"), f"{c['name']} reads {where}, but the lesson opens "
                      f"the {page} page; use page = \"{'playground' if needs == 'playground' else 'train'}\" "
                      "or another check")


@rule
def setup_table(d: dict) -> Iterator[Problem]:
    """'setup' is a table."""
    if "setup" in d and not isinstance(d["setup"], dict):
        yield Problem(("setup",), "'setup' must be a table: [setup] with its settings under it")


@rule
def playground_setup(d: dict) -> Iterator[Problem]:
    """A Playground lesson's setup holds Playground settings that the Playground accepts."""
    s = d.get("setup")
    if d.get("page") != "playground" or not isinstance(s, dict):
        return
    from kwk.errors import SpecError
    from kwk.playground.engine import Config
    known = Config().as_dict()
    for k, v in s.items():
        if k not in known:
            yield Problem(("setup", k), f"'{k}' is not a Playground setting; the settings "
                          f"are: {', '.join(known)}")
        elif not _same_type(known[k], v):
            yield Problem(("setup", k), f"'{k}' must be {_kind_of(known[k])}")
    if any(k not in known or not _same_type(known[k], v) for k, v in s.items()):
        return
    alone = False
    for k, v in s.items():  # each setting on its own first, so the problem has its line
        try:
            playground_config({k: v}).check()
        except SpecError as e:
            alone = True
            yield Problem(("setup", k), e.message.removeprefix("Playground settings: "))
    if not alone:
        try:
            playground_config(s).check()
        except SpecError as e:
            yield Problem(("setup",), e.message)


def _same_type(default, v) -> bool:
    if isinstance(default, bool):
        return isinstance(v, bool)
    if isinstance(default, int):
        return isinstance(v, int) and not isinstance(v, bool)
    if isinstance(default, float):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if isinstance(default, list):
        return isinstance(v, list)
    return isinstance(v, type(default))


def _kind_of(default) -> str:
    return ("true or false" if isinstance(default, bool) else "a whole number"
            if isinstance(default, int) else "a number" if isinstance(default, float)
            else "a list, e.g. [4, 2]" if isinstance(default, list) else "a text in quotes")


@rule
def flow_setup(d: dict) -> Iterator[Problem]:
    """A main-flow lesson's setup names a bundled sample, a template and training options
    KwK knows."""
    s = d.get("setup")
    if d.get("page") in (None, "playground") or not isinstance(s, dict):
        return
    for k in s:
        if k not in FLOW_SETUP:
            yield Problem(("setup", k), f"'{k}' is not a setup key of a {d['page']} lesson; the "
                          f"keys are: {', '.join(FLOW_SETUP)}")
    if "sample" in s:
        from kwk.data.samples import SAMPLES
        if s["sample"] not in SAMPLES:
            yield Problem(("setup", "sample"), f"'sample' is {_quoted(s['sample'])}; the "
                          f"samples are: {', '.join(SAMPLES)}")
    if "target" in s and (not isinstance(s["target"], str) or "sample" not in s):
        yield Problem(("setup", "target"), "'target' must be a column name in quotes, with a "
                      "'sample' to read it from")
    if "template" in s:
        from kwk.catalog.presets import TEMPLATES
        if s["template"] not in TEMPLATES:
            yield Problem(("setup", "template"), f"'template' is {_quoted(s['template'])}; the "
                          f"templates are: {', '.join(TEMPLATES)}")
    if "training" in s:
        yield from _training(s["training"])


def _training(t) -> Iterator[Problem]:
    from kwk.spec import default_spec
    if not isinstance(t, dict):
        yield Problem(("setup", "training"), "'training' must be a table: [setup.training]")
        return
    known = default_spec()["training"]
    for k, v in t.items():
        if k not in known:
            yield Problem(("setup", "training", k), f"'{k}' is not a training option; the "
                          f"options are: {', '.join(known)}")
        elif known[k] is not None and not _same_type(known[k], v):
            yield Problem(("setup", "training", k), f"'{k}' must be {_kind_of(known[k])}")
    if isinstance(t.get("epochs"), int) and not 1 <= t["epochs"] <= 1000:
        yield Problem(("setup", "training", "epochs"), f"'epochs' is {t['epochs']} but must be "
                      "from 1 to 1000")


def _quoted(v) -> str:
    return f"\"{v}\"" if isinstance(v, str) else repr(v)


# ----------------------------------------------------------------------------- reading
def playground_config(setup: dict):
    """The Playground settings a lesson opens with: the defaults, then the lesson's (a
    regression dataset sets the problem type)."""
    from kwk.playground.engine import REG_DATASETS, Config
    c = Config(**{k: (list(v) if isinstance(v, list) else v) for k, v in setup.items()})
    if "problem" not in setup and c.dataset in REG_DATASETS:
        c.problem = "regression"
    if isinstance(c.learning_rate, int):
        c.learning_rate = float(c.learning_rate)
    return c


def parse(text: str, file: str = "lesson.toml") -> Lesson:
    """A lesson from a file's text; raises :class:`LessonError` naming every problem with its
    line."""
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line, why = _toml_problem(e)
        raise LessonError(file, [(line, why)]) from None
    problems = [p for r in RULES for p in r(d)]
    if problems:
        raise LessonError(file, [(line_of(text, p.path), p.reason) for p in problems])
    c = d["check"]
    return Lesson(id=Path(file).stem, title=d["title"].strip(), page=d["page"],
                  goal=d["goal"].strip(), hints=tuple(h.strip() for h in d["hints"]),
                  why=d["why"].strip(), check=c["name"],
                  params={k: v for k, v in c.items() if k != "name"},
                  setup=dict(d.get("setup") or {}), summary=d.get("summary", "").strip(),
                  intro=d.get("intro", "").strip(), source=file)


def load(path: str | os.PathLike) -> Lesson:
    """One lesson file; a file that cannot be read is refused like a wrong one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LessonError(p.name, [(None, f"the file cannot be read ({e})")]) from None
    return parse(text, p.name)


def folders() -> list[Path]:
    """The lesson folders: the bundled one, then the teacher's (``$KWK_LESSONS_DIR``)."""
    out = [BUNDLED]
    extra = os.environ.get(ENV, "").strip()
    if extra:
        out.append(Path(extra).expanduser())
    return out


def load_all(dirs: list[Path] | None = None) -> tuple[list[Lesson], list[LessonError]]:
    """Every lesson, in order (each folder's files by name; a later folder's file with the
    same name replaces the earlier one in its place), and the files refused."""
    by_id: dict[str, Lesson] = {}
    refused: list[LessonError] = []
    for d in dirs if dirs is not None else folders():
        if not d.is_dir():
            if d != BUNDLED:
                refused.append(LessonError(str(d), [(None, f"the lesson folder ({ENV}) does "
                                                     "not exist")]))
            continue
        for f in sorted(d.glob("*.toml")):
            try:
                lesson = load(f)
            except LessonError as e:
                refused.append(e)
                continue
            by_id[lesson.id] = lesson  # dicts keep the first place of a replaced key
    return list(by_id.values()), refused


# ----------------------------------------------------------------------------- lines
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _toml_problem(e: tomllib.TOMLDecodeError) -> tuple[int | None, str]:
    msg = str(e)
    m = _TOML_AT.search(msg)
    line = getattr(e, "lineno", None) or (int(m.group(1)) if m else None)
    why = _TOML_AT.sub("", msg).strip() or "the file is not valid TOML"
    return line, f"{why[0].lower()}{why[1:]} (this is not valid TOML; see docs/lessons.md)"


_HEADER = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^((?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:\"[^\"]*\"|'[^']*'|"
                  r"[A-Za-z0-9_-]+))*)\s*=")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.split(r"\.(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)",
                                                           dotted))


def line_of(text: str, path: tuple[str, ...]) -> int | None:
    """The line of the key at ``path`` in a TOML text (``("check", "threshold")``): the key's
    own line, else the nearest enclosing key or table header; None for the whole file."""
    if not path:
        return None
    best, best_len = None, 0
    section: tuple[str, ...] = ()
    in_string: str | None = None
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if in_string:  # inside a multi-line string: only its end matters
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        m = _HEADER.match(line)
        if m:
            section = _parts(m.group(1))
            n = _common(section, path)
            if n == len(section) and n > best_len:
                best, best_len = i, n
            continue
        m = _KEY.match(line)
        if m:
            full = section + _parts(m.group(1))
            n = _common(full, path)
            if n == len(full) and n >= best_len and n > 0:
                best, best_len = i, n
                if n == len(path):
                    return i
            rest = line[m.end():]
            for q in ('"""', "'''"):
                if rest.count(q) % 2 == 1:
                    in_string = q
    return best


def _common(a: tuple, b: tuple) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
