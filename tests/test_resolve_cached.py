"""Issue 30: a rerun that changed nothing does not check the spec against the whole table
again. ``kwk.ui.state.resolve_session`` resolves a spec once per data fingerprint, spec and
kinds; a spec that does not resolve raises the same error every time, without resolving again."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import kwk.spec
from kwk.errors import KwkError
from kwk.ui import state


@pytest.fixture
def counted(monkeypatch):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200), "y": rng.choice(["a", "b"], 200)})
    data = SimpleNamespace(df=df, fingerprint="f1")
    monkeypatch.setattr(state, "session", lambda: SimpleNamespace(data=data))
    monkeypatch.setattr(state, "profile_kinds", lambda: {"x": "numeric", "y": "categorical"})
    calls = []
    real = kwk.spec.resolve

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)
    monkeypatch.setattr(kwk.spec, "resolve", counting)
    state._resolved.clear()
    yield data, calls
    state._resolved.clear()


def test_a_spec_is_resolved_once_per_data_and_spec(counted):
    data, calls = counted
    spec = kwk.spec.default_spec()
    spec["data"] = {"target": "y"}
    first = state.resolve_session(spec)
    assert state.resolve_session(spec) == first and len(calls) == 1
    assert first[0]["data"]["task"] == "binary" and first[0]["data"]["features"] == ["x"]
    first[0]["data"]["features"].append("changed by a page")  # callers get their own copy
    assert state.resolve_session(spec)[0]["data"]["features"] == ["x"]
    spec["training"]["epochs"] = 3  # another spec: resolved again
    state.resolve_session(spec)
    data.fingerprint = "f2"  # other data: resolved again
    state.resolve_session(spec)
    assert len(calls) == 3


def test_a_spec_that_does_not_resolve_raises_each_time_but_is_checked_once(counted):
    _, calls = counted
    spec = kwk.spec.default_spec()
    spec["data"] = {"target": "not a column"}
    for _ in range(2):
        with pytest.raises(KwkError) as e:
            state.resolve_session(spec)
        assert "not a column" in e.value.message
    assert len(calls) == 1
