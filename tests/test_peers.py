"""A published peer (DiffCSP's raw MP-20 samples, data/peers/) evaluated with the kit's own code (issue #25, item 3):
the installed `diffcrysgen evaluate diffcsp` on a few crystals, the peer's stability cache beside the kit's, and the
kit rows of bench/stability.py."""
import importlib.util, json
from pathlib import Path
import pandas as pd
import pytest
from diffcrysgen.data import PEER_SOURCES, data_dir
from diffcrysgen.metrics import load_crystal_set
from diffcrysgen.stability import StabilityConfig, stability_dir

ROOT = Path(__file__).resolve().parents[1]

def _bench():
    "bench/stability.py as a module."
    spec = importlib.util.spec_from_file_location("bench_stability", ROOT / "bench" / "stability.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

def test_peer_file_ships():
    p = data_dir() / PEER_SOURCES["diffcsp"]
    assert p.is_file() and (p.parent / "README.md").is_file(), p
    assert pd.read_csv(p, nrows=2).columns.tolist() == ["id", "cif"]

def test_evaluate_diffcsp_cli(tmp_path, cli):
    out = tmp_path / "ev"
    r = cli("evaluate", "diffcsp", "--n", "20", "--no-coverage", "--workers", "1", "--quiet", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "## `diffcsp` against `test`" in r.stdout
    ev = json.loads((out / "evaluation.json").read_text())
    assert ev["info"] == dict(kind="peer", source="diffcsp", cif_failures=0)
    assert ev["validity"]["n"] == 20 and ev["validity"]["no_structure"] == 0
    assert ev["novelty_reference"]["set"] == "train"                 # MP-20 train, as for the kit's runs
    crystals = pd.read_parquet(out / "crystals.parquet")
    assert crystals.id.tolist() == [f"diffcsp_{i:05d}" for i in range(20)]

def test_peer_stability_cache_is_its_own():
    cfg = StabilityConfig(n=5)
    peer = stability_dir(load_crystal_set("diffcsp", 20), cfg)
    test = stability_dir(load_crystal_set("test", 20), cfg)
    assert peer.parent == ROOT / "evaluations" / "diffcsp" / "stability", peer
    assert peer.parent != test.parent

def test_bench_kit_rows():
    b = _bench()
    assert b.kit_rows(["kit=", "a=;λ 1=--sharpen 1"]) == [("kit", ""), ("a", ""), ("λ 1", "--sharpen 1")]
    with pytest.raises(ValueError, match="not LABEL=EXTRA"):
        b.kit_rows(["no equals sign"])
    assert b.run_folder("", 2048, Path("gen")) == Path("gen/stability-2048")
    assert b.run_folder("--sharpen 1.5 --steps 20", 64, Path("/t")) == Path("/t/stability-64-sharpen-1.5-steps-20")
    a = b.parse(["--n", "7"])
    assert (a.n, a.n_peer, a.kit) == (7, 7, [("kit, shipped model", "")])
