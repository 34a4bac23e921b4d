"""Lines a person can read (issue #24): no line over 120 characters in the package (what nbdev generates aside: `_modidx.py`,
and the first line of each `__all__`, which nbdev 2.4.14 wraps at 120 characters and then prefixes with `__all__ = `),
and the EDM denoiser reads no network config in its forward pass (EDM Tab. 1 around an opaque network)."""
import ast, inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "diffcrysgen"
MAX_LINE = 120

def long_lines(path: Path, limit: int = MAX_LINE) -> list[str]:
    "`file:line (length)` of every line of `path` longer than `limit` characters."
    lines = path.read_text().splitlines()
    return [f"{path.name}:{i} ({len(s)})" for i, s in enumerate(lines, 1)
            if len(s) > limit and not s.startswith("__all__ = [")]

def test_long_lines_found(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("a = 1\n" + "b = '" + "x" * 130 + "'\n" + "__all__ = ['" + "y" * 120 + "']\n")
    assert long_lines(p) == ["x.py:2 (136)"]

def test_no_line_over_120_characters():
    bad = [s for p in sorted(PKG.glob("*.py")) if p.name != "_modidx.py" for s in long_lines(p)]
    assert not bad, f"{len(bad)} lines over {MAX_LINE} characters: {bad[:20]}"

def test_edm_forward_reads_no_network_config():
    from diffcrysgen.denoiser import EDMPrecond
    tree = ast.parse(inspect.getsource(EDMPrecond.forward).strip())
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    returns = [n for n in ast.walk(tree) if isinstance(n, ast.Return)]
    assert "cfg" not in attrs and not {"hasattr", "getattr"} & calls, sorted(attrs | calls)
    assert len(returns) == 1, f"{len(returns)} returns"
