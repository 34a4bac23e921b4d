"""Where the generated crystals' close atom pairs are (issue #25, diagnosis): the shortest periodic distance of each
crystal, the pair that makes it (same element or not, a duplicate of one site or not) and how it depends on crystal
size, for the shipped model's `sample --fast` crystals at the kit's λ and with the plain sampler, beside MP-20 test.

    .venv/bin/python bench/close_pairs.py [--n 1024] [--seed 0] [--json bench/results/close-pairs-<date>.json]
"""
import argparse, json, sys, time
from dataclasses import replace
import numpy as np
import pandas as pd

SIZE_BINS = [(1, 4), (5, 8), (9, 12), (13, 16), (17, 20)]
CUTS = (0.5, 1.0, 1.5)   # Å
DUPLICATE = 0.1          # Å: two sites this close are one site written twice


def closest_pairs(num_atoms: np.ndarray, atomic_numbers: np.ndarray, frac_coords: np.ndarray,
                  cell: np.ndarray) -> pd.DataFrame:
    "One row per crystal: sites, shortest distance between two different sites (Å) and whether they share an element."
    from diffcrysgen.analysis import distance_matrices
    D = distance_matrices(num_atoms, frac_coords, cell, exact="all")            # (N, S, S)
    n, S = len(num_atoms), D.shape[1]
    D[:, np.arange(S), np.arange(S)] = np.inf                                   # pairs of different sites only
    flat = D.reshape(n, -1).argmin(1)
    i, j = flat // S, flat % S
    start = np.concatenate([[0], np.cumsum(num_atoms)[:-1]])
    z = np.asarray(atomic_numbers)
    zi = z[start + np.minimum(i, num_atoms - 1)]
    zj = z[start + np.minimum(j, num_atoms - 1)]
    d = D.reshape(n, -1)[np.arange(n), flat]
    return pd.DataFrame(dict(sites=num_atoms, d_min=d, same_element=(zi == zj) & np.isfinite(d)))


def summary(t: pd.DataFrame) -> dict:
    "Shares of crystals below each cut, the median shortest distance, and what the close pairs are."
    close = t[t.d_min < 1.0]
    out = {f"below_{c:g}_pct": 100 * float((t.d_min < c).mean()) for c in CUTS}
    out |= dict(n=len(t), median_d_min=float(t.d_min[np.isfinite(t.d_min)].median()),
                same_element_pct_of_close=100 * float(close.same_element.mean()) if len(close) else float("nan"),
                duplicate_pct_of_close=100 * float((close.d_min < DUPLICATE).mean()) if len(close) else float("nan"),
                median_sites_close=float(close.sites.median()) if len(close) else float("nan"),
                median_sites_rest=float(t[t.d_min >= 1.0].sites.median()))
    for lo, hi in SIZE_BINS:
        b = t[(t.sites >= lo) & (t.sites <= hi)]
        out[f"below_1_pct_sites_{lo}_{hi}"] = 100 * float((b.d_min < 1.0).mean()) if len(b) else float("nan")
    return out


def generated(n: int, seed: int, lam: float) -> pd.DataFrame:
    "Closest pairs of n `--fast` crystals of the shipped model at λ (decoded ones)."
    from diffcrysgen.analysis import generated_arrays
    from diffcrysgen.checkpoints import load_denoiser
    from diffcrysgen.sample import TURBO, checkpoint_path, sample_table
    net, scaler, _ = load_denoiser(checkpoint_path(), device="cpu")
    cfg = replace(TURBO, sharpen=lam)
    frames = [sample_table(net, scaler, range(s, min(s + 256, n)), seed, cfg) for s in range(0, n, 256)]
    df = pd.concat(frames, ignore_index=True)
    return closest_pairs(*generated_arrays(df[df.decode_error == ""]))


def real() -> pd.DataFrame:
    "Closest pairs of the MP-20 test crystals."
    from diffcrysgen.data import load_mp20, table_arrays
    return closest_pairs(*table_arrays(load_mp20("test")))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1024, help="generated crystals per setting")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="write the rows as JSON here")
    a = p.parse_args(argv)
    t0 = time.time()
    rows = {"MP-20 test (real)": summary(real()),
            "shipped, --fast, λ 1.5 (kit default)": summary(generated(a.n, a.seed, 1.5)),
            "shipped, --fast, λ 1 (plain)": summary(generated(a.n, a.seed, 1.0))}
    table = pd.DataFrame(rows).T
    print(table.to_markdown(floatfmt=".1f"))
    print(f"\n{time.time() - t0:.0f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(args=vars(a), rows=rows), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
