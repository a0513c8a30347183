"""The machinery of the spec's checks: :class:`Problem`, :class:`Context`, the registry
(:func:`check`, :func:`checks_for`) and :func:`run_stage`. The rules themselves live in the
modules beside this one (see :mod:`kwk.spec.checks`), which import this one."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import pandas as pd

from kwk.data.kinds import infer_kind
from kwk.errors import KwkError, SpecError

# What each stage may rely on: columns (the spec's own column names), target (its values),
# settings (the modality's settings against the columns), length (enough rows per series),
# task (the task decided), rows (per-row checks of a series), features (the inputs chosen).
STAGES = ("columns", "target", "settings", "length", "task", "rows", "features")
MODALITIES = ("table", "images", "series", "text", "mixed")


@dataclass(frozen=True)
class Problem:
    """One broken rule: a message naming the setting or column, a hint saying what to do, and
    the error it raises alone (:class:`SpecError` for the spec, :class:`DataError` for data)."""
    message: str
    hint: str | None = None
    error: type[KwkError] = SpecError

    @classmethod
    def of(cls, err: KwkError) -> "Problem":
        """The problem an error factory describes (e.g. ``kwk.data.times.duplicate_time``)."""
        return cls(err.message, err.hint, type(err))


@dataclass
class Context:
    """What one ``resolve`` call knows so far: the normalized spec, the data, the column
    kinds (given, then inferred once per column) and what the stages decided."""
    spec: dict
    df: pd.DataFrame
    kinds: dict[str, str]            # given kinds (profile, then data.kinds); resolved ones added
    modality: str = "table"          # table | images | series | text | mixed
    cols: list[str] = field(default_factory=list)
    task: str = "auto"               # the decided task (set before the "task" stage)
    guess: str = "auto"              # the task the target's values suggest
    features: list[str] = field(default_factory=list)  # set before the "features" stage
    notes: list[str] = field(default_factory=list)
    _inferred: dict[str, str] = field(default_factory=dict, repr=False)
    _memo: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.cols = [str(c) for c in self.df.columns]

    @property
    def data(self) -> dict:
        return self.spec["data"]

    @property
    def target(self) -> str | None:
        return self.data["target"]

    @property
    def seq(self) -> dict | None:
        return self.data.get("sequence")

    @property
    def text(self) -> dict | None:
        return self.data.get("text")

    @property
    def validation(self) -> str:
        return self.spec["training"]["validation"]

    @property
    def y(self) -> pd.Series:
        return self.df[self.target]

    def kind(self, col: str) -> str:
        """The column's kind: given (or resolved) first, else inferred from its values."""
        if col in self.kinds and self.kinds[col]:
            return self.kinds[col]
        if col not in self._inferred:
            self._inferred[col] = infer_kind(self.df[col])[0]
        return self._inferred[col]

    def memo(self, key: str, compute: Callable[[], object]):
        """``compute()`` once per resolve call (for values that several checks read)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


Check = Callable[[Context], Iterable[Problem]]
REGISTRY: dict[str, list[tuple[tuple[str, ...], Check]]] = {s: [] for s in STAGES}


def check(stage: str, *modalities: str) -> Callable[[Check], Check]:
    """Register a check for ``stage`` of ``resolve``, for the given modalities (every modality
    when none is named). Checks run in the order they are registered."""
    assert stage in STAGES and all(m in MODALITIES for m in modalities), (stage, modalities)

    def register(fn: Check) -> Check:
        REGISTRY[stage].append((modalities or MODALITIES, fn))
        return fn
    return register


def checks_for(stage: str, modality: str) -> list[Check]:
    """The checks of one stage that apply to a modality, in order."""
    return [fn for mods, fn in REGISTRY[stage] if modality in mods]


def problems(stage: str, ctx: Context) -> list[Problem]:
    """Every problem the stage's checks find."""
    return [p for fn in checks_for(stage, ctx.modality) for p in fn(ctx)]


def raise_problems(found: list[Problem]) -> None:
    """Raise nothing for no problem; one problem as its own error (message and hint); several
    as one :class:`SpecError` listing each message followed by its hint."""
    if len(found) == 1:
        raise found[0].error(found[0].message, found[0].hint)
    if found:
        raise SpecError([p.message + (f" {p.hint}" if p.hint else "") for p in found])


def run_stage(stage: str, ctx: Context) -> None:
    """Run a stage's checks and raise every problem they find at once."""
    raise_problems(problems(stage, ctx))


def missing_columns(names: Iterable[str], ctx: Context, setting: str) -> Iterator[Problem]:
    """The one message for a setting that names columns that are not in the data."""
    missing = [c for c in names if c not in ctx.cols]
    if missing:
        yield Problem(f"{setting} names columns that are not in the data: "
                      f"{', '.join(missing[:10])}.", f"Columns: {', '.join(ctx.cols[:30])}.")
