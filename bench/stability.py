"""Issue #25's stability table (`make stability`, or `python bench/stability.py`): the kit's crystals beside a peer's.

Every row comes from the same code and protocol, `diffcrysgen evaluate --stability N` (CHGNet relaxation of a seeded,
uniform draw, so decode failures and broken cells count as failures; E_hull, S.U.N., MSUN, RMSD, symmetry kept):
- one row per `--kit "LABEL=EXTRA SAMPLE ARGS"` (repeatable; `;` separates rows inside one value): the kit's crystals,
  `diffcrysgen sample --fast --n 2048 --seed 0 EXTRA` (without `--fast` where EXTRA sets the sampler itself) into
  gen/stability-<n>[-<args>] (made, resumed, or checked to hold this very run), N of them relaxed;
- DiffCSP's published raw MP-20 samples (data/peers/; the first 2,048 as the pool, as a kit run's), N_peer relaxed;
- N_test real MP-20 test crystals (drawn from the first 1,000), the sanity check of the protocol.
Novelty is against MP-20 train for every row (the split the shipped model's checkpoint records; DiffCSP trained on it
too). Relaxations are cached per part (inside each run folder, and under evaluations/diffcsp/stability/ and
evaluations/test/stability/), so an interrupted benchmark resumes where it stopped. Prints the Markdown table, with
the published S.U.N. rows copied (their protocol differs), and writes it with every number to bench/results/.
"""
import argparse, json, os, re, shlex, subprocess, sys, time
from pathlib import Path
from diffcrysgen.evaluate import EvalConfig, evaluate, jsonable
from diffcrysgen.relax import HULL_KINDS

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("converged", "stable", "metastable", "unique", "novel", "sun", "msun", "sun_smact", "matched",
        "spacegroup_kept")
BEYOND = ("novel_beyond_substitution", "sun_beyond_substitution", "msun_beyond_substitution", "stalled")
HEADER = ["set", "N", "converged %", "stable % (E_hull ≤ 0)", "metastable % (≤ 0.1)", "median E_hull of converged",
          "unique %", "novel % (of relaxed)", "S.U.N. %", "MSUN %", "S.U.N. & SMACT-valid %", "matched % (of relaxed)",
          "RMSD Å (median)", "P1 % before → after", "space group kept %", "s per crystal",
          "novel beyond substitution %", "S.U.N. beyond substitution %", "MSUN beyond substitution %", "stalled %"]
PUBLISHED = [   # S.U.N. on MP-20 as CrystalDiT reports it (arXiv 2508.16614, abstract): copied, their protocol
    ("CrystalDiT (published; copied, protocol differs)", "9.62"),
    ("FlowMM (as CrystalDiT reports it; copied, protocol differs)", "4.38"),
    ("MatterGen-MP20 (as CrystalDiT reports it; copied, protocol differs)", "3.42")]
PEER_LABEL = "DiffCSP (published raw MP-20 samples, same code and protocol)"
TEST_LABEL = "MP-20 test crystals (sanity check)"

def kit_rows(values: list[str]) -> list[tuple[str, str]]:
    "(label, extra sample args) of every `--kit` value; `;` separates rows inside one value."
    rows = [r.strip() for v in values for r in v.split(";") if r.strip()]
    bad = [r for r in rows if "=" not in r or not r.split("=", 1)[0].strip()]
    if bad:
        raise ValueError(f"--kit {bad[0]!r}: not LABEL=EXTRA SAMPLE ARGS (a label, '=', then sample args or nothing)")
    return [(r.split("=", 1)[0].strip(), r.split("=", 1)[1].strip()) for r in rows]

def run_folder(extra: str, gen_n: int, gen_dir: Path) -> Path:
    "The run folder of a kit row: gen_dir/stability-<gen_n>, then its sample args as a slug."
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", extra).strip("-")
    return gen_dir / (f"stability-{gen_n}" + (f"-{slug}" if slug else ""))

SAMPLER_OPTIONS = ("--steps", "--solver", "--churn", "--precision")   # what `--fast` sets: EXTRA may set them instead

def sample_args(extra: str) -> list[str]:
    "`sample` args of a kit row: `--fast` and EXTRA, or EXTRA alone where it sets the sampler itself."
    args = shlex.split(extra)
    own = any(a.split("=")[0] in SAMPLER_OPTIONS for a in args)
    return args if own else ["--fast", *args]

def kit_run(extra: str, gen_n: int, gen_dir: Path) -> Path:
    "A kit row's run of `sample --n gen_n --seed 0` and `sample_args`: made, resumed, or (complete) checked."
    # `sample` refuses a folder that holds another run (other settings, or an older default sampler)
    run = run_folder(extra, gen_n, gen_dir)
    exe = str(Path(sys.executable).with_name("diffcrysgen"))
    cmd = [exe, "sample", "--n", str(gen_n), "--seed", "0", *sample_args(extra), "--out", str(run), "--quiet"]
    if subprocess.run(cmd).returncode:
        raise SystemExit(f"stability.py: `sample` into {run} failed (its error is above)")
    return run

def stability_row(source: str, pool: int | None, n: int, workers: int, hull: str = EvalConfig.hull) -> dict:
    "`evaluate` of `source` (its first `pool` crystals; None: all), `n` of them relaxed; no per-crystal table."
    cfg = EvalConfig(coverage=False, matchers=("mattergen",), workers=workers, n=pool, stability=n, hull=hull)
    return {k: v for k, v in evaluate(source, cfg).items() if k != "crystals"}

def _pct(s: dict) -> str:
    "A share as 'pct [lo–hi]' (n/a without a denominator)."
    return "n/a" if not s["n"] else f"{s['pct']:.1f} [{s['lo']:.1f}–{s['hi']:.1f}]"

def _num(x, fmt: str) -> str:
    "A number in `fmt`, or n/a."
    return "n/a" if x is None else format(x, fmt)

def row(label: str, st: dict) -> str:
    "One Markdown row of a stability result."
    cells = [label, f"{st['n']:,}", *[_pct(st[k]) for k in KEYS[:3]], _num(st["e_hull"]["median"], ".3f"),
             *[_pct(st[k]) for k in KEYS[3:9]], _num(st["rmsd_angstrom"]["median"], ".3f"),
             f"{st['p1_before']['pct']:.0f} → {st['p1_after']['pct']:.0f}", _pct(st["spacegroup_kept"]),
             _num(st["relax_seconds"]["mean"], ".0f"), *[_pct(st[k]) if k in st else "n/a" for k in BEYOND]]
    return "| " + " | ".join(cells) + " |"

def table(rows: list[tuple[str, dict]]) -> str:
    "The table: our rows with 95 % intervals, then the copied published S.U.N. rows."
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER), *[row(l, r["stability"]) for l, r in rows]]
    at = HEADER.index("S.U.N. %")
    for label, value in PUBLISHED:
        cells = [label, *[""] * (at - 1), value, *[""] * (len(HEADER) - at - 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)

def row_note(label: str, r: dict) -> str:
    "Where a row's crystals came from, its relaxation statuses and its novelty reference."
    st, v, info = r["stability"], r["validity"], r["info"]
    cif = f", CIF not parsed {info['cif_failures']:,}" if "cif_failures" in info else ""
    return (f"- {label}: `{r['source']}`, {st['n']:,} drawn from {v['n']:,} crystals (without a structure "
            f"{v['no_structure']:,}{cif}); statuses {st['statuses']}; "
            f"novelty against {st['novelty_reference']['set']}.")

def caption(rows: list[tuple[str, dict]], seconds: float) -> str:
    "The protocol under the table, from the first row's settings."
    st = rows[0][1]["stability"]
    h, c = st["hull"], st["config"]
    times = [r["stability"]["relax_seconds"] for _, r in rows]
    relax_s = sum((t["mean"] or 0) * t["n"] for t in times)
    return (f"{h['mlip']} relaxation (FIRE, cell and positions, fmax {c['fmax']} eV/Å, ≤ {c['steps']} steps, "
            f"draw seed {c['seed']}); E_hull (eV/atom) against the `{h['kind']}` hull ({h['phases']:,} known phases, "
            f"static CHGNet energies); 95 % Wilson intervals in brackets; s per crystal: mean relaxation time (one "
            f"CHGNet thread per worker); relaxations {relax_s:.0f} s in all, this invocation {seconds:.0f} s wall "
            f"(cached parts reused). Stalled: FIRE stopped after {c.get('stall_steps', 0)} steps without a new low of "
            f"the largest force (counted as not converged). Beyond substitution: no MP-20 train crystal matches with "
            f"the elements anonymised (pymatgen `fit_anonymous`).")

def default_workers() -> int:
    "2 Dask workers where 2+ cores exist, else 1 (serial)."
    return 2 if (os.cpu_count() or 1) >= 2 else 1

def parse(argv=None) -> argparse.Namespace:
    "The command line."
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kit", action="append", default=None, metavar="LABEL=EXTRA",
                   help="a kit row: label, '=', extra `sample` args (repeatable; default: one row, no extra args)")
    p.add_argument("--n", type=int, default=300, help="crystals relaxed per kit row")
    p.add_argument("--n-peer", type=int, default=None, help="DiffCSP crystals relaxed (default: --n; 0: no row)")
    p.add_argument("--peer-pool", type=int, default=2048, help="DiffCSP crystals they are drawn from (the first ones)")
    p.add_argument("--n-test", type=int, default=50, help="MP-20 test crystals relaxed (drawn from the first 1,000)")
    p.add_argument("--gen-n", type=int, default=2048, help="crystals each kit row generates")
    p.add_argument("--gen-dir", type=Path, default=ROOT / "gen", help="where the kit rows' runs go")
    p.add_argument("--hull", choices=HULL_KINDS, default=EvalConfig.hull, help="known phases of the hull")
    p.add_argument("--workers", type=int, default=default_workers(), help="Dask workers (1: serial)")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"stability-{stamp}",
                   help="writes OUT.md and OUT.json")
    a = p.parse_args(argv)
    a.n_peer = a.n if a.n_peer is None else a.n_peer
    if min(a.n, a.gen_n, a.peer_pool, a.workers) < 1 or min(a.n_peer, a.n_test) < 0:
        p.error("--n, --gen-n, --peer-pool and --workers must be positive, --n-peer and --n-test not negative")
    try:
        a.kit = kit_rows(a.kit or ["kit, shipped model="])
    except ValueError as e:
        p.error(str(e))
    return a

def main(argv=None) -> int:
    a = parse(argv)
    import torch
    torch.set_num_threads(1)
    t0 = time.time()
    runs = [(label, extra, kit_run(extra, a.gen_n, a.gen_dir)) for label, extra in a.kit]
    label_of = lambda label, extra: f"{label} (`sample {shlex.join(sample_args(extra))}`)"
    rows = [(label_of(label, extra), stability_row(str(run), None, a.n, a.workers, a.hull))
            for label, extra, run in runs]
    if a.n_peer:
        rows.append((PEER_LABEL, stability_row("diffcsp", a.peer_pool, a.n_peer, a.workers, a.hull)))
    if a.n_test:
        rows.append((TEST_LABEL, stability_row("test", 1000, a.n_test, a.workers, a.hull)))
    seconds = time.time() - t0
    text = "\n".join([table(rows), "", caption(rows, seconds), "", *[row_note(l, r) for l, r in rows]])
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".md").write_text(text + "\n")
    a.out.with_suffix(".json").write_text(json.dumps(jsonable(dict(rows=rows, seconds=seconds)), indent=1))
    print(text)
    return 0

if __name__ == "__main__":
    sys.exit(main())
