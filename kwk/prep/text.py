"""Words as numbers for a text *branch* of a mixed-input model (a table and a text column read
by one network). The words are read the way Keras's ``TextVectorization`` reads them by default
(ASCII letters lower-cased, punctuation removed, split on white space), so the raw-input export
can do the same inside Keras with the same vocabulary. A text-only model keeps its
``TextVectorization`` layer inside the model instead (see :mod:`kwk.model.builder`).

The functions are self-contained: the generated script copies them as they are.

**Sizes from the data** (:func:`sized_text`, called by :func:`kwk.prep.prepare.prepare` once
the training rows are known): the vocabulary holds the words seen at least :data:`MIN_COUNT`
times in the training texts (a word seen once cannot be learned; it reads as "unknown"), at
most ``max_tokens`` (the user's cap) word numbers in all, two of them reserved (0 pads, 1 is
any other word). An Embedding that reads the words takes exactly that many word numbers (no
rows for words that never come), and at most :func:`embedding_dim` numbers per word, the rule
of thumb ``min(64, round(1.6 * vocabulary ** 0.56))`` (about 11 for 30 words, 64 from about
1,600 words on; the power law is the one fast.ai uses for categorical embeddings, capped lower
for words): a 30-word text with 10,000 word numbers of 32 dimensions gave 320,000 weights to
600 rows.
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


MIN_COUNT = 2   # a word must be seen this often in the training texts to get its own number
RESERVED = 2    # word numbers 0 (padding) and 1 (any other word)


def fit_vocabulary(texts, max_tokens: int) -> list[str]:
    """The ``max_tokens - 2`` most frequent words of the training texts seen at least twice
    (most frequent first, ties in alphabetical order); word number 0 pads a short text and 1
    stands for any other word, as in Keras."""
    from collections import Counter
    counts = Counter()
    for t in texts:
        counts.update(text_words(t))
    return top_words(counts, max_tokens)


def top_words(counts, max_tokens: int, min_count: int = 2) -> list[str]:
    """The ``max_tokens - 2`` most frequent words of ``counts`` (word -> count) seen at least
    ``min_count`` times, most frequent first, ties in alphabetical order."""
    kept = [w for w in counts if counts[w] >= min_count]
    return sorted(kept, key=lambda w: (-counts[w], w))[:max(0, max_tokens - 2)]


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


# --------------------------------------------------------------------------- sizes from the data
def vocabulary_size(counts, cap: int, min_count: int = MIN_COUNT) -> int:
    """Word numbers a text needs: the distinct words seen at least ``min_count`` times in
    ``counts`` (word -> count over the training texts) plus the two reserved ones, at most
    ``cap`` (the spec's ``max_tokens``)."""
    return int(min(cap, sum(1 for c in counts.values() if c >= min_count) + RESERVED))


def embedding_dim(vocabulary: int) -> int:
    """Numbers per word for a vocabulary of ``vocabulary`` word numbers, by the rule of thumb
    ``min(64, round(1.6 * vocabulary ** 0.56))`` (at least 2)."""
    return int(max(2, min(64, round(1.6 * max(vocabulary, 1) ** 0.56))))


def _word_counts(texts):
    from collections import Counter
    counts = Counter()
    for t in texts:
        counts.update(text_words(t))
    return counts


def text_column(spec: dict) -> str | None:
    """The column a resolved spec reads as text: its text branch's, or a text model's one."""
    d = spec["data"]
    if not d.get("text"):
        return None
    inputs = d.get("inputs") or {}
    if inputs:
        return (inputs.get("text") or [None])[0]
    return (d.get("features") or [None])[0]


def sized_text(spec: dict, train_texts) -> tuple[dict, str | None]:
    """``spec`` (resolved) with its text sizes taken from the training texts: ``data.text.
    max_tokens`` becomes :func:`vocabulary_size` (never more than it was: it is the cap), and
    each Embedding that reads the words (the text branch's, or a text model's first layer)
    takes that many word numbers and, when its numbers per word are the catalog's default, at
    most :func:`embedding_dim` of them (a size the user chose is kept). An
    Embedding with reused weights is left alone. Returns ``(spec, note)``, the note saying
    what was sized (None when nothing changed)."""
    import copy
    d = spec["data"]
    if not d.get("text"):
        return spec, None
    layers = spec["branches"].get("text", []) if spec.get("branches") else spec["layers"]
    if any(layer.get("weights") for layer in layers if layer.get("type") == "Embedding"):
        return spec, None  # a reused text encoder keeps its own word numbers
    from kwk.catalog.layers import CATALOG
    default_dim = int(CATALOG["Embedding"].defaults()["output_dim"])
    cap = int(d["text"]["max_tokens"])
    counts = _word_counts(train_texts)
    size = vocabulary_size(counts, cap)
    out = copy.deepcopy(spec)
    out["data"]["text"]["max_tokens"] = size
    dims = []
    for layer in (out["branches"]["text"] if out.get("branches") else out["layers"]):
        if layer.get("type") != "Embedding":
            continue
        if layer.get("input_dim") is None or int(layer["input_dim"]) > size:
            layer["input_dim"] = size
        # only the catalog's default is sized down: a number the user chose is theirs
        if (layer.get("output_dim") is None or int(layer["output_dim"]) == default_dim) \
                and default_dim > embedding_dim(size):
            layer["output_dim"] = embedding_dim(size)
        dims.append(int(layer["output_dim"]))
        break  # the first Embedding reads the word numbers
    seen = sum(1 for c in counts.values() if c >= MIN_COUNT)
    note = (f"Text sized from the training texts: {len(counts):,} distinct words, {seen:,} "
            f"seen at least {MIN_COUNT} times; the vocabulary holds {size:,} word numbers "
            f"(cap {cap:,}; 0 pads, 1 is any other word)"
            + (f" and the Embedding gives each word {dims[0]} numbers (at most "
               f"min(64, 1.6 × vocabulary^0.56))" if dims else "") + ".")
    return out, note
