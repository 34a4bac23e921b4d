"""The explorer notebook in a real browser: JupyterLab on localhost, driven by headless Debian Chromium through Playwright.

The test copies `nbs/27_explorer.ipynb` into a temporary folder, starts `jupyter lab` there (random port and token,
private config/settings/workspace folders, no build prompt, no news, all cells attached to the DOM), opens the
notebook, runs all cells from the Run menu, types a filter into the explorer, selects the first crystal of the table and
waits for its 3D views. It asserts that the count changed to what the filter gives, that the plotly 3D view holds a
WebGL canvas with the selected crystal's element colours in its pixels, that crystal-toolkit's view loaded in its iframe,
and that the CIF link carries the file; it saves screenshots to `$TMPDIR/diffcrysgen-artifacts/` (or `$DIFFCRYSGEN_ARTIFACTS`; never into the repository) and
always stops JupyterLab and its kernel. It is skipped only when Chromium is not installed (`apt-get install chromium`).
"""
import io, json, os, re, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("DIFFCRYSGEN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("DIFFCRYSGEN_ARTIFACTS") or Path(tempfile.gettempdir()) / "diffcrysgen-artifacts")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
FILTER = "O"                     # typed into "contains all": crystals with oxygen
RUN_TIMEOUT_S = 240              # running every cell of the notebook (it generates crystals first)
VIEW_TIMEOUT_S = 90              # a selected crystal's views

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def _settings(home: Path) -> dict:
    "Private Jupyter folders: no build prompt, no news check, every cell attached to the DOM."
    cfg, st = home / "config", home / "settings"
    (cfg / "labconfig").mkdir(parents=True); (cfg / "labconfig" / "page_config.json").write_text(json.dumps({"buildCheck": False, "buildAvailable": False}))
    for ext, name, val in [("notebook-extension", "tracker", {"windowingMode": "none"}),
                           ("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False})]:
        d = st / "@jupyterlab" / ext; d.mkdir(parents=True, exist_ok=True); (d / f"{name}.jupyterlab-settings").write_text(json.dumps(val))
    return dict(JUPYTER_CONFIG_DIR=str(cfg), JUPYTERLAB_SETTINGS_DIR=str(st), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
                JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"), IPYTHONDIR=str(home / "ipython"))

def _start_lab(root: Path, home: Path, port: int, token: str) -> subprocess.Popen:
    "JupyterLab serving `root`, in its own process group (so it and its kernels can be stopped together)."
    env = dict(os.environ, **_settings(home))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0"] + (["--allow-root"] if os.geteuid() == 0 else [])
    log = open(home / "jupyterlab.log", "w")
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

def _wait_ready(proc: subprocess.Popen, url: str, home: Path, timeout_s: float = 90):
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        if proc.poll() is not None: pytest.fail(f"jupyter lab exited {proc.returncode}:\n{(home / 'jupyterlab.log').read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200: return
        except OSError: time.sleep(0.5)
    pytest.fail(f"jupyter lab not ready after {timeout_s} s:\n{(home / 'jupyterlab.log').read_text()[-3000:]}", pytrace=False)

def _stop(proc: subprocess.Popen):
    "Stop JupyterLab and its kernels (its process group): SIGTERM, then SIGKILL."
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try: proc.wait(20)
        except subprocess.TimeoutExpired: os.killpg(proc.pid, signal.SIGKILL); proc.wait(10)

def _colour_pixels(png: bytes, rgb: tuple[int, int, int], tol: int = 8) -> int:
    "How many pixels of a PNG lie within `tol` of an RGB colour."
    from PIL import Image
    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(a - np.array(rgb)).max(-1) <= tol).sum())

@pytest.fixture
def lab(tmp_path):
    "A running JupyterLab over a copy of the explorer notebook: (base url, token, notebook name); stopped afterwards."
    if not Path(CHROMIUM).exists(): pytest.skip(f"{CHROMIUM} not found: install Debian's browser (apt-get install -y chromium)")
    root, home = tmp_path / "root", tmp_path / "home"; root.mkdir(); home.mkdir()
    shutil.copy(ROOT / "nbs" / "27_explorer.ipynb", root / "explorer.ipynb")
    port, token = _free_port(), secrets.token_hex(16); proc = _start_lab(root, home, port, token)
    try:
        _wait_ready(proc, f"http://127.0.0.1:{port}/api/status?token={token}", home)
        yield f"http://127.0.0.1:{port}", token, "explorer.ipynb", home
    finally:
        _stop(proc)
        shutil.copy(home / "jupyterlab.log", ARTIFACTS / "jupyterlab.log") if ARTIFACTS.exists() else None

def test_explorer_in_browser(lab, tmp_path):
    from playwright.sync_api import sync_playwright, expect
    from diffcrysgen.figures import ELEMENT_COLORS
    base, token, nb, home = lab; ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "explorer-failure.png").unlink(missing_ok=True)                        # a stale one from an earlier run
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
                                                    viewport=dict(width=1400, height=1900))
        page = ctx.new_page()
        try: _drive(page, f"{base}/lab/tree/{nb}?token={token}", ELEMENT_COLORS, expect)
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "explorer-failure.png")); raise            # what the browser showed
        finally: ctx.close()

def _count(page) -> tuple[int, int]:
    "(shown, total) from the explorer's count line."
    m = re.search(r"([\d,]+)\s+of\s+([\d,]+)\s+crystals", page.locator(".dcg-count").inner_text())
    assert m, page.locator(".dcg-count").inner_text()
    return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))

def _drive(page, url: str, colours: dict, expect):
    page.goto(url); page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"\|\s*Idle")).first.wait_for(timeout=60_000)          # status bar: the kernel is up
    page.get_by_role("menuitem", name="Run", exact=True).click()                       # Run ▸ Run All Cells
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    page.locator(".dcg-count").wait_for(timeout=RUN_TIMEOUT_S * 1000)
    shown0, total = _count(page); assert shown0 == total > 0, (shown0, total)
    page.locator(".dcg-include input").fill(FILTER); page.locator(".dcg-include input").press("Enter")
    expect(page.locator(".dcg-count")).not_to_have_text(re.compile(rf"^{shown0:,}\s+of"), timeout=30_000)
    shown, _ = _count(page); rows = page.locator(".dcg-rows select option")
    assert 0 < shown < total, f"filter {FILTER!r}: {shown} of {total}"
    texts = rows.all_inner_texts()                                                      # index, formula, ... per row
    assert len(texts) == shown and all(FILTER in re.findall(r"[A-Z][a-z]?", t.split()[1]) for t in texts), texts[:5]
    label = rows.first.inner_text(); page.locator(".dcg-rows select").select_option(index=0)
    plot = page.locator(".dcg-view .js-plotly-plot")
    plot.locator("canvas").first.wait_for(timeout=VIEW_TIMEOUT_S * 1000)
    frame = page.locator(".dcg-view iframe"); frame.wait_for(timeout=VIEW_TIMEOUT_S * 1000)
    inner = page.frame_locator(".dcg-view iframe").locator("canvas").first; inner.wait_for(timeout=VIEW_TIMEOUT_S * 1000)
    page.wait_for_timeout(3000)                                                          # let WebGL draw
    plot.scroll_into_view_if_needed(); plot.screenshot(path=str(ARTIFACTS / "explorer-plotly-view.png"))
    png = plot.screenshot(mask=[plot.locator(".legend")], mask_color="#ffffff")       # the scene, legend blanked (it holds the colours too)
    formula = label.split()[1]; elements = re.findall(r"[A-Z][a-z]?", formula)
    hits = {e: _colour_pixels(png, tuple(int(x) for x in re.findall(r"\d+", colours[e]))) for e in elements}
    assert all(v > 30 for v in hits.values()), f"{formula}: pixels of each element's colour in the 3D view {hits}"
    title = plot.locator(".gtitle").text_content(); assert title.startswith(f"#{label.split()[0]} {formula}"), title
    link = page.locator(".dcg-cif a[download]"); assert link.get_attribute("href").startswith("data:chemical/x-cif;base64,")
    frame.scroll_into_view_if_needed(); page.wait_for_timeout(2000)
    ctk_png = frame.screenshot(path=str(ARTIFACTS / "explorer-ctk-view.png"))
    from PIL import Image
    assert len(np.unique(np.asarray(Image.open(io.BytesIO(ctk_png)).convert("RGB")).reshape(-1, 3), axis=0)) > 20, "crystal-toolkit view is blank"
    page.locator(".dcg-include").evaluate("e => e.scrollIntoView({block: 'start'})"); page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "explorer-screenshot.png"), full_page=False)
    print(f"filter {FILTER!r}: {shown} of {total}; selected {label!r}; colour pixels {hits}; screenshots in {ARTIFACTS}")
