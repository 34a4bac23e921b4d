"""Issue #14 side probes of one checkpoint: sampler variants, autoguidance, and where P1 comes from.

`python bench/probe_variants.py CKPT --variants turbo,fast,heun50c1 [--guide-by WEAK.pt --w 1.5,2] [--sharpen 1.1] [--snap-guard 0] [--by-size]`
prints one JSON line per variant (the probe's generated-set statistics, `diffcrysgen.probe.set_stats`, on 1,024
crystals, seed 0; raw crystals). `--guide-by` samples D_weak + w (D − D_weak) (autoguidance, Karras et al. 2024)
with the fast sampler (λ = 1); `--sharpen` samples x + λ (D − x) on chosen IRCR rows (the score scaled by λ there; `turbo` itself, as `sample --fast`, does it on the coordinate rows with λ = SHARPEN). `--by-size` adds, for the fast sampler, P1 % by number of sites and at looser spglib tolerances.
"""
import argparse, json, sys, time
from dataclasses import replace
import numpy as np, pandas as pd, torch
from diffcrysgen.analysis import spacegroups
from diffcrysgen.checkpoints import load_denoiser
from diffcrysgen.metrics import crystal_set_from_generated, structure_validity
from diffcrysgen.probe import _real_sets, set_stats
from diffcrysgen.ircr import ROW_C
from diffcrysgen.sample import FAST, SHARPEN, TURBO, SamplerConfig, sample_table, sharpened

PLAIN = replace(TURBO, sharpen=1.0)   # `--fast` without the low-temperature positions
VARIANTS = dict(turbo=TURBO, turbo_plain=PLAIN, **{f"turbo_sharpen{l}": replace(TURBO, sharpen=l) for l in (1.05, 1.2, 1.3, 1.4, 1.5, 1.7, 2.0)}, turbo_fp32=replace(TURBO, precision="fp32"), dpm30=replace(TURBO, steps=30), dpm50=replace(TURBO, steps=50),
                fast=FAST, heun50c1=SamplerConfig(steps=50, S_churn=1.0, sharpen=1.0), paper=SamplerConfig(sharpen=1.0), paper_sharpen=replace(SamplerConfig(), sharpen=SHARPEN), fast_plain=replace(FAST, sharpen=1.0), turbo_smin5e4=replace(TURBO, sigma_min=5e-4))

class AutoGuided(torch.nn.Module):
    "D_weak + w (D − D_weak): a denoiser guided by a weaker version of itself."
    def __init__(self, net, weak, w: float):
        super().__init__(); self.net, self.weak, self.w, self.sigma_data = net, weak, w, net.sigma_data
    def forward(self, x, sigma, cond=None):
        d0 = self.weak(x, sigma); return d0 + self.w * (self.net(x, sigma) - d0)

ROWS = dict(all=slice(0, 136), elc=slice(0, 116), lco=slice(94, 136), lc=slice(94, 116), c=ROW_C, e=slice(0, 94))   # IRCR row blocks; "cocc": `sharpened`

class Sharpened(torch.nn.Module):
    "x + λ (D − x) on IRCR rows `rows` (\"cocc\": the package's `sharpened`, occupied sites' coordinates) at σ ≤ `below`: a low-temperature sampler."
    def __init__(self, net, lam: float, rows: str = "all", below: float = float("inf")):
        super().__init__(); self.net, self.lam, self.rows, self.below, self.sigma_data = net, lam, rows, below, net.sigma_data
    def forward(self, x, sigma, cond=None):
        d = self.net(x, sigma); s = torch.as_tensor(sigma, device=x.device).reshape(-1)
        if float(s.max()) > self.below: return d
        if self.rows == "cocc": return sharpened(x, d, self.lam)
        r = ROWS[self.rows]; d = d.clone(); d[:, :, r] = x[:, :, r] + self.lam * (d[:, :, r] - x[:, :, r]); return d

def sharpened_variant(net, spec: str) -> tuple[str, "Sharpened"]:
    "A variant from 'λ[:rows[:σmax]]', e.g. '1.1', '1.1:c', '1.5:cocc', '1.1:all:1.0'."
    parts = spec.split(":"); lam, rows, below = parts + ["1", "all", "inf"][len(parts):]
    return f"sharpened lam={lam} rows={rows} below={below}", Sharpened(net, float(lam), rows, float(below))

def table(net, scaler, n: int, cfg: SamplerConfig, seed: int = 0, batch: int = 256) -> pd.DataFrame:
    "n generated crystals of seed `seed`, decoded and analysed."
    return pd.concat([sample_table(net, scaler, range(i, min(i + batch, n)), seed, cfg) for i in range(0, n, batch)], ignore_index=True)

def p1_breakdown(cs) -> dict:
    "P1 % of valid crystals by number of sites, and at looser spglib tolerances."
    t = cs.take(np.flatnonzero(structure_validity(cs))); tols = (0.1, 0.3, 0.5, 1.0)
    d = pd.DataFrame({"n": t.num_atoms, **{f"p1_{p}": spacegroups(t.num_atoms, t.atomic_numbers, t.frac_coords, t.cell, p)[0] == 1 for p in tols}})
    bins = pd.cut(d.n, [0, 2, 4, 6, 8, 12, 20])
    return dict(p1_pct_at_symprec={k[3:]: round(100 * d[k].mean(), 1) for k in d if k.startswith("p1_")},
                by_sites={str(b): dict(n=int(len(g)), p1_pct=round(100 * g["p1_0.1"].mean(), 1)) for b, g in d.groupby(bins, observed=True)})

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint"); p.add_argument("--variants", default="turbo", help=f"comma-separated, of {', '.join(VARIANTS)}")
    p.add_argument("--guide-by", help="weaker checkpoint for autoguidance"); p.add_argument("--w", default="1.5,2", help="guidance weights")
    p.add_argument("--sharpen", help=f"score scales λ[:rows[:σmax]], comma-separated, rows of {', '.join(ROWS)}, cocc (low-temperature sampling with the fast sampler)")
    p.add_argument("--snap-guard", type=float, help="override the checkpoint's snap guard (Å; 0: off, as before 2026-12-02)")
    p.add_argument("--by-size", action="store_true"); p.add_argument("--n", type=int, default=1024); p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv); torch.set_num_threads(a.threads)
    bad = [v for v in a.variants.split(",") if v and v not in VARIANTS]
    if bad: p.error(f"--variants {','.join(bad)}: unknown; use {', '.join(VARIANTS)}")
    net, scaler, ck = load_denoiser(a.checkpoint, device="cpu"); _, val = _real_sets(16, 0)
    if a.snap_guard is not None: net.model.sym.cfg.snap_guard = a.snap_guard
    runs = [(v, net, VARIANTS[v]) for v in a.variants.split(",") if v]
    if a.guide_by: weak = load_denoiser(a.guide_by, device="cpu")[0]; runs += [(f"autoguided w={w}", AutoGuided(net, weak, float(w)), PLAIN) for w in a.w.split(",")]
    if a.sharpen: runs += [(*sharpened_variant(net, v), PLAIN) for v in a.sharpen.split(",")]
    for name, model, cfg in runs:
        t = time.time(); df = table(model, scaler, a.n, cfg); cs = crystal_set_from_generated(df, name)
        r = dict(checkpoint=a.checkpoint, step=int(ck.get("step", 0)), variant=name, sampler_sharpen=cfg.sharpen, snap_guard=net.model.sym.cfg.snap_guard, guide_by=a.guide_by if "autoguided" in name else None,
                 sample_s=round(time.time() - t, 1), **{k: round(v, 2) if isinstance(v, float) else v for k, v in set_stats(cs, val).items()})
        if a.by_size: r.update(p1_breakdown(cs))
        print(json.dumps(r), flush=True)
    return 0

if __name__ == "__main__": sys.exit(main())
