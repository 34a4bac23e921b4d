"""Issue #14's acceptance check, independently of the kit's own analysis: sample, rebuild each crystal from its CIF text, count.

    .venv/bin/python bench/cif_check.py [--seed 0] [--n 1024] [--checkpoint data/checkpoints/mp20-edm.pt]

Runs `diffcrysgen sample --fast --n N --seed S` into gen/cif-check-<S>-<N> (reused if there), parses every crystal's
CIF text with pymatgen (`Structure.from_str`), and prints: valid % of all N (parsed, every periodic distance ≥ 0.5 Å,
volume ≥ 0.1 Å³; decode failures count as invalid), and among the valid ones P1 % (pymatgen's SpacegroupAnalyzer,
spglib symprec 0.1 Å) and the share with two lattice lengths equal within 0.1 %. The issue needs P1 ≤ 75 %, equal
lengths ≥ 15 % and valid ≥ 85 %.
"""
import argparse, subprocess, sys, warnings
from pathlib import Path
import numpy as np, pandas as pd

ROOT = Path(__file__).resolve().parents[1]

def counts(cifs) -> dict:
    "Valid count, and P1 and two-equal-lengths flags of the valid crystals, from CIF texts."
    from pymatgen.core import Structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
    valid, p1, eq = 0, [], []
    for cif in cifs:
        if not isinstance(cif, str) or not cif: continue
        try: s = Structure.from_str(cif, fmt="cif")
        except Exception: continue
        d = s.distance_matrix; np.fill_diagonal(d, np.inf)
        if (len(s) > 1 and d.min() < 0.5) or s.volume < 0.1: continue
        valid += 1; p1.append(SpacegroupAnalyzer(s, symprec=0.1).get_space_group_number() == 1)
        L = np.array(s.lattice.abc); r = np.abs(L[:, None] - L[None]) / np.maximum(L[:, None], L[None]); np.fill_diagonal(r, np.inf)
        eq.append(r.min() < 1e-3)
    return dict(valid=valid, p1=np.array(p1), equal=np.array(eq))

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0); p.add_argument("--n", type=int, default=1024)
    p.add_argument("--checkpoint", default=""); p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv); out = ROOT / "gen" / f"cif-check-{a.seed}-{a.n}"
    if not out.exists():
        cmd = [str(ROOT / ".venv/bin/diffcrysgen"), "sample", "--n", str(a.n), "--fast", "--seed", str(a.seed), "--out", str(out), "--threads", str(a.threads), "--quiet"]
        subprocess.run(cmd + (["--checkpoint", a.checkpoint] if a.checkpoint else []), check=True, cwd=ROOT)
    df = pd.concat([pd.read_parquet(f, columns=["cif"]) for f in sorted(out.glob("part-*.parquet"))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore"); c = counts(df.cif)
    v, p1, eq = 100 * c["valid"] / len(df), 100 * c["p1"].mean(), 100 * c["equal"].mean()
    ok = p1 <= 75 and eq >= 15 and v >= 85
    print(f"{out.name}: {len(df)} crystals, valid {v:.1f} %, P1 {p1:.1f} % of valid, two lengths equal {eq:.1f} % of valid "
          f"-> {'meets' if ok else 'misses'} the issue's check (P1 <= 75, equal >= 15, valid >= 85)")
    return 0

if __name__ == "__main__": sys.exit(main())
