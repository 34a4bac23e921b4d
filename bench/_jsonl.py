"""One JSON line per result, appended to a file when one is given (the benchmarks' `--json`), and printed."""
from __future__ import annotations

import json
from pathlib import Path


def append(row: dict, path: str | Path | None) -> None:
    "Append `row` as one JSON line to `path` (its folder made); nothing when `path` is empty."
    if not path:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")


def emit(row: dict, path: str | Path | None = None) -> None:
    "Print `row` as one JSON line and append it to `path` when given."
    print(json.dumps(row), flush=True)
    append(row, path)
