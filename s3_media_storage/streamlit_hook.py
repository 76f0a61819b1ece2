"""The hook that puts a storage into Streamlit's runtime.

Streamlit (checked on 1.67) has no setting for the media storage: both
``streamlit run`` and ``st.App`` build ``Runtime(RuntimeConfig(...))`` with a
``MemoryMediaFileStorage``. ``install`` wraps ``Runtime.__init__`` so that the
config it receives carries the given storage instead. For an
``S3MediaFileStorage`` the wrapper then replaces the runtime's media file
manager with ``ConcurrentMediaFileManager``, so that uploads from different
sessions overlap. This module and ``manager`` are the only places that rely on
Streamlit's internals, and they check them first.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Callable
from typing import Any, Final

import streamlit
from streamlit.runtime.media_file_storage import MediaFileStorage, MediaFileStorageError

__all__ = ["install", "uninstall"]

_LOGGER: Final = logging.getLogger(__name__)

_ORIGINAL_INIT: Final = "_s3_media_original_init"


def _runtime_class() -> type[Any]:
    """Return Streamlit's ``Runtime`` class after checking the parts the hook uses."""
    try:
        from streamlit.runtime.runtime import Runtime, RuntimeConfig
    except ImportError as error:
        raise _unsupported(f"cannot import the runtime ({error})") from error
    fields = {field.name for field in dataclasses.fields(RuntimeConfig)}
    if "media_file_storage" not in fields:
        raise _unsupported("RuntimeConfig has no media_file_storage field")
    init = getattr(Runtime, _ORIGINAL_INIT, Runtime.__init__)
    if list(inspect.signature(init).parameters)[:2] != ["self", "config"]:
        raise _unsupported("Runtime.__init__ no longer takes a config")
    return Runtime


def _unsupported(reason: str) -> MediaFileStorageError:
    return MediaFileStorageError(
        f"Cannot install the S3 media storage into Streamlit {streamlit.__version__}:"
        f" {reason}. Install a Streamlit version that s3-media-storage supports"
        " (see its pyproject.toml)."
    )


def install(storage: MediaFileStorage) -> None:
    """Make every Streamlit runtime created after this call use ``storage``.

    Call it before Streamlit starts, in the process that runs the server. It
    replaces only the default in-memory storage, so a runtime configured with
    another storage keeps it. Calling it again replaces the storage. When the
    runtime's storage is an ``S3MediaFileStorage``, its media file manager
    becomes a ``ConcurrentMediaFileManager`` (see ``use_concurrent_manager``).
    """
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    # MediaFileStorage is a Protocol without runtime_checkable, so check its methods.
    if not all(
        callable(getattr(storage, method, None))
        for method in ("load_and_get_id", "get_url", "delete_file")
    ):
        raise MediaFileStorageError(
            f"Invalid storage {type(storage).__name__}: expected a"
            " MediaFileStorage with load_and_get_id, get_url and delete_file,"
            " such as S3MediaFileStorage.from_env()."
        )
    runtime_class = _runtime_class()
    if runtime_class._instance is not None:
        raise MediaFileStorageError(
            "Streamlit's runtime already exists, so its media storage cannot be"
            " replaced. Call s3_media_storage.install() before Streamlit starts."
        )
    original: Callable[..., None] = getattr(
        runtime_class, _ORIGINAL_INIT, runtime_class.__init__
    )

    def init_with_storage(self: Any, config: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(config.media_file_storage, MemoryMediaFileStorage):
            config = dataclasses.replace(config, media_file_storage=storage)
        original(self, config, *args, **kwargs)
        use_concurrent_manager(self, config.media_file_storage)

    setattr(runtime_class, _ORIGINAL_INIT, original)
    runtime_class.__init__ = init_with_storage


def use_concurrent_manager(runtime: Any, storage: MediaFileStorage) -> bool:
    """Replace the runtime's media file manager so that uploads overlap.

    Returns whether it replaced it.

    Only for an ``S3MediaFileStorage``, which is thread-safe, and only when the
    runtime's manager is Streamlit's own with the internals that
    ``ConcurrentMediaFileManager`` relies on. Otherwise the stock manager stays
    and the reason is logged: at INFO for another storage, at WARNING for
    missing internals. Call it right after ``Runtime.__init__``, before any
    session exists.
    """
    from s3_media_storage.storage import S3MediaFileStorage

    if not isinstance(storage, S3MediaFileStorage):
        _LOGGER.info(
            "Keeping Streamlit's media file manager: the storage is a %s, not an"
            " S3MediaFileStorage.",
            type(storage).__name__,
        )
        return False
    reason: str | None
    try:
        from s3_media_storage.manager import (
            ConcurrentMediaFileManager,
            unsupported_reason,
        )
    except ImportError as error:
        reason = f"cannot import the concurrent manager ({error})"
    else:
        if not hasattr(runtime, "_media_file_mgr"):
            reason = "the runtime has no _media_file_mgr attribute"
        else:
            reason = unsupported_reason(runtime._media_file_mgr)
    if reason is not None:
        _LOGGER.warning(
            "Keeping Streamlit %s's media file manager, so uploads from different"
            " sessions run one at a time: %s.",
            streamlit.__version__,
            reason,
        )
        return False
    runtime._media_file_mgr = ConcurrentMediaFileManager(storage)
    _LOGGER.info(
        "Uploads from different sessions overlap (ConcurrentMediaFileManager)."
    )
    return True


def uninstall() -> None:
    """Restore Streamlit's own ``Runtime.__init__``."""
    runtime_class = _runtime_class()
    original = getattr(runtime_class, _ORIGINAL_INIT, None)
    if original is not None:
        runtime_class.__init__ = original
        delattr(runtime_class, _ORIGINAL_INIT)
