"""The installed `diffcrysgen` console script, run as a user runs it (a fresh process on the exported module).

The notebook nbs/28_cli.ipynb tests `main([...])` in its own namespace; this catches what only the exported module
and the entry point can get wrong (a name imported in a hidden test cell only, a broken console_scripts entry).
"""
import os, shutil, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
from diffcrysgen.data import IRCR_LIMITS, funnel, kit_splits, load_extra, load_mp20

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
    n_el = sum(len(funnel(t[t.has_positions], IRCR_LIMITS)[0]) for t in (load_mp20("train"), load_mp20("val"), load_mp20("test"), load_extra()))
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

def test_sample_conditioned_and_inpainted_with_shipped_checkpoints(tmp_path):
    "Issue #8 from the command line: property ranges with guidance (shipped mp20-edm-cond.pt), and a fixed chemical system."
    from diffcrysgen.schema import read_generated
    fast = ("--steps", "4", "--churn", "0", "--threads", "1", "--quiet")
    r = _cli("sample", "--n", "6", *fast, "--out", str(tmp_path / "c"), "--condition", "Ms>=1", "--condition", "hform<=-0.2", "--guidance", "2")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "conditions ms_tesla>=1 and formation_energy_per_atom<=-0.2 (guidance 2)" in r.stdout, r.stdout
    spec = __import__("json").loads((tmp_path / "c" / "run.json").read_text())["spec"]
    assert Path(spec["checkpoint"]).name == "mp20-edm-cond.pt"                    # the conditioned model by default
    assert all(t[0] <= -0.2 and t[1] >= 1 for t in read_generated(tmp_path / "c").targets)
    r = _cli("sample", "--n", "6", *fast, "--out", str(tmp_path / "e"), "--elements", "Fe,Co,B")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "target " in r.stdout and "hit it exactly" in r.stdout, r.stdout
    r = _cli("sample", "--n", "2", *fast, "--out", str(tmp_path / "x"), "--checkpoint", "data/checkpoints/mp20-edm.pt", "--condition", "Ms>=1")
    assert r.returncode == 1 and "unconditional checkpoint" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
