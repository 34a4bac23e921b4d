"""Issue #28's relaxation speed (`make bench-relax`): CPU per crystal before and after, same crystals, same verdicts.

The first K crystals of the stability table's seeded draw (`stability_rows`, seed 0) of the kit's default run
(gen/stability-2048, made by `make stability`) and of DiffCSP's published samples, each relaxed three ways in one
process (one torch thread), one after another:
- "issue #28 baseline": the protocol the issue measured: ASE's FrechetCellFilter, OpenBLAS at its default threads,
  no stall stop;
- "+ stall stop": the same with `RelaxConfig.stall_steps` (FIRE stops as stalled after 100 steps without a new low);
- "kit now": `relax.OncePerState` (the filter's forces and positions once per state), one BLAS thread, the stall stop
  and CHGNet's forces and stress as first-order gradients (`relax.first_order_grads`).
CPU seconds per crystal are the process's (all its threads); verdicts are the status, the stable and metastable calls
(`chgnet+extra` hull) and the step count. Writes bench/results/relax-speed-<stamp>.json and prints a Markdown table.
"""
import argparse, json, time
from dataclasses import replace
from pathlib import Path
import numpy as np
import pandas as pd
import torch
from ase.filters import FrechetCellFilter
import diffcrysgen.relax as rx
from diffcrysgen.metrics import load_crystal_set
from diffcrysgen.relax import chgnet_calculator, mu_of
from diffcrysgen.stability import (METASTABLE_EHULL, STABLE_EHULL, StabilityConfig, relax_crystal, stability_rows,
                                   with_e_hull)

ROOT = Path(__file__).resolve().parents[1]
ARMS = ("issue #28 baseline", "+ stall stop", "kit now")

def arm_settings(arm: str) -> tuple[type, int | None, int, bool]:
    "(cell filter class, BLAS threads or None for the default, stall steps, first-order CHGNet gradients) of an arm."
    if arm == "kit now":
        return rx.OncePerState, 1, StabilityConfig.stall_steps, True
    return FrechetCellFilter, None, 0 if arm == ARMS[0] else StabilityConfig.stall_steps, False

def relax_arm(arm: str, cs, rows: np.ndarray, cfg: StabilityConfig) -> pd.DataFrame:
    "Stability rows of `rows` of `cs` relaxed the way `arm` says, with the process CPU seconds of each."
    flt, blas, stall, first_order = arm_settings(arm)
    rx.OncePerState, rx.BLAS_THREADS = flt, blas          # what `relax` uses (restored by the caller)
    c = replace(cfg, stall_steps=stall)
    calc, mu = chgnet_calculator(c.model, first_order=first_order), mu_of(c.model)
    out = []
    for r in rows:
        t0 = time.process_time()
        row = relax_crystal(cs.structure(int(r)), cs.error[int(r)], calc, c, mu)
        out.append(row | dict(row=int(r), id=str(cs.ids[int(r)]), cpu=time.process_time() - t0, arm=arm))
    return with_e_hull(pd.DataFrame(out), c)

def verdicts(t: pd.DataFrame) -> pd.DataFrame:
    "Status, stable and metastable calls of each crystal."
    e = t.e_hull.to_numpy(float)
    conv = t.converged.to_numpy(bool)
    return pd.DataFrame(dict(status=t.status.replace({"stalled": "not converged"}).to_numpy(),
                             stable=conv & (e <= STABLE_EHULL), metastable=conv & (e <= METASTABLE_EHULL)))

def table(res: dict) -> str:
    "Markdown: CPU per crystal of every arm and set, the speed-up, and the verdicts that changed."
    lines = ["| crystals | N | " + " | ".join(f"{a}: CPU-s per crystal" for a in ARMS) + " | speed-up (baseline / now) "
             "| verdicts changed (baseline → now) | FIRE steps, median (baseline → now) |",
             "|---|---:|" + "---:|" * (len(ARMS) + 3)]
    for name, arms in res.items():
        cpu = [np.mean(arms[a]["cpu"]) for a in ARMS]
        v0, v1 = verdicts(pd.DataFrame(arms[ARMS[0]])), verdicts(pd.DataFrame(arms[ARMS[-1]]))
        changed = int((v0 != v1).any(axis=1).sum())
        steps = [int(np.median(arms[a]["n_steps"])) for a in (ARMS[0], ARMS[-1])]
        lines.append(f"| {name} | {len(v0)} | " + " | ".join(f"{c:.1f}" for c in cpu)
                     + f" | {cpu[0] / cpu[-1]:.2f}× | {changed} | {steps[0]} → {steps[1]} |")
    return "\n".join(lines)

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--k-kit", type=int, default=24, help="kit crystals (first of the seed-0 draw)")
    p.add_argument("--k-peer", type=int, default=16, help="DiffCSP crystals (first of the seed-0 draw)")
    p.add_argument("--kit-run", type=Path, default=ROOT / "gen" / "stability-2048", help="the kit's run folder")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"relax-speed-{stamp}",
                   help="writes OUT.md and OUT.json")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    sets = [("kit, shipped model (`sample --fast`)", load_crystal_set(str(a.kit_run)), a.k_kit),
            ("DiffCSP (published raw samples)", load_crystal_set("diffcsp", 2048), a.k_peer)]
    keep = rx.OncePerState, rx.BLAS_THREADS
    res = {}
    try:
        for name, cs, k in sets:
            rows = stability_rows(len(cs), StabilityConfig(n=k))
            res[name] = {arm: relax_arm(arm, cs, rows, StabilityConfig()).drop(columns="relaxed").to_dict("list")
                         for arm in ARMS}
    finally:
        rx.OncePerState, rx.BLAS_THREADS = keep
    md = table(res)
    print(md)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".md").write_text(md + "\n")
    a.out.with_suffix(".json").write_text(json.dumps(res, default=float))
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
