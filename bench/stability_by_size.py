"""Issue #27: where template mode loses stability, by crystal size.

Reads the cached relaxations of stability draws of `sample` runs (`gen/<run>/stability/seed*/`, written by
`bench/stability.py` or `diffcrysgen evaluate --stability`) and each crystal's site count from its run, and prints per
site-count bin: crystals relaxed, the metastable share (converged and E_hull ≤ 0.1 eV/atom against the `chgnet+extra`
hull) and the median E_hull of converged crystals. No relaxation is run.

    .venv/bin/python bench/stability_by_size.py gen/stability-2048 gen/stability-2048-templates-train-template-pick-random
        [--bins 0,3,6,10,14,20] [--out bench/results/stability-by-size-<date>.md]
"""
import argparse
from pathlib import Path
import numpy as np
import pandas as pd
from diffcrysgen.stability import METASTABLE_EHULL, StabilityConfig, with_e_hull


def read_parts(folder: Path, pattern: str) -> pd.DataFrame:
    "Every Parquet part matching `pattern` under `folder`, concatenated."
    parts = sorted(folder.glob(pattern))
    if not parts:
        raise SystemExit(f"{folder}: no {pattern} (run bench/stability.py on it first)")
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


def by_size(run: Path, bins: list[int]) -> pd.DataFrame:
    "Relaxed crystals, metastable % and median E_hull of converged ones per site-count bin of one run's draw."
    rows = read_parts(run, "stability/seed*/part-*.parquet")
    rows = with_e_hull(rows, StabilityConfig())
    sites = read_parts(run, "part-*.parquet").set_index("index").n_sites
    conv = rows.converged.to_numpy(bool)
    df = pd.DataFrame(dict(sites=sites.loc[rows.row.to_numpy()].to_numpy(), converged=conv,
                           meta=conv & (rows.e_hull.to_numpy(float) <= METASTABLE_EHULL),
                           e_hull=np.where(conv, rows.e_hull.to_numpy(float), np.nan)))
    df["bin"] = pd.cut(df.sites, bins)
    out = df.groupby("bin", observed=True).agg(N=("meta", "size"), metastable=("meta", "mean"),
                                               median_e_hull=("e_hull", "median"))
    return out.assign(metastable=(100 * out.metastable).round(1), median_e_hull=out.median_e_hull.round(3))


def _cell(r: pd.Series) -> str:
    "One run's bin as 'N / metastable % / median E_hull'."
    return f"{int(r.N)} / {r.metastable:.1f} / {r.median_e_hull:.3f}"


def main() -> None:
    "Print (and optionally write) one Markdown table: a row per site-count bin, a column pair per run."
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="sample runs with a cached stability draw")
    p.add_argument("--bins", default="0,3,6,10,14,20", help="site-count bin edges (right-inclusive)")
    p.add_argument("--out", type=Path, default=None, help="also write the table here (must not exist)")
    a = p.parse_args()
    bins = [int(b) for b in a.bins.split(",")]
    tables = {r.name: by_size(r, bins) for r in a.runs}
    head = "| sites | " + " | ".join(f"{k}: N, metastable %, median E_hull" for k in tables) + " |"
    lines = [head, "|---|" + "---:|" * len(tables)]
    for b in next(iter(tables.values())).index:
        cells = [_cell(t.loc[b]) if b in t.index else "" for t in tables.values()]
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if a.out is not None:
        if a.out.exists():
            raise SystemExit(f"{a.out}: exists; choose another --out")
        a.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
