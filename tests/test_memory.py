"""Large files stream from disk: peak memory stays flat whatever the file size."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import fake_aws_environment

GIB = 1024**3
MIB = 1024**2

# Runs in a child process, so that the peak resident size it reports is the
# upload's alone and not that of moto's server in the test process.
_UPLOAD_SCRIPT = """
import json, sys
from streamlit.runtime.media_file_storage import MediaFileKind
from s3_media_storage import S3MediaFileStorage

def status_kib(field):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])

storage = S3MediaFileStorage(sys.argv[2])
storage.check_bucket()
# Writing 5 to clear_refs resets the peak resident size (VmHWM) to the current one.
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")
before = status_kib("VmRSS")
file_id = storage.load_and_get_id(sys.argv[1], "video/mp4", MediaFileKind.MEDIA)
growth = status_kib("VmHWM") - before
print(json.dumps({"file_id": file_id, "growth_kib": growth}))
"""


def test_one_gib_upload_peak_memory(tmp_path, moto_server, server_bucket, server_client) -> None:
    path = tmp_path / "one-gib.mp4"
    with open(path, "wb") as stream:
        # A sparse file: reading it costs no disk, and its bytes are not all equal.
        stream.seek(GIB - 5)
        stream.write(b"tail!")
    environment = {**fake_aws_environment(), "AWS_ENDPOINT_URL_S3": moto_server.endpoint_url}
    result = subprocess.run(
        [sys.executable, "-c", _UPLOAD_SCRIPT, str(path), server_bucket],
        env={"PATH": "/usr/bin:/bin", **environment},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    report = json.loads(result.stdout)
    key = f"media/{report['file_id']}"
    metadata = server_client.head_object(Bucket=server_bucket, Key=key)
    assert metadata["ContentLength"] == GIB
    print("peak memory growth:", report["growth_kib"] // 1024, "MiB")
    assert report["growth_kib"] * 1024 < 100 * MIB
