"""The ``s3-media`` command: ``run`` a Streamlit app on S3 media, or the ``demo``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from importlib import metadata, resources
from typing import Final, NoReturn

import click
from botocore.exceptions import BotoCoreError
from streamlit.runtime.media_file_storage import MediaFileStorageError

__all__ = ["main"]

_LOGGER: Final = logging.getLogger(__name__)

DEMO_BUCKET: Final = "s3-media-demo"

_DESCRIPTION: Final = """\
Serve the media of Streamlit apps (st.image, st.audio, st.video,
st.download_button) from an S3 bucket through presigned, expiring URLs.
The storage is configured by S3_MEDIA_* variables and boto3's usual ones
(AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_PROFILE, ...); see the README."""

_RUN_HELP: Final = """\
Start Streamlit exactly as 'streamlit run APP [OPTIONS]' would, with the S3
storage in place of Streamlit's in-memory one. Every option after APP goes to
Streamlit unchanged (for example --server.port 8501), and arguments after
'--' go to the app. Requires S3_MEDIA_BUCKET."""

_DEMO_HELP: Final = """\
Run a bundled app that shows a PNG image, a WAV sound, an MP4 video and a
download button, all served from S3. Without S3_MEDIA_BUCKET it starts a
local S3 endpoint (moto's server) on 127.0.0.1 and creates the bucket
's3-media-demo' there; with it, it uses that bucket. Options go to
Streamlit unchanged (for example --server.headless true)."""

_DOCTOR_HELP: Final = """\
Check a deployment with the same configuration as 'run': the credentials
(and when temporary ones expire), the bucket and its region, a put, head,
presigned GET over HTTP and delete of a probe object under the prefix, and
the bucket's lifecycle rule, public access block and CORS rules. Prints one
row per check with pass, warn, fail or skip, and the fix for each warning
and failure. Exits with status 1 if any check failed. Never prints a
secret. Besides the app's own permissions it needs
s3:GetLifecycleConfiguration, s3:GetBucketPublicAccessBlock,
s3:GetBucketCORS and s3:DeleteObject."""


def _package_version() -> str:
    try:
        return metadata.version("s3-media-storage")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="s3-media",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_package_version()}"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="level of this package's log messages on stderr (default: INFO)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run a Streamlit app with its media in S3",
        description=_RUN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("app", metavar="APP", help="the Streamlit script, as for 'streamlit run'")
    streamlit_args = run.add_argument(
        "streamlit_args",
        nargs=argparse.REMAINDER,
        metavar="OPTIONS",
        help="options for Streamlit, such as --server.port 8501",
    )
    # argparse marks a REMAINDER positional as required, although it may be empty.
    streamlit_args.required = False

    demo = commands.add_parser(
        "demo",
        help="run the bundled demo app on a local S3 endpoint",
        description=_DEMO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--s3-port",
        type=_port,
        default=0,
        help="port of the local S3 endpoint on 127.0.0.1 (default: a free port)",
    )

    commands.add_parser(
        "doctor",
        help="check the credentials, bucket and permissions that 'run' would use",
        description=_DOCTOR_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _port(text: str) -> int:
    """Parse a TCP port number for argparse, 0 meaning a free port."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"invalid port {port}: expected 1 to 65535, or 0 for a free port"
        )
    return port


def _fail(message: str) -> NoReturn:
    print(f"s3-media: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _run_streamlit(app: str, streamlit_args: Sequence[str]) -> int:
    """Build the storage from the environment, install it and run Streamlit."""
    from streamlit.web import cli as streamlit_cli

    from s3_media_storage.storage import S3MediaFileStorage
    from s3_media_storage.streamlit_hook import install

    # Checked before the bucket, which may take a request. Streamlit also
    # accepts a URL of a script, which it downloads itself.
    if "://" not in app and not os.path.isfile(app):
        _fail(f"file not found: {app!r}. Pass the path of a Streamlit script.")
    try:
        storage = S3MediaFileStorage.from_env()
        storage.check_bucket()
        install(storage)
    except MediaFileStorageError as error:
        _fail(str(error))
    except BotoCoreError as error:
        # Building the client can fail before any request, for example on a
        # broken AWS config file or credential_process.
        _fail(f"could not set up the S3 client: {error}. Check the AWS configuration.")
    settings = storage.settings
    print(
        f"s3-media: serving media from s3://{settings.bucket}/{settings.prefix}"
        f" through {settings.url_mode} URLs valid for {settings.expires_in} s"
        f" (S3 endpoint {storage.client.meta.endpoint_url}).",
        file=sys.stderr,
    )
    try:
        streamlit_cli.main.main(
            args=["run", app, *streamlit_args], prog_name="streamlit", standalone_mode=False
        )
    except click.ClickException as error:
        # A usage error, such as a missing script or an unknown option: print
        # it the way 'streamlit run' does, without a traceback.
        error.show()
        return error.exit_code
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


def _start_demo_s3(port: int) -> None:
    """Start a local S3 endpoint with the demo bucket and point boto3 at it."""
    import boto3

    from s3_media_storage.local_s3 import (
        DEMO_ACCESS_KEY_ID,
        DEMO_REGION,
        DEMO_SECRET_ACCESS_KEY,
        start_local_s3,
    )

    try:
        local_s3 = start_local_s3(port)
    except (RuntimeError, OSError) as error:
        _fail(f"could not start the local S3 endpoint on 127.0.0.1:{port}: {error}")
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_S3": local_s3.endpoint_url,
            "AWS_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": DEMO_SECRET_ACCESS_KEY,
            "AWS_REGION": DEMO_REGION,
            "S3_MEDIA_BUCKET": DEMO_BUCKET,
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    boto3.session.Session().client("s3").create_bucket(Bucket=DEMO_BUCKET)
    print(
        f"s3-media: started a local S3 endpoint (moto's server) at"
        f" {local_s3.endpoint_url} with the bucket {DEMO_BUCKET!r}. It runs inside"
        " this process: press Ctrl+C to stop it and Streamlit together.",
        file=sys.stderr,
    )


# The demo listens on this machine only and sends no usage statistics, unless
# the command line sets these options.
_DEMO_STREAMLIT_DEFAULTS: Final = {
    "--server.address": "127.0.0.1",
    "--browser.gatherUsageStats": "false",
    "--client.toolbarMode": "viewer",
}


def _with_demo_defaults(streamlit_args: Sequence[str]) -> list[str]:
    given = {argument.split("=", 1)[0] for argument in streamlit_args}
    defaults = [
        f"{option}={value}"
        for option, value in _DEMO_STREAMLIT_DEFAULTS.items()
        if option not in given
    ]
    return [*defaults, *streamlit_args]


def _demo(port: int, streamlit_args: Sequence[str]) -> int:
    if not os.environ.get("S3_MEDIA_BUCKET"):
        # moto's server logs every request at INFO.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        _start_demo_s3(port)
    streamlit_args = _with_demo_defaults(streamlit_args)
    app = resources.files("s3_media_storage.demo").joinpath("app.py")
    with resources.as_file(app) as app_path:
        return _run_streamlit(str(app_path), streamlit_args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``s3-media`` command line and return its exit status."""
    parser = _parser()
    # Options that s3-media does not know belong to Streamlit.
    arguments, streamlit_options = parser.parse_known_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("s3_media_storage").setLevel(arguments.log_level)
    if arguments.command == "run":
        streamlit_args = [*streamlit_options, *arguments.streamlit_args]
        return _run_streamlit(arguments.app, streamlit_args)
    if arguments.command == "doctor":
        if streamlit_options:
            parser.error(f"unrecognized arguments: {' '.join(streamlit_options)}")
        from s3_media_storage import doctor

        return doctor.main()
    return _demo(arguments.s3_port, streamlit_options)


if __name__ == "__main__":
    sys.exit(main())
