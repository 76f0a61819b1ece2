"""The benchmark command runs end to end on tiny inputs, so that it cannot rot.

It checks that every case and product reports a time and a ratio, never how
fast they are: BENCHMARKS.md records the numbers of a full run.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).parent.parent

PRODUCTS = {
    "1": {
        "in-memory (Streamlit)",
        "plain boto3",
        "django-storages",
        "s3-media-storage",
    },
    "2": {
        "boto3 put_object",
        "in-memory (Streamlit)",
        "plain boto3",
        "django-storages",
        "s3-media-storage",
    },
    "3": {
        "boto3 upload_file",
        "s3-media-storage",
        "plain boto3",
        "django-storages",
        "in-memory (Streamlit)",
        "sha256",
    },
    "4": {
        "boto3 generate_presigned_url",
        "in-memory (Streamlit)",
        "plain boto3",
        "django-storages",
        "s3-media-storage",
    },
    "5": {
        "stock manager + s3-media-storage",
        "stock manager + in-memory (Streamlit)",
        "stock manager + plain boto3",
        "concurrent manager + s3-media-storage",
    },
}


def django_storages_installed() -> bool:
    return all(
        importlib.util.find_spec(name) is not None for name in ("django", "storages")
    )


def test_bench_quick_run(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--repeats",
            "1",
            "--json",
            str(output),
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(output.read_text())
    expected = {case: set(products) for case, products in PRODUCTS.items()}
    if not django_storages_installed():
        for products in expected.values():
            products.discard("django-storages")
        assert "django-storages: skipped" in result.stdout
    measured: dict[str, set[str]] = {}
    for row in report["rows"]:
        measured.setdefault(row["case"][0], set()).add(row["product"])
        assert len(row["seconds"]) == 1, row
        assert row["median"] > 0, row
        if row["reference"] is not None:
            assert row["ratio"] > 0, row
        if row["target"] is not None:
            assert row["met"] in (True, False), row
    assert measured == expected
    targets = [row["product"] for row in report["rows"] if row["target"] is not None]
    assert targets.count("s3-media-storage") == 5
    assert targets.count("concurrent manager + s3-media-storage") == 1
    checks = {(check["product"], check["name"]) for check in report["checks"]}
    assert ("s3-media-storage", "peak memory growth") in checks
    assert ("s3-media-storage", "SHA-256 time / boto3 upload time") in checks
    assert report["machine"]["packages"]["s3-media-storage"] != "not installed"
    for products in expected.values():
        for product in products:
            assert product in result.stdout, product
