"""Parse Terraform files with python-hcl2 and look up their blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import hcl2

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
MODULE_DIR: Final = REPO_ROOT / "terraform"
EXAMPLE_DIR: Final = MODULE_DIR / "examples" / "complete"

# Literal strings lose their quotes, so "s3:GetObject" reads as s3:GetObject,
# and an expression keeps its "${...}" wrapper. Blocks are plain dicts.
_PLAIN: Final = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False
)

# Literal strings keep their quotes, so the text can be written back as HCL.
_SOURCE: Final = hcl2.SerializationOptions(explicit_blocks=False)


def parse_file(path: Path, *, keep_quotes: bool = False) -> dict[str, Any]:
    """Parse one .tf file into python-hcl2's dict form."""
    options = _SOURCE if keep_quotes else _PLAIN
    with path.open(encoding="utf-8") as file:
        return hcl2.load(file, serialization_options=options)


def expression(value: object) -> str:
    """Return the HCL text of an expression that python-hcl2 wrapped in "${...}"."""
    text = str(value)
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1]
    return text


def references(expression_text: str) -> set[str]:
    """Return the dotted names (var.x, local.y, aws_s3_bucket.this) in an expression.

    Quoted strings are removed first, so "ec2.amazonaws.com" is no reference.
    Interpolations inside quoted strings are lost with them, so use this only
    on expressions without templates.
    """
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression_text)
    return {
        match.group(0)
        for match in re.finditer(
            r"\b[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*", without_strings
        )
    }


@dataclass(frozen=True)
class Module:
    """The parsed .tf files of one Terraform module directory."""

    directory: Path
    files: dict[str, dict[str, Any]]

    def _labelled(self, kind: str) -> dict[str, Any]:
        """Merge the top-level blocks of one kind with one label, keyed by label."""
        found: dict[str, Any] = {}
        for parsed in self.files.values():
            for block in parsed.get(kind, []):
                found.update(block)
        return found

    def _typed(self, kind: str, type_name: str) -> dict[str, dict[str, Any]]:
        """Merge the blocks of one kind and type (resource, data), keyed by name."""
        found: dict[str, dict[str, Any]] = {}
        for parsed in self.files.values():
            for block in parsed.get(kind, []):
                found.update(block.get(type_name, {}))
        return found

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        return self._labelled("variable")

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return self._labelled("output")

    @property
    def modules(self) -> dict[str, dict[str, Any]]:
        return self._labelled("module")

    @property
    def locals(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for parsed in self.files.values():
            for block in parsed.get("locals", []):
                found.update({k: v for k, v in block.items() if k != "__comments__"})
        return found

    @property
    def terraform_blocks(self) -> list[dict[str, Any]]:
        return [
            block
            for parsed in self.files.values()
            for block in parsed.get("terraform", [])
        ]

    def resources(self, type_name: str) -> dict[str, dict[str, Any]]:
        return self._typed("resource", type_name)

    def data(self, type_name: str) -> dict[str, dict[str, Any]]:
        return self._typed("data", type_name)

    def resource_types(self) -> set[str]:
        return {
            type_name
            for parsed in self.files.values()
            for block in parsed.get("resource", [])
            for type_name in block
        }

    def text(self, *, exclude: tuple[str, ...] = ()) -> str:
        """Return the source of the module's files, without the ones named in exclude."""
        return "\n".join(
            (self.directory / name).read_text(encoding="utf-8")
            for name in sorted(self.files)
            if name not in exclude
        )


def load_module(directory: Path, *, keep_quotes: bool = False) -> Module:
    """Parse every .tf file directly inside ``directory``."""
    paths = sorted(directory.glob("*.tf"))
    if not paths:
        raise FileNotFoundError(f"No .tf files found in {directory}")
    return Module(
        directory=directory,
        files={path.name: parse_file(path, keep_quotes=keep_quotes) for path in paths},
    )


@dataclass(frozen=True)
class Statement:
    """One statement of an aws_iam_policy_document, static or from a dynamic block."""

    sid: str
    effect: str
    actions: frozenset[str]
    resources: tuple[str, ...]
    conditions: tuple[dict[str, Any], ...]
    principals: tuple[dict[str, Any], ...]
    # The for_each expression of a dynamic block, or None for a static statement.
    for_each: str | None


def _as_tuple(value: object) -> tuple[Any, ...]:
    """Return a list attribute as a tuple, and a "${for ...}" expression as one item."""
    if isinstance(value, list):
        return tuple(value)
    return (value,)


def _statement(body: dict[str, Any], for_each: str | None) -> Statement:
    return Statement(
        sid=body.get("sid", ""),
        effect=body.get("effect", "Allow"),
        actions=frozenset(body.get("actions", [])),
        resources=_as_tuple(body.get("resources", [])),
        conditions=tuple(body.get("condition", [])),
        principals=tuple(body.get("principals", [])),
        for_each=for_each,
    )


def policy_statements(document: dict[str, Any]) -> dict[str, Statement]:
    """Return the statements of a parsed aws_iam_policy_document, keyed by sid."""
    statements = [_statement(body, None) for body in document.get("statement", [])]
    for dynamic in document.get("dynamic", []):
        block = dynamic.get("statement")
        if block is None:
            continue
        for content in block.get("content", []):
            statements.append(_statement(content, expression(block["for_each"])))
    return {statement.sid: statement for statement in statements}


def find_blocks(tree: object, key: str) -> list[dict[str, Any]]:
    """Return every block named ``key`` at any depth of a parsed file."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        for name, value in tree.items():
            if name == key and isinstance(value, list):
                found.extend(item for item in value if isinstance(item, dict))
            else:
                found.extend(find_blocks(value, key))
    elif isinstance(tree, list):
        for item in tree:
            found.extend(find_blocks(item, key))
    return found


def preconditions_source(directory: Path) -> list[tuple[str, str]]:
    """Return (condition, error_message) of every precondition, as HCL text.

    The error message keeps its quotes and escapes, so it can be written into
    another configuration unchanged.
    """
    found: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.tf")):
        for block in find_blocks(parse_file(path, keep_quotes=True), "precondition"):
            found.append((expression(block["condition"]), block["error_message"]))
    return found
