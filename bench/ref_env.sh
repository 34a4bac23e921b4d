#!/usr/bin/env bash
# Create bench/.venv-ref: the paper authors' reference package (PyPI diffcrysgen==0.1.1)
# in its own virtual environment, for side-by-side benchmarks only.
#
#   bash bench/ref_env.sh
#
# Idempotent: re-running it keeps the venv and installs only what is missing.
#
# Notes
# - torch is installed FIRST and pinned (2.13.0, the CPU build this project uses).
#   An unpinned torch pulls a multi-GB CUDA build.
# - diffcrysgen 0.1.1 declares `torch~=2.5.1`; installing it with its dependencies would
#   replace our torch, so it is installed with --no-deps and its other run-time
#   dependencies are installed explicitly, at the versions its metadata declares
#   (numpy~=2.0.1, pandas~=2.2.3, scikit-learn~=1.6.1, ase~=3.24.0, spglib~=2.5.0, tqdm, joblib).
#   `pip check` therefore reports the torch mismatch; that is expected.
# - The wheel ships code only (model, sampler, utils, invert_pcr, analyze_generated_structures,
#   trainer): no weights, no data, no scaler pickle. Its trainer.py does `from model import ...`
#   (not importable as a package module); the benchmarks do not use it.
# - Run the reference with `python -P` or as a script (`python bench/ref_worker.py`), never with
#   the repository root on sys.path: the project's own `diffcrysgen/` package would shadow it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv-ref"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "[ref_env] creating $VENV"
    "$PY" -m venv "$VENV"
fi

# pip prints a 'Location ... is ignored' warning for each miss in this machine's local
# indexes: hide only those lines.
pipq() {
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

if ! "$VENV/bin/python" -P -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') else 1)" 2>/dev/null; then
    echo "[ref_env] installing torch==2.13.0"
    pipq "torch==2.13.0"
fi

echo "[ref_env] installing diffcrysgen==0.1.1 (--no-deps) and its run-time dependencies"
pipq "numpy~=2.0.1" "pandas~=2.2.3" "scikit-learn~=1.6.1" "ase~=3.24.0" "spglib~=2.5.0" tqdm joblib
pipq --no-deps "diffcrysgen==0.1.1"

echo "[ref_env] checking imports"
cd "$HERE"
PYTHONPATH= "$VENV/bin/python" -P - <<'PYEOF'
import importlib
mods = ["diffcrysgen.model", "diffcrysgen.sampler", "diffcrysgen.utils",
        "diffcrysgen.invert_pcr", "diffcrysgen.analyze_generated_structures"]
for m in mods:
    importlib.import_module(m)
import diffcrysgen, torch, numpy, pandas, sklearn, ase, spglib
from importlib.metadata import version
print("[ref_env] ok: diffcrysgen", version("diffcrysgen"), "| torch", torch.__version__,
      "| numpy", numpy.__version__, "| pandas", pandas.__version__,
      "| scikit-learn", sklearn.__version__, "| ase", ase.__version__, "| spglib", spglib.__version__)
print("[ref_env] package at", list(diffcrysgen.__path__)[0])
PYEOF
