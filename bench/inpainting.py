"""Inpainting accuracy alone (the second table of bench/conditioning.py), at λ 1.5 and λ 1, FAST sampler, seed 0.

    .venv/bin/python bench/inpainting.py bench/results/inpainting-<date>.json
"""
import json, sys, time
from dataclasses import replace
import torch
torch.set_num_threads(2)
from diffcrysgen.conditioning_bench import inpainting_benchmark
from diffcrysgen.sample import FAST
out = {}
for lam in (1.5, 1.0):
    t = time.time()
    df = inpainting_benchmark(n=64, cfg=replace(FAST, sharpen=lam), seed=0)
    out[str(lam)] = df.to_dict("records")
    print(lam, f"{time.time() - t:.0f} s"); print(df.to_markdown(index=False, floatfmt=".1f"), flush=True)
json.dump(out, open(sys.argv[1], "w"), indent=1, default=float)
