"""The installed `diffcrysgen` console script, run as a user runs it (a fresh process on the exported module).

The notebook nbs/10_cli.ipynb tests `main([...])` in its own namespace; this catches what only the exported module
and the entry point can get wrong (a name imported in a hidden test cell only, a broken console_scripts entry).
"""
import os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
from diffcrysgen.data import IRCR_LIMITS, funnel, kit_splits, load_mp20

ROOT = Path(__file__).resolve().parents[1]

def _cli(*args: str) -> subprocess.CompletedProcess:
    here = Path(sys.executable).parent / "diffcrysgen"
    exe = str(here) if here.exists() else shutil.which("diffcrysgen")
    if exe is None: pytest.fail("the diffcrysgen console script is not installed (pip install -e .)", pytrace=False)
    return subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)

def test_help_lists_commands():
    r = _cli("--help")
    assert r.returncode == 0, r.stderr
    assert "data" in r.stdout and "demo" in r.stdout

def test_data_ircr_steps():
    r = _cli("data", "--split", "test", "--steps", "ircr")
    assert r.returncode == 0, r.stderr[-2000:]
    n = len(funnel(load_mp20("test"), IRCR_LIMITS)[0])
    assert f"MP-20 test, ircr steps: {len(load_mp20('test')):,} -> {n:,} crystals" in r.stdout

def test_demo(tmp_path):
    r = _cli("demo", "--checkpoint", str(tmp_path / "none.pt"))
    assert r.returncode == 0, r.stderr[-2000:]
    n_train = len(kit_splits(seed=0)["train"])
    n_el = sum(len(funnel(load_mp20(s), IRCR_LIMITS)[0]) for s in ("val", "test"))
    assert f"X ({n_train}, 142, 3)" in r.stdout
    assert f"round trip decode(encode(x)): {n_el:,}/{n_el:,} " in r.stdout
    assert "generation: skipped, no checkpoint at" in r.stdout

def test_bad_argument_exits_2():
    r = _cli("data", "--split", "training")
    assert r.returncode == 2 and "invalid choice" in r.stderr

def test_pipe_closed_early_no_traceback():
    "`diffcrysgen data | head -1`: the reader leaves after one line; no BrokenPipeError traceback."
    exe = Path(sys.executable).parent / "diffcrysgen"
    env = dict(os.environ, PYTHONUNBUFFERED="1")      # unbuffered: the summary is written after the reader has left
    p = subprocess.Popen([str(exe), "data"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, bufsize=0)
    first = p.stdout.readline(); p.stdout.close()
    err = p.stderr.read(); p.wait(timeout=600)
    assert first.split()[:2] == ["step", "column"], first
    assert "Traceback" not in err, err[-2000:]
