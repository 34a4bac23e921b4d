"""Any generator's crystals through `diffcrysgen evaluate` (issue #28, item 1): the shipped DiffCSP CSV read as an
external file gives exactly the peer's crystals, and the installed command evaluates a gzipped CSV with a broken row,
listing that row in unreadable.txt and writing the per-crystal table as CSV and Parquet."""
import json
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from diffcrysgen.data import PEER_SOURCES, data_dir
from diffcrysgen.metrics import load_crystal_set, structure_cif

ROOT = Path(__file__).resolve().parents[1]

def test_external_csv_is_the_peer_path():
    peer = load_crystal_set("diffcsp", 20)
    ext = load_crystal_set(str(data_dir() / PEER_SOURCES["diffcsp"]), 20)
    assert ext.info["kind"] == "external" and ext.info["unreadable"] == 0
    assert ext.ids.tolist() == peer.ids.tolist()
    for k in ("num_atoms", "atomic_numbers", "frac_coords", "cell", "spacegroup"):
        assert np.array_equal(getattr(ext, k), getattr(peer, k)), k

def test_evaluate_external_csv_cli(tmp_path, cli):
    cs = load_crystal_set("test", 3)
    cifs = [structure_cif(cs.structure(i)) for i in range(3)] + ["data_broken\n_cell_length_a 3\n"]
    pd.DataFrame(dict(id=["a", "b", "c", "broken"], cif=cifs)).to_csv(tmp_path / "gen.csv.gz", index=False)
    out = tmp_path / "ev"
    r = cli("evaluate", str(tmp_path / "gen.csv.gz"), "--primitive", "--no-coverage", "--workers", "1", "--quiet",
             "--matchers", "genmetrics", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    ev = json.loads((out / "evaluation.json").read_text())
    assert (ev["validity"]["n"], ev["validity"]["unreadable"], ev["info"]["format"]) == (4, 1, "csv.gz")
    assert ev["novelty_reference"]["set"] == "train"                       # MP-20 train for external crystals
    assert (out / "unreadable.txt").read_text().startswith("broken\t")
    k = pd.read_csv(out / "crystals.csv")
    assert k.id.tolist() == ["a", "b", "c", "broken"]
    assert k.struct_valid.tolist() == [True, True, True, False]
    assert pd.read_parquet(out / "crystals.parquet").id.tolist() == k.id.tolist()
