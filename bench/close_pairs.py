"""Where the generated crystals' close atom pairs come from (issue #25, diagnosis): the shortest periodic distance of
each crystal, the pair that makes it (same element or not, a duplicate of one site or not, against the two elements'
covalent radii) and how it depends on crystal size, for the shipped model's `sample --fast` crystals at the kit's λ
and with the plain sampler, beside MP-20 test and DiffCSP's published raw samples; and, along the sampler's
trajectory, the network's denoised estimate's shortest distance at every σ level.

    .venv/bin/python bench/close_pairs.py [--n 1024] [--seed 0] [--peer-n 1024] [--json bench/results/<name>.json]
"""
import argparse, json, sys, time, warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path
import numpy as np
import pandas as pd

SIZE_BINS = [(1, 4), (5, 8), (9, 12), (13, 16), (17, 20)]
CUTS = (0.5, 1.0, 1.5)   # Å
DUPLICATE = 0.1          # Å: two sites this close are one site written twice
CLOSE = 1.0              # Å: a crystal with a pair closer than this is "close"
QUANTILES = (5, 25, 50)  # % of each set's crystals
COVALENT_CUTS = (0.5, 0.75)   # × the sum of the pair's covalent radii
CHUNK = 256              # crystals per sampling batch (bf16 rows depend on the batch shape)
PEER = "/work/shared/data/peers/diffcsp_mp20_10k.csv.gz"
PAIR_TABLE = Path(__file__).resolve().parents[1] / "data/mp20/pair-distances.csv"   # `diffcrysgen.separation`'s


def covalent_radii() -> np.ndarray:
    "Covalent radius (Å) by atomic number, pymatgen's `CovalentRadius` table (NaN where it has none)."
    from pymatgen.analysis.molecule_structure_comparator import CovalentRadius
    from pymatgen.core import Element
    r = np.full(119, np.nan)
    for symbol, radius in CovalentRadius.radius.items():
        r[Element(symbol).Z] = radius
    return r


def pair_table() -> np.ndarray | None:
    "(119, 119) per-element-pair r_min (Å) of the separation module's table by atomic numbers (None without it)."
    if not PAIR_TABLE.exists():
        return None
    t = pd.read_csv(PAIR_TABLE)
    R = np.full((119, 119), np.nan)
    R[t.z1, t.z2] = t.r_min
    R[t.z2, t.z1] = t.r_min
    return R


def padded(num_atoms: np.ndarray, z: np.ndarray, S: int) -> np.ndarray:
    "(N, S) atomic numbers of each crystal's sites from flat ones, 0 on padding."
    out = np.zeros((len(num_atoms), S), np.int64)
    out[np.arange(S)[None] < num_atoms[:, None]] = z
    return out


def closest_pairs(num_atoms: np.ndarray, atomic_numbers: np.ndarray, frac_coords: np.ndarray,
                  cell: np.ndarray) -> pd.DataFrame:
    "One row per crystal: sites, shortest distance between two different sites (Å), its pair, and covalent ratios."
    from diffcrysgen.analysis import distance_matrices
    D = distance_matrices(num_atoms, frac_coords, cell, exact="all")            # (N, S, S)
    n, S = len(num_atoms), D.shape[1]
    D[:, np.arange(S), np.arange(S)] = np.inf                                   # pairs of different sites only
    flat = D.reshape(n, -1).argmin(1)
    i, j = flat // S, flat % S
    Z = padded(np.asarray(num_atoms), np.asarray(atomic_numbers), S)
    zi, zj = Z[np.arange(n), i], Z[np.arange(n), j]
    d = D.reshape(n, -1)[np.arange(n), flat]
    r = covalent_radii()[Z]                                                     # (N, S), NaN on padding
    with np.errstate(invalid="ignore"):
        ratio_all = np.where(np.isnan(r[:, :, None] + r[:, None, :]), np.inf, D / (r[:, :, None] + r[:, None, :]))
    out = pd.DataFrame(dict(sites=num_atoms, d_min=d, same_element=(zi == zj) & np.isfinite(d), z_i=zi, z_j=zj,
                            ratio=d / (r[np.arange(n), i] + r[np.arange(n), j]),
                            ratio_min=ratio_all.reshape(n, -1).min(1)))
    R = pair_table()
    if R is not None:
        out["below_table"] = (D < np.nan_to_num(R[Z[:, :, None], Z[:, None, :]], nan=0.0)).any((1, 2))
    return out


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


def finite(v: float) -> float | None:
    "v, or None where it is not finite (strict JSON)."
    return float(v) if np.isfinite(v) else None


def finite_median(v: np.ndarray) -> float | None:
    "Median of the finite entries of v (None where there are none)."
    v = v[np.isfinite(v)]
    return float(np.median(v)) if len(v) else None


def top_pairs(t: pd.DataFrame, k: int = 8) -> list:
    "The k most frequent element pairs (symbols, count) among the crystals of `t`."
    from pymatgen.core import Element
    pairs = Counter(tuple(sorted((int(a), int(b)))) for a, b in zip(t.z_i, t.z_j))
    return [(f"{Element.from_Z(a).symbol}-{Element.from_Z(b).symbol}", c) for (a, b), c in pairs.most_common(k)]


def pair_group(t: pd.DataFrame, total: int) -> dict:
    "Quantiles of d_min and of its covalent ratio, and the shares below the covalent cuts, of one group of crystals."
    out = dict(n=len(t), pct_of_set=100 * len(t) / total)
    for q in QUANTILES:
        out[f"d_min_q{q}"] = finite(np.percentile(t.d_min, q, method="lower")) if len(t) else None
        out[f"ratio_q{q}"] = finite(np.percentile(t.ratio, q, method="lower")) if len(t) else None
    for c in COVALENT_CUTS:
        out[f"below_{c:g}x_pct"] = 100 * float((t.ratio < c).mean()) if len(t) else None
        out[f"any_pair_below_{c:g}x_pct"] = 100 * float((t.ratio_min < c).mean()) if len(t) else None
    if "below_table" in t:
        out["any_pair_below_table_pct"] = 100 * float(t.below_table.mean()) if len(t) else None
    out["top_pairs_below_0.75x"] = top_pairs(t[t.ratio < 0.75])
    return out


def pair_summary(t: pd.DataFrame) -> dict:
    "`pair_group` of all crystals of a set with a pair, and of those whose closest pair is one element or two."
    t = t[np.isfinite(t.d_min)]
    groups = dict(all=t, same_element=t[t.same_element], different=t[~t.same_element])
    return {k: pair_group(g, len(t)) for k, g in groups.items()}


def traced_chunk(net, scaler, indices: range, seed: int, cfg) -> tuple[pd.DataFrame, "torch.Tensor"]:
    "`sample_table`'s rows (no CIF text) of `indices` for a dpm2m cfg, and the network's estimate at every σ level."
    import torch
    from diffcrysgen.analysis import analyse
    from diffcrysgen.ircr import N_COMP, N_GEN
    from diffcrysgen.sample import decode_samples, denoiser_fn, dpm_solver_2m, low_temperature
    from diffcrysgen.sample import randn_per_sample, sample_generators
    if cfg.solver != "dpm2m":
        raise ValueError(f"solver {cfg.solver!r}: the trace follows dpm2m (one network call per σ level)")
    states = []
    inner = denoiser_fn(net, cfg.precision)

    def D(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        "The network's denoised estimate, recorded (the sampler's D wraps it in λ)."
        d = inner(x, sigma)
        states.append(d)
        return d
    latents = randn_per_sample(sample_generators(seed, indices), (N_COMP, N_GEN), net.sigma_data.device)
    x = dpm_solver_2m(low_temperature(D, cfg.lam), latents, cfg.sigmas())
    states.append(x)                                                            # the final state, as decoded
    df = analyse(decode_samples(x, scaler), cif=False)
    df.insert(0, "index", np.asarray(list(indices), np.int64))
    return df, torch.stack(states, 1)                                           # (B, K + 1, 3, 136)


def generated(n: int, seed: int, lam: float) -> tuple[pd.DataFrame, "torch.Tensor", object]:
    "Closest pairs of n `--fast` crystals of the shipped model at λ (decoded ones), their traces and the scaler."
    import torch
    from diffcrysgen.analysis import generated_arrays
    from diffcrysgen.checkpoints import load_denoiser
    from diffcrysgen.sample import TURBO, checkpoint_path
    net, scaler, _ = load_denoiser(checkpoint_path(), device="cpu")
    cfg = replace(TURBO, sharpen=lam)
    parts = [traced_chunk(net, scaler, range(s, min(s + CHUNK, n)), seed, cfg) for s in range(0, n, CHUNK)]
    df = pd.concat([p[0] for p in parts], ignore_index=True)
    ok = (df.decode_error == "").to_numpy()
    states = torch.cat([p[1] for p in parts])[torch.from_numpy(ok)]
    return closest_pairs(*generated_arrays(df[ok])), states, scaler


def as_decoded(x: "torch.Tensor", lo: "torch.Tensor", hi: "torch.Tensor") -> "torch.Tensor":
    "Scaled IRCR x (M, 3, 136) with the occupancy of element columns the decoder drops (one-hot max ≤ ½) set to 0."
    from diffcrysgen.ircr import ROW_E, ROW_O
    on = (lo[ROW_E] + (x[:, :, ROW_E] + 1) / 2 * (hi - lo)[ROW_E]).amax(-1) > 0.5   # (M, 3)
    out = x.clone()
    out[:, :, ROW_O] = out[:, :, ROW_O].where(on[:, :, None], -1.0 - 2 * lo[ROW_O] / (hi - lo)[ROW_O])
    return out


def site_trace(states: "torch.Tensor", scaler) -> tuple[np.ndarray, np.ndarray]:
    "(N, K + 1, 20) nearest distance (Å) of each site to another occupied one, and occupancy, as the decoder sees it."
    import torch
    from diffcrysgen.symmetry import site_distances
    lo, hi = torch.tensor(scaler.lo), torch.tensor(scaler.hi)
    N, K = states.shape[:2]
    r, occ = site_distances(as_decoded(states.flatten(0, 1), lo, hi), lo, hi)
    return r.view(N, K, -1).numpy(), occ.view(N, K, -1).numpy()


def only_pair(x: "torch.Tensor", i: "torch.Tensor", j: "torch.Tensor") -> "torch.Tensor":
    "Scaled IRCR x (M, 3, 136) with sites i and j (M,) occupied and every other site empty."
    import torch
    from diffcrysgen.ircr import N_SITES, ROW_O
    o = torch.full((len(x), N_SITES), -1.0, dtype=x.dtype)
    o[torch.arange(len(x)), i] = 1.0
    o[torch.arange(len(x)), j] = 1.0
    out = x.clone()
    out[:, :, ROW_O] = o[:, None, :]
    return out


def pair_trace(states: "torch.Tensor", r: np.ndarray, scaler) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    "(N, K + 1) distance (Å) at every σ level between the two sites (i, j) closest in the final state; i; j."
    import torch
    from diffcrysgen.ircr import N_SITES
    from diffcrysgen.symmetry import site_distances
    lo, hi = torch.tensor(scaler.lo), torch.tensor(scaler.hi)
    ar = torch.arange(len(states))
    i = torch.from_numpy(r[:, -1].argmin(-1))
    final = states[:, -1]
    to = [site_distances(only_pair(final, i, torch.full_like(i, j)), lo, hi)[0][ar, i] for j in range(N_SITES)]
    j = torch.stack(to, 1).argmin(-1)                                           # the partner of site i
    d = [site_distances(only_pair(states[:, k], i, j), lo, hi)[0][ar, i] for k in range(states.shape[1])]
    return torch.stack(d, 1).numpy(), i.numpy(), j.numpy()


def stays_below(d: np.ndarray, cut: float) -> np.ndarray:
    "(N,) first column from which every later entry of d (N, K) is below cut; K where the last one is not."
    below = d < cut
    stays = np.flip(np.logical_and.accumulate(np.flip(below, 1), 1), 1)
    return np.where(stays[:, -1], stays.argmax(1), d.shape[1])


def per_step(close: np.ndarray, est: np.ndarray, pair: np.ndarray, n_occ: np.ndarray,
             level: np.ndarray) -> list[dict]:
    "One row per σ level (and the final state): estimate d_min (≥ 2 decoded sites), final-pair distance, occupancy."
    rows = []
    for k, s in enumerate(level):
        rows.append(dict(step=k + 1, sigma=float(s), two_sites_pct=100 * float(np.isfinite(est[:, k]).mean()),
                         median_d_close=finite_median(est[close, k]), median_d_fine=finite_median(est[~close, k]),
                         median_pair_close=finite(np.median(pair[close, k])),
                         median_pair_fine=finite(np.median(pair[~close, k])),
                         pair_below_1_pct_close=100 * float((pair[close, k] < CLOSE).mean()),
                         occ_differs_from_final_pct_close=100 * float((n_occ[close, k] != n_occ[close, -1]).mean()),
                         occ_differs_from_final_pct_fine=100 * float((n_occ[~close, k] != n_occ[~close, -1]).mean())))
    return rows


def band_pct(first: np.ndarray, level: np.ndarray, a: float, b: float) -> float:
    "Share (%) of crystals that settled at a column with σ in [a, b) (never settled: in no band)."
    K = len(level)
    s = level[np.minimum(first, K - 1)]
    return 100 * float(((first < K) & (s >= a) & (s < b)).mean())


def trajectory(t: pd.DataFrame, states: "torch.Tensor", scaler, sigmas: np.ndarray) -> dict:
    "When the close crystals' final pair came within CLOSE for good (σ bands), curves per step, trace vs decode."
    r, occ = site_trace(states, scaler)
    est = r.min(-1)                                                             # (N, K + 1), inf: < 2 occupied
    n_occ = occ.sum(-1)
    pairs = np.isfinite(est[:, -1])                                             # crystals with two sites
    t, est, n_occ, occ, r = t[pairs], est[pairs], n_occ[pairs], occ[pairs], r[pairs]
    pair, i, j = pair_trace(states[torch_index(pairs)], r, scaler)
    close = t.d_min.to_numpy() < CLOSE
    level = np.append(sigmas[:-1], 0.0)                                         # σ of each column; 0: final state
    first = stays_below(pair, CLOSE)[close]
    bands = dict(ge_10=(10, np.inf), from_1_to_10=(1, 10), from_01_to_1=(0.1, 1), below_01=(0, 0.1))
    out = dict(n_close=int(close.sum()), n_fine=int((~close).sum()),
               pair_never_apart_pct=100 * float((first == 0).mean()),
               pair_not_close_at_end_pct=100 * float((first == len(level)).mean()),
               pair_last_apart_median_sigma=finite(np.median(level[np.maximum(first[first > 0] - 1, 0)])))
    out |= {f"pair_settled_sigma_{k}_pct": band_pct(first, level, a, b) for k, (a, b) in bands.items()}
    ar = np.arange(len(occ))
    both = occ[ar, :, i] & occ[ar, :, j]                                        # (N, K + 1)
    from_step = stays_below(-both.astype(float), 0)[close]                      # both occupied from this step on
    out |= dict(pair_occupied_from_median_step=float(np.median(from_step + 1)),
                pair_occupied_from_sigma_ge_1_pct=band_pct(from_step, level, 1, np.inf),
                trace_agrees_with_decode_pct=100 * float(((est[:, -1] < CLOSE) == close).mean()),
                occ_agrees_with_decode_pct=100 * float((n_occ[:, -1] == t.sites.to_numpy()).mean()),
                steps=per_step(close, est, pair, n_occ, level))
    return out


def torch_index(mask: np.ndarray) -> "torch.Tensor":
    "A torch boolean index from a numpy mask."
    import torch
    return torch.from_numpy(mask)


def real() -> pd.DataFrame:
    "Closest pairs of the MP-20 test crystals."
    from diffcrysgen.data import load_mp20, table_arrays
    return closest_pairs(*table_arrays(load_mp20("test")))


def peer(n: int) -> pd.DataFrame:
    "Closest pairs of the first n of DiffCSP's published raw MP-20 samples (P1 CIF text, parsed by pymatgen)."
    from pymatgen.core import Structure
    cifs = pd.read_csv(PEER, nrows=n).cif
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        S = [Structure.from_str(c, fmt="cif") for c in cifs]
    z = np.concatenate([s.atomic_numbers for s in S])
    f = np.concatenate([s.frac_coords for s in S])
    return closest_pairs(np.array([len(s) for s in S]), z, f, np.stack([s.lattice.matrix for s in S]))


def markdown(rows: dict) -> str:
    "A table of dict rows, floats to one decimal."
    return pd.DataFrame(rows).T.to_markdown(floatfmt=".1f")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1024, help="generated crystals per setting")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--peer-n", type=int, default=1024, help="DiffCSP samples (the first ones of the file)")
    p.add_argument("--json", default=None, help="write the rows as JSON here")
    a = p.parse_args(argv)
    from diffcrysgen.sample import TURBO
    t0, c0 = time.time(), time.process_time()
    sigmas = TURBO.sigmas().numpy()
    sets = {"MP-20 test (real)": real()}
    traces = {}
    for lam, name in ((1.5, "shipped, --fast, λ 1.5 (kit default)"), (1.0, "shipped, --fast, λ 1 (plain)")):
        sets[name], states, scaler = generated(a.n, a.seed, lam)
        traces[name] = trajectory(sets[name], states, scaler, sigmas)
    sets[f"DiffCSP raw (first {a.peer_n})"] = peer(a.peer_n)
    rows = {k: summary(t) for k, t in sets.items()}
    pairs = {k: pair_summary(t) for k, t in sets.items()}
    print(markdown(rows))
    for group in ("all", "same_element", "different"):
        table = {k: {c: v for c, v in g[group].items() if not c.startswith("top")} for k, g in pairs.items()}
        print(f"\nclosest pair: {group}\n" + markdown(table))
    for k, tr in traces.items():
        print(f"\n{k}: " + json.dumps({c: v for c, v in tr.items() if c != "steps"}, ensure_ascii=False))
        print(pd.DataFrame(tr["steps"]).to_markdown(index=False, floatfmt=".3g"))
    wall, cpu = time.time() - t0, time.process_time() - c0
    print(f"\n{wall:.0f} s wall, {cpu:.0f} s CPU")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(args=vars(a), wall_s=wall, cpu_s=cpu, rows=rows, pairs=pairs, trajectory=traces), f,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
