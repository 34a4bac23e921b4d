"""Issue #15's stability table (`make stability`, or `python bench/stability.py`): generated crystals beside real ones.

Generates 1,000 crystals with the shipped model (`diffcrysgen sample --fast --seed 0`, reused if the folder exists),
draws N of them (seeded, uniform, so decode failures and broken cells count as failures) and relaxes them with CHGNet
through `diffcrysgen evaluate --stability N`; then the same for N_test real MP-20 test crystals (drawn from the first
1,000), the sanity check of the protocol. Relaxations are cached per part inside the run folder (and under
`evaluations/test/stability/`), so an interrupted benchmark resumes where it stopped. Prints the Markdown table of the
README, with the published numbers and their protocols, and writes it with every number to bench/results/.
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
from diffcrysgen.evaluate import EvalConfig, evaluate, jsonable

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("converged", "stable", "metastable", "unique", "novel", "sun", "msun", "sun_smact", "matched", "spacegroup_kept")
HEADER = ["set", "N", "converged %", "stable % (E_hull ≤ 0)", "metastable % (≤ 0.1)", "unique %", "novel % (of relaxed)", "S.U.N. %", "MSUN %", "S.U.N. & SMACT-valid %",
          "matched % (of relaxed)", "RMSD Å (median)", "P1 % before → after", "space group kept %", "s per crystal"]
PUBLISHED = [   # S.U.N. on MP-20 as CrystalDiT reports it (arXiv 2508.16614, abstract); their protocol, not ours
    ("CrystalDiT (published)", "9.62"), ("FlowMM (as reported by CrystalDiT)", "4.38"), ("MatterGen-MP20 (as reported by CrystalDiT)", "3.42")]

def _pct(s: dict) -> str:
    "A share as 'pct [lo–hi]' (n/a without a denominator)."
    return "n/a" if not s["n"] else f"{s['pct']:.1f} [{s['lo']:.1f}–{s['hi']:.1f}]"

def _relax_s(res: list[tuple[str, dict]]) -> float:
    "Seconds spent relaxing, summed over every result (cached ones included)."
    return sum((st["relax_seconds"]["mean"] or 0) * st["relax_seconds"]["n"] for _, st in res)

def row(label: str, st: dict) -> str:
    "One Markdown row of a stability result."
    med = st["rmsd_angstrom"]["median"]; t = st["relax_seconds"]["mean"]
    cells = [label, f"{st['n']:,}", *[_pct(st[k]) for k in KEYS[:9]], "n/a" if med is None else f"{med:.3f}",
             f"{st['p1_before']['pct']:.0f} → {st['p1_after']['pct']:.0f}", _pct(st["spacegroup_kept"]), "n/a" if t is None else f"{t:.0f}"]
    return "| " + " | ".join(cells) + " |"

def table(results: list[tuple[str, dict]]) -> str:
    "The README table: our rows with 95 % intervals, then the published S.U.N. rows."
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER), *[row(l, st) for l, st in results]]
    lines += ["| " + " | ".join([l, "", "", "", "", "", "", v, *[""] * (len(HEADER) - 8)]) + " |" for l, v in PUBLISHED]
    return "\n".join(lines)

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", type=Path, default=ROOT / "gen" / "stability-1k", help="generated run (made with sample --fast --n 1000 --seed 0 if missing)")
    p.add_argument("--n", type=int, default=200, help="generated crystals relaxed")
    p.add_argument("--n-test", type=int, default=50, help="MP-20 test crystals relaxed (drawn from the first 1,000)")
    p.add_argument("--workers", type=int, default=1, help="Dask workers (1: serial, one CHGNet thread)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"stability-{time.strftime('%Y%m%d-%H%M%S')}")
    a = p.parse_args(argv)
    if a.n < 1 or a.n_test < 0: p.error("--n must be positive and --n-test not negative")
    import torch; torch.set_num_threads(1)
    if not a.run.exists():
        subprocess.run([str(Path(sys.executable).with_name("diffcrysgen")), "sample", "--fast", "--n", "1000", "--seed", "0", "--out", str(a.run)], check=True)
    t0 = time.time(); res = []
    cfg = dict(coverage=False, matchers=("mattergen",), workers=a.workers)
    gen = evaluate(str(a.run), EvalConfig(**cfg, stability=a.n)); res.append(("ours, generated (shipped model, `sample --fast`)", gen["stability"]))
    if a.n_test:
        real = evaluate("test", EvalConfig(**cfg, n=1000, stability=a.n_test)); res.append(("MP-20 test crystals (sanity check)", real["stability"]))
    st = gen["stability"]; h = st["hull"]; c = st["config"]
    text = (table(res) + f"\n\nCHGNet {c['model']} relaxation (FIRE, cell and positions, fmax {c['fmax']} eV/Å, ≤ {c['steps']} steps); E_hull against "
            f"the `{h['kind']}` hull ({h['phases']:,} MP-20 phases, static CHGNet energies); novelty against {st['novelty_reference']['set']}; "
            f"95 % Wilson intervals in brackets; relaxations {_relax_s(res):.0f} s in all (one CHGNet thread), this invocation {time.time() - t0:.0f} s "
            f"wall (cached parts are reused).")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    (a.out.with_suffix(".md")).write_text(text + "\n")
    (a.out.with_suffix(".json")).write_text(json.dumps(jsonable(dict(rows=res, seconds=time.time() - t0)), indent=1))
    print(text); return 0

if __name__ == "__main__": sys.exit(main())
