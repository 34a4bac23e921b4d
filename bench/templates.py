"""Issue #27: space-group templates projected at sampling time (`templates.templated`), beside the plain sampler.

Every variant samples the same crystals (seed 0) of the shipped model with one sampler (`--sampler`: `turbo`, the
`sample --fast` setting, DPM-Solver++(2M) in bf16; `fast`, deterministic Heun in fp32 (`FAST`); `churn`, `FAST` with
the paper's S_churn = 1), the separation default inside. Template variants wrap the sampler's denoiser with the
projection, outermost:
- `all`, `above0.05`, `all+fill`: one template per crystal drawn from MP-20 train before sampling
  (`draw_templates`), projected where σ ≥ sigma_min (`+fill`: also switching on element columns the template needs);
- `fit`, `fit0.4`, `fit1.2`: the sampler's template mode (`TemplateFit`): free above σ_fit (0.1, 0.4, 1.2), then
  each crystal's template chosen from the model's estimate (its own sites per column if charge-balanced, else a
  charge-balanced template of as many element columns; `FIT_RULES`; own-count templates picked at random) and
  projected from there on; `fit-own`: the same without the charge-balance search (tries = 0);
- `fit-near`: pick "near" (`nearest_rows`): an own-count pick made the estimate's own symmetry at 0.3 Å, else the
  own-count template whose projection moves the estimate least, in a group above 1; `fit-near15`: self and nearest
  only in groups above 15; `fit-near-own`: pick "near" without the charge-balance search (tries = 0);
- `fit-chem`: pick "chem": an own-count pick made the estimate's own symmetry at 0.3 Å when above group 15, else the
  own-count template in a group above 15 whose source crystal's elements are nearest the model's (Pettifor scale),
  the least moved of those;
- `fit-free1`, `fit-free2`: `fit` with the last network call (σ 0.002), or the last two (also 0.0066), not projected:
  the network's own last moves off the template, a rattle it chooses (issue #27: template crystals sit on saddles);
- `+canon`: the network sees the sites in canonical order (by element column, then x, y, z) where the projection
  acts: the state is sorted before each network call and the estimate sorted back (issue #27, item 2).
Reported on the raw decoded crystals (nothing symmetrised after sampling): structural validity (periodic distances ≥
0.5 Å), compositional validity (SMACT), both, P1 and space group > 15 (spglib at 0.1 Å, of the structurally valid),
hit rate (the decoded crystal's group at 0.1 Å, and at 0.01 Å, equals its template's, of the structurally valid),
sites per crystal, and the share whose decoded site count differs from the template's (a site of an element column
the model left empty is dropped by the decoder); for `fit` variants the share of each rule.

    .venv/bin/python bench/templates.py [--n 256] [--variants off,all,above0.05,all+fill,fit,...] [--sampler turbo]
        [--json bench/results/templates-<date>.json] [--csv-dir DIR]

With `--csv-dir`, each variant's crystals relax on the stability protocol with `diffcrysgen evaluate DIR/fit.csv
--no-coverage --stability 256 --workers 2`.
"""
import argparse, dataclasses, sys, time
import numpy as np
from _jsonl import emit

# label: how templates are given (None: no templates), sigma_min, fill_columns, sigma_fit, tries, canonical order
_DRAW = dict(mode="draw", sigma_min=0.0, fill=False, canon=False)
_FIT = dict(mode="fit", sigma_fit=0.1, tries=64, canon=False, pick="random", min_group=1)
_NEAR = _FIT | dict(pick="near")
VARIANTS = {"off": None, "all": _DRAW, "above0.05": _DRAW | dict(sigma_min=0.05), "all+fill": _DRAW | dict(fill=True),
            "all+canon": _DRAW | dict(canon=True), "fit": _FIT, "fit0.4": _FIT | dict(sigma_fit=0.4),
            "fit1.2": _FIT | dict(sigma_fit=1.2), "fit-own": _FIT | dict(tries=0), "fit+canon": _FIT | dict(canon=True),
            "fit-near": _NEAR, "fit-near15": _NEAR | dict(min_group=15), "fit-near-own": _NEAR | dict(tries=0),
            "fit-chem": _FIT | dict(pick="chem"), "fit-free1": _FIT | dict(sigma_min=0.003),
            "fit-free2": _FIT | dict(sigma_min=0.01)}
SAMPLERS = ("turbo", "fast", "churn")


def canonical(D, lo, hi, sigma_max: float = float("inf")):
    "D whose network sees the sites sorted by (element column, x, y, z) where σ ≤ sigma_max; estimates sorted back."
    import torch
    from diffcrysgen.ircr import ROW_C, ROW_O
    from diffcrysgen.symmetry import _physical
    lo_t, hi_t = torch.as_tensor(lo), torch.as_tensor(hi)
    def D_c(x, sigma):
        if float(torch.as_tensor(sigma).max()) > sigma_max:
            return D(x, sigma)
        u = _physical(x, lo_t, hi_t)[1]
        occ = u[..., ROW_O].numpy()                                    # (B, 3, 20)
        col = np.where(occ.max(1) > 0.5, occ.argmax(1), 3)             # empty sites last
        f = u[..., ROW_C].numpy() % 1.0
        perm = np.stack([np.lexsort((f[b, 2], f[b, 1], f[b, 0], col[b])) for b in range(len(x))])
        rows = np.concatenate([ROW_C.start + perm, ROW_O.start + perm], 1)  # (B, 40): source row of each slot
        idx = torch.as_tensor(rows)[:, None, :].expand(-1, x.shape[1], -1)
        slots = slice(ROW_C.start, ROW_O.stop)
        xs = x.clone()
        xs[..., slots] = torch.gather(x, 2, idx)
        d = D(xs, sigma)
        out = d.clone()
        out.scatter_(2, idx, d[..., slots])
        return out
    return D_c


def sample(net, scaler, n: int, seed: int, variant: dict | None, batch: int, sampler: str):
    "Decoded and analysed crystals 0…n−1 (a DataFrame) and their templates (None without)."
    import pandas as pd
    import torch
    from diffcrysgen.analysis import analyse
    from diffcrysgen.ircr import N_COMP, N_GEN
    from diffcrysgen.sample import (FAST, TURBO, sample_generators, randn_per_sample, sampler_denoiser, dpm_solver_2m,
                                    edm_sampler, decode_samples)
    from diffcrysgen.templates import TemplateFit, draw_templates, load_templates, template_batch, templated
    cfg = {"turbo": TURBO, "fast": FAST, "churn": dataclasses.replace(FAST, S_churn=1.0)}[sampler]
    mode = None if variant is None else variant["mode"]
    drawn = draw_templates(n, seed) if mode == "draw" else None
    parts, rows = [], []
    for start in range(0, n, batch):
        idx = range(start, min(n, start + batch))
        gens = sample_generators(seed, idx)
        latents = randn_per_sample(gens, (N_COMP, N_GEN))
        D = sampler_denoiser(net, cfg, scaler=scaler)
        if mode is not None and variant["canon"]:
            D = canonical(D, scaler.lo, scaler.hi, variant.get("sigma_fit", float("inf")))
        if mode == "draw":
            T = template_batch(drawn.iloc[idx.start:idx.stop])
            D = templated(D, scaler.lo, scaler.hi, T, sigma_min=variant["sigma_min"], fill_columns=variant["fill"])
        if mode == "fit":
            T = TemplateFit(load_templates(), list(idx), seed, variant["sigma_fit"], variant["tries"],
                            pick=variant["pick"], min_group=variant["min_group"])
            D = templated(D, scaler.lo, scaler.hi, T, sigma_min=variant.get("sigma_min", 0.0))
        with torch.no_grad():
            if cfg.solver == "dpm2m":
                x = dpm_solver_2m(D, latents, cfg.sigmas())
            else:
                x = edm_sampler(D, latents, cfg.sigmas(), cfg.S_churn, cfg.S_min, cfg.S_max, cfg.S_noise, gens)
        parts.append(analyse(decode_samples(x, scaler)))
        if mode == "fit":
            rows.append(T.rows)
    df = pd.concat(parts, ignore_index=True)
    df.insert(0, "index", np.arange(n))
    return df, (pd.concat(rows, ignore_index=True) if rows else drawn)


def stats(df, rows) -> dict:
    "The numbers of one variant."
    from diffcrysgen.analysis import composition_valid, generated_arrays, spacegroups
    ok = df.valid.to_numpy()
    sg = df.spacegroup.to_numpy()
    out = dict(n=len(df), struct_valid_pct=100 * ok.mean(),
               comp_valid_pct=100 * composition_valid(df.formula).mean(),
               both_valid_pct=100 * (ok & composition_valid(df.formula)).mean(),
               p1_of_valid_pct=100 * (sg[ok] == 1).mean(), sg_over_15_of_valid_pct=100 * (sg[ok] > 15).mean(),
               mean_sites=float(df.n_sites[df.decode_error == ""].mean()))
    if rows is None:
        return out
    want = rows.spacegroup.to_numpy()
    dec = df[df.decode_error == ""]
    fine = np.zeros(len(df), int)
    fine[dec.index] = spacegroups(*generated_arrays(dec), symprec=0.01)[0]
    out |= dict(hit_01_of_valid_pct=100 * (sg[ok] == want[ok]).mean(),
                hit_001_of_valid_pct=100 * (fine[ok] == want[ok]).mean(),
                sites_lost_pct=100 * (df.n_sites.to_numpy() != rows.num_sites.to_numpy()).mean(),
                template_sg_over_15_pct=100 * (want > 15).mean(), template_p1_pct=100 * (want == 1).mean())
    if "fit" in rows:
        out |= {f"fit_{k.replace(' ', '_')}_pct": 100 * v for k, v in rows.fit.value_counts(normalize=True).items()}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default="off,all,fit", help=f"comma-separated labels of {list(VARIANTS)}")
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--sampler", default="turbo", choices=SAMPLERS)
    p.add_argument("--json", default=None, help="append one JSON line per variant here")
    p.add_argument("--csv-dir", default=None,
                   help="also write each variant's crystals here as VARIANT.csv (id, cif) for `diffcrysgen evaluate`")
    a = p.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from diffcrysgen.checkpoints import load_denoiser
    from diffcrysgen.sample import checkpoint_path
    net, scaler, _ = load_denoiser(checkpoint_path(None), device="cpu")
    for label in a.variants.split(","):
        t0 = time.time()
        v = VARIANTS[label]
        df, rows = sample(net, scaler, a.n, a.seed, v, a.batch, a.sampler)
        if a.csv_dir:
            from pathlib import Path
            Path(a.csv_dir).mkdir(parents=True, exist_ok=True)
            out = df.assign(id=[f"{label}-{i}" for i in df["index"]])[["id", "cif"]]
            out[df.cif != ""].to_csv(Path(a.csv_dir) / f"{label}.csv", index=False)
        row = dict(variant=label, sampler=a.sampler, seed=a.seed, wall_s=round(time.time() - t0, 1))
        row |= {k: round(x, 2) if isinstance(x, float) else x for k, x in stats(df, rows).items()}
        emit(row, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
