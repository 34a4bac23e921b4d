"""Issue #28 4a: how many stability verdicts change when the hull also holds the 22,099 mp-extra crystals.

Reads the cached relaxations of every stability draw (`gen/*/stability/seed*/`, `evaluations/*/stability/seed*/`, or
the folders given), computes each crystal's E_hull from its CHGNet formation energy against the `chgnet` hull (MP-20's
44,217 phases) and the `chgnet+extra` hull (those and the mp-extra crystals), and counts the stable (E_hull ≤ 0) and
metastable (≤ 0.1 eV/atom) calls of converged crystals under each. No relaxation is run. Prints a Markdown table and
writes bench/results/hull-extra-<stamp>.json.
"""
import argparse, json, time
from pathlib import Path
import numpy as np
import pandas as pd
from diffcrysgen.relax import validation_hull
from diffcrysgen.stability import METASTABLE_EHULL, STABLE_EHULL, StabilityConfig, with_e_hull

ROOT = Path(__file__).resolve().parents[1]
HULLS = ("chgnet", "chgnet+extra")

def cached_rows(folder: Path) -> pd.DataFrame:
    "Every cached stability row of one draw folder."
    parts = sorted(folder.glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True) if parts else pd.DataFrame()

def calls(rows: pd.DataFrame, hull: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    "E_hull, stable and metastable calls of the rows against `hull`."
    e = with_e_hull(rows, StabilityConfig(hull=hull)).e_hull.to_numpy(float)
    conv = rows.converged.to_numpy(bool)
    return e, conv & (e <= STABLE_EHULL), conv & (e <= METASTABLE_EHULL)

def compare(folder: Path) -> dict:
    "Verdicts of one draw under both hulls."
    rows = cached_rows(folder)
    (e0, s0, m0), (e1, s1, m1) = calls(rows, HULLS[0]), calls(rows, HULLS[1])
    conv = rows.converged.to_numpy(bool)
    up = e1[conv] - e0[conv]
    return dict(folder=str(folder.relative_to(ROOT)), n=len(rows), converged=int(conv.sum()),
                stable=[int(s0.sum()), int(s1.sum())], metastable=[int(m0.sum()), int(m1.sum())],
                stable_lost=int((s0 & ~s1).sum()), metastable_lost=int((m0 & ~m1).sum()),
                e_hull_raised=int((up > 1e-9).sum()), median_e_hull=[float(np.nanmedian(e0[conv])),
                                                                      float(np.nanmedian(e1[conv]))])

def table(res: list[dict]) -> str:
    "Markdown table of the comparisons."
    n0, n1 = (validation_hull(h).n_entries for h in HULLS)
    lines = [f"| draw | N | converged | stable: chgnet ({n0:,} phases) → chgnet+extra ({n1:,}) | metastable: chgnet → "
             "chgnet+extra | converged crystals whose E_hull rose | median E_hull of converged |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in res:
        lines.append(f"| {r['folder']} | {r['n']} | {r['converged']} | {r['stable'][0]} → {r['stable'][1]} | "
                     f"{r['metastable'][0]} → {r['metastable'][1]} | {r['e_hull_raised']} | "
                     f"{r['median_e_hull'][0]:.3f} → {r['median_e_hull'][1]:.3f} |")
    return "\n".join(lines)

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="*", type=Path, help="stability draw folders (default: every cached one)")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"hull-extra-{stamp}",
                   help="writes OUT.md and OUT.json")
    a = p.parse_args(argv)
    folders = [f.resolve() for f in a.folders] or sorted(
        [*ROOT.glob("gen/*/stability/seed*"), *ROOT.glob("evaluations/*/stability/seed*")])
    res = [compare(f) for f in folders if any(f.glob("part-*.parquet"))]
    md = table(res)
    print(md)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".md").write_text(md + "\n")
    a.out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
