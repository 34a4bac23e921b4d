"""Sampling throughput and quality: our end-to-end generation (sample + decode + analyse) vs the reference's.

    .venv/bin/python bench/sample_throughput.py [--n 1024] [--batch-size 256] [--threads 2] [--quality-n 1000] \
        [--rss 10000 100000] [--dask-n 4096] [--no-ref] [--quality-only] [--smoke] [--json FILE]

Prints markdown tables:
1. throughput, end to end (sample + decode + analyse, CIF text included for ours), in structures per wall second and
   per CPU second (`time.process_time`, all threads of the process), for the reference (PyPI `diffcrysgen==0.1.1`
   via bench/_ref.py in its own venv, its default sampler: 100 Heun steps with S_churn = 1, and its own decode and
   analysis; same n, batch size and threads) and for ours at the paper setting and the fast settings. The reference
   ships no weights, so it runs with random weights and its valid rate is its measured rate times the validity of the
   paper setting with our weights (the same sampler algorithm);
2. validity, unique formulas, mean sites and crystal-system mix vs network calls and stepper;
3. peak RSS of `generate` (a fresh child process each, the fast setting, chunked Parquet output with CIF text) for
   each --rss size: memory stays flat as N grows, and the largest run's wall rate is a real end-to-end rate;
4. Dask scaling: `generate` on a LocalCluster of 1 and of 2 single-threaded workers, and the projected wall time for
   the paper's 1,264,466 crystals on one machine and per added worker.
Uses the shipped checkpoint data/checkpoints/mp20-edm.pt when present; otherwise a randomly initialised network of the
default architecture (throughput does not depend on the weights; validity is then meaningless, and the tables say so).
`--smoke` runs a tiny version (a minute or two).
"""
import argparse, json, resource, subprocess, sys, tempfile, time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
PAPER_N = 1_264_466     # candidates generated in the paper


def settings(sharpen: float | None = None) -> list[tuple[str, object]]:
    "Named sampler settings, the paper's first; all but the first two sample the positions at λ = `sharpen` (default SHARPEN, as `diffcrysgen sample`); TURBO is `--fast`."
    from dataclasses import replace
    from diffcrysgen.sample import FAST, SHARPEN, TURBO, SamplerConfig as S
    k = dict(sharpen=SHARPEN if sharpen is None else sharpen); FAST, TURBO = replace(FAST, **k), replace(TURBO, **k)
    return [("paper: heun 100, churn 1, fp32", S(sharpen=1.0)), ("dpm2m 20, bf16, plain (λ = 1)", replace(TURBO, sharpen=1.0)),
            ("heun 100, churn 1, fp32 (`sample` default)", S(**k)), ("heun 50, fp32", S(steps=50, S_churn=0.0, **k)), ("heun 20, fp32 (FAST)", FAST),
            ("heun 10, fp32", S(steps=10, S_churn=0.0, **k)), ("heun 10, bf16", S(steps=10, S_churn=0.0, precision="bf16", **k)),
            ("dpm2m 20, fp32", S(steps=20, S_churn=0.0, solver="dpm2m", **k)), ("dpm2m 20, bf16 (TURBO, --fast)", TURBO),
            ("dpm2m 15, bf16", S(steps=15, S_churn=0.0, solver="dpm2m", precision="bf16", **k)),
            ("dpm2m 10, bf16", S(steps=10, S_churn=0.0, solver="dpm2m", precision="bf16", **k))]


def random_checkpoint(path: Path) -> Path:
    "A checkpoint file of a randomly initialised default-architecture denoiser, with a scaler fitted on the kit train split."
    import torch
    from diffcrysgen.data import encode_table, kit_splits
    from diffcrysgen.denoiser import UNetConfig, build_denoiser, model_args_of
    from diffcrysgen.checkpoints import CKPT_FORMAT
    from diffcrysgen.ircr import IRCRScaler, sigma_data_of
    X = encode_table(kit_splits()["train"]); scaler = IRCRScaler.fit(X)
    torch.manual_seed(0); args = model_args_of(UNetConfig(), sigma_data_of(scaler.transform(X)))
    net = build_denoiser(args)
    torch.save(dict(format=CKPT_FORMAT, model=net.state_dict(), ema=net.state_dict(), model_args=args, scaler=scaler.to_dict()), path)
    return path


def run_setting(net, scaler, cfg, n: int, batch_size: int, cif: bool) -> dict:
    "Sample, decode and analyse n crystals with `cfg`: wall and CPU seconds of each phase, and quality columns."
    import pandas as pd
    from diffcrysgen.analysis import analyse
    from diffcrysgen.sample import decode_samples, sample_scaled
    w = dict(sample=0.0, analysis=0.0); c = dict(sample=0.0, analysis=0.0); frames = []
    for s in range(0, n, batch_size):
        w0, c0 = time.perf_counter(), time.process_time()
        x = sample_scaled(net, range(s, min(s + batch_size, n)), 0, cfg, scaler=scaler)
        w1, c1 = time.perf_counter(), time.process_time()
        frames.append(analyse(decode_samples(x, scaler), cif=cif))
        w2, c2 = time.perf_counter(), time.process_time()
        w["sample"] += w1 - w0; w["analysis"] += w2 - w1; c["sample"] += c1 - c0; c["analysis"] += c2 - c1
    df = pd.concat(frames); v = df[df.valid]; mix = v.crystal_system.value_counts(normalize=True)
    return dict(n=n, calls=cfg.network_calls, wall_s=sum(w.values()), cpu_s=sum(c.values()), sample_wall_s=w["sample"], analysis_wall_s=w["analysis"],
                sample_cpu_s=c["sample"], analysis_cpu_s=c["analysis"], valid=float(df.valid.mean()), decoded=float((df.decode_error == "").mean()),
                unique=int(v.formula.nunique()), mean_sites=float(v.n_sites.mean()) if len(v) else float("nan"),
                p1=float((v.spacegroup == 1).mean()) if len(v) else float("nan"),
                mix=", ".join(f"{k} {100 * p:.0f}%" for k, p in mix.head(3).items()))


def rss_child(ckpt: Path, n: int, batch_size: int, threads: int, workers: int = 0) -> dict:
    "Peak RSS (MiB), wall and CPU time of `generate(n)` with TURBO in a fresh child process."
    cmd = [sys.executable, __file__, "--worker-rss", str(n), "--checkpoint", str(ckpt), "--batch-size", str(batch_size),
           "--threads", str(threads), "--workers", str(workers)]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])


def worker_rss(a) -> None:
    import torch
    from diffcrysgen.sample import TURBO, generate
    torch.set_num_threads(a.threads)
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        generate(a.worker_rss, Path(tmp) / "run", TURBO, a.checkpoint, batch_size=a.batch_size, device="cpu", progress=False, workers=a.workers)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps(dict(n=a.worker_rss, seconds=dt, cpu_s=dc, workers=a.workers, peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))


def fmt_h(seconds: float) -> str:
    "Seconds as hours (or days) with one decimal."
    return f"{seconds / 3600:.1f} h" if seconds < 72 * 3600 else f"{seconds / 86400:.1f} days"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1024, help="crystals per throughput measurement")
    p.add_argument("--batch-size", type=int, default=256); p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quality-n", type=int, default=1000, help="crystals per setting in the quality table")
    p.add_argument("--rss", type=int, nargs="*", default=[10_000, 100_000]); p.add_argument("--dask-n", type=int, default=4096)
    p.add_argument("--no-ref", action="store_true"); p.add_argument("--json", default="", help="also write all numbers to this JSON file")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: a check that the benchmark runs")
    p.add_argument("--sharpen", type=float, default=None, help="λ of the low-temperature positions in all but the first two settings (default: SHARPEN; 1: the tables before 2026-12-02)")
    p.add_argument("--quality-only", action="store_true", help="only the quality-vs-network-calls table (no reference, memory or Dask runs)")
    p.add_argument("--worker-rss", type=int, default=0); p.add_argument("--checkpoint", default=""); p.add_argument("--workers", type=int, default=0)
    a = p.parse_args()
    if a.worker_rss: return worker_rss(a)
    if a.smoke: a.n, a.batch_size, a.quality_n, a.rss, a.dask_n = 16, 8, 16, [40, 80], 32
    import torch
    from diffcrysgen.checkpoints import load_denoiser
    from diffcrysgen.sample import FAST, TURBO, default_checkpoint
    torch.set_num_threads(a.threads)
    tmp = Path(tempfile.mkdtemp()); ckpt = default_checkpoint(); shipped = ckpt.exists()
    if not shipped:
        print(f"NOTE: {ckpt} not found: using a randomly initialised default-architecture network (throughput only; validity meaningless)\n")
        ckpt = random_checkpoint(tmp / "random.pt")
    net, scaler, _ = load_denoiser(ckpt, device="cpu"); out = dict(args=vars(a), shipped=shipped)
    named = settings(a.sharpen); paper_cfg = named[0][1]; fast = [(k, c) for k, c in named if "(FAST)" in k or "(TURBO" in k]

    if not a.quality_only:   # the throughput table (needs an idle machine to mean anything)
        ref = None
        if not a.no_ref and (BENCH / "_ref.py").exists():
            from _ref import run_reference
            try: ref = run_reference("sample", n=a.n, batch_size=a.batch_size, threads=a.threads)
            except Exception as e: print(f"NOTE: reference run failed: {str(e).splitlines()[0]}\n")
        ours = {k: run_setting(net, scaler, c, a.n, a.batch_size, cif=True) for k, c in [named[0], *fast]}
        out.update(reference=ref, ours=ours)
        paper_valid = ours[named[0][0]]["valid"]

        print(f"## End-to-end throughput (n={a.n}, batch {a.batch_size}, {a.threads} threads, CPU; sample + decode + analyse)\n")
        print(f"checkpoint: {'shipped ' + ckpt.name if shipped else 'random weights (no shipped checkpoint)'}; ours includes CIF text, the reference writes none\n")
        print("| implementation | setting | network calls | structures/s (wall) | structures/CPU-s | valid % | valid/CPU-s | vs reference (valid/CPU-s) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        ref_vcpu = None
        if ref:
            r_wall, r_cpu = ref["sample_s"] + ref["analysis_s"], ref["sample_cpu_s"] + ref["analysis_cpu_s"]
            ref_vcpu = ref["n"] * paper_valid / r_cpu
            print(f"| reference 0.1.1 | paper (random weights) | {ref['network_calls_per_batch']:.0f} | {ref['n'] / r_wall:.2f} | {ref['n'] / r_cpu:.2f} | "
                  f"{100 * paper_valid:.1f}* | {ref_vcpu:.2f}* | 1.0 |")
        for k, r in ours.items():
            vc = r["n"] * r["valid"] / r["cpu_s"]
            print(f"| diffcrysgen | {k} | {r['calls']} | {r['n'] / r['wall_s']:.2f} | {r['n'] / r['cpu_s']:.2f} | {100 * r['valid']:.1f} | {vc:.2f} | "
                  f"{'' if ref_vcpu is None else f'{vc / ref_vcpu:.1f}'} |")
        if ref:
            print(f"\n\\* the reference ships no weights: its valid rate is its measured structures/CPU-s × the validity of the paper setting with our weights.")
            print(f"Per network call and structure: reference {1000 * ref['sample_cpu_s'] / ref['n'] / ref['network_calls_per_batch']:.2f} CPU-ms, "
                  f"ours (paper, fp32) {1000 * ours[named[0][0]]['sample_cpu_s'] / a.n / paper_cfg.network_calls:.2f} CPU-ms, "
                  f"ours (TURBO, bf16) {1000 * ours[fast[-1][0]]['sample_cpu_s'] / a.n / TURBO.network_calls:.2f} CPU-ms. "
                  f"Decode + analysis: reference {1000 * ref['analysis_cpu_s'] / ref['n']:.2f} CPU-ms/structure, "
                  f"ours {1000 * ours[named[0][0]]['analysis_cpu_s'] / a.n:.2f} (with CIF text).")
            key = fast[-1][0]; r = ours[key]
            print(f"\nratio (ours {key} / reference, valid structures per CPU-second): {r['n'] * r['valid'] / r['cpu_s'] / ref_vcpu:.1f}")

    print(f"\n## Quality vs network calls (n={a.quality_n}, seed 0{'' if shipped else ', RANDOM WEIGHTS: not meaningful'})\n")
    print("| setting | network calls | valid % | unique formulas (valid) | mean sites (valid) | P1 % (valid) | crystal systems (valid, top 3) | CPU-s |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    qual = {}
    for k, c in named:
        r = qual[k] = run_setting(net, scaler, c, a.quality_n, a.batch_size, cif=False)
        print(f"| {k} | {r['calls']} | {100 * r['valid']:.1f} | {r['unique']} | {r['mean_sites']:.2f} | {100 * r['p1']:.0f} | {r['mix']} | {r['cpu_s']:.0f} |", flush=True)
    out["quality"] = qual

    if a.rss and not a.quality_only:
        print(f"\n## Peak memory of `generate` (TURBO, batch {a.batch_size}, chunks of 1024, Parquet with CIF text, fresh process each)\n")
        print("| N | peak RSS (MiB) | wall s | structures/s (wall) |\n|---:|---:|---:|---:|")
        out["rss"] = []
        for n in a.rss:
            r = rss_child(ckpt, n, a.batch_size, a.threads); out["rss"].append(r)
            print(f"| {n:,} | {r['peak_rss_mib']:.0f} | {r['seconds']:.1f} | {n / r['seconds']:.1f} |", flush=True)
    if a.dask_n and not a.quality_only:
        print(f"\n## Dask: `generate --workers W` (TURBO, n={a.dask_n:,}, LocalCluster of single-threaded workers, this {a.threads}-core machine)\n")
        print("| workers | wall s | structures/s |\n|---:|---:|---:|")
        d = {w: rss_child(ckpt, a.dask_n, a.batch_size, a.threads, workers=w) for w in (1, 2)}; out["dask"] = d
        for w, r in d.items(): print(f"| {w} | {r['seconds']:.1f} | {a.dask_n / r['seconds']:.1f} |")
        r1, r2 = (a.dask_n / d[w]["seconds"] for w in (1, 2))
        machine = a.rss[-1] / out["rss"][-1]["seconds"] if a.rss else r2
        print(f"\nProjection for the paper's {PAPER_N:,} crystals with TURBO, from these measured rates: one {a.threads}-core machine "
              f"({machine:.1f} structures/s, the largest `generate` run above) {fmt_h(PAPER_N / machine)}; each added single-core Dask worker adds "
              f"{r2 - r1:.1f} structures/s (1 → 2 workers here, {100 * (r2 - r1) / r1:.0f} % of the first), so k such workers take about "
              f"{fmt_h(PAPER_N / r1)} / (1 + {(r2 - r1) / r1:.2f}·(k − 1)), e.g. {fmt_h(PAPER_N / (r1 + 15 * (r2 - r1)))} for k = 16.")
    if a.json: Path(a.json).write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
