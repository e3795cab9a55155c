"""No test file imports a test module (test_*) or a conftest: such an import ties one test file
to another's insides, and CI broke when a refactor of one renamed a private helper the other
used. What tests share lives in helper modules (photos.py, colour_patches.py, ...)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent


def _is_test_module(name: str) -> bool:
    return name.startswith("test_") or name == "conftest"


def imports_of_test_modules(path: Path, root: Path) -> list[str]:
    """'file:line: statement' for each import of a test module or conftest in `path` (named
    relative to `root`), inside functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # The names too: `from . import test_x` imports a module.
            modules = [node.module or ""] + [alias.name for alias in node.names]
        else:
            continue
        if any(_is_test_module(part) for module in modules for part in module.split(".")):
            found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}: "
                         f"{ast.unparse(node)}")
    return found


def test_no_test_file_imports_a_test_module_or_conftest():
    found = [line for path in sorted(TESTS.rglob("*.py"))
             for line in imports_of_test_modules(path, TESTS.parent)]
    if found:
        pytest.fail("test modules and conftest.py are not for importing: move what is shared into "
                    "a helper module of tests/ and import it from there\n" + "\n".join(found),
                    pytrace=False)


def test_every_form_of_such_an_import_is_found(tmp_path):
    (tmp_path / "helper.py").write_text(
        "from test_colour import PATCHES\n"
        "import conftest\n"
        "from . import test_ui\n"
        "import photos, test_two.helpers\n"
        "def helper():\n"
        "    from test_training import inputs\n"
        "from photos import make_photo\n"
        "from desktop_app.core import testing\n"
        "import pytest\n", encoding="utf-8")
    assert imports_of_test_modules(tmp_path / "helper.py", tmp_path) == [
        "helper.py:1: from test_colour import PATCHES", "helper.py:2: import conftest",
        "helper.py:3: from . import test_ui", "helper.py:4: import photos, test_two.helpers",
        "helper.py:6: from test_training import inputs"]
