"""docs/API.md, the contract in the repository, agrees with the code it describes."""

import re
from pathlib import Path

from utils.errors import REGISTRY

API_MD = Path(__file__).resolve().parent.parent / "docs" / "API.md"
ROW = re.compile(r"^\| (\d{4}) \| (.+) \| `(.+)` \| (\d{3}) \|$")


def registry_table() -> dict[int, tuple[str, int]]:
    """The "Code registry" table: code -> (the code's message, HTTP status)."""
    text = API_MD.read_text(encoding="utf-8")
    section = text.split("### Code registry", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| 1")]
    table = {}
    for line in rows:
        match = ROW.match(line)
        assert match, f"a registry row docs/API.md cannot be read in: {line!r}"
        code = int(match.group(1))
        assert code not in table, f"{code} is listed twice in docs/API.md"
        table[code] = (match.group(3), int(match.group(4)))
    return table


def test_docs_api_lists_every_registry_code_with_its_message_and_status():
    table = registry_table()
    missing = sorted(set(REGISTRY) - set(table))
    assert not missing, f"codes in utils/errors.py that docs/API.md does not list: {missing}"
    for code, error in REGISTRY.items():
        assert table[code] == (error.message, error.http_status), code


def test_docs_api_lists_no_code_the_registry_does_not_have():
    extra = sorted(set(registry_table()) - set(REGISTRY))
    assert not extra, f"codes in docs/API.md that utils/errors.py does not define: {extra}"


def test_the_readme_points_to_the_contract_in_the_repository():
    readme = (API_MD.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "docs/API.md" in readme
    assert "../shared" not in readme
