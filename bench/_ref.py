"""Run the REFERENCE implementation (PyPI `diffcrysgen==0.1.1`) from our benchmark scripts.

The reference lives in its own venv, `bench/.venv-ref` (made by `bash bench/ref_env.sh`), because
it pins other versions than ours and shares our package name. This helper runs
`bench/ref_worker.py` there as a child process (same machine, same process tree) and returns the
JSON line it prints:

    from _ref import run_reference
    run_reference("train", batch_size=64, steps=30, warmup=5, threads=2)
    run_reference("sample", n=32, batch_size=32, threads=2)

Keyword arguments become command-line options (`batch_size=64` -> `--batch-size 64`).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REF_VENV = BENCH / ".venv-ref"
REF_PYTHON = REF_VENV / "bin" / "python"
REF_WORKER = BENCH / "ref_worker.py"


class ReferenceEnvMissing(RuntimeError):
    """The reference venv is not there (or is broken)."""


def _args(mode: str, kwargs: dict) -> list[str]:
    args = [mode]
    for k, v in kwargs.items():
        if v is None or v is False:
            continue
        args.append("--" + k.replace("_", "-"))
        if v is not True:
            args.append(str(v))
    return args


def run_reference(mode: str, *, timeout: float | None = None, verbose: bool = False, **kwargs) -> dict:
    """Run `ref_worker.py <mode> --key value ...` in the reference venv and return its JSON result.

    `mode` is "train" or "sample" (see `bench/ref_worker.py`). `timeout` is in seconds.
    With `verbose=True` the reference's own output (progress bars, prints) is passed through
    to our stderr; otherwise it is kept and shown only if the run fails.
    """
    if not REF_PYTHON.exists():
        raise ReferenceEnvMissing(
            f"reference venv not found at {REF_VENV}: run `bash bench/ref_env.sh` "
            "(from the repository root) to create it")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)     # our package is also called diffcrysgen: keep it out
    env.pop("PYTHONHOME", None)
    env.pop("VIRTUAL_ENV", None)
    cmd = [str(REF_PYTHON), str(REF_WORKER), *_args(mode, kwargs)]
    proc = subprocess.run(cmd, cwd=str(BENCH), env=env, text=True, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=None if verbose else subprocess.PIPE)
    if proc.returncode != 0:
        err = proc.stderr or ""
        if "ModuleNotFoundError" in err or "No module named" in err:
            raise ReferenceEnvMissing(
                f"the reference venv at {REF_VENV} is incomplete ({err.strip().splitlines()[-1]}): "
                "run `bash bench/ref_env.sh`")
        raise RuntimeError(f"reference worker failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                           f"{err[-4000:]}")
    for line in reversed(proc.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"reference worker printed no JSON result: {' '.join(cmd)}\n{proc.stdout[-2000:]}")


if __name__ == "__main__":
    # python bench/_ref.py train --batch-size 64 ...   (thin CLI for a quick look)
    mode, rest = sys.argv[1], sys.argv[2:]
    kw = {}
    it = iter(rest)
    for k in it:
        kw[k.lstrip("-").replace("-", "_")] = next(it)
    print(json.dumps(run_reference(mode, verbose=True, **kw)))
