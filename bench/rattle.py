"""Issue #27: do template-mode crystals sit at symmetric saddle points? The same crystals relaxed after a small rattle.

CHGNet's FIRE relaxation keeps a crystal's symmetry (the forces of a symmetric crystal are symmetric), so a crystal
placed exactly on a high-symmetry saddle relaxes to the saddle, not to the lower minimum next to it. This script takes
the crystals of a run's cached stability draw (`gen/<run>/stability/seed*/`, from `bench/stability.py`), moves every
site by `--distance` Å in a seeded random direction (pymatgen `Structure.perturb` semantics, one generator per
crystal), and writes them as a CSV (`id`, `cif`; ids are the run's crystal indices) for

    .venv/bin/diffcrysgen evaluate OUT.csv --no-coverage --stability N --workers 2 --out DIR

whose verdicts compare crystal for crystal with the unrattled ones of the same draw (`--compare`: the evaluation's
cached relaxations, `evaluations/<csv name>/`, finished parts only, so a stopped evaluation compares as far as it got).

    .venv/bin/python bench/rattle.py gen/stability-2048-templates-train-template-pick-random --n 150 --out /tmp/r.csv
    .venv/bin/python bench/rattle.py gen/stability-2048-templates-train-template-pick-random --compare evaluations/r.csv
"""
import argparse
from pathlib import Path
import numpy as np
import pandas as pd
from pymatgen.core import Structure
from diffcrysgen.relax import rattled
from diffcrysgen.stability import METASTABLE_EHULL, StabilityConfig, with_e_hull


SADDLE_DROP = 0.001   # eV/atom: a crystal that leaves its group and goes this much lower sat on a saddle (not noise)


def rattled_cif(cif: str, distance: float, seed: int) -> str:
    "CIF of the crystal with every site moved by `distance` Å in a random direction (`relax.rattled`)."
    return rattled(Structure.from_str(cif, fmt="cif"), distance, seed).to(fmt="cif")


def cached(pattern: str, folder: Path) -> pd.DataFrame:
    "Cached stability rows (parts matching `pattern` under `folder`) with their E_hull on the default hull."
    parts = sorted(folder.glob(pattern))
    if not parts:
        raise SystemExit(f"{folder}: no cached relaxations ({pattern})")
    return with_e_hull(pd.concat([pd.read_parquet(f) for f in parts], ignore_index=True), StabilityConfig())


def compare(run: Path, evaluation: Path) -> str:
    "One line: the rattled crystals' verdicts against the same crystals' unrattled ones."
    r = cached("stability/seed*/part-*.parquet", evaluation)
    b = cached("stability/seed*/part-*.parquet", run).set_index("row").loc[r.id.astype(int)]
    meta = lambda t: t.converged.to_numpy(bool) & (t.e_hull.to_numpy(float) <= METASTABLE_EHULL)
    m_r, m_b = meta(r), meta(b)
    both = r.converged.to_numpy(bool) & b.converged.to_numpy(bool)
    d = r.e_hull.to_numpy(float)[both] - b.e_hull.to_numpy(float)[both]
    same = r.spacegroup_after.to_numpy() == b.spacegroup_after.to_numpy()
    kept = same.mean()
    drop = b.energy_per_atom.to_numpy(float) - r.energy_per_atom.to_numpy(float)      # eV/atom, > 0: rattled lower
    saddle = (both & ~same & (drop > SADDLE_DROP)).sum() / max(both.sum(), 1)
    return (f"{run.name}: {len(r)} crystals; metastable rattled {100 * m_r.mean():.1f} % against unrattled "
            f"{100 * m_b.mean():.1f} % (gained {int((m_r & ~m_b).sum())}, lost {int((~m_r & m_b).sum())}); E_hull "
            f"lowered by > 0.02 eV/atom: {100 * (d < -0.02).mean():.0f} % of both-converged; median E_hull of converged "
            f"{np.nanmedian(r.e_hull[r.converged.to_numpy(bool)]):.3f} against "
            f"{np.nanmedian(b.e_hull[b.converged.to_numpy(bool)]):.3f}; same group after relaxing {100 * kept:.0f} %; "
            f"left it and went > {1000 * SADDLE_DROP:g} meV/atom lower (a saddle): {100 * saddle:.0f} % of both-converged; "
            f"median FIRE steps {r.n_steps.median():.0f} against {b.n_steps.median():.0f}")


def main() -> None:
    "Write the first `--n` crystals of the run's stability draw, rattled, as a CSV (or `--compare` an evaluation)."
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", type=Path, help="a sample run with a cached stability draw")
    p.add_argument("--n", type=int, default=150, help="crystals of the draw (its first ones)")
    p.add_argument("--distance", type=float, default=0.05, help="Å each site moves")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="CSV to write (must not exist)")
    p.add_argument("--compare", type=Path, default=None, help="an evaluation folder of the rattled CSV to compare")
    a = p.parse_args()
    if a.compare is not None:
        print(compare(a.run, a.compare))
        return
    if a.out is None:
        raise SystemExit("--out: needed to write the rattled crystals (or give --compare)")
    if a.out.exists():
        raise SystemExit(f"{a.out}: exists; choose another --out")
    draw = pd.concat([pd.read_parquet(f) for f in sorted(a.run.glob("stability/seed*/part-*.parquet"))])
    rows = draw.row.to_numpy()[: a.n]
    run = pd.concat([pd.read_parquet(f) for f in sorted(a.run.glob("part-*.parquet"))]).set_index("index")
    cifs = [rattled_cif(run.cif.loc[i], a.distance, a.seed * 1_000_003 + int(i)) for i in rows]
    pd.DataFrame(dict(id=rows, cif=cifs)).to_csv(a.out, index=False)
    print(f"{len(rows)} crystals of {a.run} rattled by {a.distance} Å -> {a.out}")


if __name__ == "__main__":
    main()
