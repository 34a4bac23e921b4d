"""Issue #25's choice of the overlap fix: the separation wrapper's modes and settings side by side on the quick probe.

Each variant samples the same 1,024 `sample --fast` crystals (seed 0) of the shipped model with one setting of
`diffcrysgen.separation` (mode, scale of the per-element-pair r_min, the σ below which it acts) and reports the probe's
set statistics against MP-20 test (validity, P1, space groups > 15, distinct compositions, EMDs) plus what the fix is
for: the share of crystals with two atoms closer than 0.5 / 1.0 Å, the median shortest distance, and the size mix.

    .venv/bin/python bench/separation.py [--variants off,push,...] [--n 1024] [--json bench/results/separation-<date>.json]
"""
import argparse, functools, sys, time
from dataclasses import replace
import numpy as np
from _jsonl import emit

SIZE_BINS = ((1, 4), (5, 8), (9, 12), (13, 20))
VARIANTS = {                     # label: (mode, scale, sigma_max)
    "off": ("off", 1.0, 1.0),
    "push": ("push", 1.0, 1.0),
    "push-every-step": ("push", 1.0, 80.0),
    "push-sigma0.3": ("push", 1.0, 0.3),
    "push-0.9rmin": ("push", 0.9, 1.0),          # the kit's default (SeparationConfig)
    "push-1.1rmin": ("push", 1.1, 1.0),
    "vanish": ("vanish", 1.0, 1.0),
    "vanish+push": ("vanish+push", 1.0, 1.0),
}


def shortest(cs) -> np.ndarray:
    "(N,) shortest periodic distance of each crystal that has a structure (nan otherwise), Å."
    from diffcrysgen.analysis import min_distances
    out = np.full(len(cs), np.nan)
    idx = np.flatnonzero(cs.has_structure)
    sub = cs.take(idx)
    out[idx] = min_distances(sub.num_atoms, np.concatenate([sub.sites(i)[1] for i in range(len(sub))]), sub.cell)
    return out


def variant_row(net, scaler, ref, label: str, n: int, seed: int, lam: float | None) -> dict:
    "The probe's statistics and the close-pair shares of one setting."
    import diffcrysgen.sample as smp
    from diffcrysgen.probe import generated_set, set_stats
    from diffcrysgen.separation import SeparationConfig
    mode, scale, sigma_max = VARIANTS[label]
    smp.SeparationConfig = functools.partial(SeparationConfig, scale=scale, sigma_max=sigma_max)
    cfg = replace(smp.TURBO, separation=mode, **({} if lam is None else dict(sharpen=lam)))
    t0 = time.process_time()
    cs = generated_set(net, scaler, n, seed, cfg)
    cpu = time.process_time() - t0
    smp.SeparationConfig = SeparationConfig
    d = shortest(cs)
    sites = cs.num_atoms
    row = dict(variant=label, mode=mode, scale=scale, sigma_max=sigma_max, sample_cpu_s=round(cpu, 1))
    row |= set_stats(cs, ref)
    row |= dict(below_05_pct=100 * float(np.mean(~(d >= 0.5))), below_1_pct=100 * float(np.mean(~(d >= 1.0))),
                median_d_min=float(np.nanmedian(d)), mean_sites=float(np.mean(sites[cs.has_structure])))
    for lo, hi in SIZE_BINS:
        row[f"sites_{lo}_{hi}_pct"] = 100 * float(np.mean((sites >= lo) & (sites <= hi)))
    return row


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated labels of {list(VARIANTS)}")
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sharpen", type=float, default=None, help="λ (default: --fast's)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--checkpoint", default=None, help="a checkpoint other than the shipped one")
    p.add_argument("--json", default=None, help="append one JSON line per variant here")
    a = p.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    from diffcrysgen.checkpoints import load_denoiser
    from diffcrysgen.probe import _real_sets
    from diffcrysgen.sample import checkpoint_path
    net, scaler, _ = load_denoiser(checkpoint_path(a.checkpoint), device="cpu")
    ref = _real_sets(a.n, a.seed)[1]                                          # MP-20 val, as the probe
    for label in a.variants.split(","):
        row = variant_row(net, scaler, ref, label, a.n, a.seed, a.sharpen) | dict(checkpoint=a.checkpoint or "shipped")
        emit(row, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
