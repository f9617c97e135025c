"""The package's shape: no module imports another package's private module, no import cycle, and a bare
``import brandfit`` loads none of the heavy libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "brandfit").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(path: Path, name: str, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.startswith("brandfit")}


def test_no_module_imports_a_private_module_of_another_package():
    mods = _modules()
    bad = []
    for name, path in mods.items():
        for target in _imports(path, name, top_level_only=False):
            if target not in mods:
                continue
            parts = target.split(".")
            private = [i for i, p in enumerate(parts) if p.startswith("_")]
            if not private:
                continue
            owner = ".".join(parts[: private[0]])  # the package that owns the private module
            if not (name == owner or name.startswith(owner + ".")):
                bad.append(f"{name} imports {target}")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycle_at_module_level():
    mods = _modules()
    graph = {n: {t for t in _imports(p, n, top_level_only=True) if t in mods and t != n} for n, p in mods.items()}
    # importing a package's submodule runs the package first: a package importing its own child is fine
    for n in graph:
        graph[n] = {t for t in graph[n] if not n.startswith(t + ".")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(n: str, stack: list[str]) -> bool:
        state[n] = 1
        for t in sorted(graph[n]):
            if state.get(t) == 1:
                cycle.extend(stack[stack.index(t):] + [n, t] if t in stack else [n, t])
                return True
            if state.get(t) is None and visit(t, stack + [n]):
                return True
        state[n] = 2
        return False

    for n in sorted(graph):
        if state.get(n) is None and visit(n, []):
            break
    assert not cycle, " -> ".join(cycle)


def test_import_brandfit_loads_no_heavy_library():
    code = ("import sys, brandfit; heavy = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'torch', 'pandas', 'spacy', 'sklearn', 'sentence_transformers', 'onnxruntime'}); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_dash_m_brandfit_works():
    out = subprocess.run([sys.executable, "-m", "brandfit", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("brandfit ")
