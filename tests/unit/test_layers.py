"""The import layers hold, and `make lint` would say so if they did not: a copy of the tree passes
the contract in pyproject.toml, and the same copy with one upward import (a domain reaching for
the API) or one framework import in a domain fails it, naming the import."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("exchange", "catalog", "policies", "quality", "collection", "projects", "supervision",
            "exchange_api", "exchange_cli", "migrations")  # fmt: skip


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.po", "*.html"))  # fmt: skip
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).with_name("lint-imports")
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(command), "--no-cache"], cwd=tree, env=environment, capture_output=True, text=True,
        check=False, timeout=300,
    )  # fmt: skip


def test_the_tree_keeps_its_layers(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_layers(tree: Path) -> None:
    (tree / "catalog" / "shortcut.py").write_text("from exchange_api.app import create_app\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "catalog.shortcut -> exchange_api.app" in result.stdout


def test_a_domain_may_not_import_the_web_framework(tree: Path) -> None:
    (tree / "policies" / "web.py").write_text("import fastapi\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "policies.web -> fastapi" in result.stdout


# The decision point: the action table, the visibility rule, and the workflow engine applying
# the table's roles to a transition. A role check anywhere else is a rule written twice.
ROLE_CHECKS_ALLOWED = {
    "exchange/actions.py",
    "exchange/identity/visibility.py",
    "exchange/workflow/engine.py",
    "exchange/principal.py",
}


def test_r22_no_role_check_outside_the_decision_point() -> None:
    found = []
    for package in PACKAGES:
        for path in [*(ROOT / package).rglob("*.py"), *(ROOT / package).rglob("*.html")]:
            relative = path.relative_to(ROOT).as_posix()
            if relative in ROLE_CHECKS_ALLOWED or path.name == "demo.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "has_any(" in line or ("Role." in line and path.suffix == ".html"):
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
