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


def test_the_readme_layout_names_every_module_and_package_of_the_tree() -> None:
    """The README's "Layout" block names each top-level module and package of `tiktok_assets`,
    and nothing that is not there."""
    import re

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"\b([a-z_]+(?:\.py|/))", block))
    package = root / "tiktok_assets"
    tree = {
        f"{p.name}/" if p.is_dir() else p.name
        for p in package.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.stem != "__init__")
    }
    assert tree <= named, f"missing from the README's layout: {sorted(tree - named)}"
    outside = {"scripts/", "deploy/", "benchmarks/", "tiktok_assets/"}
    stale = {n for n in named - outside if not list(package.rglob(n.rstrip("/")))}
    assert not stale, f"named in the README's layout but not in the tree: {sorted(stale)}"
