"""Issue #27 item 4's template-mode details on a generated run (`make template-hits`, or `python
bench/template_hits.py RUN [RUN ...]`): per intended space group, how many crystals land in it (spglib at 0.1 and
0.01 Å) and their sizes; and every run's primitive-cell size beside MP-20 test's (the issue's "mean primitive
sites"), all of it and the ≤ 3-element crystals the IRCR can hold.

Raw crystals as generated (nothing symmetrised after sampling); a run without templates gets the size line only.
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import spglib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from diffcrysgen.metrics import crystal_set_from_run, load_crystal_set   # noqa: E402
from diffcrysgen.schema import read_generated   # noqa: E402

SYMPREC = 0.1


def primitive_sites(cs) -> np.ndarray:
    "(N,) sites of each crystal's primitive cell (spglib at SYMPREC; the cell's own count where spglib finds none)."
    out = np.full(len(cs), np.nan)
    for i in np.flatnonzero(cs.has_structure):
        z, x = cs.sites(i)
        prim = spglib.standardize_cell((cs.cell[i], x, z), to_primitive=True, no_idealize=True, symprec=SYMPREC)
        out[i] = len(prim[2]) if prim is not None else len(z)
    return out


def group_table(df: pd.DataFrame, top: int) -> pd.DataFrame:
    "Per intended space group (the `top` most drawn): crystals, hits at 0.1 and 0.01 Å (% of struct. valid), sites."
    v = df[df.valid]
    g = v.groupby("template_spacegroup")
    hit = lambda col: g.apply(lambda x: 100 * (x[col] == x.name).mean(), include_groups=False)
    t = pd.DataFrame(dict(n=g.size(), hit_01=hit("spacegroup"), hit_001=hit("spacegroup_fine"), sites=g.n_sites.mean()))
    return t.sort_values("n", ascending=False).head(top)


def run_table(run: Path) -> pd.DataFrame:
    "The run's rows (valid crystals flagged), with their primitive sizes."
    df = read_generated(run).sort_values("index", ignore_index=True)     # the crystal set's order
    df["primitive_sites"] = primitive_sites(crystal_set_from_run(run))
    return df


def markdown(runs: list[Path], top: int) -> str:
    "The report: one size line per run and MP-20 test, then each template run's per-group table."
    test = primitive_sites(load_crystal_set("test"))
    kit = primitive_sites(load_crystal_set("test-kit"))
    head = "| crystals | N struct. valid | mean sites (cell) | mean primitive sites | P1 % | in template's group % |"
    lines = [head,
             "|---|---:|---:|---:|---:|---:|",
             f"| MP-20 test | {len(test):,} | | {np.nanmean(test):.2f} | | |",
             f"| MP-20 test, ≤ 3 elements (what the IRCR holds) | {len(kit):,} | | {np.nanmean(kit):.2f} | | |"]
    groups = []
    for run in runs:
        df = run_table(run)
        v = df[df.valid]
        hit = f"{100 * (v.spacegroup == v.template_spacegroup).mean():.1f}" if "template_spacegroup" in v else ""
        lines.append(f"| `{run}` | {len(v):,} | {v.n_sites.mean():.2f} | {v.primitive_sites.mean():.2f} | "
                     f"{100 * (v.spacegroup == 1).mean():.1f} | {hit} |")
        if "template_spacegroup" in v:
            t = group_table(df, top)
            title = f"`{run}`, the {top} most drawn space groups (% of the structurally valid crystals drawn in each):"
            header = "| space group | N struct. valid | in it at 0.1 Å % | at 0.01 Å % | mean sites |"
            groups += ["", title, "", header, "|---:|---:|---:|---:|---:|"]
            groups += [f"| {sg} | {int(r.n):,} | {r.hit_01:.1f} | {r.hit_001:.1f} | {r.sites:.2f} |"
                       for sg, r in t.iterrows()]
    return "\n".join(lines + groups) + "\n"


def main(argv=None) -> None:
    "Print (and with --out, write) the report."
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="generated run folders (`diffcrysgen sample`)")
    p.add_argument("--top", type=int, default=15, help="space groups listed per template run")
    p.add_argument("--out", type=Path, help="write the report here as well (must not exist)")
    a = p.parse_args(argv)
    bad = [r for r in a.runs if not list(r.glob("part-*.parquet"))]
    if bad:
        p.error(f"{bad[0]}: not a generated run folder (no part-*.parquet)")
    if a.out is not None and a.out.exists():
        p.error(f"--out {a.out}: exists; choose a new name")
    text = markdown(a.runs, a.top)
    print(text)
    if a.out is not None:
        a.out.write_text(text)


if __name__ == "__main__":
    main()
