"""Class challenges with hidden answers: a teacher sets a task on any table, students compete
fairly, the teacher keeps the truth.

* :func:`create` splits a table into training rows (with the target) and test rows (without
  it, each with a random ``row_id``), stratified by class for a classification; the true
  target of the test rows is the key. :func:`write` (or :func:`student_zip`, :func:`key_csv`)
  gives the files: ``student.zip`` (``train.csv``, ``test.csv``, ``challenge.json``) for the
  students and ``key.csv`` (``row_id`` and the true target) for the teacher.
* :func:`open_student_zip` is the student's side: the training table (as ``kwk.data.load``
  reads the zip), the test rows and the challenge's description.
* :func:`score` checks a submission (``row_id`` and ``prediction``) against the key and scores
  it with scikit-learn, with a bootstrap interval; a submission with missing, repeated or
  unknown rows, or labels the task cannot have, is refused with every reason at once.
  :func:`leaderboard` scores many and ranks them in the metric's direction.

Labels are compared as text after light normalisation (``1``, ``1.0`` and ``"1"`` are the same
class; ``True`` and ``true`` too), so a submission written by any tool is read fairly.
"""
from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kwk.data.loader import CHALLENGE_META, CHALLENGE_TEST, CHALLENGE_TRAIN
from kwk.errors import DataError, KwkError

ROW_ID = "row_id"
PREDICTION = "prediction"
KEY_FILE, STUDENT_FILE = "key.csv", "student.zip"
MIN_ROWS, MIN_TRAIN, MIN_TEST = 20, 10, 5
BOOTSTRAP, LEVEL = 1000, 0.95
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Metric:
    """A challenge's score: its name in KwK's metrics, words for people, its direction."""
    key: str
    label: str
    higher_is_better: bool
    for_classes: bool
    low: float | None = None  # the range a goal may take
    high: float | None = None


METRICS = {m.key: m for m in (
    Metric("balanced_accuracy", "balanced accuracy", True, True, 0.0, 1.0),
    Metric("accuracy", "accuracy", True, True, 0.0, 1.0),
    Metric("f1_macro", "macro F1", True, True, 0.0, 1.0),
    Metric("rmse", "RMSE", False, False, 0.0, None),
    Metric("mae", "mean absolute error", False, False, 0.0, None),
    Metric("r2", "R²", True, False, None, 1.0),
)}
DEFAULT_METRIC = {"binary": "balanced_accuracy", "multiclass": "balanced_accuracy",
                  "regression": "rmse"}
_ALIASES = {"bacc": "balanced_accuracy", "balanced": "balanced_accuracy", "acc": "accuracy",
            "f1": "f1_macro", "macro_f1": "f1_macro", "f1_score": "f1_macro",
            "r²": "r2", "r_squared": "r2", "rsquared": "r2", "r2_score": "r2",
            "root_mean_squared_error": "rmse", "mean_absolute_error": "mae"}
TASKS = ("binary", "multiclass", "regression")


@dataclass
class Challenge:
    """A challenge made by :func:`create`: ``meta`` is challenge.json, ``train`` the students'
    training rows (with the target), ``test`` their test rows (``row_id`` first, no target),
    ``key`` the truth (``row_id`` and the target), ``teacher`` what only the teacher's copy of
    challenge.json adds (seed, test fraction, the data's name), ``notes`` what was decided."""
    meta: dict
    train: pd.DataFrame
    test: pd.DataFrame
    key: pd.DataFrame
    teacher: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ metrics and labels

def metric_of(name: str | None, task: str) -> Metric:
    """The metric called ``name`` (KwK's names, a few common aliases; None: the task's
    default), checked against the task. Raises :class:`KwkError` for an unknown metric or one
    the task cannot have."""
    if name is None or not str(name).strip():
        return METRICS[DEFAULT_METRIC[task]]
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key not in METRICS:
        raise KwkError(f"Unknown metric '{name}'.",
                       f"Choose one of: {', '.join(m for m in METRICS if _fits(METRICS[m], task))}"
                       f" (for a {task} task).")
    m = METRICS[key]
    if not _fits(m, task):
        fits = ", ".join(k for k, v in METRICS.items() if _fits(v, task))
        what = "classes" if m.for_classes else "numbers"
        raise KwkError(f"The metric '{key}' scores {what}, but this task is {task}.",
                       f"Choose one of: {fits}.")
    return m


def _fits(m: Metric, task: str) -> bool:
    return m.for_classes == (task != "regression")


def label_text(v) -> str | None:
    """A class label as comparable text: None for a missing value; numbers in one spelling
    (``1``, ``1.0``, ``"1"`` -> ``"1"``); ``True``/``true`` -> ``"true"``; text stripped, and a
    spreadsheet-safety apostrophe (``'-x``, as KwK's downloads write ``-x``) removed."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return _number_text(float(v))
    s = str(v).strip()
    if not s:
        return None
    if len(s) > 1 and s[0] == "'" and s[1] in "=+-@\t\r":
        s = s[1:]
    if s.lower() in ("true", "false"):
        return s.lower()
    try:
        f = float(s)
    except ValueError:
        return s
    return _number_text(f) if math.isfinite(f) else s


def _number_text(f: float) -> str:
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


def _ids(s: pd.Series) -> pd.Series:
    """Row ids as text (a whole number read as 12.0 is '12'); missing ones as None."""
    return s.map(label_text, na_action="ignore").astype(object).where(s.notna(), None)


# ------------------------------------------------------------------ the teacher: create

def create(df: pd.DataFrame, target: str, metric: str | None = None,
           test_fraction: float = 0.25, seed: int = 0, goal: float | None = None,
           title: str | None = None, task: str | None = None,
           data_name: str | None = None) -> Challenge:
    """Split ``df`` into a challenge on ``target``.

    The task is inferred as everywhere in KwK (the target's kind, then
    :func:`kwk.spec.resolving.infer_task`) unless ``task`` is given; the metric defaults by task
    (balanced accuracy for classes, RMSE for numbers). ``test_fraction`` of the rows with a
    target become the test rows (stratified by class: every class with two rows or more is in
    both parts in about its share; a class with one row stays in training). Rows and row ids
    are shuffled with ``seed``: a row id is a random number, so neither its value nor the file
    order says anything about a row's place in ``df`` or its target. Raises
    :class:`KwkError` (or :class:`DataError`) for an unknown target, too few rows, a test
    fraction outside (0, 1), an unknown metric or a goal it cannot have."""
    from kwk.spec.resolving import target_classes
    notes: list[str] = []
    f = _check_request(df, target, test_fraction, task)
    df, y, task = _scored_rows(df, target, task, notes)
    n = len(df)
    _check_target(y, target, task, n)
    m = metric_of(metric, task)
    goal = _check_goal(goal, m)
    n_test = int(round(n * f))
    if n_test < MIN_TEST or n - n_test < MIN_TRAIN:
        raise DataError(f"A test fraction of {f:g} of {n:,} rows leaves {n_test} test and "
                        f"{n - n_test} training rows (at least {MIN_TEST} and {MIN_TRAIN}).",
                        "Choose a test fraction that leaves enough rows on both sides, or use "
                        "a larger table.")
    train, test, key = _split(df, y, target, task, n_test, seed, notes)
    classes = None if task == "regression" else [label_text(c) for c in target_classes(y)]
    meta = {"kwk_challenge": FORMAT_VERSION,
            "title": (title or "").strip() or f"Predict '{target}'",
            "target": target, "task": task, "metric": m.key, "metric_label": m.label,
            "higher_is_better": m.higher_is_better, "goal": goal, "classes": classes,
            "rows": {"train": len(train), "test": len(test)},
            "files": {"train": CHALLENGE_TRAIN, "test": CHALLENGE_TEST,
                      "submission": f"{ROW_ID},{PREDICTION}"}}
    meta["rules"] = rules(meta)
    teacher = {"seed": int(seed), "test_fraction": f, "data": data_name}
    return Challenge(meta, train, test, key, teacher, notes)


def _check_request(df: pd.DataFrame, target: str, test_fraction, task: str | None) -> float:
    """The target is a column (and not the row id's name), the test fraction a number in
    (0, 1), the task a known one. Returns the fraction as a float."""
    if target not in df.columns:
        raise DataError(f"The target column '{target}' is not in the data.",
                        f"Columns: {', '.join(map(str, df.columns[:30]))}.")
    if target == ROW_ID:
        raise DataError(f"The target cannot be the column '{ROW_ID}': the challenge numbers its "
                        "test rows in a column of that name.", "Rename the column first.")
    try:
        f = float(test_fraction)
    except (TypeError, ValueError):
        f = float("nan")
    if not (0.0 < f < 1.0):
        raise KwkError(f"The test fraction {test_fraction} is not between 0 and 1.",
                       "Give the share of rows kept hidden for scoring, e.g. 0.25.")
    if task is not None and task not in TASKS:
        raise KwkError(f"Unknown task '{task}'.", f"Choose one of: {', '.join(TASKS)}.")
    return f


def _scored_rows(df: pd.DataFrame, target: str, task: str | None,
                 notes: list[str]) -> tuple[pd.DataFrame, pd.Series, str]:
    """The rows that can be scored (a target value; a number for a regression) and the task
    (inferred as everywhere in KwK unless given); what was left out is said in ``notes``."""
    from kwk.data.kinds import infer_kind
    from kwk.data.numbers import to_number
    from kwk.spec.resolving import infer_task
    if ROW_ID in df.columns:
        df = df.drop(columns=[ROW_ID])
        notes.append(f"The data's own '{ROW_ID}' column was left out: the challenge gives its "
                     "test rows new, random row ids.")
    y_all = df[target]
    has = y_all.notna() & (y_all.astype(str).str.strip() != "")
    if (~has).any():
        notes.append(f"{int((~has).sum()):,} row(s) without a value of '{target}' were left "
                     "out: they cannot be scored.")
    df = df.loc[has]
    y = df[target]
    kind = infer_kind(y)[0]
    guess, why = infer_task(y, kind) if len(y) else ("regression", "")
    if task is None:
        task = guess
        notes.append(why)
    elif task != guess:
        notes.append(f"The task was set to {task} (KwK would have guessed {guess}).")
    if task == "regression":
        bad = to_number(y).isna()
        if bad.mean() > 0.05:
            raise DataError(f"The target '{target}' is not numeric, so it cannot be a "
                            "regression.", "Leave the task to KwK, or choose binary or "
                            "multiclass.")
        if bad.any():
            notes.append(f"{int(bad.sum()):,} row(s) whose '{target}' is not a number were "
                         "left out.")
            df, y = df.loc[~bad], y.loc[~bad]
    return df, y, task


def _check_target(y: pd.Series, target: str, task: str, n: int) -> None:
    """Enough rows, and a target whose values suit the task (two or more; two for binary; not
    more classes than KwK models)."""
    from kwk.spec.schema import MAX_CLASSES
    if n < MIN_ROWS:
        raise DataError(f"Too few rows for a challenge: {n} with a value of '{target}' "
                        f"(at least {MIN_ROWS}).", "Use a larger table.")
    n_classes = int(y.nunique())
    if n_classes < 2:
        raise DataError(f"The target '{target}' has a single value: there is nothing to "
                        "predict.", "Choose a column whose values vary.")
    if task == "binary" and n_classes != 2:
        raise DataError(f"The task is binary but '{target}' has {n_classes} different values.",
                        "Choose multiclass, or leave the task to KwK.")
    if task != "regression" and n_classes > MAX_CLASSES:
        raise DataError(f"The target '{target}' has {n_classes} different values: too many "
                        f"classes (at most {MAX_CLASSES}).",
                        "If it is a number to predict, choose the task regression.")


def _split(df: pd.DataFrame, y: pd.Series, target: str, task: str, n_test: int, seed: int,
           notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Training rows (shuffled), test rows without the target under random row ids, and the
    teacher's key, both in row id order. Stratified by class for classes."""
    n = len(df)
    rng = np.random.default_rng(seed)
    if task == "regression":
        order = rng.permutation(n)
        test_pos, train_pos = order[:n_test], order[n_test:]
    else:
        test_pos, train_pos = _stratified(y, n_test, seed, notes)
        train_pos = rng.permutation(train_pos)
    ids = _random_ids(len(test_pos), rng)
    test_rows = df.iloc[test_pos]
    test = test_rows.drop(columns=[target])
    test.insert(0, ROW_ID, ids)
    key = pd.DataFrame({ROW_ID: ids, target: test_rows[target].to_numpy()})
    order = np.argsort(ids, kind="stable")  # tidy files in row id order (the ids are random)
    test = test.iloc[order].reset_index(drop=True)
    key = key.iloc[order].reset_index(drop=True)
    train = df.iloc[train_pos].reset_index(drop=True)
    return train, test, key


def _check_goal(goal, m: Metric) -> float | None:
    if goal is None:
        return None
    try:
        g = float(goal)
    except (TypeError, ValueError):
        g = float("nan")
    if not math.isfinite(g) or (m.low is not None and g < m.low) or \
            (m.high is not None and g > m.high):
        span = (f"between {m.low:g} and {m.high:g}" if m.low is not None and m.high is not None
                else f"at least {m.low:g}" if m.low is not None else f"at most {m.high:g}")
        raise KwkError(f"The goal {goal} cannot be a {m.label}.",
                       f"A {m.label} goal is a number {span}.")
    return g


def _stratified(y: pd.Series, n_test: int, seed: int, notes: list[str]):
    """Positions of the test and training rows, each class in about its share; a class with a
    single row stays in training."""
    from sklearn.model_selection import train_test_split
    labels = y.map(label_text).to_numpy()
    counts = pd.Series(labels).value_counts()
    single = set(counts.index[counts < 2])
    pos = np.arange(len(y))
    alone = np.array([lab in single for lab in labels])
    if single:
        notes.append(f"{len(single)} class(es) with a single row stay in the training rows "
                     "only.")
    rest = pos[~alone]
    k = len(counts) - len(single)
    if k < 2 or n_test < k or len(rest) - n_test < k:
        raise DataError(f"Too few rows to give the test rows every class: {n_test} test rows "
                        f"for {k} classes with at least two rows each.",
                        "Choose a larger test fraction, or use a larger table.")
    train_pos, test_pos = train_test_split(rest, test_size=n_test, stratify=labels[rest],
                                           random_state=seed)
    return np.asarray(test_pos), np.concatenate([np.asarray(train_pos), pos[alone]])


def _random_ids(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct random ids such as ``T048213``: a letter (so no reader takes them for
    numbers) and random digits, from a range a hundred times larger than ``n``."""
    span = max(1_000_000, 100 * n)
    width = len(str(span - 1))
    return [f"T{v:0{width}d}" for v in rng.choice(span, size=n, replace=False)]


def rules(meta: dict) -> list[str]:
    """The rules written into challenge.json, in plain words."""
    n, t = meta["rows"]["test"], meta["target"]
    out = [f"Train on {CHALLENGE_TRAIN}: its column '{t}' is what to predict.",
           f"Predict every row of {CHALLENGE_TEST} ({n:,} rows). A submission is a CSV file with "
           f"the columns {ROW_ID} and {PREDICTION}: each {ROW_ID} of {CHALLENGE_TEST} exactly "
           "once."]
    if meta["task"] == "regression":
        out.append(f"Each {PREDICTION} is a number, in the units of '{t}'.")
    else:
        shown = ", ".join(meta["classes"][:20]) + (", …" if len(meta["classes"]) > 20 else "")
        out.append(f"Each {PREDICTION} is one of the classes of '{t}': {shown}.")
    better = "higher" if meta["higher_is_better"] else "lower"
    goal = ""
    if meta.get("goal") is not None:
        goal = f" The goal: {'at least' if meta['higher_is_better'] else 'at most'} " \
               f"{meta['goal']:g}."
    out.append(f"Submissions are scored by {meta['metric_label']} ({better} is better) on the "
               f"true values of the test rows, which only the teacher has.{goal}")
    out.append(f"Your own estimate comes from rows of {CHALLENGE_TRAIN} your model did not "
               "train on (KwK's holdout test rows).")
    return out


def student_zip(ch: Challenge) -> bytes:
    """The students' file: train.csv, test.csv and challenge.json."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(CHALLENGE_TRAIN, ch.train.to_csv(index=False))
        z.writestr(CHALLENGE_TEST, ch.test.to_csv(index=False))
        z.writestr(CHALLENGE_META, json.dumps(ch.meta, indent=2, ensure_ascii=False) + "\n")
    return buf.getvalue()


def key_csv(ch: Challenge) -> bytes:
    """The teacher's key: row_id and the true target of each test row."""
    return ch.key.to_csv(index=False).encode("utf-8")


def write(ch: Challenge, out_dir) -> dict[str, Path]:
    """Write student.zip, key.csv and the teacher's challenge.json (with the seed and the test
    fraction) into ``out_dir`` (created if needed; a challenge there is replaced)."""
    out = Path(out_dir)
    files = {STUDENT_FILE: student_zip(ch), KEY_FILE: key_csv(ch),
             CHALLENGE_META: (json.dumps({**ch.meta, "teacher": ch.teacher}, indent=2,
                                         ensure_ascii=False) + "\n").encode("utf-8")}
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, data in files.items():
            tmp = out / f".{name}.tmp"
            tmp.write_bytes(data)
            tmp.replace(out / name)
            paths[name] = out / name
    except OSError as e:
        raise KwkError(f"Cannot write the challenge to {out}: {e.strerror or e}.",
                       "Choose a folder you can write to.")
    return paths


# ------------------------------------------------------------------ the student

def is_student_zip(data: bytes) -> bool:
    """Whether ``data`` is a zip holding challenge.json and train.csv."""
    if data[:2] != b"PK":
        return False
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return CHALLENGE_META in names and CHALLENGE_TRAIN in names


def open_student_zip(data: bytes, name: str = STUDENT_FILE):
    """A student's challenge: ``(train_df, test_df, meta)``. ``train_df`` is what
    ``kwk.data.load`` reads from the zip (so a run trained on it records the zip as its
    source), ``test_df`` the test rows with their ``row_id`` (as text), ``meta`` the
    challenge.json. Raises :class:`DataError` for a zip that is not a challenge."""
    from kwk.data.loader import load
    if not is_student_zip(data):
        raise DataError(f"'{name}' is not a KwK challenge: it has no {CHALLENGE_META} and "
                        f"{CHALLENGE_TRAIN}.", "Open the student.zip your teacher gave you.")
    ld = load(data, name=name if name.lower().endswith(".zip") else f"{name}.zip")
    test, meta = challenge_of(ld)
    return ld.df, test, meta


def challenge_of(ld) -> tuple[pd.DataFrame, dict] | None:
    """``(test rows, challenge.json)`` of loaded data that is a challenge's student.zip (its
    training rows), else None. The test rows keep their ``row_id`` as text."""
    from kwk.data.loader import load
    parts = getattr(ld, "challenge", None)
    if not parts:
        return None
    name = ld.name
    if CHALLENGE_META not in parts or CHALLENGE_TEST not in parts:
        raise DataError(f"'{name}' is not a whole KwK challenge: it has no "
                        f"{CHALLENGE_TEST if CHALLENGE_META in parts else CHALLENGE_META}.",
                        "Download the challenge's student.zip again.")
    try:
        meta = json.loads(parts[CHALLENGE_META].decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(f"The {CHALLENGE_META} in '{name}' is damaged ({e}).",
                        "Download the challenge's student.zip again.")
    meta = check_meta(meta, name)
    if meta["target"] not in ld.df.columns:
        raise DataError(f"The training rows of '{name}' have no column '{meta['target']}'.",
                        "Download the challenge's student.zip again.")
    test = load(parts[CHALLENGE_TEST], name=CHALLENGE_TEST, min_columns=1).df
    if ROW_ID not in test.columns:
        raise DataError(f"The test rows of '{name}' have no '{ROW_ID}' column.",
                        "Download the challenge's student.zip again.")
    test[ROW_ID] = _ids(test[ROW_ID])
    return test, meta


def check_meta(meta, name: str = CHALLENGE_META) -> dict:
    """challenge.json checked: target, task and metric known (the metric's words and direction
    filled in from KwK's own table)."""
    if not isinstance(meta, dict) or not isinstance(meta.get("target"), str) or \
            meta.get("task") not in TASKS:
        raise DataError(f"'{name}' does not describe a challenge (target and task).",
                        "Use the challenge.json that 'challenge create' wrote.")
    m = metric_of(meta.get("metric"), meta["task"])
    return {**meta, "metric": m.key, "metric_label": m.label,
            "higher_is_better": m.higher_is_better,
            "goal": _check_goal(meta.get("goal"), m)}


def read_meta(source) -> dict:
    """challenge.json from a path, its bytes, or a student.zip (path or bytes)."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    name = Path(source).name if isinstance(source, (str, Path)) else CHALLENGE_META
    if data[:2] == b"PK":
        try:
            data = zipfile.ZipFile(io.BytesIO(data)).read(CHALLENGE_META)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise DataError(f"'{name}' holds no {CHALLENGE_META}.",
                            "Give the challenge.json or the student.zip of the challenge.")
    try:
        meta = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise DataError(f"'{name}' is not a challenge.json (JSON expected).")
    return check_meta(meta, name)


def make_submission(predicted: pd.DataFrame) -> pd.DataFrame:
    """``row_id`` and ``prediction`` of predicted test rows (``Bundle.predict``'s output)."""
    for c in (ROW_ID, PREDICTION):
        if c not in predicted.columns:
            raise DataError(f"The predictions have no '{c}' column.")
    return predicted[[ROW_ID, PREDICTION]].reset_index(drop=True)


def goal_words(meta: dict, metrics: dict | None) -> tuple[float | None, bool | None, str]:
    """A student's own estimate against the teacher's goal: ``(value, met, sentence)``, from
    a run's metrics (``metrics["test"]``: KwK's holdout rows of train.csv)."""
    m = metric_of(meta.get("metric"), meta["task"])
    value = (metrics or {}).get("test", {}).get(m.key)
    goal = meta.get("goal")
    if value is None:
        return None, None, f"This run has no {m.label} on its test rows."
    head = (f"Your {m.label} on KwK's test rows (rows of {CHALLENGE_TRAIN} the model did not "
            f"train on): {value:.4g} ({'higher' if m.higher_is_better else 'lower'} is better).")
    if goal is None:
        return value, None, head + " The teacher set no goal."
    met = value >= goal if m.higher_is_better else value <= goal
    side = "at least" if m.higher_is_better else "at most"
    verdict = (f"The goal is {side} {goal:g}: reached, by {abs(value - goal):.3g}." if met else
               f"The goal is {side} {goal:g}: not yet, {abs(value - goal):.3g} to go.")
    return value, bool(met), (f"{head} {verdict} The teacher's hidden test rows will give a "
                              "somewhat different score: a small margin is luck either way.")


# ------------------------------------------------------------------ scoring

def read_table(source, name: str | None = None) -> pd.DataFrame:
    """A key or a submission, read with KwK's loader (any format it reads)."""
    from kwk.data.loader import load
    return load(source, name=name).df


def read_key(source, name: str | None = None) -> tuple[pd.DataFrame, str]:
    """The teacher's key: ``(frame with row_id as text, target column name)``."""
    key = read_table(source, name) if not isinstance(source, pd.DataFrame) else source.copy()
    label = name or (Path(source).name if isinstance(source, (str, Path)) else "the key")
    col = _find(key, ROW_ID)
    others = [c for c in key.columns if c != col]
    if col is None or len(others) != 1:
        raise DataError(f"{label} is not a challenge key: it needs the columns '{ROW_ID}' and "
                        "the true target, and nothing else.",
                        f"Use the {KEY_FILE} that 'challenge create' wrote.")
    key = key.rename(columns={col: ROW_ID})
    key[ROW_ID] = _ids(key[ROW_ID])
    if key[ROW_ID].isna().any() or key[ROW_ID].duplicated().any():
        raise DataError(f"{label} has missing or repeated row ids.",
                        f"Use the {KEY_FILE} that 'challenge create' wrote.")
    return key, others[0]


def _find(df: pd.DataFrame, name: str) -> str | None:
    for c in df.columns:
        if str(c).strip().lower().replace(" ", "_") == name:
            return c
    return None


def _examples(values, k: int = 3) -> str:
    values = list(values)
    shown = ", ".join(f"'{v}'" for v in values[:k])
    return shown + (f" and {len(values) - k:,} more" if len(values) > k else "")


def _task_of(key: pd.DataFrame, target: str, meta: dict | None) -> str:
    if meta is not None:
        return meta["task"]
    from kwk.data.kinds import infer_kind
    from kwk.spec.resolving import infer_task
    return infer_task(key[target], infer_kind(key[target])[0])[0]


def check_submission(key: pd.DataFrame, target: str, sub: pd.DataFrame, task: str,
                     classes: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, list]:
    """The submission's predictions lined up with the key: ``(y_true, y_pred, classes)``,
    classes encoded as positions in ``classes`` (the key's classes when not given), numbers as
    floats. Raises :class:`DataError` naming every problem: no row_id or prediction column,
    missing, repeated or unknown row ids, missing predictions, a class the task does not have,
    a prediction that is not a number."""
    from kwk.data.numbers import to_number
    problems: list[str] = []
    id_col = _find(sub, ROW_ID)
    pred_col = _find(sub, PREDICTION)
    if pred_col is None:
        pred_col = next((c for c in sub.columns if str(c).strip() == target), None)
    if id_col is None:
        problems.append(f"it has no '{ROW_ID}' column")
    if pred_col is None:
        problems.append(f"it has no '{PREDICTION}' column")
    if problems:
        raise DataError(f"The submission is refused: {'; '.join(problems)}.",
                        f"A submission is a CSV with the columns {ROW_ID} and {PREDICTION}, one "
                        "line per test row.")
    ids = _ids(sub[id_col])
    if ids.isna().any():
        problems.append(f"{int(ids.isna().sum()):,} line(s) have no {ROW_ID}")
    ids_ok = ids.dropna()
    dup = ids_ok[ids_ok.duplicated()].unique()
    if len(dup):
        problems.append(f"{len(dup):,} row id(s) appear more than once ({_examples(dup)})")
    known = set(key[ROW_ID])
    unknown = [i for i in pd.unique(ids_ok) if i not in known]
    if unknown and len(unknown) == ids_ok.nunique():
        raise DataError("The submission is refused: none of its row ids are test rows of this "
                        f"challenge ({_examples(unknown)}).",
                        "Is it for another challenge? Predict the test.csv of this challenge's "
                        "student.zip.")
    if unknown:
        problems.append(f"{len(unknown):,} row id(s) are not test rows of this challenge "
                        f"({_examples(unknown)})")
    given = set(ids_ok)
    missing = [i for i in key[ROW_ID] if i not in given]
    if missing:
        problems.append(f"{len(missing):,} of the {len(key):,} test rows have no prediction "
                        f"({_examples(missing)})")
    pred = sub[pred_col]
    if task == "regression":
        num = to_number(pred)
        empty = pred.isna() | (pred.astype(str).str.strip() == "")
        if empty.any():
            problems.append(f"{int(empty.sum()):,} prediction(s) are empty")
        bad = pred[num.isna() & ~empty]
        if len(bad):
            problems.append(f"{len(bad):,} prediction(s) are not numbers "
                            f"({_examples(pd.unique(bad.astype(str)))}): this task predicts a "
                            "number")
        values = num
    else:
        values = pred.map(label_text, na_action="ignore").astype(object).where(pred.notna(),
                                                                               None)
        classes = classes or sorted(set(key[target].map(label_text).dropna()))
        if values.isna().any():
            problems.append(f"{int(values.isna().sum()):,} prediction(s) are empty")
        odd = [v for v in pd.unique(values.dropna()) if v not in set(classes)]
        if odd:
            problems.append(f"{len(odd):,} predicted label(s) are not classes of this task "
                            f"({_examples(odd)}; the classes: {_examples(classes, 10)})")
    if problems:
        raise DataError(f"The submission is refused: {'; '.join(problems)}.",
                        f"Predict every row of {CHALLENGE_TEST} once, and write {ROW_ID} and "
                        f"{PREDICTION} as they are.")
    by_id = pd.Series(values.to_numpy(), index=ids.to_numpy())
    lined = by_id.loc[key[ROW_ID].to_numpy()].to_numpy()
    if task == "regression":
        y = to_number(key[target]).to_numpy(dtype=float)
        if np.isnan(y).any():
            raise DataError("The key's true values are not all numbers.",
                            f"Use the {KEY_FILE} that 'challenge create' wrote.")
        return y, lined.astype(float), []
    where = {c: i for i, c in enumerate(classes)}
    truth = key[target].map(label_text)
    if truth.isna().any() or not set(truth).issubset(where):
        raise DataError("The key holds labels that are not classes of this challenge.",
                        f"Use the {KEY_FILE} and challenge.json that 'challenge create' wrote.")
    return (truth.map(where).to_numpy(dtype=int), np.array([where[v] for v in lined], dtype=int),
            list(classes))


def metric_value(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    """The metric with scikit-learn (classes as codes, numbers in their units)."""
    from sklearn import metrics as skm
    if metric == "balanced_accuracy":
        return float(skm.balanced_accuracy_score(y, p))
    if metric == "accuracy":
        return float(skm.accuracy_score(y, p))
    if metric == "f1_macro":
        return float(skm.f1_score(y, p, average="macro", zero_division=0))
    if metric == "rmse":
        return float(np.sqrt(skm.mean_squared_error(y, p)))
    if metric == "mae":
        return float(skm.mean_absolute_error(y, p))
    if metric == "r2":
        return float(skm.r2_score(y, p))
    raise KwkError(f"Unknown metric '{metric}'.")


def weighted_metric(metric: str, y: np.ndarray, p: np.ndarray, w: np.ndarray,
                    k: int = 0) -> float:
    """The metric with each row counted ``w`` times (a bootstrap resample), in numpy: the
    same value as scikit-learn's with ``sample_weight=w``, at a fraction of the cost."""
    total = w.sum()
    if metric in ("rmse", "mae", "r2"):
        e = y - p
        if metric == "rmse":
            return float(np.sqrt((w * e * e).sum() / total))
        if metric == "mae":
            return float((w * np.abs(e)).sum() / total)
        mean = (w * y).sum() / total
        ss = (w * (y - mean) ** 2).sum()
        return float(1 - (w * e * e).sum() / ss) if ss > 0 else float("nan")
    if metric == "accuracy":
        return float(w[y == p].sum() / total)
    cm = np.bincount(y * k + p, weights=w, minlength=k * k).reshape(k, k)
    tp, true_n, pred_n = np.diag(cm), cm.sum(axis=1), cm.sum(axis=0)
    if metric == "balanced_accuracy":
        seen = true_n > 0
        return float((tp[seen] / true_n[seen]).mean())
    seen = (true_n + pred_n) > 0  # f1_macro: the labels present in either
    return float((2 * tp[seen] / (true_n[seen] + pred_n[seen])).mean())


def bootstrap_interval(metric: str, y: np.ndarray, p: np.ndarray, k: int = 0,
                       n: int = BOOTSTRAP, seed: int = 0,
                       level: float = LEVEL) -> tuple[float, float] | None:
    """The percentile interval of the metric over ``n`` resamples of the test rows (None for
    ``n`` 0 or fewer than two rows)."""
    if n <= 0 or len(y) < 2:
        return None
    rng = np.random.default_rng(seed)
    vals = np.array([weighted_metric(metric, y, p,
                                     np.bincount(rng.integers(0, len(y), len(y)),
                                                 minlength=len(y)).astype(float), k)
                     for _ in range(n)])
    vals = vals[np.isfinite(vals)]
    if not len(vals):
        return None
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


def score(key, submission, meta: dict | None = None, metric: str | None = None,
          bootstrap: int = BOOTSTRAP, seed: int = 0) -> dict:
    """Score a submission against the key. ``key``: the key's path, bytes or the frame from
    :func:`read_key`; ``submission``: a path, bytes or frame; ``meta``: challenge.json (task,
    metric, goal, classes) when known, else the task is inferred from the key. Returns
    ``{"metric", "metric_label", "score", "rows", "higher_is_better", "interval",
    "interval_level", "goal", "met", "task"}``. Raises :class:`DataError` for a refused
    submission."""
    key_df, target = key if isinstance(key, tuple) else read_key(key)
    sub = submission if isinstance(submission, pd.DataFrame) else read_table(submission)
    if meta is not None and meta.get("target") not in (None, target):
        raise DataError(f"The key's target is '{target}' but the challenge's is "
                        f"'{meta['target']}'.", "Give the key and the challenge.json that "
                        "'challenge create' wrote together.")
    task = _task_of(key_df, target, meta)
    m = metric_of(metric or (meta or {}).get("metric"), task)
    classes = (meta or {}).get("classes") if task != "regression" else None
    y, p, classes = check_submission(key_df, target, sub, task, classes)
    value = metric_value(m.key, y, p)
    ci = bootstrap_interval(m.key, y, p, len(classes), bootstrap, seed)
    goal = (meta or {}).get("goal")
    met = None if goal is None else bool(value >= goal if m.higher_is_better else value <= goal)
    return {"metric": m.key, "metric_label": m.label, "score": value, "rows": int(len(y)),
            "higher_is_better": m.higher_is_better,
            "interval": list(ci) if ci else None, "interval_level": LEVEL if ci else None,
            "goal": goal, "met": met, "task": task, "target": target}


def leaderboard(key, submissions, meta: dict | None = None, metric: str | None = None,
                bootstrap: int = BOOTSTRAP, seed: int = 0) -> pd.DataFrame:
    """Score every submission (``[(name, path | bytes | frame)]``) and rank them: the best
    first in the metric's direction (equal scores share a rank), refused ones last with their
    reason. Columns: rank, name, score, low, high, rows, met, problem. A name is its file's
    name without the extension."""
    key_df, target = key if isinstance(key, tuple) else read_key(key)
    rows = []
    for name, src in submissions:
        label = Path(str(name)).stem
        try:
            sub = src if isinstance(src, pd.DataFrame) else read_table(src, name=str(name))
            r = score((key_df, target), sub, meta, metric, bootstrap, seed)
        except KwkError as e:
            rows.append({"name": label, "score": None, "low": None, "high": None,
                         "rows": None, "met": None, "problem": e.message})
            continue
        lo, hi = r["interval"] or (None, None)
        rows.append({"name": label, "score": r["score"], "low": lo, "high": hi,
                     "rows": r["rows"], "met": r["met"], "problem": None})
    task = _task_of(key_df, target, meta)
    m = metric_of(metric or (meta or {}).get("metric"), task)
    higher = m.higher_is_better
    board = pd.DataFrame(rows, columns=["name", "score", "low", "high", "rows", "met",
                                        "problem"])
    board["score"] = board["score"].astype(float)
    board["rows"] = board["rows"].astype("Int64")
    board["rank"] = board["score"].rank(ascending=not higher, method="min").astype("Int64")
    board = board.sort_values(["rank", "name"], na_position="last", kind="stable")
    board = board[["rank", "name", "score", "low", "high", "rows", "met", "problem"]] \
        .reset_index(drop=True)
    board.attrs.update(metric=m.key, metric_label=m.label, higher_is_better=higher)
    return board
