"""Every subcommand of the installed `diffcrysgen` console script refuses bad option values as a new user would type
them: exit status 2, one line on stderr naming the option, the value and the reason, no traceback, nothing on
stdout, and nothing written (neither the output path nor anything else in the case's folder).

Each case runs in its own folder holding a file (`FILE`), an empty folder (`EMPTY`) and a stand-in run folder (`RUN`,
one empty part: the checks look at what a path is, not into it). The cases run as concurrent processes (most of their
time is importing the package), then each is checked as its own test.
"""
import os, shutil, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import pytest

OUT = "OUT/x"   # an output path that must not appear
CASES = [   # (argv, option, value, reason); FILE, EMPTY, RUN, OUT are paths in the case's folder
    (("data", "--split", "training"), "--split", "training", "invalid choice"),
    (("demo", "--churn", "nan", "--out", OUT), "--churn", "nan", "must be finite"),
    (("demo", "--out", "FILE"), "--out", "FILE", "exists and is not a folder"),
    (("sample", "--n", "-5", "--out", OUT), "--n", "-5", "must be positive"),
    (("sample", "--n", "4", "--out", "FILE"), "--out", "FILE", "exists and is not a folder"),
    (("sample", "--n", "4", "--out", "FILE/sub"), "--out", "FILE/sub", "is a file"),
    (("sample", "--batch-size", "0", "--out", OUT), "--batch-size", "0", "must be positive"),
    (("sample", "--workers", "-2", "--out", OUT), "--workers", "-2", "must be ≥ 0"),
    (("sample", "--churn", "-1", "--out", OUT), "--churn", "-1", "must be ≥ 0"),
    (("sample", "--guidance", "inf", "--out", OUT), "--guidance", "inf", "must be finite"),
    (("sample", "--sharpen", "0", "--out", OUT), "--sharpen", "0", "must be in (0, 3]"),
    (("sample", "--sharpen", "4", "--out", OUT), "--sharpen", "4", "must be in (0, 3]"),
    (("demo", "--sharpen", "0", "--out", OUT), "--sharpen", "0", "must be in (0, 3]"),
    (("sample", "--checkpoint", "EMPTY/none.pt", "--out", OUT), "--checkpoint", "EMPTY/none.pt", "no such file"),
    (("sample", "--elements", "Fe,Xx", "--out", OUT), "--elements", "Fe,Xx", "Xx"),
    (("sample", "--condition", "Ms>>1", "--out", OUT), "--condition", "Ms>>1", "write e.g."),
    # options that cannot go together: the first one named, with the reason (issue #24)
    (("sample", "--fast", "--steps", "10", "--out", OUT), "--steps", "10", "drop --steps or --fast"),
    (("sample", "--fast", "--churn", "0", "--out", OUT), "--churn", "0", "drop --churn or --fast"),
    (("sample", "--solver", "heun", "--fast", "--out", OUT), "--solver", "heun", "--fast sets the sampler"),
    (("sample", "--fast", "--precision", "fp32", "--out", OUT), "--precision", "fp32", "drop --precision or --fast"),
    (("sample", "--solver", "dpm2m", "--churn", "1", "--out", OUT), "--churn", "1", "applies to --solver heun only"),
    (("sample", "--elements", "Fe,Co", "--formula", "Fe2Co", "--out", OUT), "--formula", "Fe2Co", "not both"),
    (("sample", "--condition", "Ms>=1", "--condition", "Ms<=0.5", "--out", OUT), "--condition", "Ms<=0.5",
     "do not overlap"),
    (("sample", "--template-pick", "near", "--out", OUT), "--template-pick", "near", "needs templates"),
    (("sample", "--templates", "train", "--template-pick", "best", "--out", OUT), "--template-pick", "best",
     "invalid choice"),
    (("evaluate", "EMPTY/none", "--out", OUT), "source", "EMPTY/none", "neither a split"),
    (("evaluate", "--n", "0", "RUN", "--out", OUT), "--n", "0", "must be positive"),
    (("evaluate", "--out", "EMPTY", "RUN"), "--out", "EMPTY", "exists; choose a new folder"),
    (("evaluate", "--reference", "nope", "RUN", "--out", OUT), "--reference", "nope", "neither a split"),
    (("screen", "EMPTY/none", "--out", OUT), "run", "EMPTY/none", "no such folder"),
    (("screen", "FILE", "--out", OUT), "run", "FILE", "not a folder"),
    (("screen", "RUN", "--top", "0", "--out", OUT), "--top", "0", "must be positive"),
    (("screen", "RUN", "--hform-max=-inf", "--out", OUT), "--hform-max", "-inf", "must be finite"),
    (("screen", "RUN", "--fmax", "0", "--out", OUT), "--fmax", "0", "must be > 0"),
    (("screen", "RUN", "--hform-model", "EMPTY/none.pt", "--out", OUT), "--hform-model", "EMPTY/none.pt",
     "no such file"),
    (("predict", "EMPTY", "--out", OUT), "run", "EMPTY", "not a generation run folder"),
    (("predict", "RUN", "--batch-size", "0", "--out", OUT), "--batch-size", "0", "must be positive"),
    (("predict", "RUN", "--models", "h=EMPTY/none.pt", "--out", OUT), "--models", "h=EMPTY/none.pt", "no such model"),
]
IDS = [" ".join(c[0]).replace("/", "_") for c in CASES]

def _exe() -> str:
    here = Path(sys.executable).parent / "diffcrysgen"
    exe = str(here) if here.exists() else shutil.which("diffcrysgen")
    if exe is None: pytest.fail("the diffcrysgen console script is not installed (pip install -e .)", pytrace=False)
    return exe

def _listing(d: Path) -> list[str]: return sorted(str(p.relative_to(d)) for p in d.rglob("*"))

def _run(exe: str, d: Path, argv: tuple) -> tuple:
    "Run one case in its folder `d`; returns (result, listing before, listing after)."
    (d / "EMPTY").mkdir(parents=True)
    (d / "RUN").mkdir()
    (d / "RUN" / "part-00000.parquet").touch()
    (d / "FILE").write_text("not a folder")
    before = _listing(d)
    r = subprocess.run([exe, *argv], cwd=d, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONWARNINGS="ignore"))
    return r, before, _listing(d)

@pytest.fixture(scope="module")
def results(tmp_path_factory):
    "All cases, run two at a time (the machine's cores)."
    root, exe = tmp_path_factory.mktemp("cli-args"), _exe()
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as ex:
        futs = {i: ex.submit(_run, exe, root / f"case{k:02d}", c[0]) for k, (i, c) in enumerate(zip(IDS, CASES))}
        return {i: f.result() for i, f in futs.items()}

def test_every_subcommand_has_cases():
    from diffcrysgen.cli import COMMANDS
    assert set(COMMANDS) == {c[0][0] for c in CASES}, sorted(COMMANDS)

@pytest.mark.parametrize("argv,option,value,reason", CASES, ids=IDS)
def test_bad_value_exits_2_with_one_line(results, argv, option, value, reason):
    r, before, after = results[" ".join(argv).replace("/", "_")]
    err = r.stderr.strip()
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:], r.stdout[-500:])
    assert "Traceback" not in r.stderr and len(err.splitlines()) == 1, r.stderr[-2000:]
    assert err.startswith(f"diffcrysgen {argv[0]}: error: argument {option}: "), err
    assert f"'{value}'" in err and reason in err, err
    assert r.stdout == "", r.stdout[-500:]
    assert after == before, sorted(set(after) ^ set(before))          # nothing written, the output path included


def test_foreign_checkpoint_leaves_no_run_folder(tmp_path):
    "A file that is not a checkpoint is refused with one line before any run folder exists (issue #24)."
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    r = subprocess.run([_exe(), "sample", "--n", "2", "--checkpoint", "notes.txt", "--out", OUT], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    err = r.stderr.strip()
    assert r.returncode != 0 and "Traceback" not in r.stderr and len(err.splitlines()) == 1, r.stderr[-2000:]
    assert "notes.txt" in err and "checkpoint" in err, err
    assert _listing(tmp_path) == ["notes.txt"], _listing(tmp_path)
