"""What a first-time user stumbled on (issue: a newcomer's walk), each with a check."""
import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash, texts, with_sample


def test_sizes_read_at_a_glance():
    from kwk.ui.tables import size_text
    assert size_text(512) == "512 bytes"
    assert size_text(3_400) == "3.4 kB"
    assert size_text(12_000_000) == "12.0 MB"
    assert size_text(2.5e12) == "2500.0 GB"


def test_missing_values_say_how_they_will_be_filled():
    from kwk.data import profile
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"age": np.where(rng.random(200) < 0.2, np.nan, rng.integers(1, 90, 200)),
                       "city": np.where(rng.random(200) < 0.5, None, rng.choice(["Lyon", "Paris", "Nice"], 200)),
                       "y": rng.integers(0, 2, 200)})
    msgs = [w["message"] for w in profile(df)["warnings"]]
    age = next(m for m in msgs if m.startswith("age:"))
    assert "missing values (" in age and "training median" in age and "many" not in age
    city = next(m for m in msgs if m.startswith("city:"))
    assert "many missing values" in city and "no category" in city


def test_data_page_counts_and_memory_read_naturally():
    at = with_sample("iris")
    shown = texts(at)
    assert "1 things" not in shown
    memory = next(m.value for m in at.metric if m.label == "Memory")
    assert memory.endswith(("bytes", "kB", "MB", "GB")) and memory != "0.0 MB"
