"""Issue 28, item 10: small untruths. A template's help text states the layer counts it adds;
Tune numbers its trials one way (1-based, as the user sees them) and counts the retraining of
the best network and of the user's own in its time limit."""
import re

import pytest

from kwk.catalog.layers import CATALOG
from kwk.catalog.presets import TEMPLATES

WORDS = {"no": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10}
COUNT = re.compile(r"\b(no|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+"
                   r"((?:[\w-]+\s+){0,2}?)layers?\b", re.IGNORECASE)


def stated_counts(text: str) -> list[tuple[int, list[str]]]:
    """Every "<count> [words] layer(s)" in ``text``: the count and the words between."""
    return [(int(n) if n.isdigit() else WORDS[n.lower()], words.split())
            for n, words in COUNT.findall(text)]


def counted(layers: list[dict], words: list[str]) -> int:
    """How many of ``layers`` the words name: a layer type ("Dense", "LSTM"), hidden layers
    (those with units or filters), or, with neither, every layer."""
    types = {t.lower(): t for t in CATALOG}
    named = [types[w.lower()] for w in words if w.lower() in types]
    if named:
        return sum(layer["type"] in named for layer in layers)
    if "hidden" in (w.lower() for w in words):
        return sum(any(k in layer or k in CATALOG[layer["type"]].defaults()
                       for k in ("units", "filters")) for layer in layers)
    return len(layers)


def test_the_count_parser_reads_the_phrases_the_templates_use():
    assert stated_counts("Two small hidden layers: a first try") == [(2, ["small", "hidden"])]
    assert stated_counts("Four Dense layers (…): 8 layers in all") == [(4, ["Dense"]), (8, [])]
    assert stated_counts("No hidden layer: logistic") == [(0, ["hidden"])]
    dense, drop = {"type": "Dense", "units": 4}, {"type": "Dropout", "rate": 0.1}
    assert counted([dense, drop, dense], ["hidden"]) == 2
    assert counted([dense, drop, dense], []) == 3
    assert counted([dense, drop, dense], ["Dropout"]) == 1


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_each_templates_help_states_the_layer_counts_it_adds(name):
    """"Deep & regularized" said "Four layers" and added 8 (issue 28)."""
    t = TEMPLATES[name]
    for n, words in stated_counts(t["help"]):
        assert counted(t["layers"], words) == n, (name, n, words, t["help"])


def test_the_templates_do_state_counts():
    """The check above is not empty: most templates state how many layers they add."""
    stated = [name for name, t in TEMPLATES.items() if stated_counts(t["help"])]
    assert len(stated) >= 4 and "Deep & regularized" in stated
