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


# Blocks loading torch's library (torch._C, which torch's own __init__ imports first), not finding
# it: a module may name torch lazily (runtime.import_lazily) as long as it never uses it on import.
BLOCK_TORCH = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'torch._C' or name.startswith('torch._C.'):\n"
    "            raise ImportError('torch is blocked in this test')\n"
    "sys.meta_path.insert(0, Block())\n"
)


ANALYSIS = sorted(module_name(p).removeprefix("factorization_curse.") for p in (PACKAGE / "analysis").rglob("*.py"))


@pytest.mark.parametrize("module", ["config", "metrics", "runtime", "answers", "tasks", "tasks.base", "settings",
                                    "objectives", *ANALYSIS])
def test_torch_free_modules_import_with_torch_blocked(module):
    """The results layer (analysis/) never loads torch, nor do the config resolution (DAG build),
    the metric registry and the task registry it reads, the model settings and the objective
    registry it checks."""
    code = BLOCK_TORCH + f"import factorization_curse.{module}\nassert 'torch._C' not in sys.modules\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_results_layer_is_all_there():
    assert {"analysis", "analysis.tables", "analysis.statistics", "analysis.report", "analysis.figures",
            "analysis.plotting", "analysis.paper"} <= set(ANALYSIS)


def test_blocking_torch_really_blocks_it():
    result = subprocess.run([sys.executable, "-c", BLOCK_TORCH + "import factorization_curse.model\n"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "torch is blocked" in result.stderr


def test_the_dag_build_never_loads_torch(tmp_path):
    """A Snakemake dry run of `all` and `sweeps` (config checks included: every objective and model
    setting built) with torch's library blocked: the DAG build, which every invocation and every
    cluster job repeats, costs no torch import (1.5-2 s)."""
    root = PACKAGE.parents[1]
    code = BLOCK_TORCH + (
        "from snakemake.cli import main\n"
        f"sys.argv = ['snakemake', '-s', {str(root / 'Snakefile')!r}, '-d', {str(tmp_path)!r}, '-n', 'all', 'sweeps']\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "rule train_model" in result.stdout  # it planned the jobs


def test_a_lazily_named_torch_loads_on_first_use_and_runs_the_rules():
    """objectives.py's torch is the real module once used, for the rules and for any later import."""
    code = (
        "import sys\n"
        "from factorization_curse.objectives import Objective\n"
        "assert 'torch._C' not in sys.modules\n"
        "import torch\n"
        "ar = Objective.from_config('ar', {'kind': 'ar', 'architecture': 'decoder'})\n"
        "f = ar(torch.tensor([[1, 5, 6, 2]]), torch.tensor([4]))\n"
        "assert 'torch._C' in sys.modules and f.rank.tolist() == [[-1, 1, 2, 3]], f.rank\n"
        "from torch import nn\n"
        "assert nn.Linear(2, 2)(torch.ones(2)).shape == (2,)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
