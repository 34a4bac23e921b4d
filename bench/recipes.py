"""Issue #14's recipe comparison: short training runs from scratch on MP-20 train at (about) equal CPU time, each scored
with the quality probe (`bench/probe.py`). `python bench/recipes.py NAME [NAME ...] --jobs 2` (`make recipes`).

Each recipe is a set of `python -m diffcrysgen.train` flags; epochs are set per recipe so that every run costs about
`--cpu-min` CPU-minutes on one thread (measured per-step costs: plain U-Net 182 ms, with symmetry features 192 ms,
batch 128 330 ms, bf16, 1 thread; gated snaps taken as 5 % more). Each run's measured CPU time (the child's rusage), wall time, command and probe
land as one JSON line in bench/results/recipes.jsonl; docs/experiments.md is written from those lines.
"""
import argparse, json, os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N_TRAIN = {"mp20": 20936, "mp20+extra": 42806}          # crystals after the training filters
CPU_PER_SAMPLE = {(False, 64): 0.182 / 64, (True, 64): 0.192 / 64, (True, 128): 0.330 / 128, (False, 128): 0.320 / 128}
BASE = dict(precision="bf16", seed=0, threads=1)
RECIPES = {   # name: (what it tests, flags)
    "unet":         ("the paper's U-Net, EDM defaults (baseline)", dict()),
    "unet-lowsigma": ("noise levels shifted down: ln σ ~ N(−2.0, 1.6²)", dict(P_mean=-2.0, P_std=1.6)),
    "sym":          ("symmetry features in, zero-initialised head out", dict(sym_features=True)),
    "sym-lowsigma": ("symmetry features + ln σ ~ N(−2.0, 1.6²)", dict(sym_features=True, P_mean=-2.0, P_std=1.6)),
    "sym-b128":     ("symmetry features, batch 128, lr 1e-3", dict(sym_features=True, batch_size=128, lr=1e-3)),
    "sym-extra":    ("symmetry features, MP-20 train + 22k extra MP crystals", dict(sym_features=True, data="mp20+extra")),
    "sym-ema9995":  ("symmetry features, EMA 0.9995", dict(sym_features=True, ema_decay=0.9995)),
    "symgate-lowsigma": ("symmetry features + gated exact snaps (pairs, special values) + ln σ ~ N(−2.0, 1.6²)",
                         dict(sym_features=True, sym_gates=True, P_mean=-2.0, P_std=1.6)),
    "sym-lowsigma-extra": ("symmetry features + ln σ ~ N(−2.0, 1.6²), MP-20 train + 22k extra MP crystals",
                           dict(sym_features=True, P_mean=-2.0, P_std=1.6, data="mp20+extra")),
}

def flags(name: str, cpu_min: float) -> list[str]:
    "Training flags of a recipe, epochs set to spend about `cpu_min` CPU-minutes on one thread."
    f = {**BASE, **RECIPES[name][1]}; bs = f.get("batch_size", 64)
    per_epoch = N_TRAIN[f.get("data", "mp20")] * CPU_PER_SAMPLE[(bool(f.get("sym_features")), bs)] * (1.05 if f.get("sym_gates") else 1.0)
    f["epochs"] = max(1, round(cpu_min * 60 / per_epoch))
    out = []
    for k, v in f.items(): out += [f"--{k}"] if v is True else [f"--{k}", str(v)]
    return out

def run(name: str, cpu_min: float, root: Path, log: Path) -> dict:
    "Train one recipe in a subprocess (its CPU time from rusage), then probe its best checkpoint."
    cmd = [sys.executable, "-m", "diffcrysgen.train", *flags(name, cpu_min), "--run_dir", str(root), "--name", name]
    t0 = time.time(); p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read(); _, status, ru = os.wait4(p.pid, 0)
    if status != 0: raise RuntimeError(f"{name}: training failed (status {status})")
    run_dir = Path(out.strip().splitlines()[-1]); train_cpu, wall = ru.ru_utime + ru.ru_stime, time.time() - t0
    from diffcrysgen.probe import ProbeConfig, probe
    r = probe(run_dir / "ckpt-best.pt", ProbeConfig(threads=1))
    rec = dict(recipe=name, what=RECIPES[name][0], command=" ".join(["python", "-m", "diffcrysgen.train", *cmd[3:]]),
               run=str(run_dir), train_cpu_s=round(train_cpu), train_wall_s=round(wall), probe=r)
    with open(log, "a") as fh: fh.write(json.dumps(rec) + "\n")
    print(f"{name}: {train_cpu / 60:.1f} CPU-min, P1 {r['generated']['p1_pct']:.1f} %, two equal {r['generated']['two_lengths_equal_pct']:.1f} %, "
          f"valid {r['generated']['valid_pct']:.1f} %", flush=True)
    return rec

COLUMNS = (("valid_pct", "valid %"), ("struct_valid_pct", "struct. %"), ("comp_valid_pct", "comp. %"), ("p1_pct", "P1 %"),
           ("sg_gt15_pct", "SG > 15 %"), ("two_lengths_equal_pct", "a=b (0.1 %) %"), ("special_angles_pct", "angles 60/90/120 %"),
           ("distinct_compositions", "distinct comp."), ("density_emd", "ρ-EMD"), ("n_elements_emd", "#el-EMD"))

def table(log: Path) -> str:
    "The recipes logged so far as a Markdown table (probe of each run's best checkpoint), real MP-20 test last."
    recs = [json.loads(l) for l in log.read_text().splitlines() if l.strip()]
    if not recs: return "(no recipes logged yet)"
    fmt = lambda v: f"{v:,}" if isinstance(v, int) else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"
    diag = lambda r, s: next((f"{d['equal_removed_pct']:.0f} / {d['special_removed_pct']:.0f}" for d in r["probe"]["diagnostic"] if d["sigma"] == s), "–")
    head = "| recipe | what | train CPU-min | steps | " + " | ".join(c for _, c in COLUMNS) + " | removed at σ 0.01 (a=b / special) % |"
    rows = [f"| `{r['recipe']}` | {r['what']} | {r['train_cpu_s'] / 60:.1f} | {r['probe']['step']:,} | "
            + " | ".join(fmt(r["probe"]["generated"][k]) for k, _ in COLUMNS) + f" | {diag(r, 0.01)} |" for r in recs]
    real = recs[-1]["probe"]["real"]
    rows.append("| real MP-20 test | same size as generated | – | – | " + " | ".join(fmt(real[k]) for k, _ in COLUMNS) + " | – |")
    return "\n".join([head, "|" + "---|" * (head.count("|") - 1), *rows])

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("recipes", nargs="*", default=[], help=f"of {', '.join(RECIPES)}")
    p.add_argument("--cpu-min", type=float, default=20.0, help="CPU-minutes of training per recipe (default 20)")
    p.add_argument("--jobs", type=int, default=2, help="recipes trained at once, one thread each (default 2)")
    p.add_argument("--runs", type=Path, default=ROOT / "runs" / "recipes", help="parent of the run folders")
    p.add_argument("--log", type=Path, default=ROOT / "bench" / "results" / "recipes.jsonl")
    p.add_argument("--table", action="store_true", help="print the logged recipes as a Markdown table and stop")
    a = p.parse_args(argv)
    if a.table: print(table(a.log)); return 0
    if not a.recipes: p.error(f"name the recipes to run: {', '.join(RECIPES)}")
    bad = [r for r in a.recipes if r not in RECIPES]
    if bad: p.error(f"unknown recipe(s) {bad}; choose from {', '.join(RECIPES)}")
    if a.cpu_min <= 0 or a.jobs < 1: p.error("--cpu-min and --jobs must be positive")
    a.log.parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(a.jobs) as ex: list(ex.map(lambda r: run(r, a.cpu_min, a.runs, a.log), a.recipes))
    return 0

if __name__ == "__main__": sys.exit(main())
