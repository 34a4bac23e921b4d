"""Issue #27: do template-mode crystals sit at symmetric saddle points? The same crystals relaxed after a small rattle.

CHGNet's FIRE relaxation keeps a crystal's symmetry (the forces of a symmetric crystal are symmetric), so a crystal
placed exactly on a high-symmetry saddle relaxes to the saddle, not to the lower minimum next to it. This script takes
the crystals of a run's cached stability draw (`gen/<run>/stability/seed*/`, from `bench/stability.py`), moves every
site by `--distance` Å in a seeded random direction (pymatgen `Structure.perturb` semantics, one generator per
crystal), and writes them as a CSV (`id`, `cif`; ids are the run's crystal indices) for

    .venv/bin/diffcrysgen evaluate OUT.csv --no-coverage --stability N --workers 2 --out DIR

whose verdicts compare crystal for crystal with the unrattled ones of the same draw.

    .venv/bin/python bench/rattle.py gen/stability-2048-templates-train-template-pick-random --n 150 --out /tmp/r.csv
"""
import argparse
from pathlib import Path
import numpy as np
import pandas as pd
from pymatgen.core import Structure


def rattled(cif: str, distance: float, seed: int) -> str:
    "CIF of the crystal with every site moved by `distance` Å in a random direction (generator seeded by `seed`)."
    s = Structure.from_str(cif, fmt="cif")
    v = np.random.default_rng(seed).normal(size=(len(s), 3))
    v *= distance / np.linalg.norm(v, axis=1, keepdims=True)
    moved = Structure(s.lattice, s.species, s.cart_coords + v, coords_are_cartesian=True)
    return moved.to(fmt="cif")


def main() -> None:
    "Write the first `--n` crystals of the run's stability draw, rattled, as a CSV."
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", type=Path, help="a sample run with a cached stability draw")
    p.add_argument("--n", type=int, default=150, help="crystals of the draw (its first ones)")
    p.add_argument("--distance", type=float, default=0.05, help="Å each site moves")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="CSV to write (must not exist)")
    a = p.parse_args()
    if a.out.exists():
        raise SystemExit(f"{a.out}: exists; choose another --out")
    draw = pd.concat([pd.read_parquet(f) for f in sorted(a.run.glob("stability/seed*/part-*.parquet"))])
    rows = draw.row.to_numpy()[: a.n]
    run = pd.concat([pd.read_parquet(f) for f in sorted(a.run.glob("part-*.parquet"))]).set_index("index")
    cifs = [rattled(run.cif.loc[i], a.distance, a.seed * 1_000_003 + int(i)) for i in rows]
    pd.DataFrame(dict(id=rows, cif=cifs)).to_csv(a.out, index=False)
    print(f"{len(rows)} crystals of {a.run} rattled by {a.distance} Å -> {a.out}")


if __name__ == "__main__":
    main()
