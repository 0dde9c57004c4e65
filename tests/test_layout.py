"""The suite's layout: no test module imports from another test module or from a conftest.py.

Fixtures shared between modules live in conftest.py, where pytest finds them; helpers live in
plain modules (tests/factories.py, tests/workers.py, ...). An imported fixture is a second copy
pytest may run twice, and it ties one test file to another's internals.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)


def _imported_modules(source: str, module: str):
    """(line, module) for every import in `source`, functions included, relative ones resolved."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield node.lineno, base
            for alias in node.names:  # `from tests.claims import test_crash`
                yield node.lineno, f"{base}.{alias.name}"


def _is_test_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "tests" and (parts[-1].startswith("test_") or parts[-1] == "conftest")


def cross_imports() -> list[str]:
    found = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for lineno, module in _imported_modules(path.read_text(), _module_name(path)):
            if _is_test_module(module):
                found.append(f"{path.relative_to(TESTS.parent)}:{lineno} imports {module}")
    return found


def test_no_test_module_imports_from_another_test_module_or_a_conftest():
    assert cross_imports() == []


def test_the_check_sees_plain_nested_and_relative_imports():
    source = (
        "from tests.factories import AwardFactory\n"
        "from tests.claims.test_crash import start_worker\n"
        "def f():\n    from . import conftest\n"
        "import tests.integration.test_celery_worker\n"
    )
    imported = _imported_modules(source, "tests.claims.test_sample")
    assert sorted({m for _, m in imported if _is_test_module(m)}) == [
        "tests.claims.conftest",
        "tests.claims.test_crash",
        "tests.integration.test_celery_worker",
    ]
