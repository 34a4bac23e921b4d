"""Sampling throughput and quality: our end-to-end generation (sample + decode + analyse) vs the reference's.

    .venv/bin/python bench/sample_throughput.py [--n 1024] [--batch-size 256] [--threads 2] [--quality-n 1000] \
        [--rss 10000 100000] [--no-ref] [--smoke]

Prints markdown tables:
1. throughput: our structures/s end to end (paper sampler, 199 network calls) and valid structures/s, split into
   sampling and decode + analysis; the reference's numbers (PyPI `diffcrysgen==0.1.1`, via bench/_ref.py, same n,
   batch size and threads, random weights) side by side with the ratio;
2. validity, unique formulas and crystal-system mix vs network calls (199 = paper: 100 Heun steps with churn;
   99, 39, 19 = deterministic Heun with 50, 20, 10 steps);
3. peak RSS of `generate` (a fresh child process each, 19 network calls, chunked Parquet output) for each --rss size,
   to show memory stays flat as N grows.
Uses the shipped checkpoint data/checkpoints/mp20-edm.pt when present; otherwise a randomly initialised network of the
default architecture (throughput does not depend on the weights; validity is then meaningless, and the tables say so).
`--smoke` runs a tiny version (seconds to a minute).
"""
import argparse, json, resource, subprocess, sys, tempfile, time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
SETTINGS = [(199, dict(steps=100, S_churn=1.0)), (99, dict(steps=50, S_churn=0.0)), (39, dict(steps=20, S_churn=0.0)), (19, dict(steps=10, S_churn=0.0))]


def random_checkpoint(path: Path) -> Path:
    "A checkpoint file of a randomly initialised default-architecture denoiser, with a scaler fitted on the kit train split."
    import torch
    from diffcrysgen.data import encode_table, kit_splits
    from diffcrysgen.denoiser import CKPT_FORMAT, UNetConfig, build_denoiser, model_args_of
    from diffcrysgen.ircr import IRCRScaler, sigma_data_of
    X = encode_table(kit_splits()["train"]); scaler = IRCRScaler.fit(X)
    torch.manual_seed(0); args = model_args_of(UNetConfig(), sigma_data_of(scaler.transform(X)))
    net = build_denoiser(args)
    torch.save(dict(format=CKPT_FORMAT, model=net.state_dict(), ema=net.state_dict(), model_args=args, scaler=scaler.to_dict()), path)
    return path


def throughput(ckpt: Path, n: int, batch_size: int) -> dict:
    "Our structures/s: sampling (paper setting) and decode + analysis timed separately over n crystals."
    from diffcrysgen.analysis import analyse
    from diffcrysgen.denoiser import load_denoiser
    from diffcrysgen.sample import SamplerConfig, decode_samples, sample_scaled
    net, scaler, _ = load_denoiser(ckpt, device="cpu"); cfg = SamplerConfig(); ts = ta = 0.0; valid = 0
    for s in range(0, n, batch_size):
        t0 = time.perf_counter(); x = sample_scaled(net, range(s, min(s + batch_size, n)), 0, cfg); t1 = time.perf_counter()
        df = analyse(decode_samples(x, scaler)); t2 = time.perf_counter()
        ts += t1 - t0; ta += t2 - t1; valid += int(df.valid.sum())
    return dict(n=n, sample_s=ts, analysis_s=ta, structures_per_s=n / (ts + ta), valid_per_s=valid / (ts + ta),
                sample_structures_per_s=n / ts, analysis_ms_per_structure=1000 * ta / n, valid=valid)


def quality(ckpt: Path, n: int, batch_size: int) -> list[dict]:
    "Decoded %, valid %, unique formulas and crystal-system mix for each sampler setting."
    import pandas as pd
    from diffcrysgen.analysis import analyse
    from diffcrysgen.denoiser import load_denoiser
    from diffcrysgen.sample import SamplerConfig, decode_samples, sample_scaled
    net, scaler, _ = load_denoiser(ckpt, device="cpu"); rows = []
    for calls, kw in SETTINGS:
        cfg = SamplerConfig(**kw); assert cfg.network_calls == calls; t0 = time.perf_counter()
        df = pd.concat([analyse(decode_samples(sample_scaled(net, range(s, min(s + batch_size, n)), 0, cfg), scaler), cif=False)
                        for s in range(0, n, batch_size)])
        v = df[df.valid]; mix = v.crystal_system.value_counts(normalize=True)
        rows.append(dict(calls=calls, setting=f"{cfg.steps} steps, S_churn={cfg.S_churn:g}", decoded=100 * (df.decode_error == "").mean(),
                         valid=100 * df.valid.mean(), unique=v.formula.nunique(), seconds=time.perf_counter() - t0,
                         mix=", ".join(f"{k} {100 * p:.0f}%" for k, p in mix.items())))
    return rows


def rss_child(ckpt: Path, n: int, batch_size: int, threads: int) -> dict:
    "Peak RSS (MiB) and time of `generate(n)` in a fresh child process."
    cmd = [sys.executable, __file__, "--worker-rss", str(n), "--checkpoint", str(ckpt), "--batch-size", str(batch_size), "--threads", str(threads)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])


def worker_rss(a) -> None:
    import torch
    from diffcrysgen.sample import SamplerConfig, generate
    torch.set_num_threads(a.threads)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        generate(a.worker_rss, Path(tmp) / "run", SamplerConfig(steps=10, S_churn=0.0), a.checkpoint, batch_size=a.batch_size, device="cpu", progress=False)
        dt = time.perf_counter() - t0
    print(json.dumps(dict(n=a.worker_rss, seconds=dt, peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1024); p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2); p.add_argument("--quality-n", type=int, default=1000)
    p.add_argument("--rss", type=int, nargs="*", default=[10_000, 100_000]); p.add_argument("--no-ref", action="store_true")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: a check that the benchmark runs")
    p.add_argument("--worker-rss", type=int, default=0); p.add_argument("--checkpoint", default="")
    a = p.parse_args()
    if a.worker_rss: return worker_rss(a)
    if a.smoke: a.n, a.batch_size, a.quality_n, a.rss = 16, 8, 8, [40, 80]
    import torch
    from diffcrysgen.sample import default_checkpoint
    torch.set_num_threads(a.threads)
    tmp = Path(tempfile.mkdtemp()); ckpt = default_checkpoint(); shipped = ckpt.exists()
    if not shipped:
        print(f"NOTE: {ckpt} not found: using a randomly initialised default-architecture network (throughput only; validity meaningless)\n")
        ckpt = random_checkpoint(tmp / "random.pt")
    ours = throughput(ckpt, a.n, a.batch_size)
    ref = None
    if not a.no_ref and (BENCH / "_ref.py").exists():
        from _ref import run_reference
        try: ref = run_reference("sample", n=a.n, batch_size=a.batch_size, threads=a.threads)
        except Exception as e: print(f"NOTE: reference run failed: {str(e).splitlines()[0]}\n")
    print(f"## Sampling throughput (n={a.n}, batch {a.batch_size}, {a.threads} threads, CPU, fp32, 199 network calls)\n")
    print(f"checkpoint: {'shipped ' + str(ckpt) if shipped else 'random weights (no shipped checkpoint)'}\n")
    print("| metric | ours | reference | ours / reference |\n|---|---:|---:|---:|")
    r_e2e = ref and ref["n"] / (ref["sample_s"] + ref["analysis_s"])
    for name, o, r in [("structures/s, end to end", ours["structures_per_s"], r_e2e),
                       ("structures/s, sampling only", ours["sample_structures_per_s"], ref and ref["sample_structures_per_s"]),
                       ("decode + analysis, ms/structure", ours["analysis_ms_per_structure"], ref and ref["analysis_ms_per_structure"]),
                       ("valid structures/s" + ("" if shipped else " (random weights)"), ours["valid_per_s"], None)]:
        print(f"| {name} | {o:.2f} | {'' if r is None else f'{r:.2f}'} | {'' if r is None else f'{o / r:.2f}'} |")
    if ref: print(f"\nreference network calls per batch: {ref['network_calls_per_batch']:.0f}")
    print(f"\n## Quality vs network calls (n={a.quality_n}, seed 0{'' if shipped else ', RANDOM WEIGHTS: not meaningful'})\n")
    print("| network calls | setting | decoded % | valid % | unique formulas (valid) | crystal systems (valid) | s |\n|---:|---|---:|---:|---:|---|---:|")
    for r in quality(ckpt, a.quality_n, a.batch_size):
        print(f"| {r['calls']} | {r['setting']} | {r['decoded']:.1f} | {r['valid']:.1f} | {r['unique']} | {r['mix']} | {r['seconds']:.1f} |")
    if a.rss:
        print("\n## Peak memory of `generate` (19 network calls, chunks of 1024, fresh process each)\n")
        print("| N | peak RSS (MiB) | s |\n|---:|---:|---:|")
        for n in a.rss:
            r = rss_child(ckpt, n, a.batch_size, a.threads); print(f"| {n:,} | {r['peak_rss_mib']:.0f} | {r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
