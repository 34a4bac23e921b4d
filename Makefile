# The two commands of the README: `make demo` and `make test`. Both install into .venv first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TORCH := torch==2.13.0

.PHONY: install demo test export clean-nbs figures bench-conditioning bench-sample bench-train properties mp20-table mp20-table-templates template-hits mp20-ceiling magnets magnets-table probe recipes recipes-table stability

$(STAMP): setup.py settings.ini
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)   # first and pinned: a CPU build (unpinned torch pulls CUDA)
	$(PY) -m pip install -q -e ".[dev]"
	@# Debian's chromium: kaleido's PNG export and the JupyterLab browser test (Playwright drives it; no `playwright install`)
	command -v chromium >/dev/null || apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium) \
		|| echo "warning: chromium could not be installed: PNG figures and tests/test_explorer_browser.py need it"
	touch $(STAMP)

install: $(STAMP)

## Main job on the shipped defaults: load the shipped data, encode, (generate), print a summary.
demo: install
	$(VENV)/bin/diffcrysgen demo

## Every notebook through nbdev_test, then the integration tests; pytest prints `N passed`.
## Serial on purpose: on 2 cores pytest-xdist (-n 2) measured slower (520 s vs 373 s), since the round-trip test
## already uses 2 processes and torch uses both cores. Narrow a run with e.g. `make test PYTEST_ARGS="-k 00_ircr"`.
## The 12 slowest tests are listed after the summary, to keep the suite within its ~15 minutes.
PYTEST_ARGS ?=
test: install
	$(PY) -m pytest tests/ -q -p no:cacheprovider -p no:dash --durations=12 $(PYTEST_ARGS)

export: install
	$(VENV)/bin/nbdev_export

clean-nbs: install
	$(VENV)/bin/nbdev_clean

## Every paper figure the kit can compute, into docs/figures (HTML + PNG, index.md, figures.json). Generates 1,000 crystals
## with the shipped model into gen/figures-1k first (reused if there) and screens them (Ms and space-group steps left out:
## a set this small leaves no candidate through the full funnel).
figures: install
	mkdir -p runs
	$(VENV)/bin/papermill nbs/26_figures.ipynb runs/26_figures.ipynb -k python3 --no-progress-bar \
	    -p gen gen/figures-1k -p n 1000 -p screen_skip ms,spacegroup -p out_dir docs/figures

## Issue #8's measurement: double-target hit rates unconditional vs conditioned, and inpainting accuracy (README table).
bench-conditioning: install
	$(PY) bench/conditioning.py

## Issue #4's and #3's measurements side by side with the reference (PyPI diffcrysgen 0.1.1 in bench/.venv-ref, made
## by bench/ref_env.sh): sampling ~30 min (100k crystals for the memory and projection rows), training step ~5 min.
bench-sample: install
	bash bench/ref_env.sh
	$(PY) bench/sample_throughput.py --n 1024 --batch-size 256 --quality-n 1000 --rss 10000 100000 --dask-n 4096 \
	    --json bench/results/sample_throughput-$$(date +%Y%m%d-%H%M%S).json | tee bench/results/sample_throughput.md
bench-train: install
	bash bench/ref_env.sh
	$(PY) bench/train_throughput.py --steps 20 --warmup 5 --repeats 3 --compile --flops | tee bench/results/train_throughput.md

## Retrain the shipped property models (~12 + 5 min on one thread); the last cell checks them against the shipped ones.
PROP_ARGS := -p epochs 150 -p patience 30 -p plateau 12 -p batch_size 64 -p lr 0.001 -p weight_decay 0.0001 -p loss l1 -p augment True -p seed 0 -p split mp20 -p max_train 0 -p threads 1
properties: install
	mkdir -p runs
	$(VENV)/bin/papermill nbs/15_properties.ipynb runs/15_properties-hform.ipynb -p target hform $(PROP_ARGS)
	$(VENV)/bin/papermill nbs/15_properties.ipynb runs/15_properties-ms.ipynb -p target ms $(PROP_ARGS)

## The README's MP-20 metrics table: 10,000 crystals of the shipped model (20-step deterministic sampler), scored
## against MP-20 test (~25 min of fingerprints on 2 cores the first time). `make mp20-ceiling`: the same for the shipped
## model's own training split (20,936 MP-20 train crystals, about twice as long), the table's ceiling row.
## `make mp20-table-templates`: the kit's row in template mode (`--templates train`).
mp20-table: install
	$(VENV)/bin/diffcrysgen sample --n 10000 --out gen/mp20-10k --seed 0 --steps 20 --churn 0
	$(VENV)/bin/diffcrysgen evaluate gen/mp20-10k --reference test --workers 2 --out bench/results/mp20-eval-$$(date +%Y%m%d-%H%M%S)
mp20-table-templates: install   # the same in template mode (issue #27)
	$(VENV)/bin/diffcrysgen sample --n 10000 --out gen/mp20-10k-templates --seed 0 --steps 20 --churn 0 --templates train
	$(VENV)/bin/diffcrysgen evaluate gen/mp20-10k-templates --reference test --workers 2 \
		--out bench/results/mp20-eval-templates-$$(date +%Y%m%d-%H%M%S)
template-hits: install   # per-group hit rates and primitive sizes of the template-mode run (after the target above)
	$(PY) bench/template_hits.py gen/mp20-10k-templates gen/mp20-10k --out bench/results/template-hits-$$(date +%Y%m%d).md
mp20-ceiling: install
	$(VENV)/bin/diffcrysgen evaluate training --reference test --workers 2 --out bench/results/mp20-ceiling-$$(date +%Y%m%d-%H%M%S)

## Issue #14's quality probe (a few minutes on 2 cores): 1,024 crystals with `sample --fast` per checkpoint, symmetry and cell
## statistics beside real MP-20 test crystals, and the denoiser diagnostic. `make probe CKPT="a.pt b.pt"` (default: shipped).
CKPT ?=
probe: install
	$(PY) bench/probe.py $(CKPT) --json bench/results/probe.jsonl

## Issue #14's recipe comparison: short runs from scratch on MP-20 train at equal CPU time (20 CPU-min each, one thread,
## two at a time), each probed; `make recipes RECIPES="unet sym"`; the log table of docs/experiments.md: `make recipes-table`.
RECIPES ?= unet sym
recipes: install
	$(PY) bench/recipes.py $(RECIPES) --jobs 2
recipes-table: install
	$(PY) bench/recipes.py --table

## Issue #25's stability table, one code and protocol for every row (bench/stability.py): CHGNet relaxation of STAB_N
## crystals drawn from 2,048 of each kit row (`sample --fast --seed 0` plus the row's args, into gen/stability-2048*),
## STAB_PEER_N of DiffCSP's published raw MP-20 samples (data/peers/) and STAB_TEST_N MP-20 test crystals (the sanity
## check): converged, E_hull, stable, metastable, S.U.N., MSUN, RMSD, symmetry kept, s per crystal, 95 % intervals.
## STAB_KIT: kit rows, LABEL=EXTRA SAMPLE ARGS separated by ';' (e.g. 'kit (push)=;paper sampler=--separation off').
## Resumes from its per-part caches when interrupted.
STAB_N ?= 500
STAB_PEER_N ?= $(STAB_N)
STAB_TEST_N ?= 50
STAB_KIT ?= kit, shipped model=
stability: install
	$(PY) bench/stability.py --n $(STAB_N) --n-peer $(STAB_PEER_N) --n-test $(STAB_TEST_N) --kit "$(STAB_KIT)"

## Issue #27's magnets: MAG_N crystals conditioned on Ms ≥ 1 T inside uniaxial templates (tetragonal, trigonal,
## hexagonal; `--spacegroup uniaxial`) beside MAG_N unconstrained ones with the same condition, each through the
## paper's funnel and the CHGNet validation of its top finalists (`screen`); ~10 min per 10,000 on one core.
MAG_N ?= 10000
MAG_SAMPLE := sample --fast --n $(MAG_N) --seed 0 --condition 'Ms>=1' --quiet
magnets: install
	$(VENV)/bin/diffcrysgen $(MAG_SAMPLE) --out gen/magnets-free-$(MAG_N)
	$(VENV)/bin/diffcrysgen $(MAG_SAMPLE) --spacegroup uniaxial --out gen/magnets-uniaxial-$(MAG_N)
	$(VENV)/bin/diffcrysgen screen gen/magnets-free-$(MAG_N) --out screen/magnets-free-$(MAG_N) --quiet
	$(VENV)/bin/diffcrysgen screen gen/magnets-uniaxial-$(MAG_N) --out screen/magnets-uniaxial-$(MAG_N) --quiet
magnets-table: install   # the two funnels and validations side by side (after `make magnets`)
	$(PY) bench/magnets_table.py screen/magnets-free-$(MAG_N) screen/magnets-uniaxial-$(MAG_N)

## Issue #28's relaxation speed: CPU per crystal of the issue's protocol, with the stall stop, and as the kit relaxes
## now (filter forces once per state, one BLAS thread), on the same 24 kit and 16 DiffCSP crystals (~25 min, one core;
## needs gen/stability-2048 from `make stability`). `make hull-extra`: verdicts that change when the hull also holds
## the mp-extra crystals, from the cached stability draws (a minute, no relaxation).
bench-relax: install
	$(PY) bench/relax_speed.py
hull-extra: install
	$(PY) bench/hull_extra.py
