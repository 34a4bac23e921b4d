"Data-parallel training with torchrun: 2 CPU processes (gloo) through the same code path as single-process training."
import json, math, shutil, subprocess, sys
from pathlib import Path
import torch

REPO = Path(__file__).resolve().parents[1]


def test_torchrun_two_cpu_processes(tmp_path):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or "torchrun"
    cmd = [torchrun, "--nproc_per_node", "2", "--master_port", "29531", "-m", "diffcrysgen.train",
           "--epochs", "2", "--max_train", "128", "--batch_size", "32", "--run_dir", str(tmp_path), "--threads", "1", "--device", "cpu"]
    res = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    (run,) = list(tmp_path.glob("0*-mp20-edm"))                      # one run folder, written by rank 0 only
    params = json.loads((run / "params.json").read_text())
    assert params["world_size"] == 2
    stats = [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]
    assert [s["epoch"] for s in stats] == [1, 2]
    assert stats[-1]["step"] == 2 * (128 // 32)                       # global batch 32 = 2 ranks × 16
    assert all(math.isfinite(s["train_loss"]) and math.isfinite(s["val_loss"]) for s in stats)
    ck = torch.load(run / "ckpt-last.pt", weights_only=True)
    assert all(torch.isfinite(v).all() for v in ck["model"].values())
    assert not any(k.startswith("module.") for k in ck["model"])      # saved unwrapped: loads without DDP
