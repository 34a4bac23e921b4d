"""Issue #14's quality probe of generator checkpoints (`make probe`, or `python bench/probe.py CKPT [CKPT ...]`).

For each checkpoint: 1,024 crystals with the fast sampler (DPM-Solver++(2M), 20 steps, bf16 = `sample --fast`), their
validity, symmetry and cell statistics beside real MP-20 test crystals, EMDs against MP-20 val, and the denoiser
diagnostic (noise removed from exact equalities and special positions). `--sharpen 1` probes the plain sampler (before
2026-12-02 the only one; `sample --fast` samples the positions at λ = SHARPEN). Prints Markdown; with --json appends one JSON
line per checkpoint (what docs/experiments.md quotes). All numbers are for raw generated crystals.
"""
import argparse, sys
from pathlib import Path
from dataclasses import replace
from diffcrysgen.probe import ProbeConfig, probe, format_probe
from diffcrysgen.sample import SHARPEN, TURBO
from _jsonl import append

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoints", nargs="*", help="generator checkpoints (default: the shipped data/checkpoints/mp20-edm.pt)")
    p.add_argument("--n", type=int, default=1024, help="crystals generated per checkpoint (default 1024)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    p.add_argument("--sharpen", type=float, default=SHARPEN, help=f"λ of the low-temperature positions (default {SHARPEN}, as `sample --fast`; 1: off)")
    p.add_argument("--json", type=Path, help="append one JSON line per checkpoint to this file")
    a = p.parse_args(argv)
    if a.n < 1: p.error(f"--n {a.n}: must be a positive count")
    for ck in a.checkpoints or [None]:
        r = probe(ck, ProbeConfig(n=a.n, seed=a.seed, threads=a.threads), replace(TURBO, sharpen=a.sharpen))
        print(format_probe(r), flush=True)
        print()
        append(r, a.json)
    return 0

if __name__ == "__main__": sys.exit(main())
