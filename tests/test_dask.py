"""Dask scale-out: a 2-worker LocalCluster run writes exactly the rows of a single-process run with the same seeds
(each task generates one contiguous chunk with the same per-crystal generators and writes its own part)."""
from pathlib import Path
import pandas as pd
import pytest
import torch
from diffcrysgen.sample import SamplerConfig, generate
from diffcrysgen.schema import read_generated
from diffcrysgen.train import TrainConfig, train

pytest.importorskip("dask.distributed")
torch.set_num_threads(1)    # Dask workers run one torch thread each (threads_per_worker=1); match them

@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("tiny")
    return train(TrainConfig(epochs=1, max_train=64, batch_size=32, channels=(8, 16, 32), blocks=1, emb_dim=32, run_dir=str(tmp)), quiet=True) / "ckpt-last.pt"

def test_local_cluster_equals_single_process(tmp_path, ckpt):
    cfg, kw = SamplerConfig(steps=6, S_churn=1.0), dict(seed=11, batch_size=2, chunk_size=3, device="cpu", progress=False)
    single = read_generated(generate(12, tmp_path / "single", cfg, ckpt, **kw))
    out = generate(12, tmp_path / "dask", cfg, ckpt, workers=2, **kw)
    assert sorted(p.name for p in out.glob("part-*.parquet")) == [f"part-{k:05d}.parquet" for k in range(4)]
    pd.testing.assert_frame_equal(read_generated(out), single, check_exact=True)
