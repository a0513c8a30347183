"""The glossary: every word of deep learning the pages show, with plain words for it.

The words are data, in ``kwk/learn/glossary.toml`` (its header documents the format): one
table per term with the usual word (``term``), the plain words that replace it when the
learner turns "Plain words" on (``plain``), what it means in one or two sentences for someone
who cannot code (``means``), other terms to read (``see_also``) and the names KwK's settings,
layers and metrics use for it (``names``: ``"epochs"``, ``"Conv2D"``, ``"f1_macro"``;
``"training.momentum"`` names a training setting only, where a layer's setting of the same
name means something else).

A file with a mistake is refused with its line and the reason, like a lesson
(:mod:`kwk.learn.lessons`): one small named rule per mistake, every problem at once.

Engine only (no Streamlit): :func:`say` gives the word to show, :func:`define` the text a
widget's help shows, :func:`search` what a search box finds. ``kwk.ui.words`` is the page side.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from kwk.errors import KwkError
from kwk.learn.lessons import line_of

BUNDLED = Path(__file__).resolve().parent / "glossary.toml"
KEYS = {"term": "the usual word", "plain": "the plain words for it",
        "means": "what it means, in one or two sentences",
        "see_also": "other terms to read", "names": "the names KwK's settings use for it"}
REQUIRED = ("term", "plain", "means")
MAX_MEANS = 400  # characters: one or two sentences, read in a tooltip


class GlossaryError(KwkError):
    """A glossary file that cannot be used: ``problems`` holds ``(line or None, reason)``."""

    def __init__(self, file: str, problems: list[tuple[int | None, str]]):
        self.file, self.problems = file, list(problems)
        lines = [f"{file}, line {n}: {why}" if n else f"{file}: {why}" for n, why in problems]
        super().__init__("\n".join(lines), "Fix the file (its format is described at its top) "
                         "and reload the page.")

    def __reduce__(self):
        return (GlossaryError, (self.file, self.problems))


@dataclass(frozen=True)
class Entry:
    """One term: the usual word, the plain words, the meaning, see-also terms and the names
    KwK's settings use for it."""
    id: str
    term: str
    plain: str
    means: str
    see_also: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


def key(word: str) -> str:
    """How a word is looked up: case, underscores and surrounding spaces do not matter
    (``"Batch_Size"`` finds ``"batch size"``)."""
    return re.sub(r"\s+", " ", str(word).replace("_", " ").strip().lower())


class Glossary:
    """The terms, in file order, and every way to look one up (its table name, its usual
    word, its names)."""

    def __init__(self, entries: list[Entry]):
        self.entries = list(entries)
        self._by: dict[str, Entry] = {}
        for e in self.entries:
            for w in (e.id, e.term, *e.names):
                self._by.setdefault(key(w), e)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, word: str) -> bool:
        return key(word) in self._by

    def find(self, word: str) -> Entry | None:
        """The term a word names, or None."""
        return self._by.get(key(word))

    def lookup(self, word: str) -> Entry:
        """The term a word names; a word not in the glossary is a ``KeyError`` naming it."""
        e = self.find(word)
        if e is None:
            raise KeyError(f"'{word}' is not in the glossary ({BUNDLED.name}); add it there")
        return e

    def say(self, word: str, plain: bool) -> str:
        """The word to show: the plain words when ``plain``, else the usual word."""
        e = self.lookup(word)
        return e.plain if plain else e.term

    def define(self, word: str, plain: bool = False) -> str:
        """The text a widget's help shows for a term (Markdown): its meaning, the other of the
        two words, and what to read next."""
        e = self.lookup(word)
        head = (f"**{e.plain}** (usually called *{e.term}*): " if plain else
                f"**{e.term}** (in plain words: *{e.plain}*): ")
        also = [self.find(s).term for s in e.see_also if self.find(s) is not None]
        return head + e.means + (f" See also: {', '.join(also)}." if also else "")

    def search(self, query: str) -> list[Entry]:
        """The terms whose words or meaning hold every word of ``query`` (all of them when it
        is empty); terms whose usual or plain word matches come first."""
        words = key(query).split()
        if not words:
            return list(self.entries)

        def text(e: Entry) -> str:
            return key(" ".join((e.term, e.plain, e.means, *e.names)))

        hits = [e for e in self.entries if all(w in text(e) for w in words)]
        return sorted(hits, key=lambda e: not all(w in key(f"{e.term} {e.plain}")
                                                 for w in words))


# ----------------------------------------------------------------------------- the rules
@dataclass(frozen=True)
class Problem:
    path: tuple[str, ...]  # the key it is about, e.g. ("epochs", "plain")
    reason: str


RULES: list[Callable[[dict], Iterator[Problem]]] = []


def rule(fn):
    """Register a rule: a function of the parsed file yielding its :class:`Problem` s."""
    RULES.append(fn)
    return fn


def _tables(d: dict):
    return [(tid, t) for tid, t in d.items() if isinstance(t, dict)]


@rule
def terms_are_tables(d: dict) -> Iterator[Problem]:
    """Every top-level entry is a term's table ([epochs] with its keys under it)."""
    for tid, t in d.items():
        if not isinstance(t, dict):
            yield Problem((tid,), f"'{tid}' must be a term's table: [{tid}] with term, plain "
                          "and means under it")
    if not d:
        yield Problem((), "the glossary has no terms")


@rule
def known_keys(d: dict) -> Iterator[Problem]:
    """Every key of a term is one the format knows (a typo is named with the keys there are)."""
    for tid, t in _tables(d):
        for k in t:
            if k not in KEYS:
                yield Problem((tid, k), f"'{k}' is not a key of a term; the keys are: "
                              f"{', '.join(KEYS)}")


@rule
def required_keys(d: dict) -> Iterator[Problem]:
    """A term has its usual word, its plain words and its meaning."""
    for tid, t in _tables(d):
        for k in REQUIRED:
            if k not in t:
                yield Problem((tid,), f"[{tid}] has no '{k}' ({KEYS[k]})")


@rule
def texts(d: dict) -> Iterator[Problem]:
    """The words are texts, not empty; the meaning is short enough for a tooltip."""
    for tid, t in _tables(d):
        for k in REQUIRED:
            if k in t and (not isinstance(t[k], str) or not t[k].strip()):
                yield Problem((tid, k), f"'{k}' must be a text in quotes, not empty")
        m = t.get("means")
        if isinstance(m, str) and len(m.strip()) > MAX_MEANS:
            yield Problem((tid, "means"), f"'means' has {len(m.strip())} characters; say it in "
                          f"one or two sentences (at most {MAX_MEANS})")


@rule
def lists_of_texts(d: dict) -> Iterator[Problem]:
    """'see_also' and 'names' are lists of texts."""
    for tid, t in _tables(d):
        for k in ("see_also", "names"):
            if k in t and (not isinstance(t[k], list) or not all(
                    isinstance(s, str) and s.strip() for s in t[k])):
                yield Problem((tid, k), f"'{k}' must be a list of texts, e.g. "
                              f"{k} = [\"batch size\", \"epochs\"]")


def _words(tid: str, t: dict) -> list[str]:
    out = [tid] + ([t["term"]] if isinstance(t.get("term"), str) else [])
    names = t.get("names")
    return out + ([n for n in names if isinstance(n, str)] if isinstance(names, list) else [])


@rule
def one_term_per_word(d: dict) -> Iterator[Problem]:
    """A word (a term's usual word, its table name or one of its names) belongs to one term,
    so looking it up cannot find two."""
    owner: dict[str, str] = {}
    for tid, t in _tables(d):
        for w in dict.fromkeys(key(x) for x in _words(tid, t)):
            if w in owner and owner[w] != tid:
                where = "names" if key(t.get("term", "")) != w and key(tid) != w else "term"
                yield Problem((tid, where), f"'{w}' is already a word of [{owner[w]}]; a word "
                              "can belong to one term only")
            else:
                owner.setdefault(w, tid)


@rule
def see_also_known(d: dict) -> Iterator[Problem]:
    """Every see-also names a term of the file."""
    known = {key(w) for tid, t in _tables(d) for w in _words(tid, t)}
    for tid, t in _tables(d):
        also = t.get("see_also")
        if not isinstance(also, list):
            continue
        for s in also:
            if isinstance(s, str) and key(s) not in known:
                yield Problem((tid, "see_also"), f"'see_also' names '{s}', which is not a term "
                              "of the glossary")


# ----------------------------------------------------------------------------- reading
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def parse(text: str, file: str = "glossary.toml") -> Glossary:
    """A glossary from a file's text; raises :class:`GlossaryError` naming every problem
    with its line."""
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = _TOML_AT.search(msg)
        line = getattr(e, "lineno", None) or (int(m.group(1)) if m else None)
        why = _TOML_AT.sub("", msg).strip() or "the file is not valid TOML"
        raise GlossaryError(file, [(line, f"{why[0].lower()}{why[1:]} (this is not valid "
                                          "TOML)")]) from None
    problems = [p for r in RULES for p in r(d)]
    if problems:
        raise GlossaryError(file, [(line_of(text, p.path), p.reason) for p in problems])
    return Glossary([Entry(id=tid, term=t["term"].strip(), plain=t["plain"].strip(),
                           means=" ".join(t["means"].split()),
                           see_also=tuple(t.get("see_also", ())),
                           names=tuple(t.get("names", ()))) for tid, t in d.items()])


def load(path: str | Path = BUNDLED) -> Glossary:
    """A glossary file; a file that cannot be read is refused like a wrong one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise GlossaryError(p.name, [(None, f"the file cannot be read ({e})")]) from None
    return parse(text, p.name)


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    """KwK's own glossary (read once)."""
    return load(BUNDLED)


def say(term: str, plain: bool) -> str:
    """The word to show for ``term``: the plain words when ``plain``, else the usual word."""
    return glossary().say(term, plain)


def define(term: str, plain: bool = False) -> str:
    """What ``term`` means, as a widget's help text."""
    return glossary().define(term, plain)


def find(term: str) -> Entry | None:
    """The glossary's term for a word, or None."""
    return glossary().find(term)
