"""IRCR round trip on every IRCR-eligible shipped crystal, and one-line errors on bad input built from shipped crystals.

Eligible = every MP-20 crystal with positions (train, positions reconstructed; val; test) after `IRCR_LIMITS` (≤ 20
sites, ≤ 3 elements, Z ≤ 94): 35,446 crystals, plus a seeded 4,000 of the 22,099 mp-extra crystals (all of them are
checked numerically in nbs/05_data.ipynb and by `make demo`). The StructureMatcher pass (≈ 7 ms per crystal) runs in a
2-process pool over chunks.
"""
import concurrent.futures as cf
import multiprocessing as mp
import numpy as np
import pandas as pd
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Element, Structure
from diffcrysgen.data import IRCR_LIMITS, funnel, load_extra, load_mp20, structures
from diffcrysgen.ircr import ROW_L, IRCRError, decode, decode_batch, encode, encode_batch

WORKERS, CHUNKS = 2, 16
LATTICE_TOL = 1e-6      # Å and °

N_MP20, N_EXTRA = 21042 + 7215 + 7189, 4000

def _mp20_eligible() -> pd.DataFrame:
    return pd.concat([funnel(t[t.has_positions], IRCR_LIMITS)[0] for t in map(load_mp20, ("train", "val", "test"))], ignore_index=True)

@pytest.fixture(scope="module")
def eligible() -> pd.DataFrame:
    ex = load_extra(); ex = ex.iloc[np.sort(np.random.default_rng(0).permutation(len(ex))[:N_EXTRA])]
    return pd.concat([_mp20_eligible(), ex], ignore_index=True)

def _fits(z: np.ndarray) -> bool:
    "IRCR limits checked straight on a crystal's atomic numbers (independent of the table's derived columns)."
    return len(z) <= 20 and len(np.unique(z)) <= 3 and int(z.max()) <= 94

def test_eligible_count(eligible):
    raw = pd.concat([load_mp20(s) for s in ("train", "val", "test")], ignore_index=True)
    n_fit = sum(_fits(np.asarray(z)) for z, pos in zip(raw.atomic_numbers, raw.frac_coords) if pos is not None)
    assert len(eligible) - N_EXTRA == n_fit == N_MP20, (len(eligible), n_fit)

def _check_chunk(df: pd.DataFrame) -> dict:
    "Round trip one chunk: StructureMatcher and lattice parameters, then encode(decode(encode(s))) == encode(s)."
    S = structures(df); res = encode_batch(S)
    back, why = decode_batch(res.X)
    sm, bad, matched, lat_err = StructureMatcher(), list(res.rejects), 0, 0.0
    for k, (i, b, w) in enumerate(zip(res.index, back, why)):
        s, name = S[i], res.names[k]
        if b is None: bad.append((name, f"decode failed: {w}")); continue
        err = max(np.abs(np.subtract(b.lattice.abc, s.lattice.abc)).max(),
                  np.abs(np.subtract(b.lattice.angles, s.lattice.angles)).max())
        lat_err = max(lat_err, err)
        if err > LATTICE_TOL: bad.append((name, f"lattice parameters differ by {err:.2e}")); continue
        if not sm.fit(s, b): bad.append((name, "StructureMatcher finds no match")); continue
        matched += 1
    # encode(decode(encode(s))) == encode(s), batched (each crystal is encoded on its own): one canonical matrix per crystal
    ok = [k for k, b in enumerate(back) if b is not None]
    X2 = encode_batch([back[k] for k in ok]).X; X1 = res.X[ok]               # (n, 142, 3)
    not_L = np.r_[0:ROW_L.start, ROW_L.stop:X1.shape[1]]                      # every row but the lattice
    same = (X2[:, not_L] == X1[:, not_L]).all((1, 2)) & (np.abs(X2[:, ROW_L] - X1[:, ROW_L]).max((1, 2)) <= 1e-9)
    bad += [(res.names[ok[j]], "encode(decode(encode(s))) != encode(s)") for j in np.flatnonzero(~same)]
    return dict(n=len(df), matched=matched, reencoded=int(same.sum()), bad=bad, lat_err=lat_err)

def test_roundtrip_every_eligible_crystal(eligible):
    chunks = np.array_split(np.arange(len(eligible)), CHUNKS)
    with cf.ProcessPoolExecutor(WORKERS, mp_context=mp.get_context("fork")) as ex:
        out = list(ex.map(_check_chunk, [eligible.iloc[c] for c in chunks]))
    bad = [b for o in out for b in o["bad"]]
    assert not bad, f"{len(bad)} crystals fail the round trip, e.g. {bad[:5]}"
    assert sum(o["n"] for o in out) == len(eligible)
    assert sum(o["matched"] for o in out) == len(eligible) == N_MP20 + N_EXTRA
    assert sum(o["reencoded"] for o in out) == len(eligible)
    assert max(o["lat_err"] for o in out) <= LATTICE_TOL

# ---- bad input, each built from a real shipped crystal ----

@pytest.fixture(scope="module")
def val() -> pd.DataFrame:
    return load_mp20("val")

def _shipped(val: pd.DataFrame, mask) -> Structure:
    "The first shipped MP-20 val crystal where `mask` holds, named by its material_id."
    return structures(val[mask].iloc[:1])[0]

def _renamed(s: Structure, name: str) -> Structure:
    s = s.copy(); s.properties = {"material_id": name}; return s

def _four_elements(val) -> Structure:
    "A real ternary with one site substituted by a fourth element."
    s = _shipped(val, (val.n_elements == 3) & (val.num_sites >= 4))
    els = [site.specie for site in s]
    i = next(k for k, e in enumerate(els) if els.count(e) >= 2)
    new = next(e for e in ("Li", "Na", "K", "Cu", "Zn") if Element(e) not in s.composition)
    s4 = _renamed(s, s.properties["material_id"] + f"+{new}"); s4.replace(i, new)
    assert len(s4.composition.elements) == 4
    return s4

def _supercell_25(val) -> Structure:
    s = _shipped(val, val.num_sites == 5)
    big = _renamed(s * (5, 1, 1), s.properties["material_id"] + "x5")
    assert len(big) == 25
    return big

def _nan_coords(val) -> Structure:
    s = _shipped(val, val.num_sites >= 2)
    f = s.frac_coords.copy(); f[1, 0] = np.nan
    return Structure(s.lattice, s.species, f, properties={"material_id": s.properties["material_id"] + "-nan"})

def _partial(val) -> Structure:
    s = _shipped(val, val.n_elements == 2)
    a, b = s.composition.elements
    d = _renamed(s, s.properties["material_id"] + "-disordered"); d.replace(0, {a: 0.5, b: 0.5})
    assert not d.is_ordered
    return d

def _actinide(val) -> Structure:
    "A real binary with one element swapped for americium (Z = 95)."
    s = _shipped(val, val.n_elements == 2)
    am = _renamed(s, s.properties["material_id"] + "-Am"); am.replace_species({s.composition.elements[0]: Element("Am")})
    return am

BAD = [(_four_elements, "4 elements; IRCR holds at most 3"), (_supercell_25, "25 sites; IRCR holds at most 20"),
       (_nan_coords, "NaN or infinite fractional coordinates"), (_partial, "partial occupancy"),
       (_actinide, "contains Z=95; IRCR holds Z ≤ 94")]

@pytest.mark.parametrize("make, reason", BAD, ids=[m.__name__.strip("_") for m, _ in BAD])
def test_bad_input_raises_one_line(val, make, reason):
    s = make(val); name = s.properties["material_id"]
    with pytest.raises(IRCRError) as e: encode(s)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{name}: ") and reason in msg, msg
    with pytest.raises(IRCRError, match=f"^given-name: .*{reason[:8]}"): encode(s, name="given-name")

def test_decode_garbage_raises(val):
    x = encode(_shipped(val, val.num_sites >= 1)); x[ROW_L.start + 1] = 0.0        # all angles 0°
    with pytest.raises(IRCRError, match="^gen-7: lattice angle outside"): decode(x, name="gen-7")

def test_mixed_batch_never_raises(val):
    good = structures(val[val.n_elements <= 3].iloc[:3])
    bad = [make(val) for make, _ in BAD]
    batch = [good[0], bad[0], good[1], bad[1], bad[2], bad[3], good[2], bad[4]]
    res = encode_batch(batch)
    assert list(res.index) == [0, 2, 6]
    assert res.names == [s.properties["material_id"] for s in good]
    assert np.array_equal(res.X, np.stack([encode(s) for s in good]))
    assert [n for n, _ in res.rejects] == [s.properties["material_id"] for s in bad]
    for (_, why), (_, reason) in zip(res.rejects, BAD): assert reason in why, (why, reason)
    back, why = decode_batch(res.X)
    assert all(b is not None for b in back) and why == [""] * 3
