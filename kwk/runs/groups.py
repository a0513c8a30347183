"""Which runs can be compared: runs are grouped by the data they were trained on (the data's
fingerprint, recorded with each run: the same file gives the same fingerprint) and by what they
predict (target and task). Runs on different data can still be put side by side, but only by an
explicit choice, and then :func:`data_difference` says in words which files differ.

Pure functions over run records (``Store.get`` or ``Store.list`` rows); no Streamlit here.
"""
from __future__ import annotations

DASH = " — "
ACROSS = "across different data"


def _target(run: dict) -> str:
    spec = run.get("spec")
    if isinstance(spec, dict):
        return str(spec.get("data", {}).get("target", ""))
    return str(run.get("target", ""))


def _data_id(run: dict) -> str:
    """The data's identity: its fingerprint, or its file name for a run recorded without one."""
    return str(run.get("fingerprint") or "name:" + str(run.get("data_name") or ""))


def _short(data_id: str) -> str:
    """The start of a fingerprint, without its algorithm ('sha256:ba7816…' -> 'ba7816')."""
    return data_id.rsplit(":", 1)[-1][:6]


def predicts(run: dict) -> str:
    """What a run predicts, in words: ``'label (multiclass)'``."""
    return f"{_target(run)} ({run.get('task')})"


def data_groups(runs: dict[str, dict]) -> dict[str, list[str]]:
    """Runs grouped by data and target: ``'label (multiclass) — shapes.zip'`` -> run ids, in the
    order given; the groups with the most runs first (so the first group, offered by default, can
    be compared whenever any can), then in the order of their first run. Two different files with the same name are told apart by the start of their
    fingerprint (``'— shapes.zip (data 1a2b3c)'``)."""
    keys: dict[tuple, list[str]] = {}
    names: dict[tuple, str] = {}
    for i, r in runs.items():
        k = (predicts(r), _data_id(r))
        keys.setdefault(k, []).append(i)
        names[k] = str(r.get("data_name") or "unnamed data")
    # a file name shared by different data (for the same target): add the fingerprint
    seen: dict[tuple, int] = {}
    for (what, _), name in names.items():
        seen[(what, name)] = seen.get((what, name), 0) + 1
    out: dict[str, list[str]] = {}
    for k, ids in sorted(keys.items(), key=lambda kv: -len(kv[1])):
        what, data = k
        label = f"{what}{DASH}{names[k]}"
        if seen[(what, names[k])] > 1:
            label += f" (data {_short(data)})"
        out[label] = ids
    return out


def comparison_choices(runs: dict[str, dict]) -> dict[str, list[str]]:
    """The choices offered for a comparison: each group of :func:`data_groups` first, then,
    for a target predicted on more than one data set, one explicit choice that puts those runs
    side by side (``'label (multiclass) — across different data (digits.zip, shapes.zip)'``)."""
    groups = data_groups(runs)
    by_target: dict[str, list[str]] = {}
    for label in groups:
        by_target.setdefault(label.split(DASH, 1)[0], []).append(label)
    out = dict(groups)
    for what, labels in by_target.items():
        if len(labels) > 1:
            files = ", ".join(lab.split(DASH, 1)[1] for lab in labels)
            out[f"{what}{DASH}{ACROSS} ({files})"] = [i for lab in labels for i in groups[lab]]
    return out


def data_difference(runs: dict[str, dict], short=lambda i: i[:6]) -> str | None:
    """None when every run was trained on the same data; otherwise a sentence naming each data
    file and its runs."""
    by_data: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for i, r in runs.items():
        d = _data_id(r)
        by_data.setdefault(d, []).append(i)
        names[d] = str(r.get("data_name") or "unnamed data")
    if len(by_data) < 2:
        return None
    same_name = len(set(names.values())) < len(names)
    parts = []
    for d, ids in by_data.items():
        name = names[d] + (f" (data {_short(d)})" if same_name else "")
        parts.append(f"{name} (run{'s' if len(ids) > 1 else ''} "
                     f"{', '.join(short(i) for i in ids)})")
    files = ", ".join(parts[:-1]) + " and " + parts[-1]
    return (f"The data differ: these runs were trained on different data — {files}. Their "
            "scores are measured on different rows, so a better score may come from easier "
            "data rather than a better network.")
