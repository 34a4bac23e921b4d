"""Generation runs as a user meets them: a run killed with SIGKILL mid-way and resumed gives exactly the rows of an
uninterrupted run (no row lost, none duplicated), with the paper's Heun stepper and with dpm2m in bf16 (whose runs are
tied to their batch size); the CLI functions on a parser built here."""
import argparse, json, os, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
import torch
from diffcrysgen.sample import SamplerConfig, add_sample_arguments, generate, run_sample
from diffcrysgen.schema import read_generated
from diffcrysgen.train import TrainConfig, train

torch.set_num_threads(1)    # the test machine's cores are shared
CFG = SamplerConfig(steps=30, S_churn=1.0)
CFGS = {"heun-churn": CFG, "dpm2m-bf16": SamplerConfig(steps=60, S_churn=0.0, solver="dpm2m", precision="bf16")}   # 59 and 60 calls
N, CHUNK, BATCH, SEED = 24, 4, 2, 5

@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    "A tiny one-epoch checkpoint (sampling quality is not under test)."
    tmp = tmp_path_factory.mktemp("tiny")
    return train(TrainConfig(epochs=1, max_train=64, batch_size=32, channels=(8, 16, 32), blocks=1, emb_dim=32, run_dir=str(tmp)), quiet=True) / "ckpt-last.pt"

def _child(out: Path, ckpt: Path, cfg: SamplerConfig) -> subprocess.Popen:
    code = ("import json, torch; torch.set_num_threads(1)\n"
            "from diffcrysgen.sample import SamplerConfig, generate\n"
            f"generate({N}, {str(out)!r}, SamplerConfig.from_spec(json.loads({json.dumps(cfg.spec())!r})), {str(ckpt)!r}, seed={SEED}, "
            f"batch_size={BATCH}, chunk_size={CHUNK}, device='cpu', progress=False)\n")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

@pytest.mark.parametrize("name", list(CFGS))
def test_sigkill_then_resume_equals_uninterrupted(tmp_path, ckpt, name):
    cfg = CFGS[name]
    ref = read_generated(generate(N, tmp_path / "ref", cfg, ckpt, seed=SEED, batch_size=BATCH, chunk_size=CHUNK, device="cpu", progress=False))
    out = tmp_path / "killed"; proc = _child(out, ckpt, cfg); t0 = time.time()
    while not (out / "part-00001.parquet").exists():
        assert proc.poll() is None, f"child ended early: {proc.stderr.read().decode()[-2000:]}"
        assert time.time() - t0 < 300, "child produced no part in 300 s"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    assert proc.returncode == -signal.SIGKILL
    n_parts = len(list(out.glob("part-*.parquet")))
    assert 2 <= n_parts < N // CHUNK, f"killed too late to test resumption ({n_parts} parts)"
    generate(N, out, cfg, ckpt, seed=SEED, batch_size=BATCH, chunk_size=CHUNK, device="cpu", progress=False)
    got = read_generated(out)
    assert got["index"].tolist() == list(range(N))                       # none lost, none duplicated
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert not list(out.glob(".part-*"))

def test_cli_functions(tmp_path, ckpt, capsys):
    p = add_sample_arguments(argparse.ArgumentParser(prog="diffcrysgen sample"))
    args = p.parse_args(["--n", "6", "--out", str(tmp_path / "gen"), "--steps", "5", "--churn", "0", "--batch-size", "3",
                         "--seed", "2", "--device", "cpu", "--checkpoint", str(ckpt), "--quiet", "--cif"])
    out = run_sample(args)
    text = capsys.readouterr().out
    assert str(out) in text and "crystals: 6;" in text and "space groups, top 10" in text
    rows = read_generated(out)
    assert rows["index"].tolist() == list(range(6)) and (rows.seed == 2).all()
    assert len(list((out / "cif").glob("*.cif"))) == rows.valid.sum()
    spec = json.loads((out / "run.json").read_text())["spec"]
    assert spec["sampler"]["steps"] == 5 and spec["sampler"]["S_churn"] == 0.0 and spec["write_cifs"]
    with pytest.raises(ValueError, match="different sampler"):
        run_sample(p.parse_args(["--n", "6", "--out", str(out), "--steps", "6", "--churn", "0", "--seed", "2", "--checkpoint", str(ckpt), "--cif"]))

def test_missing_default_checkpoint_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DIFFCRYSGEN_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="mp20-edm.pt: no such checkpoint") as e:
        generate(4, tmp_path / "x", SamplerConfig(steps=2), progress=False)
    assert "\n" not in str(e.value)

# --- space-group templates (issue #27): the CLI on the shipped checkpoint, the Python API on the tiny one
def _cli_run(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    "`diffcrysgen sample ARGV` (the console script beside the running interpreter), one thread."
    exe = str(Path(sys.executable).parent / "diffcrysgen")
    return subprocess.run([exe, "sample", *argv, "--threads", "1", "--quiet"], cwd=cwd, capture_output=True, text=True,
                          timeout=600)

def _parts(out: Path) -> pd.DataFrame:
    "Every column of a run's parts, in index order, read part by part (beside `read_generated`)."
    return pd.concat([pd.read_parquet(p) for p in sorted(out.glob("part-*.parquet"))], ignore_index=True)

def test_spacegroup_run_records_and_hits_its_templates(tmp_path):
    out = tmp_path / "sg194"
    res = _cli_run("--spacegroup", "194", "--n", "8", "--fast", "--chunk-size", "4", "--out", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "templates train (space groups 194):" in res.stdout and "% at 0.01 Å; P1" in res.stdout
    rows = _parts(out)
    assert rows["index"].tolist() == list(range(8)) and (rows.template_spacegroup == 194).all()
    drawn = rows.template >= 0                                           # -1: the estimate's own symmetry
    assert rows.template_material_id[drawn].str.startswith("mp-").all() and (rows.template[~drawn] == -1).all()
    assert (rows.template_material_id[~drawn] == "").all()
    v = rows[rows.valid]
    assert len(v) >= 6 and (v.spacegroup == 194).mean() >= 0.75, rows[["spacegroup", "spacegroup_fine"]]
    spec = json.loads((out / "run.json").read_text())["spec"]
    assert spec["sampler"]["templates"] == dict(source="train", spacegroups=[194], pick="random")
    (out / "part-00001.parquet").unlink()                                # resume: the same rows come back
    res = _cli_run("--spacegroup", "194", "--n", "8", "--fast", "--chunk-size", "4", "--out", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    pd.testing.assert_frame_equal(_parts(out), rows, check_exact=True)
    from diffcrysgen.schema import read_generated
    assert read_generated(out)[["template", "template_spacegroup"]].equals(rows[["template", "template_spacegroup"]])

@pytest.mark.parametrize("argv, option, why", [
    (("--spacegroup", "300"), "--spacegroup", "not a space-group number (1–230)"),
    (("--spacegroup", "17"), "--spacegroup", "no template in these groups"),
    (("--spacegroup", "194", "--formula", "FeCoB"), "--formula", "no MP-20 train template of space groups 194"),
    (("--templates", "off", "--spacegroup", "194"), "--spacegroup", "needs templates"),
])
def test_template_errors_are_one_line_exit_2(tmp_path, argv, option, why):
    res = _cli_run(*argv, "--n", "4", "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert res.returncode == 2 and res.stdout == "", res
    assert res.stderr.count("\n") == 1 and f"argument {option}:" in res.stderr and why in res.stderr, res.stderr
    assert not (tmp_path / "x").exists()

def test_formula_template_run(tmp_path, ckpt):
    from dataclasses import replace
    from diffcrysgen.inpaint import matches_target, parse_target
    from diffcrysgen.sample import FAST, summarise
    target = parse_target(formula="Fe2CoB")
    out = generate(4, tmp_path / "f", replace(FAST, templates="train"), ckpt, seed=1, device="cpu", progress=False,
                   target=target)
    rows = _parts(out)
    ok = rows[rows.decode_error == ""]
    assert len(ok) and matches_target(ok.species, target).all()
    assert rows.template_spacegroup.gt(0).all() and summarise(out)["templates"] == "train"

def test_template_same_at_batch_sizes_1_and_4(ckpt):
    from dataclasses import replace
    from diffcrysgen.checkpoints import load_denoiser
    from diffcrysgen.sample import FAST, sample_table
    net, scaler, _ = load_denoiser(ckpt, device="cpu")
    cfg = replace(FAST, templates="train", spacegroups=(139, 191))
    cols = ["template", "template_material_id", "template_spacegroup"]
    four = sample_table(net, scaler, range(4), 3, cfg)[cols]
    ones = pd.concat([sample_table(net, scaler, [i], 3, cfg)[cols] for i in range(4)], ignore_index=True)
    pd.testing.assert_frame_equal(four, ones)
    assert four.template_spacegroup.isin([139, 191]).all()
