"""Words as numbers for a text *branch* of a mixed-input model (a table and a text column read
by one network). The words are read the way Keras's ``TextVectorization`` reads them by default
(ASCII letters lower-cased, punctuation removed, split on white space), so the raw-input export
can do the same inside Keras with the same vocabulary. A text-only model keeps its
``TextVectorization`` layer inside the model instead (see :mod:`kwk.model.builder`).

The functions are self-contained: the generated script copies them as they are.
"""
from __future__ import annotations

import numpy as np


def text_words(text) -> list[str]:
    """The words of one text as Keras's TextVectorization reads them by default: ASCII
    upper-case letters lowered, punctuation removed, split on white space. Missing is empty."""
    import re
    if text is None or (isinstance(text, float) and text != text):
        return []
    lowered = str(text).translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                                "abcdefghijklmnopqrstuvwxyz"))
    return re.sub(r"[!\"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~']", "", lowered).split()


def fit_vocabulary(texts, max_tokens: int) -> list[str]:
    """The ``max_tokens - 2`` most frequent words of the training texts (most frequent first,
    ties in alphabetical order); word number 0 pads a short text and 1 stands for any other
    word, as in Keras."""
    from collections import Counter
    counts = Counter()
    for t in texts:
        counts.update(text_words(t))
    return top_words(counts, max_tokens)


def top_words(counts, max_tokens: int) -> list[str]:
    """The ``max_tokens - 2`` most frequent words of ``counts`` (word -> count), most frequent
    first, ties in alphabetical order."""
    return sorted(counts, key=lambda w: (-counts[w], w))[:max(0, max_tokens - 2)]


def word_numbers(texts, vocabulary: list[str], length: int) -> np.ndarray:
    """Texts -> a float32 matrix (rows, length) of word numbers: the first ``length`` words of
    each text (2 + its place in the vocabulary, 1 for a word outside it), then 0 up to
    ``length``."""
    index = {w: i + 2 for i, w in enumerate(vocabulary)}
    out = np.zeros((len(texts), length), dtype=np.float32)
    for r, t in enumerate(texts):
        ids = [index.get(w, 1) for w in text_words(t)[:length]]
        out[r, :len(ids)] = ids
    return out
