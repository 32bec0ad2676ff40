"""The results layer (factorization_curse.analysis) never loads torch: every module imports, and a
table is built, with torch blocked."""
import pkgutil
import subprocess
import sys

import factorization_curse.analysis as analysis

BLOCK_TORCH = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'torch' or name.startswith('torch.'):\n"
    "            raise ImportError('torch is blocked in this test')\n"
    "sys.meta_path.insert(0, Block())\n"
)
MODULES = sorted(m.name for m in pkgutil.walk_packages(analysis.__path__, "factorization_curse.analysis."))


def run_blocked(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK_TORCH + code], capture_output=True, text=True)


def test_the_walk_finds_the_layer():
    for module in ("tables", "report", "figures", "draw", "plotting", "plotting.bars", "comparisons"):
        assert f"factorization_curse.analysis.{module}" in MODULES


def test_every_analysis_module_imports_with_torch_blocked():
    code = "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in MODULES) + \
        "assert not any(m == 'torch' or m.startswith('torch.') for m in sys.modules), 'torch was imported'\n"
    result = run_blocked(code)
    assert result.returncode == 0, result.stderr


def test_the_block_is_real():
    result = run_blocked("import factorization_curse.training\n")
    assert result.returncode != 0 and "torch is blocked" in result.stderr


def test_a_table_is_built_with_torch_blocked(tmp_path):
    code = (
        "import json, pathlib\n"
        "from factorization_curse.analysis.tables import aggregate_sweep\n"
        f"p = pathlib.Path({str(tmp_path)!r}) / 'eval.json'\n"
        "p.write_text(json.dumps({'task': 'retrieval', 'dataset': 'r-1', 'objective': 'ar', 'seed': 0,\n"
        "    'metrics': {'forward': {'exact_match': 50.0, 'count': 2}}}))\n"
        "t = aggregate_sweep([p], 'entity_length', {'r-1': {'config': {'entity_length': 1}}}, p.with_suffix('.csv'))\n"
        "assert t.value.tolist() == [50.0] and t.entity_length.tolist() == [1]\n"
    )
    result = run_blocked(code)
    assert result.returncode == 0, result.stderr
