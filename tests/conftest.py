"""Suite-wide: a snapshot of the repository's `git status` at the start, so `tests/test_notebooks.py` can check that
the notebooks and tests wrote nothing into the repository (see `repo_status`); the `cli` fixture."""
import re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_OURS = re.compile(r"(^|/)(__pycache__|\.ipynb_checkpoints)(/|$)|^\.venv/|^bench/\.venv-ref/|\.egg-info(/|$)"
                      r"|^\.pytest_cache/")

GIT_STATUS = ["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "-z", "--", ".", ":!.venv",
              ":!bench/.venv-ref"]

def repo_status() -> dict[str, int] | None:
    "Changed, untracked or ignored paths (files one by one) with their mtimes, less venvs and caches; None outside git."
    try:
        r = subprocess.run(GIT_STATUS, cwd=ROOT, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    paths = [e[3:] for e in r.stdout.split("\0") if len(e) > 3 and not e[0] == "R"]
    return {p: (ROOT / p).stat().st_mtime_ns if (ROOT / p).exists() else -1 for p in paths if not NOT_OURS.search(p)}

def pytest_sessionstart(session):
    session.config.stash_repo_status = repo_status()

def run_cli(*args: str) -> subprocess.CompletedProcess:
    "The installed `diffcrysgen` console script with `args`, run from the repository root."
    here = Path(sys.executable).parent / "diffcrysgen"
    exe = str(here) if here.exists() else shutil.which("diffcrysgen")
    if exe is None:
        pytest.fail("the diffcrysgen console script is not installed (pip install -e .)", pytrace=False)
    return subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)

@pytest.fixture
def cli():
    "`run_cli`: the console script as a function of its arguments."
    return run_cli
