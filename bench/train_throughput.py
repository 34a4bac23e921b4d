"""Training throughput: our EDM training step vs the reference implementation's, side by side.

    .venv/bin/python bench/train_throughput.py [--batch-size 64] [--steps 30] [--warmup 5] [--threads 2] [--repeats 3]

Both sides run as child processes of this script on the same machine, interleaved (reference, ours fp32, ours bf16,
then again), each with the same number of threads and batch size; the table reports the median samples/s of the
repeats and the ratio to the reference. Our step is the one `diffcrysgen.train` runs: EDM loss, backward, Adam, EMA
update. The reference step is its `Model(UNet(...))` loss, backward, Adam (see bench/ref_worker.py). Needs the
reference venv: `bash bench/ref_env.sh`.
"""
import argparse, json, statistics, subprocess, sys, time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def ours(batch_size: int, steps: int, warmup: int, threads: int, precision: str) -> dict:
    "Samples/s of our training step (runs in this process)."
    import torch
    from diffcrysgen.denoiser import EDMPrecond, UNet1d, UNetConfig, edm_loss
    from diffcrysgen.train import ema_update
    torch.set_num_threads(threads); torch.manual_seed(0)
    net = EDMPrecond(UNet1d(UNetConfig()), sigma_data=0.5); ema = EDMPrecond(UNet1d(UNetConfig()), 0.5).requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), lr=5e-4)
    x = torch.rand(batch_size, 3, 136) * 2 - 1
    for i in range(warmup + steps):
        if i == warmup: t = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = edm_loss(net, x).float().mean()
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); ema_update(ema, net, 0.999)
    dt = time.perf_counter() - t
    return dict(impl="ours", precision=precision, samples_per_s=batch_size * steps / dt,
                params=sum(p.numel() for p in net.parameters()), batch_size=batch_size, threads=threads)


def _child(precision: str, a) -> dict:
    "Run `ours` in a fresh child process and parse its JSON line."
    cmd = [sys.executable, __file__, "--worker", precision, "--batch-size", str(a.batch_size), "--steps", str(a.steps),
           "--warmup", str(a.warmup), "--threads", str(a.threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument("--batch-size", type=int, default=64); p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5); p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3); p.add_argument("--worker", default="")
    a = p.parse_args()
    if a.worker: print(json.dumps(ours(a.batch_size, a.steps, a.warmup, a.threads, a.worker))); return
    from _ref import run_reference
    res = {"reference": [], "fp32": [], "bf16": []}; meta = {}
    for r in range(a.repeats):
        ref = run_reference("train", batch_size=a.batch_size, steps=a.steps, warmup=a.warmup, threads=a.threads)
        res["reference"].append(ref["samples_per_s"]); meta["reference"] = ref
        for prec in ("fp32", "bf16"):
            o = _child(prec, a); res[prec].append(o["samples_per_s"]); meta[prec] = o
        print(f"repeat {r + 1}/{a.repeats}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in res.items()), file=sys.stderr)
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"\nTraining step, batch {a.batch_size}, {a.threads} threads, {a.steps} timed steps, median of {a.repeats} interleaved repeats\n")
    print("| implementation | precision | parameters | samples/s | ratio vs reference |")
    print("|---|---|---|---|---|")
    print(f"| reference (diffcrysgen 0.1.1) | fp32 | {meta['reference'].get('params', '?'):,} | {med['reference']:.0f} | 1.00 |")
    for prec in ("fp32", "bf16"):
        print(f"| diffcrysgen (this kit) | {prec} | {meta[prec]['params']:,} | {med[prec]:.0f} | {med[prec] / med['reference']:.2f} |")
    print(f"\nratio (ours bf16 / reference): {med['bf16'] / med['reference']:.2f}")


if __name__ == "__main__":
    main()
