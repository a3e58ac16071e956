"""Imports run one way: each app imports only the apps below it, and the settings read only the
environment (they name app code by dotted path, never import it).

    demo        the demo data (load_demo): fills course and pay
    frontend    the single-page shop
    pay         coupons, settlement, payment, orders, 贝里
    shopping    the cart
    course      accounts, courses, price policies, the catalogue
    utils       the HTTP plumbing, Redis, the error registry

Read from the source (every import statement, those inside functions too), so a lazy import
cannot hide an arrow that runs back up.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["utils", "course", "shopping", "pay", "frontend", "demo"]  # bottom first
SETTINGS = ["settlement_project/settings.py", "settlement_project/settings_test.py"]


def imported_packages(path: Path) -> set[str]:
    """The top-level packages `path` imports (absolute imports; the project uses no relative)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.partition(".")[0])
    return names


def arrows_up(package: str) -> list[str]:
    """`file -> app` for every import of an app above `package` (or of the same level's peer)."""
    above = set(LAYERS[LAYERS.index(package) + 1 :])
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in sorted(imported_packages(path) & above):
            found.append(f"{path.relative_to(ROOT)} -> {name}")
    return found


@pytest.mark.parametrize("package", LAYERS[:-1])
def test_an_app_imports_no_app_above_it(package):
    assert arrows_up(package) == []


def test_course_imports_neither_the_cart_nor_pay():
    assert not any(
        imported_packages(path) & {"shopping", "pay"} for path in (ROOT / "course").rglob("*.py")
    )


@pytest.mark.parametrize("settings_file", SETTINGS)
def test_the_settings_import_no_app_module(settings_file):
    assert imported_packages(ROOT / settings_file) & set(LAYERS) == set()


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "lazy.py"
    module.write_text("def later():\n    from pay.services import beili_change\n")
    assert imported_packages(module) == {"pay"}
