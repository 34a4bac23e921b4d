"""Training throughput: our EDM training step vs the reference implementation's, side by side.

    .venv/bin/python bench/train_throughput.py [--batch-size 64] [--steps 30] [--warmup 5] [--threads 2] [--repeats 3] \
        [--device cpu|cuda] [--compile] [--flops]

Both sides run as child processes of this script on the same machine, interleaved (reference, ours fp32, ours bf16,
with --compile also ours bf16 + torch.compile, then again), each with the same number of threads, batch size and
device; the table reports the median samples/s of the repeats and the ratio to the reference. Our step is the one
`diffcrysgen.train` runs (`TrainConfig(precision=..., torch_compile=...)`): EDM loss, backward, Adam, EMA update. The
reference step is its `Model(UNet(...))` loss, backward, Adam (see bench/ref_worker.py). `--flops` also counts the
FLOPs of one forward + backward per sample of both networks (torch.utils.flop_counter), to show the two do equal work.
Needs the reference venv: `bash bench/ref_env.sh`.
"""
import argparse, json, statistics, subprocess, sys, time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def ours(batch_size: int, steps: int, warmup: int, threads: int, variant: str, device: str) -> dict:
    "Samples/s of our training step (runs in this process); variant: fp32, bf16 or bf16+compile."
    import torch
    from diffcrysgen.denoiser import EDMPrecond, UNet1d, UNetConfig, edm_loss
    from diffcrysgen.train import ema_update
    torch.set_num_threads(threads); torch.manual_seed(0); dev = torch.device(device)
    net = EDMPrecond(UNet1d(UNetConfig()), sigma_data=0.5).to(dev); ema = EDMPrecond(UNet1d(UNetConfig()), 0.5).to(dev).requires_grad_(False)
    fwd = torch.compile(net) if variant.endswith("compile") else net
    opt = torch.optim.Adam(net.parameters(), lr=5e-4)
    x = (torch.rand(batch_size, 3, 136) * 2 - 1).to(dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for i in range(warmup + steps):
        if i == warmup: sync(); t = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=variant.startswith("bf16")):
            loss = edm_loss(fwd, x).float().mean()
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); ema_update(ema, net, 0.999)
    sync(); dt = time.perf_counter() - t
    return dict(impl="ours", variant=variant, samples_per_s=batch_size * steps / dt,
                params=sum(p.numel() for p in net.parameters()), batch_size=batch_size, threads=threads, device=device)


def flops_ours() -> float:
    "MFLOP per sample of one forward + backward of our default denoiser."
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from diffcrysgen.denoiser import EDMPrecond, UNet1d, UNetConfig
    net = EDMPrecond(UNet1d(UNetConfig()), 0.5); x = torch.randn(64, 3, 136, requires_grad=True)
    with FlopCounterMode(display=False) as fc: net(x, torch.rand(64) + 0.1).sum().backward()
    return fc.get_total_flops() / 64 / 1e6


def _child(variant: str, a) -> dict:
    "Run `ours` in a fresh child process and parse its JSON line."
    cmd = [sys.executable, __file__, "--worker", variant, "--batch-size", str(a.batch_size), "--steps", str(a.steps),
           "--warmup", str(a.warmup), "--threads", str(a.threads), "--device", a.device]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument("--batch-size", type=int, default=64); p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5); p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3); p.add_argument("--device", default="cpu")
    p.add_argument("--compile", action="store_true", help="also time bf16 + torch.compile (a minute of warm-up per repeat on CPU)")
    p.add_argument("--flops", action="store_true"); p.add_argument("--worker", default="")
    a = p.parse_args()
    if a.worker: print(json.dumps(ours(a.batch_size, a.steps, a.warmup, a.threads, a.worker, a.device))); return
    from _ref import run_reference
    variants = ["fp32", "bf16"] + (["bf16+compile"] if a.compile else [])
    res = {"reference": [], **{v: [] for v in variants}}; meta = {}
    for r in range(a.repeats):
        ref = run_reference("train", batch_size=a.batch_size, steps=a.steps, warmup=a.warmup, threads=a.threads, device=a.device)
        res["reference"].append(ref["samples_per_s"]); meta["reference"] = ref
        for v in variants:
            o = _child(v, a); res[v].append(o["samples_per_s"]); meta[v] = o
        print(f"repeat {r + 1}/{a.repeats}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in res.items()), file=sys.stderr)
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"\nTraining step, batch {a.batch_size}, {a.device}, {a.threads} threads, {a.steps} timed steps after {a.warmup} warm-up, "
          f"median of {a.repeats} interleaved repeats\n")
    print("| implementation | variant | parameters | samples/s | ratio vs reference |")
    print("|---|---|---|---|---|")
    print(f"| reference (diffcrysgen 0.1.1) | fp32 | {meta['reference'].get('params', '?'):,} | {med['reference']:.0f} | 1.00 |")
    for v in variants:
        print(f"| diffcrysgen (this kit) | {v} | {meta[v]['params']:,} | {med[v]:.0f} | {med[v] / med['reference']:.2f} |")
    best = max(variants, key=lambda v: med[v])
    print(f"\nratio (ours {best} / reference): {med[best] / med['reference']:.2f}")
    if a.flops:
        print(f"FLOPs of one forward + backward per sample: ours {flops_ours():.0f} MFLOP, reference {run_reference('flops')['mflop_per_sample']:.0f} MFLOP")


if __name__ == "__main__":
    main()
