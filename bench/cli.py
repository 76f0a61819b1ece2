"""The benchmark command: ``python -m bench [--quick] [--cases 1,2,...]``."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import os
import sys
import time
from collections.abc import Sequence

from bench.cases import CASES, FULL, QUICK, Context, Sizes
from bench.environment import (
    LocalEndpoints,
    machine_description,
    start_endpoints,
    use_local_credentials,
)
from bench.products import django_storages_available
from bench.report import format_results
from bench.results import Results

BUCKET = "s3-media-bench"

_DESCRIPTION = """\
Compare s3-media-storage with Streamlit's in-memory storage, a plain boto3
implementation and django-storages on a local S3 endpoint (moto's server on
127.0.0.1, started by this command). Prints, for each case and product, the
median over the repeats and its ratio to the case's reference (product
median / reference median: below 1 is faster)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=_DESCRIPTION)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny inputs and fewer repeats, for a run of seconds (a 16 MiB large file)",
    )
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help="comma-separated case numbers to run (default: all, 1 to 5)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="repeats of every case (default: 5; with --quick, 3 and 1 for case 3)",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print the tables in Markdown"
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the machine and every repeat to PATH as JSON",
    )
    return parser


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _sizes(arguments: argparse.Namespace) -> Sizes:
    sizes = QUICK if arguments.quick else FULL
    if arguments.repeats is None:
        return sizes
    if arguments.repeats < 1:
        _parser().error(f"invalid --repeats {arguments.repeats}: expected 1 or more")
    return dataclasses.replace(
        sizes, repeats=arguments.repeats, large_repeats=arguments.repeats
    )


def _run_cases(cases: list[str], sizes: Sizes, endpoints: LocalEndpoints) -> Results:
    """Create the bucket and run ``cases`` against ``endpoints``."""
    from s3_media_storage import S3MediaFileStorage

    results = Results()
    use_local_credentials(endpoints.endpoint_url)
    with_django = django_storages_available()
    if not with_django:
        results.notes.append(
            "django-storages: skipped, because django or django-storages is not"
            " installed."
        )
    S3MediaFileStorage(BUCKET).client.create_bucket(Bucket=BUCKET)
    context = Context(
        bucket=BUCKET,
        endpoint_url=endpoints.endpoint_url,
        delayed_endpoint_url=endpoints.delayed_endpoint_url,
        with_django=with_django,
        log=_log,
    )
    for case in cases:
        _log(f"running case {case}")
        gc.collect()
        case_started = time.perf_counter()
        case_results = CASES[case](context, sizes)
        _log(f"case {case} took {time.perf_counter() - case_started:.1f} s")
        results.rows.extend(case_results.rows)
        results.checks.extend(case_results.checks)
        results.notes.extend(case_results.notes)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark command line, print the tables and return the exit status."""
    arguments = _parser().parse_args(argv)
    cases = [case.strip() for case in arguments.cases.split(",") if case.strip()]
    unknown = [case for case in cases if case not in CASES]
    if unknown:
        _parser().error(
            f"unknown case {unknown[0]!r}: expected numbers from 1 to {len(CASES)}"
        )
    sizes = _sizes(arguments)
    if arguments.json:
        # Fail now rather than after minutes of measuring, without touching
        # an existing file: it is written only when the run is complete.
        directory = os.path.dirname(os.path.abspath(arguments.json))
        if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
            _parser().error(
                f"cannot write --json {arguments.json!r}: {directory!r} is not a"
                " writable directory"
            )
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    machine = machine_description()
    started = time.perf_counter()
    endpoints = start_endpoints(sizes.latency)
    try:
        results = _run_cases(cases, sizes, endpoints)
    finally:
        endpoints.stop()
    elapsed = time.perf_counter() - started
    command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
    results.notes.append(
        f"Command: {command}. Repeats per case: {sizes.repeats}, and"
        f" {sizes.large_repeats} for case 3. Run time: {elapsed:.0f} s."
    )
    load_at_start, load_at_end = machine["load_average"], os.getloadavg()[0]
    results.notes.append(
        f"Load average over 1 minute: {load_at_start:.2f} at the start,"
        f" {load_at_end:.2f} at the end, on {machine['logical_cpus']} logical CPUs."
    )
    print(format_results(results, markdown=arguments.markdown))
    if arguments.json:
        report = {"command": command, "machine": machine, "seconds": elapsed}
        with open(arguments.json, "w") as output:
            json.dump({**report, **results.to_json()}, output, indent=2)
    return 0
