"""A Streamlit ``MediaFileManager`` whose uploads from different sessions overlap.

Streamlit's ``MediaFileManager`` (checked on 1.67) holds one lock around every
storage call: ``add`` calls ``load_and_get_id`` and ``get_url`` under
``self._lock``. With S3 behind it, ``load_and_get_id`` is an upload, so the
sessions of one process upload one file at a time. ``ConcurrentMediaFileManager``
calls ``load_and_get_id`` outside that lock, because ``S3MediaFileStorage`` is
thread-safe, and keeps every other step of the stock manager under the lock.

This module relies on private parts of Streamlit's manager.
``unsupported_reason`` checks them, and the hook in ``streamlit_hook`` keeps the
stock manager when one is missing.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from streamlit.runtime import download_data_util
from streamlit.runtime import media_file_manager as streamlit_manager
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

if TYPE_CHECKING:
    from s3_media_storage.storage import S3MediaFileStorage

__all__ = ["ConcurrentMediaFileManager", "unsupported_reason"]

_LOGGER: Final = logging.getLogger(__name__)

# Private attributes of a Streamlit 1.67 MediaFileManager that this class reads
# or writes.
_MANAGER_ATTRIBUTES: Final = (
    "_storage",
    "_lock",
    "_file_metadata",
    "_files_by_session_and_coord",
    "_deferred_callables",
    "_delete_file",
)
# Module-level names of streamlit.runtime.media_file_manager that this class uses.
_MODULE_NAMES: Final = ("_get_session_id", "MediaFileMetadata")
_ADD_PARAMETERS: Final = [
    "self",
    "path_or_data",
    "mimetype",
    "coordinates",
    "file_name",
    "is_for_static_download",
]
_EXECUTE_DEFERRED_PARAMETERS: Final = ["self", "file_id"]


def unsupported_reason(manager: object) -> str | None:
    """Return why ``ConcurrentMediaFileManager`` cannot replace ``manager``, or None.

    The replacement is safe only for Streamlit's own ``MediaFileManager`` class
    (not a subclass) with the private attributes, module functions and method
    signatures of Streamlit 1.67.
    """
    if type(manager) is not MediaFileManager:
        return (
            f"the runtime's manager is a {type(manager).__qualname__},"
            " not Streamlit's MediaFileManager"
        )
    missing = [name for name in _MANAGER_ATTRIBUTES if not hasattr(manager, name)]
    missing += [
        f"media_file_manager.{name}"
        for name in _MODULE_NAMES
        if not hasattr(streamlit_manager, name)
    ]
    if not hasattr(download_data_util, "convert_data_to_bytes_and_infer_mime"):
        missing.append("download_data_util.convert_data_to_bytes_and_infer_mime")
    if missing:
        return f"MediaFileManager has no {', '.join(missing)}"
    expected_signatures = {
        "add": _ADD_PARAMETERS,
        "execute_deferred": _EXECUTE_DEFERRED_PARAMETERS,
    }
    for method, expected in expected_signatures.items():
        parameters = list(
            inspect.signature(getattr(MediaFileManager, method)).parameters
        )
        if parameters != expected:
            return (
                f"MediaFileManager.{method} takes ({', '.join(parameters)}),"
                f" expected ({', '.join(expected)})"
            )
    return None


class ConcurrentMediaFileManager(MediaFileManager):
    """Streamlit's media file manager, with storage loads outside its lock.

    ``add`` and ``execute_deferred`` call the storage's ``load_and_get_id``
    without holding ``self._lock``, then record the file's metadata and call
    ``get_url`` under it. Every other method is Streamlit's own.

    Deletion: when the storage deletes objects, ``remove_orphaned_files`` could
    otherwise delete a file between its load and its registration, or send a
    DeleteObject that overtakes an upload of the same file still in flight.
    Either way the page would get a URL of a missing object. So while any load
    runs outside the lock, the storage deletions of orphaned files are
    postponed. The metadata is removed at once, as the stock manager does. The
    last load to finish sends the postponed deletions, under the lock, after
    it has registered its file. A postponed file that an ``add`` registers
    again is not deleted. While a deletion is postponed, new loads run under
    the lock as in the stock manager, so the postponement ends once the loads
    in flight finish.
    """

    def __init__(self, storage: S3MediaFileStorage) -> None:
        super().__init__(storage)
        # Deletion off: S3MediaFileStorage.delete_file sends nothing, so no
        # deletion can race a load and none needs postponing.
        self._storage_deletes = bool(storage.settings.delete_files)
        # Loads running outside self._lock. Guarded by self._lock.
        self._loads_in_flight = 0
        # Orphaned file IDs whose storage deletion waits for the loads in
        # flight. Guarded by self._lock.
        self._postponed_deletions: set[str] = set()

    def add(
        self,
        path_or_data: bytes | str,
        mimetype: str,
        coordinates: str,
        file_name: str | None = None,
        is_for_static_download: bool = False,
    ) -> str:
        """Store a file for the current session at ``coordinates``; return its URL.

        Behaves as ``MediaFileManager.add`` except that the upload runs outside
        the manager's lock.
        """
        session_id = streamlit_manager._get_session_id()
        kind = (
            MediaFileKind.DOWNLOADABLE
            if is_for_static_download
            else MediaFileKind.MEDIA
        )

        def register(file_id: str) -> None:
            self._file_metadata[file_id] = streamlit_manager.MediaFileMetadata(
                kind=kind
            )
            # NOTE: as in the stock manager, an add that finishes after
            # clear_session_refs(session_id) maps the file to that session again.
            self._files_by_session_and_coord[session_id][coordinates] = file_id

        return self._load_and_register(
            path_or_data, mimetype, kind, file_name, register
        )

    def execute_deferred(self, file_id: str) -> str:
        """Run the deferred download callable of ``file_id``; store and return its URL.

        Behaves as ``MediaFileManager.execute_deferred``: the callable runs
        outside the lock, and the stored file stays out of the session's
        coordinates, so every click runs the callable again. The upload also
        runs outside the lock.
        """
        with self._lock:
            entry = self._deferred_callables.get(file_id)
        if entry is None:
            raise MediaFileStorageError(
                f"Deferred download {file_id!r} not found: its button was removed or"
                " its session ended. Rerun the app and click the button again."
            )
        try:
            data = entry["callable"]()
        except Exception as error:
            raise MediaFileStorageError(
                f"The data callable of deferred download {file_id!r} failed: {error}"
            ) from error
        data_bytes, inferred_mimetype = (
            download_data_util.convert_data_to_bytes_and_infer_mime(
                data,
                unsupported_error=MediaFileStorageError(
                    f"The data callable of deferred download {file_id!r} returned an"
                    f" unsupported {type(data).__name__}: expected str, bytes or a"
                    " file."
                ),
            )
        )
        mimetype = entry["mimetype"] or inferred_mimetype
        kind = MediaFileKind.DOWNLOADABLE

        def register(stored_id: str) -> None:
            self._file_metadata[stored_id] = streamlit_manager.MediaFileMetadata(
                kind=kind
            )

        return self._load_and_register(
            data_bytes, mimetype, kind, entry["filename"], register
        )

    def _load_and_register(
        self,
        path_or_data: bytes | str,
        mimetype: str,
        kind: MediaFileKind,
        filename: str | None,
        register: Callable[[str], None],
    ) -> str:
        """Load outside the lock, then register the file and return its URL under it."""
        with self._lock:
            overlap = not self._postponed_deletions
            if not overlap:
                return self._register_and_get_url(
                    self._storage.load_and_get_id(
                        path_or_data, mimetype, kind, filename
                    ),
                    register,
                )
            self._loads_in_flight += 1
        try:
            file_id = self._storage.load_and_get_id(
                path_or_data, mimetype, kind, filename
            )
        except BaseException:
            with self._lock:
                self._finish_load()
            raise
        with self._lock:
            try:
                return self._register_and_get_url(file_id, register)
            finally:
                self._finish_load()

    def _register_and_get_url(
        self, file_id: str, register: Callable[[str], None]
    ) -> str:
        """Record ``file_id`` and return its URL. Callers hold ``self._lock``."""
        self._postponed_deletions.discard(file_id)
        register(file_id)
        return self._storage.get_url(file_id)

    def _finish_load(self) -> None:
        """Count one load as finished; the last one sends the postponed deletions.

        Callers hold ``self._lock``.
        """
        self._loads_in_flight -= 1
        if self._loads_in_flight == 0 and self._postponed_deletions:
            self._delete_postponed()

    def _delete_postponed(self) -> None:
        """Delete the postponed files that no add registered again.

        Callers hold ``self._lock``. A failure is logged and not raised, because it would fail the add of an
        unrelated session. The object then stays until the bucket's lifecycle
        rule expires it.
        """
        postponed = sorted(self._postponed_deletions)
        self._postponed_deletions.clear()
        for file_id in postponed:
            if file_id in self._file_metadata:
                continue
            try:
                self._storage.delete_file(file_id)
            except MediaFileStorageError as error:
                _LOGGER.warning(
                    "Postponed deletion of media file %s failed: %s", file_id, error
                )

    def _delete_file(self, file_id: str) -> None:
        """Forget ``file_id``; postpone its storage deletion while loads are in flight.

        Callers hold ``self._lock``, as for ``MediaFileManager._delete_file``.
        """
        if not (self._storage_deletes and self._loads_in_flight):
            super()._delete_file(file_id)
            return
        _LOGGER.debug(
            "Postponing the deletion of %s until the loads in flight finish", file_id
        )
        del self._file_metadata[file_id]
        self._postponed_deletions.add(file_id)
