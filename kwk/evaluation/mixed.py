"""Mixed-input models (a table with a text column, or with pictures) explained in the user's
own terms: which inputs and columns the model relies on, and why one row got its prediction.

* **Importance** — :func:`input_importance`: permutation importance on the test rows of each
  input as a whole (the text column's texts, or each row's whole picture, swapped between
  rows; all the table's columns together) and of each table column alone
  (:func:`kwk.evaluation.analysis.importance_groups`).
* **One row** — :func:`explain_row`: Shapley contributions of the row's *parts* — each table
  column, the text as a whole, the picture as a whole — by the same permutation explainer as a
  table's columns (:func:`kwk.evaluation.explain.shapley`; a part is "absent" when it takes a
  background row's value, so ``base + sum == prediction`` exactly), then the words of the text
  by occlusion: the prediction with the whole row minus the prediction with one word left out
  (the other columns kept), as :func:`kwk.evaluation.explain.word_effects` does for a text
  model. Words beyond :data:`MAX_WORDS` get no effect, which caps the work at one model call
  of ``MAX_WORDS + 1`` rows.

Pure Python (no Streamlit); TensorFlow only through the bundle.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kwk.errors import KwkError
from kwk.evaluation.explain import PERMUTATIONS, Explanation, shapley

MAX_WORDS = 80  # words of one text scored by occlusion (the rest get no effect)


def is_mixed(pre) -> bool:
    """Whether a run's preprocessing reads several inputs (a table and a text or pictures)."""
    return bool(pre.inputs)


def picture_part(n_pixels: int) -> str:
    """The name of a row's picture as one part of it."""
    return f"picture ({n_pixels} pixels)"


def parts(pre) -> dict[str, list[str]]:
    """What a row of a mixed model is explained by: each table column, the text column, and
    the picture (all its pixel columns as one part); name -> the raw columns it covers."""
    inputs = pre.inputs or {}
    out = {c: [c] for c in inputs.get("table", [])}
    out.update({c: [c] for c in inputs.get("text", [])})
    if inputs.get("image"):
        out[picture_part(len(inputs["image"]))] = list(inputs["image"])
    return out


def check_mixed(bundle) -> None:
    if not is_mixed(bundle.pre):
        raise KwkError("This explanation is for models with several inputs (a table with a "
                       "text column or pictures).")


# --------------------------------------------------------------------------- importance
def input_importance(bundle, rows: pd.DataFrame, y: np.ndarray, repeats: int = 5,
                     seed: int = 0) -> pd.DataFrame:
    """Permutation importance on ``rows`` (normally the test rows; ``y`` their encoded target)
    of each input as a whole and each table column (see the module's docstring); the columns
    of :func:`kwk.evaluation.analysis.permutation_importance`."""
    from kwk.evaluation.analysis import importance_groups, permutation_importance
    return permutation_importance(bundle.predict_output, rows, y, bundle.pre.task,
                                  importance_groups(bundle.pre), repeats=repeats, seed=seed)


# --------------------------------------------------------------------------- one row
@dataclass
class RowExplanation:
    """Why one row of a mixed model got its prediction.

    ``parts``: the :class:`~kwk.evaluation.explain.Explanation` over the row's parts (table
    columns, the text, the picture); ``text_column``, ``words`` (the text split on white
    space) and ``word_effects`` (``(words,)`` for regression, ``(words, classes)`` for class
    probabilities: the prediction minus the prediction without that word)."""
    parts: Explanation
    text_column: str | None = None
    words: list[str] = field(default_factory=list)
    word_effects: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def effects(self, cls: str | int | None = None) -> list[tuple[str, float]]:
        """``(word, effect)`` for one output: the number, or the probability of class ``cls``
        (a name or index; default the predicted class)."""
        if self.word_effects is None or not self.words:
            return []
        e = self.parts
        if e.classes is None:
            return list(zip(self.words, self.word_effects.tolist()))
        if cls is None:
            cls = e.predicted[0] if e.predicted else 0
        k = e.classes.index(str(cls)) if isinstance(cls, str) else int(cls)
        return list(zip(self.words, self.word_effects[:, k].tolist()))

    def top_words(self, cls: str | int | None = None, n: int = 5) -> list[tuple[str, float]]:
        """The ``n`` words that moved the prediction most, either way."""
        return sorted(self.effects(cls), key=lambda we: -abs(we[1]))[:n]

    def to_json(self) -> dict:
        out = self.parts.to_json()
        out["method"] = ("shap permutation explainer over the row's parts (table columns, the "
                         "text, the picture), then word occlusion")
        if self.text_column is not None:
            cls = self.parts.classes
            out["words"] = {"column": self.text_column, "words": self.words,
                            "effects": (self.word_effects.tolist()
                                        if self.word_effects is not None else []),
                            "classes": cls}
        out["notes"] = list(self.parts.notes) + self.notes
        return out


def _split_words(text) -> list[str]:
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return []
    return str(text).split()


def word_occlusion(predict, row: pd.DataFrame, column: str, max_words: int = MAX_WORDS
                   ) -> tuple[list[str], np.ndarray]:
    """Each word's effect in one row's text ``column``: ``predict(row) - predict(row without
    that word)``, the other columns as they are; one ``predict`` call of at most
    ``max_words + 1`` rows. Returns ``(words, effects (words,) or (words, k))``."""
    words = _split_words(row.iloc[0][column])
    n = min(len(words), max_words)
    variants = pd.concat([row] * (n + 1), ignore_index=True)
    variants[column] = [" ".join(words)] + [" ".join(words[:i] + words[i + 1:])
                                            for i in range(n)]
    out = np.asarray(predict(variants), dtype=float)
    eff = out[:1] - out[1:]
    if len(words) > n:
        eff = np.concatenate([eff, np.zeros((len(words) - n,) + eff.shape[1:])])
    return words, eff


def explain_row(bundle, row: pd.DataFrame, background: pd.DataFrame, *,
                permutations: int = PERMUTATIONS, max_words: int = MAX_WORDS, seed: int = 0,
                progress=None, stop=None) -> RowExplanation:
    """Why the one raw ``row`` of a mixed model (:class:`kwk.runs.bundle.Bundle`) got its
    prediction: Shapley contributions of its parts against the ``background`` rows (training
    rows), then its text's word effects (see the module's docstring). Classification is
    explained per class probability, with the class predicted at the run's threshold."""
    check_mixed(bundle)
    pre = bundle.pre
    pre.check_columns(row)
    pre.check_columns(background)
    row = row.iloc[:1].reset_index(drop=True)
    background = background.reset_index(drop=True)
    groups = parts(pre)
    picture = next((p for p, cols in groups.items() if len(cols) > 1), None)
    pixels = None
    if picture is not None:  # a picture is one part: its value is the row it comes from
        cols = groups[picture]
        pixels = pd.concat([background[cols], row[cols]], ignore_index=True)

    def as_parts(frame: pd.DataFrame, start: int) -> pd.DataFrame:
        out = pd.DataFrame({p: frame[c[0]].to_numpy() for p, c in groups.items()
                            if p != picture})
        if picture is not None:
            out[picture] = np.arange(start, start + len(frame))
        return out[list(groups)]

    def predict(frame: pd.DataFrame) -> np.ndarray:
        raw = pd.DataFrame({c[0]: frame[p].to_numpy() for p, c in groups.items()
                            if p != picture})
        if picture is not None:
            ids = frame[picture].to_numpy(dtype=int)
            raw = pd.concat([raw, pixels.iloc[ids].reset_index(drop=True)], axis=1)
        return bundle.predict_output(raw)

    classes = None if pre.task == "regression" else [str(c) for c in pre.classes]
    e = shapley(predict, as_parts(row, len(background)), as_parts(background, 0), list(groups),
                classes=classes, permutations=permutations, seed=seed, progress=progress,
                stop=stop)
    if picture is not None:  # show "the row's picture", not its number
        e.rows = e.rows.assign(**{picture: "this row's picture"})
    if classes is not None and e.n:
        p = e.prediction
        picked = (p[:, 1] >= bundle.threshold).astype(int) if len(classes) == 2 \
            else p.argmax(axis=1)
        e.predicted = [classes[i] for i in picked]
    out = RowExplanation(parts=e)
    text = (pre.inputs or {}).get("text")
    if text and e.n:
        out.text_column = text[0]
        out.words, out.word_effects = word_occlusion(bundle.predict_output, row, text[0],
                                                     max_words)
        if len(out.words) > max_words:
            out.notes.append(f"Only the first {max_words} words were scored.")
    return out
