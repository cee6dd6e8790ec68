"""The engine imports numpy and the standard library only (STYLE habit 1): never the dashboard's stack."""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "rnn_engine"
ALLOWED = set(sys.stdlib_module_names) | {"numpy", "rnn_engine"}


def test_importing_the_engine_loads_no_ui_library():
    """In a fresh interpreter: rnn_engine and every submodule, then sys.modules has no UI library."""
    code = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import rnn_engine
        names = [m.name for m in pkgutil.walk_packages(rnn_engine.__path__, "rnn_engine.")]
        for name in names:
            importlib.import_module(name)
        loaded = sorted(m for m in ("streamlit", "plotly", "pandas") if m in sys.modules)
        print(len(names), ",".join(loaded))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ENGINE.parent, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    count, loaded = out.stdout.strip().split(" ", 1) if " " in out.stdout.strip() else (out.stdout.strip(), "")
    assert int(count) >= 6, out.stdout  # params, checks, activations, losses, forward, backward, ...
    assert loaded == "", f"importing rnn_engine loaded {loaded}"


# Deliberate exceptions, each lazy (inside a function, under `except ImportError`) so that importing the
# engine never needs them: features.load_digits reads scikit-learn's bundled digits when it is installed.
OPTIONAL_LAZY = {"features.py": {"sklearn"}}


def imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, lazy?) for every absolute import in a file; relative imports stay in the package.

    lazy = inside a function body and inside a try whose handlers catch ImportError.
    """
    found = []

    def visit(node, in_function=False, guarded=False):
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], in_function and guarded) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], in_function and guarded))
        in_function = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if isinstance(node, ast.Try):
            catches = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            for child in node.body:
                visit(child, in_function, guarded or bool(catches & {"ImportError", "ModuleNotFoundError"}))
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, in_function, guarded)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, in_function, guarded)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_engine_module_imports_only_numpy_and_stdlib(path):
    optional = OPTIONAL_LAZY.get(path.name, set())
    foreign = sorted({m for m, lazy in imports(path) if m not in ALLOWED and not (lazy and m in optional)})
    assert not foreign, f"{path.name} imports {foreign}; the engine may use numpy and the standard library only"


def test_the_import_check_sees_through_functions(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(
        "import numpy\ndef f():\n    import pandas\n    try:\n        import sklearn\n    except ImportError:\n        pass\n",
        encoding="utf-8",
    )
    assert imports(path) == [("numpy", False), ("pandas", False), ("sklearn", True)]
