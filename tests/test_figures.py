"""The figure gallery as `make figures` makes it: nbs/26_figures.ipynb run by papermill on a small generated set.

Every figure of `figures.CAPTIONS` must come out as HTML and as a non-blank PNG, except where the notebook says why
not and the reason holds: the parity plots and the screening figures need the shipped property models
(data/checkpoints/prop-hform.pt, prop-ms.pt). Skipped only when Chromium (kaleido's browser) is not installed.
"""
import io, json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("DIFFCRYSGEN_CHROMIUM", "/usr/bin/chromium")
N = 48                                                   # crystals generated (20 Heun steps)
SKIP = "novel,rare_earth_free,hform_negative,hform,ms,dmin,ternary,spacegroup"   # keep every valid crystal as a candidate
MODEL_FIGURES = ("fig2b-parity-hform", "fig2c-parity-ms", "screening-funnel", "screening-candidates", "candidates-3d")

def _png_ok(p: Path) -> tuple[int, int, int]:
    "(width, height, distinct colours) of a PNG."
    from PIL import Image
    im = Image.open(io.BytesIO(p.read_bytes())).convert("RGB"); a = np.asarray(im).reshape(-1, 3)
    return im.width, im.height, len(np.unique(a[:: max(1, len(a) // 200_000)], axis=0))

@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    "Run the notebook once: (output folder, figures.json)."
    if not Path(CHROMIUM).exists(): pytest.skip(f"{CHROMIUM} not found: kaleido needs Chromium (apt-get install -y chromium)")
    tmp = tmp_path_factory.mktemp("figures"); out = tmp / "figs"
    cmd = [sys.executable, "-m", "papermill", "nbs/26_figures.ipynb", str(tmp / "run.ipynb"), "-k", "python3", "--log-output",
           "-p", "gen", str(tmp / "gen"), "-p", "n", str(N), "-p", "reference", "val-kit", "-p", "parity_split", "val",
           "-p", "screen_skip", SKIP, "-p", "top", "4", "-p", "out_dir", str(out), "-p", "formats", "html,png"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return out, json.loads((out / "figures.json").read_text())

def test_every_figure_or_its_reason(gallery):
    from diffcrysgen.figures import CAPTIONS
    from diffcrysgen.properties import property_model_path
    out, man = gallery; made, skipped = man["figures"], man["skipped"]
    models = all(property_model_path(k).exists() for k in ("hform", "ms"))
    assert set(made) | set(skipped) == set(CAPTIONS) and not set(made) & set(skipped), (sorted(made), sorted(skipped))
    expected_skips = set() if models else set(MODEL_FIGURES)
    assert set(skipped) == expected_skips, skipped
    assert all("no property model" in why for why in skipped.values()), skipped
    assert man["info"]["n_generated"] == N

def test_files_are_real_images(gallery):
    out, man = gallery
    for name, files in man["figures"].items():
        assert sorted(files) == [f"{name}.html", f"{name}.png"], files
        w, h, colours = _png_ok(out / f"{name}.png")
        assert w >= 600 and h >= 400 and colours > 20, f"{name}.png: {w}×{h} px, {colours} colours"
        html = (out / f"{name}.html").read_text()
        assert 'src="plotly.min.js"' in html and "Plotly.newPlot" in html, f"{name}.html"
    assert (out / "plotly.min.js").stat().st_size > 1_000_000 and (out / "index.md").read_text().startswith("# Figures")
