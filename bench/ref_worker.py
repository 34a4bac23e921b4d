"""Benchmark worker for the REFERENCE implementation (PyPI `diffcrysgen==0.1.1`).

Runs inside the reference venv made by `bash bench/ref_env.sh`:

    bench/.venv-ref/bin/python bench/ref_worker.py train  --batch-size 64 --steps 30 --warmup 5 --threads 2
    bench/.venv-ref/bin/python bench/ref_worker.py sample --n 32 --batch-size 32 --threads 2

It drives the reference package only through its public objects (`diffcrysgen.model.Model`/`UNet`,
`diffcrysgen.sampler.generate_samples`, `diffcrysgen.analyze_generated_structures.analyze_ircr_data`)
and prints exactly one JSON line of results on stdout; everything the reference prints (and its
tqdm bars) goes to stderr.

Weights are random (freshly initialised): throughput does not depend on their values. The
reference ships no scaler pickle, so `diffcrysgen.sampler.load_saved_diffusion_scaler` is replaced
by a function returning a stand-in `MinMaxScaler` fitted here (see `stand_in_scaler`).
"""
import argparse
import contextlib
import json
import os
import sys
import tempfile
import time

# A script's own folder (bench/) is sys.path[0], not the working directory; still, make sure the
# project's own `diffcrysgen/` package (repository root) can never shadow the reference package.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _ROOT]

import numpy as np
import torch

import diffcrysgen
from diffcrysgen import model as ref_model
from diffcrysgen import sampler as ref_sampler

if os.path.abspath(list(diffcrysgen.__path__)[0]).startswith(_ROOT + os.sep + "diffcrysgen"):
    raise SystemExit("ref_worker: imported the project's diffcrysgen, not the reference package")

N_FEATURES = 136  # IRCR rows used by the reference model: 94 elements + 2 lattice + 20 coords + 20 occupancy
N_CHANNELS = 3


def build_model():
    """The reference's own model, exactly as its sampler builds it."""
    return ref_model.Model(denoise_fn=ref_model.UNet(in_c=3, out_c=3, time_emb_dim=256))


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def stand_in_scaler(n_rows=96, seed=0):
    """A fitted stand-in for the reference's missing `ircr_diffusion_scaler.pkl`.

    `diffcrysgen.utils.inv_minmax` reshapes a (B, 136, 3) array to (B*3, 136) before
    `scaler.inverse_transform`, so the scaler has 136 features and is fitted on (N*3, 136).
    Per-feature ranges follow the IRCR layout so that decoding yields plausible values:
    element/occupancy one-hots and fractional coordinates in [0, 1], lattice lengths
    a, b, c in [2, 15] Angstrom, angles in [60, 120] degrees.
    """
    from sklearn.preprocessing import MinMaxScaler

    lo = np.zeros((N_FEATURES, N_CHANNELS))
    hi = np.ones((N_FEATURES, N_CHANNELS))
    lo[94], hi[94] = 2.0, 15.0     # a, b, c
    lo[95], hi[95] = 60.0, 120.0   # alpha, beta, gamma
    rng = np.random.default_rng(seed)
    data = lo + (hi - lo) * rng.random((n_rows, N_FEATURES, N_CHANNELS))
    data[0], data[1] = lo, hi
    flat = np.transpose(data, (0, 2, 1)).reshape(-1, N_FEATURES)  # (n_rows*3, 136)
    return MinMaxScaler().fit(flat)


def mode_train(a):
    torch.manual_seed(0)
    dev = torch.device(a.device)
    model = build_model().to(dev)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    x = (torch.rand(a.batch_size, N_CHANNELS, N_FEATURES) * 2 - 1).to(dev)  # values in [-1, 1]
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(x)
        loss.backward()
        opt.step()
        return loss

    for _ in range(a.warmup):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    loss.item()
    sync()
    dt = time.perf_counter() - t0
    return {
        "impl": "reference",
        "mode": "train",
        "samples_per_s": a.batch_size * a.steps / dt,
        "step_ms": 1000 * dt / a.steps,
        "params": count_params(model.denoise_fn_D.denoise_fn_F),
        "params_total": count_params(model),
        "batch_size": a.batch_size,
        "steps": a.steps,
        "warmup": a.warmup,
        "threads": torch.get_num_threads(),
        "device": str(dev),
        "torch": torch.__version__,
    }


def mode_flops(a):
    """FLOPs of one forward + backward of the reference denoiser, per sample (torch.utils.flop_counter)."""
    from torch.utils.flop_counter import FlopCounterMode
    torch.manual_seed(0)
    net = build_model().denoise_fn_D
    x = torch.randn(64, N_CHANNELS, N_FEATURES, requires_grad=True)
    with FlopCounterMode(display=False) as fc:
        net(x, torch.rand(64) + 0.1).sum().backward()
    return {"impl": "reference", "mode": "flops", "mflop_per_sample": fc.get_total_flops() / 64 / 1e6,
            "params": count_params(net.denoise_fn_F)}


def mode_sample(a):
    from diffcrysgen import analyze_generated_structures as ref_analyze

    torch.manual_seed(0)
    np.random.seed(0)
    model = build_model()
    scaler = stand_in_scaler()
    result = {"impl": "reference", "mode": "sample", "n": a.n, "batch_size": a.batch_size,
              "threads": torch.get_num_threads(), "torch": torch.__version__,
              "params": count_params(model.denoise_fn_D.denoise_fn_F)}

    # Count denoiser calls (Precond.forward == one network evaluation) with a thin class-level wrapper.
    calls = {"n": 0}
    orig_forward = ref_model.Precond.forward

    def counting_forward(self, x, sigma):
        calls["n"] += 1
        return orig_forward(self, x, sigma)

    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "ref-random.pt")
        torch.save(model.state_dict(), model_path)
        ref_sampler.load_saved_diffusion_scaler = lambda path=None: scaler
        ref_model.Precond.forward = counting_forward
        try:
            with contextlib.redirect_stdout(sys.stderr):
                t0, c0 = time.perf_counter(), time.process_time()
                gen = ref_sampler.generate_samples(num_samples=a.n, batch_size=a.batch_size,
                                                   model_path=model_path)
                dt_sample, cpu_sample = time.perf_counter() - t0, time.process_time() - c0
        finally:
            ref_model.Precond.forward = orig_forward
        result.update({
            "sample_s": dt_sample,
            "sample_cpu_s": cpu_sample,   # CPU seconds of this process, all threads
            "sample_structures_per_s": a.n / dt_sample,
            "network_calls": calls["n"],
            "network_calls_per_batch": calls["n"] / int(np.ceil(a.n / a.batch_size)),
            "generated_shape": list(gen.shape),
        })

        # Decode + analysis: the reference's own analyze_ircr_data on the generated array.
        npy = os.path.join(tmp, "generated_ircr.npy")
        np.save(npy, gen)
        csv = os.path.join(tmp, "generated_material_data.csv")
        with contextlib.redirect_stdout(sys.stderr):
            t0, c0 = time.perf_counter(), time.process_time()
            df = ref_analyze.analyze_ircr_data(npy, output_csv=csv)
            dt_an, cpu_an = time.perf_counter() - t0, time.process_time() - c0
        result.update({
            "analysis_s": dt_an,
            "analysis_cpu_s": cpu_an,
            "analysis_structures_per_s": a.n / dt_an,
            "analysis_ms_per_structure": 1000 * dt_an / a.n,
            "analysis_rows": int(len(df)),  # structures analysed without an exception
            "analysis_valid": int((df["validity"] == "valid").sum()) if len(df) else 0,
            "mean_natoms": float(df["Natoms"].mean()) if len(df) else None,
        })
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("train")
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--steps", type=int, default=30)
    t.add_argument("--warmup", type=int, default=5)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--device", default="cpu")
    s = sub.add_parser("sample")
    s.add_argument("--n", type=int, default=32)
    s.add_argument("--batch-size", type=int, default=32)
    s.add_argument("--threads", type=int, default=2)
    sub.add_parser("flops").add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    out = {"train": mode_train, "sample": mode_sample, "flops": mode_flops}[a.mode](a)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
