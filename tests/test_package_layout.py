"""The package's shape: no import circles, and the torch-free modules stay torch-free."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "factorization_curse"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, anywhere in its body (also inside functions: a
    deferred import is still a dependency)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            graph[name] |= {c for c in candidates if c in modules and c != name and not name.startswith(c + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_circles():
    graph = import_graph()
    assert "factorization_curse.training" in graph and graph["factorization_curse.training"]  # the graph is real
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_bottom_module_imports_nothing_from_the_package():
    assert import_graph()["factorization_curse.runtime"] == set()


BLOCK_TORCH = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'torch' or name.startswith('torch.'):\n"
    "            raise ImportError('torch is blocked in this test')\n"
    "sys.meta_path.insert(0, Block())\n"
)


ANALYSIS = sorted(module_name(p).removeprefix("factorization_curse.") for p in (PACKAGE / "analysis").rglob("*.py"))


@pytest.mark.parametrize("module", ["config", "metrics", "runtime", "answers", "tasks", "tasks.base", *ANALYSIS])
def test_torch_free_modules_import_with_torch_blocked(module):
    """The results layer (analysis/) never loads torch, nor do the config resolution (DAG build),
    the metric registry and the task registry it reads."""
    code = BLOCK_TORCH + f"import factorization_curse.{module}\nassert 'torch' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_results_layer_is_all_there():
    assert {"analysis", "analysis.tables", "analysis.statistics", "analysis.report", "analysis.figures",
            "analysis.plotting", "analysis.paper"} <= set(ANALYSIS)


def test_blocking_torch_really_blocks_it():
    result = subprocess.run([sys.executable, "-c", BLOCK_TORCH + "import factorization_curse.model\n"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "torch is blocked" in result.stderr
