"""Install checkov in its own virtual environment and scan the module with it.

checkov and python-hcl2 both install a top-level ``hcl2`` package of
different versions, so checkov cannot share the test environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from terraform_support.hcl import REPO_ROOT

CHECKOV_VERSION: Final = "3.3.30"
VENV_DIR: Final = REPO_ROOT / ".cache" / "checkov-venv"

# Written after a successful install, so an interrupted one is redone.
_INSTALLED_MARKER: Final = VENV_DIR / f"checkov-{CHECKOV_VERSION}.installed"

# Upper bounds in seconds. On a 2-core machine, an install without a pip
# cache took 36 s and a scan of the module and example about 8 s.
INSTALL_TIMEOUT: Final = 900
SCAN_TIMEOUT: Final = 300

_CLOSED_PROXY: Final = "http://127.0.0.1:9"


def _bin(name: str) -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV_DIR / scripts / name


def ensure_checkov() -> Path:
    """Return the checkov executable, installing it into VENV_DIR if missing.

    Raises RuntimeError with pip's output when the install fails.
    """
    checkov = _bin("checkov")
    if _INSTALLED_MARKER.exists() and checkov.exists():
        return checkov

    started = time.monotonic()
    steps = [
        [sys.executable, "-m", "venv", str(VENV_DIR)],
        [
            str(_bin("python")),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"checkov=={CHECKOV_VERSION}",
        ],
    ]
    for step in steps:
        completed = subprocess.run(
            step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"Installing checkov {CHECKOV_VERSION} into {VENV_DIR} failed at"
                f" {' '.join(step)!r} (exit code {completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}\n"
                f"Delete {VENV_DIR} and run the tests again."
            )
    _INSTALLED_MARKER.write_text(
        f"installed in {time.monotonic() - started:.0f} s\n", encoding="utf-8"
    )
    return checkov


@dataclass(frozen=True)
class ScanResult:
    """checkov's JSON report of one scan."""

    returncode: int
    report: dict[str, Any]
    stderr: str

    def __repr__(self) -> str:
        # The full report is long, and pytest shows this in assertion messages.
        return f"ScanResult(returncode={self.returncode}, summary={self.summary})"

    @property
    def summary(self) -> dict[str, Any]:
        return self.report["summary"]

    def checks(self, outcome: str) -> list[dict[str, Any]]:
        """Return the checks whose outcome is "passed", "failed" or "skipped"."""
        return self.report["results"][f"{outcome}_checks"]


def scan(
    checkov: Path, directory: Path, skip_paths: tuple[str, ...] = ()
) -> ScanResult:
    """Scan the Terraform files under ``directory``, its subfolders included.

    ``skip_paths`` are folders under ``directory`` to leave out.

    checkov runs offline: --skip-download keeps it from fetching policies and
    guidelines, CKV_SKIP_PACKAGE_UPDATE_CHECK from looking up new versions,
    and the proxy on a closed local port makes any other request fail.
    """
    env = {
        **os.environ,
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "HTTP_PROXY": _CLOSED_PROXY,
        "HTTPS_PROXY": _CLOSED_PROXY,
        "http_proxy": _CLOSED_PROXY,
        "https_proxy": _CLOSED_PROXY,
        "NO_PROXY": "",
        "no_proxy": "",
    }
    command = [
        str(checkov),
        "--directory",
        str(directory),
        "--framework",
        "terraform",
        "--skip-download",
        "--output",
        "json",
    ]
    for path in skip_paths:
        command += ["--skip-path", path]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        timeout=SCAN_TIMEOUT,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(
            f"checkov printed no JSON report (exit code {completed.returncode},"
            f" {error}):\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
        ) from None
    # A scan of one framework prints one report, and a list contains one per framework.
    if isinstance(report, list):
        (report,) = [item for item in report if item.get("check_type") == "terraform"]
    return ScanResult(completed.returncode, report, completed.stderr)
