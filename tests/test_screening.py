"""Screening on Dask worker processes: a 2-worker LocalCluster screens a run part by part into the same ranked candidates
and the same funnel counts as one process screening the whole table at once (`nbs/23_screening.ipynb` tests the
threaded cluster, resuming and the command). Real crystals with known answers: MP-20 test rows analysed like generated
ones, their DFT h_form and Ms standing in for predictions (test scaffolding, shipped to the workers by value)."""
import sys
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask.distributed")
import cloudpickle
from dask.distributed import LocalCluster
from diffcrysgen.data import kit_splits
from diffcrysgen.schema import read_generated, write_part
from diffcrysgen.screening import ScreenConfig, known_as_generated, read_screen, screen_run, screen_table

cloudpickle.register_pickle_by_value(sys.modules[__name__])   # worker processes cannot import this test module
COLS = ["rank", "index", "formula", "hform_pred", "ms_pred", "e_above_hull_est", "spacegroup", "min_distance"]

@pytest.fixture(scope="module")
def mp20():
    "A 3-part run of 300 MP-20 test crystals (every one with Ms ≥ 1 T and Z ≤ 54, then others; seed 0) and its truth table."
    kt = kit_splits()["test"]
    sel = kt[(kt.ms_tesla >= 1) & (kt.z_max <= 54)]
    sub = pd.concat([sel, kt.drop(sel.index).sample(300 - len(sel), random_state=0)]).sort_index()
    truth = pd.DataFrame(dict(hform_pred=sub.formation_energy_per_atom.to_numpy(), ms_pred=sub.ms_tesla.to_numpy()))
    return known_as_generated(sub, "mp20-test"), truth

class Truth:
    "The DFT values of the MP-20 rows, looked up by row index."
    def __init__(self, truth: pd.DataFrame): self.truth = truth
    def __call__(self, d: pd.DataFrame) -> pd.DataFrame: return self.truth.loc[d["index"].to_numpy()].set_index(d.index)

def test_local_cluster_equals_single_process(tmp_path, mp20):
    mp, truth = mp20; run = tmp_path / "run"; run.mkdir(); predict = Truth(truth)
    for k, lo in enumerate(range(0, len(mp), 100)): write_part(mp.iloc[lo:lo + 100], run, k)
    cfg = ScreenConfig(skip=("novel",))                          # MP-20 crystals are not novel by definition
    whole, whole_rep = screen_table(read_generated(run), cfg, predict)
    assert len(whole) >= 5, "the funnel left too few crystals for a meaningful comparison"
    out = screen_run(run, tmp_path / "screen", cfg, predict, workers=2, progress=False)
    cands, rep = read_screen(out)
    assert sorted(p.name for p in (out / "candidates").glob("part-*.parquet")) == [f"part-{k:05d}.parquet" for k in range(3)]
    pd.testing.assert_frame_equal(cands[COLS], whole[COLS])
    pd.testing.assert_frame_equal(rep, whole_rep)
    assert np.all(np.diff(cands.e_above_hull_est.to_numpy()) >= 0)
