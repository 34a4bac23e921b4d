"""Issue #27: space-group templates projected at sampling time (`templates.templated`), beside the plain sampler.

Every variant samples the same crystals (`sample --fast`: TURBO, seed 0) of the shipped model; the template variants
draw one template per crystal from MP-20 train (`draw_templates`, seeded per crystal) and wrap the sampler's denoiser
(`sampler_denoiser`: precision, low temperature, separation) with the projection, outermost, where σ ≥ sigma_min
(`all+fill`: also switching on element columns the template needs, `fill_columns`).
Reported on the raw decoded crystals (nothing symmetrised after sampling): structural validity (periodic distances ≥
0.5 Å), compositional validity (SMACT), P1 and space group > 15 (spglib at 0.1 Å, of the structurally valid), hit rate
(the decoded crystal's group at 0.1 Å, and at 0.01 Å, equals its template's, of the structurally valid), sites per
crystal, and the share whose decoded site count differs from the template's (a site of an element column the model
left empty is dropped by the decoder).

    .venv/bin/python bench/templates.py [--n 256] [--variants off,all,above0.05,all+fill]
        [--json bench/results/templates-<date>.json]
"""
import argparse, json, sys, time
import numpy as np

# label: (sigma_min of the projection, fill_columns); None: no templates
VARIANTS = {"off": None, "all": (0.0, False), "above0.05": (0.05, False), "all+fill": (0.0, True)}


def sample(net, scaler, n: int, seed: int, variant: tuple | None, batch: int):
    "Decoded and analysed crystals 0…n−1 (a DataFrame) and their templates (None without)."
    import pandas as pd
    import torch
    from diffcrysgen.analysis import analyse
    from diffcrysgen.ircr import N_COMP, N_GEN
    from diffcrysgen.sample import (TURBO, sample_generators, randn_per_sample, sampler_denoiser, dpm_solver_2m,
                                    decode_samples)
    from diffcrysgen.templates import draw_templates, template_batch, templated
    rows = draw_templates(n, seed) if variant is not None else None
    parts = []
    for start in range(0, n, batch):
        idx = range(start, min(n, start + batch))
        latents = randn_per_sample(sample_generators(seed, idx), (N_COMP, N_GEN))
        D = sampler_denoiser(net, TURBO, scaler=scaler)
        if rows is not None:
            T = template_batch(rows.iloc[idx.start:idx.stop])
            D = templated(D, scaler.lo, scaler.hi, T, sigma_min=variant[0], fill_columns=variant[1])
        with torch.no_grad():
            x = dpm_solver_2m(D, latents, TURBO.sigmas())
        parts.append(analyse(decode_samples(x, scaler)))
    df = pd.concat(parts, ignore_index=True)
    df.insert(0, "index", np.arange(n))
    return df, rows


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
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated labels of {list(VARIANTS)}")
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--json", default=None, help="append one JSON line per variant here")
    a = p.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    from diffcrysgen.checkpoints import load_denoiser
    from diffcrysgen.sample import checkpoint_path
    net, scaler, _ = load_denoiser(checkpoint_path(None), device="cpu")
    for label in a.variants.split(","):
        t0 = time.time()
        df, rows = sample(net, scaler, a.n, a.seed, VARIANTS[label], a.batch)
        v = VARIANTS[label] or (None, None)
        row = dict(variant=label, sigma_min=v[0], fill_columns=v[1], seed=a.seed, wall_s=round(time.time() - t0, 1))
        row |= {k: round(v, 2) if isinstance(v, float) else v for k, v in stats(df, rows).items()}
        print(json.dumps(row), flush=True)
        if a.json:
            with open(a.json, "a") as f:
                f.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
