"""The package's import graph, read from the source with `ast` (every import counts, also those inside functions):
no import circle, and every import goes to a module of a lower-numbered notebook; the README's notebook map lists
every module in number order. `runs` sits at the bottom: it imports no other module of the package and no torch at import time."""
import ast, graphlib, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "diffcrysgen"
MODULES = sorted(p.stem for p in PKG.glob("*.py") if p.stem not in ("__init__", "_modidx"))

def imports_in(src: str, top_level_only: bool = False) -> set[str]:
    "Names imported by Python source `src` (`.x`, `diffcrysgen.x`, `from . import x`, `import diffcrysgen.x` as `diffcrysgen.x`; `import x`)."
    tree = ast.parse(src)
    nodes = tree.body if top_level_only else ast.walk(tree)
    out = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 0 and not mod.startswith("diffcrysgen"): out.add(mod.split(".")[0]); continue
            if node.level > 1: out.add("<beyond the package>"); continue
            mod = mod.removeprefix("diffcrysgen").lstrip(".")
            out |= {f"diffcrysgen.{a.name}" for a in node.names} if not mod else {f"diffcrysgen.{mod.split('.')[0]}"}
        elif isinstance(node, ast.Import):
            out |= {a.name if not a.name.startswith("diffcrysgen.") else "diffcrysgen." + a.name.split(".")[1] for a in node.names}
    return out

def imported(module: str, top_level_only: bool = False) -> set[str]:
    "Names imported by `diffcrysgen/<module>.py`."
    return imports_in((PKG / f"{module}.py").read_text(), top_level_only)

def package_deps(names: set[str]) -> set[str]:
    "The package modules among imported names."
    return {i.split(".")[1] for i in names if i.startswith("diffcrysgen.") and i.split(".")[1] in MODULES}

def graph() -> dict[str, set[str]]:
    "module → the package modules it imports."
    return {m: package_deps(imported(m)) - {m} for m in MODULES}

def notebook_numbers() -> dict[str, tuple[int, str]]:
    "module → the number (and letter) of its notebook (`nbs/NN_name.ipynb` or `nbs/NNa_name.ipynb`, `#| default_exp`)."
    out = {}
    for nb in sorted((ROOT / "nbs").glob("[0-9][0-9]*_*.ipynb")):
        m = re.search(r"#\\?\|\s*default_exp\s+(\w+)", nb.read_text())
        n = re.match(r"(\d\d)([a-z]?)_", nb.name)
        if m and n: out[m.group(1)] = (int(n.group(1)), n.group(2))
    return out

def readme_map() -> list[str]:
    "The modules of the README's notebook map (`| `NN_name` | `module` | … |`), in the map's order."
    return re.findall(r"^\| `[0-9][0-9][a-z]?_\w+` \| `(\w+)` \|", (ROOT / "README.md").read_text(), re.M)

def test_modules_found():
    assert {"ircr", "runs", "sample", "cli"} <= set(MODULES), MODULES

def test_no_import_cycle():
    try: order = list(graphlib.TopologicalSorter(graph()).static_order())
    except graphlib.CycleError as e: pytest.fail(f"import circle: {' -> '.join(e.args[1])}", pytrace=False)
    assert sorted(order) == MODULES

def test_imports_go_to_lower_numbered_notebooks():
    nums = notebook_numbers()
    assert set(nums) == set(MODULES), f"modules without a notebook {sorted(set(MODULES) - set(nums))}, notebooks without a module {sorted(set(nums) - set(MODULES))}"
    assert len(set(nums.values())) == len(nums), f"two notebooks share a number: {sorted(nums.items(), key=lambda kv: kv[1])}"
    bad = [f"{m} ({nums[m]}) imports {d} ({nums[d]})" for m, deps in graph().items() for d in sorted(deps) if nums[d] >= nums[m]]
    assert not bad, "; ".join(bad)

def test_readme_map_in_number_order():
    nums = notebook_numbers()
    listed = readme_map()
    assert sorted(listed) == sorted(nums), f"README notebook map: missing {sorted(set(nums) - set(listed))}, stale {sorted(set(listed) - set(nums))}"
    assert listed == sorted(listed, key=nums.get), f"README notebook map out of number order: {listed}"

def test_runs_is_the_bottom():
    assert graph()["runs"] == set(), graph()["runs"]
    assert "torch" not in imported("runs", top_level_only=True)       # torch only inside `save_atomic`

def test_faces_are_imported_by_nothing():
    users = {f: [m for m, deps in graph().items() if f in deps] for f in ("cli", "explorer")}
    assert users == {"cli": [], "explorer": []}, users

def test_the_graph_reader_sees_lazy_and_absolute_imports():
    src = "from .ircr import N_GEN\nimport diffcrysgen.data\ndef f():\n    from diffcrysgen.sample import generate\n    from . import runs, nothing\n"
    assert package_deps(imports_in(src)) == {"ircr", "data", "sample", "runs"}
    assert package_deps(imports_in(src, top_level_only=True)) == {"ircr", "data"}
