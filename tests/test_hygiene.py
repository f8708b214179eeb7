"""The suite's own rules: every test asserts something (an `assert`, `pytest.raises`,
`pytest.warns`, or a helper named `assert_*` / `check_*`), so none passes by doing nothing."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
CHECKS = ("raises", "warns", "fail", "approx")


def _asserts(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            return True
        if isinstance(child, ast.Call):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in CHECKS or name.startswith(("assert_", "check_", "_assert", "_check")):
                return True
    return False


def test_every_test_asserts_something() -> None:
    silent = []
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            is_test = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_test and node.name.startswith("test_") and not _asserts(node):
                silent.append(f"{path.relative_to(TESTS)}::{node.name}")
    assert silent == [], f"tests that assert nothing: {silent}"
