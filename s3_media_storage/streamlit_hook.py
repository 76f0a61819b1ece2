"""The hook that puts a storage into Streamlit's runtime.

Streamlit (checked on 1.67) has no setting for the media storage: both
``streamlit run`` and ``st.App`` build ``Runtime(RuntimeConfig(...))`` with a
``MemoryMediaFileStorage``. ``install`` wraps ``Runtime.__init__`` so that the
config it receives carries the given storage instead. This module is the only
place that relies on Streamlit's internals, and it checks them first.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, Final

import streamlit
from streamlit.runtime.media_file_storage import MediaFileStorage, MediaFileStorageError

__all__ = ["install", "uninstall"]

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
    another storage keeps it. Calling it again replaces the storage.
    """
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

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

    setattr(runtime_class, _ORIGINAL_INIT, original)
    runtime_class.__init__ = init_with_storage


def uninstall() -> None:
    """Restore Streamlit's own ``Runtime.__init__``."""
    runtime_class = _runtime_class()
    original = getattr(runtime_class, _ORIGINAL_INIT, None)
    if original is not None:
        runtime_class.__init__ = original
        delattr(runtime_class, _ORIGINAL_INIT)
