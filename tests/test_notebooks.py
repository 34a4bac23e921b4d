"""Every numbered notebook in nbs/ through `nbdev_test`, one pytest test per notebook.

Run from the repository root so that settings.ini (tst_flags = notest slow) applies; a notebook fails the
test when `nbdev_test` exits non-zero, and the test reports the tail of its output.
"""
import os, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").glob("[0-9]*.ipynb"))
TIMEOUT_S = int(os.environ.get("DIFFCRYSGEN_NB_TIMEOUT", "1800"))   # per notebook
TAIL_CHARS = 4000

def _nbdev_test() -> str:
    "The nbdev_test next to the running interpreter (the venv's), else the one on PATH."
    here = Path(sys.executable).parent / "nbdev_test"
    exe = str(here) if here.exists() else shutil.which("nbdev_test")
    if exe is None: pytest.fail("nbdev_test not found: install the dev extras (make install)", pytrace=False)
    return exe

def test_notebooks_found():
    "The glob must find the library notebooks; an empty parametrisation would pass silently."
    names = [p.name for p in NOTEBOOKS]
    assert "00_ircr.ipynb" in names and "05_data.ipynb" in names, names

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb: Path):
    cmd = [_nbdev_test(), "--path", str(nb.relative_to(ROOT))]
    try:
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"{nb.name}: nbdev_test ran past {TIMEOUT_S} s\n{out[-TAIL_CHARS:]}", pytrace=False)
    if res.returncode != 0:
        out = (res.stdout + res.stderr)[-TAIL_CHARS:]
        pytest.fail(f"{nb.name}: nbdev_test exited {res.returncode}\n{out}", pytrace=False)

def test_repository_untouched(request):
    "After the notebook runs (and the tests before them), `git status` shows nothing new: runs, figures and screenshots went to temporary folders."
    from conftest import repo_status
    start, now = getattr(request.config, "stash_repo_status", None), repo_status()
    if start is None or now is None: pytest.skip("not a git checkout")
    changed = sorted(p for p in now if start.get(p) != now[p])
    assert not changed, f"written into the repository by the suite: {changed[:20]}"
