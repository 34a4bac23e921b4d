"""Issue #27 item 5's side-by-side (`make magnets-table`, after `make magnets`): the paper's funnel and the CHGNet
validation of the top finalists for screening folders, one column each (default: the unconstrained and the uniaxial
10,000-crystal runs that `make magnets` screens).

Candidates are the crystals that pass every step of the funnel (h_form ≤ −0.2 eV/atom, Ms ≥ 1 T, space group > 16,
...; the last funnel row), ranked by the estimated E_hull (predicted h_form against the MP-20 hull); the validation
relaxes the top ones with CHGNet (filled with runners-up where fewer pass) and recomputes h_form, Ms and E_hull.
"""
import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "screen/magnets-free-10000", ROOT / "screen/magnets-uniaxial-10000"]
UNIAXIAL = {"tetragonal", "trigonal", "hexagonal"}


def funnel_column(folder: Path) -> pd.Series:
    "Crystals kept after each funnel step."
    f = pd.read_csv(folder / "funnel.csv")
    return pd.Series(f.kept.to_numpy(), index=f.step.to_numpy())


def validation_column(folder: Path) -> pd.Series:
    "Counts of the CHGNet validation: finalists, converged, uniaxial after (and after a rattle), targets, E_hull."
    v = pd.read_parquet(folder / "validate/validation.parquet")
    fin = pd.read_csv(folder / "finalists.csv")
    ok = v.converged.fillna(False).astype(bool)
    win = v.success.fillna(False).astype(bool)
    survives = v.symmetry_survives.fillna(False).astype(bool) if "symmetry_survives" in v else False
    return pd.Series({"relaxed: the top candidates by estimated E_hull": int((fin.kind == "candidate").sum()),
                      "… and runners-up (failed one late step) to fill": int((fin.kind != "candidate").sum()),
                      "converged": int(ok.sum()),
                      "uniaxial after relaxing": int((ok & v.system_after.isin(UNIAXIAL)).sum()),
                      "… and its group survives a rattle (`validate`'s check)":
                          int((ok & v.system_after.isin(UNIAXIAL) & survives).sum()),
                      "h_form ≤ −0.2 and Ms ≥ 1 T after relaxing": int(win.sum()),
                      "… and E_hull ≤ 0.1 eV/atom": int((win & (v.e_hull <= 0.1)).sum()),
                      "… and uniaxial": int((win & (v.e_hull <= 0.1) & v.system_after.isin(UNIAXIAL)).sum())})


def table(folders: list[Path]) -> str:
    "The Markdown table, one column per screening folder."
    cols = {f.name: pd.concat([funnel_column(f), validation_column(f)]) for f in folders}
    df = pd.DataFrame(cols).fillna(0).astype(int)
    head = "| step | " + " | ".join(f"`{c}`" for c in df.columns) + " |"
    rule = "|---|" + "---:|" * len(df.columns)
    return "\n".join([head, rule, *(f"| {k} | " + " | ".join(f"{x:,}" for x in r) + " |" for k, r in df.iterrows())])


def main(argv=None) -> None:
    "Print (and with --out, write) the table."
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="*", type=Path, default=DEFAULT, help="screening folders (`diffcrysgen screen`)")
    p.add_argument("--out", type=Path, help="write the table here as well (must not exist)")
    a = p.parse_args(argv)
    bad = [f for f in a.folders if not (f / "funnel.csv").exists() or not (f / "validate/validation.parquet").exists()]
    if bad:
        p.error(f"{bad[0]}: not a finished screening folder (no funnel.csv or validate/validation.parquet); "
                "run `make magnets` first")
    if a.out is not None and a.out.exists():
        p.error(f"--out {a.out}: exists; choose a new name")
    text = table(a.folders) + "\n"
    print(text)
    if a.out is not None:
        a.out.write_text(text)


if __name__ == "__main__":
    main()
