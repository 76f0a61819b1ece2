"""Render the module README's Inputs and Outputs tables from the .tf files.

Print fresh tables to paste into terraform/README.md with
``cd tests && python -m terraform_support.readme_tables``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from terraform_support.hcl import MODULE_DIR, Module, expression, load_module

INPUT_HEADER: Final = ("Name", "Description", "Type", "Default", "Required")
OUTPUT_HEADER: Final = ("Name", "Description")

# Cells are split on pipes that no backslash escapes.
_CELL_SEPARATOR: Final = re.compile(r"(?<!\\)\|")


def _code(text: str) -> str:
    return f"`{text}`"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_default(variable: dict[str, Any]) -> str:
    """Return the Default cell: the value as HCL would write it, or n/a."""
    if "default" not in variable:
        return "n/a"
    return _code(json.dumps(variable["default"]))


def input_rows(module: Module) -> dict[str, tuple[str, ...]]:
    """Return the Inputs table rows, keyed by variable name, in file order."""
    rows = {}
    for name, variable in module.variables.items():
        rows[name] = (
            _code(name),
            _escape(variable.get("description", "")),
            _code(expression(variable.get("type", "any"))),
            render_default(variable),
            "no" if "default" in variable else "yes",
        )
    return rows


def output_rows(module: Module) -> dict[str, tuple[str, ...]]:
    """Return the Outputs table rows, keyed by output name, in file order."""
    return {
        name: (_code(name), _escape(output.get("description", "")))
        for name, output in module.outputs.items()
    }


def render_table(header: tuple[str, ...], rows: dict[str, tuple[str, ...]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows.values()]
    return "\n".join(lines)


def parse_table(markdown: str, heading: str) -> dict[str, tuple[str, ...]]:
    """Return the rows of the first table under ``## heading``, keyed by name.

    The name is the first cell without its backticks. Raises ValueError when
    the heading or its table is missing.
    """
    match = re.search(
        rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)",
        markdown,
        re.MULTILINE | re.DOTALL,
    )
    if match is None:
        raise ValueError(f"No '## {heading}' section found in the README")
    rows: dict[str, tuple[str, ...]] = {}
    table_lines = [line for line in match.group(1).splitlines() if line.startswith("|")]
    if len(table_lines) < 2:
        raise ValueError(f"No table found under '## {heading}' in the README")
    for line in table_lines[2:]:
        cells = tuple(
            cell.strip() for cell in _CELL_SEPARATOR.split(line.strip())[1:-1]
        )
        rows[cells[0].strip("`")] = cells
    return rows


def main() -> None:
    module = load_module(MODULE_DIR)
    print("## Inputs\n")
    print(render_table(INPUT_HEADER, input_rows(module)))
    print("\n## Outputs\n")
    print(render_table(OUTPUT_HEADER, output_rows(module)))


if __name__ == "__main__":
    main()
