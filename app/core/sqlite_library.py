"""Process-wide settings of the SQLite library itself, made before the process opens a database.

Memory statistics. By default SQLite counts every allocation it makes in process-wide totals
(``sqlite3_memory_used``), under one process-wide mutex. Statements that allocate per row,
such as ranking's whole-word tests on concatenated strings, then take that one mutex for every
row of every connection, and the threads of one process serialise on it: two threads replaying
the search statements ran them 1.4 times as fast as one, 1.9 times once the statistics were
off (bench/, README). SQLite lists turning them off among its recommended compile-time options
(``SQLITE_DEFAULT_MEMSTATUS=0``); the library the interpreter links is configured the same way
at run time (``SQLITE_CONFIG_MEMSTATUS``), the only thing lost being those totals.

The library accepts a configuration only while uninitialised, and the interpreter's ``sqlite3``
module initialises it on import: it is shut down and initialised again around the change, which
is safe only while nothing of it is in use. So the change is made only when this is the only
thread of the process and SQLite holds no memory at all (no connection is open); otherwise it
is left as it is and reported by ``memory_statistics``.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import sqlite3
import threading
from typing import Any

log = logging.getLogger(__name__)

_SQLITE_OK = 0
_SQLITE_CONFIG_MEMSTATUS = 9
_lock = threading.Lock()
_untracked = False


@functools.cache
def _library() -> Any | None:
    """The SQLite library ``sqlite3`` itself runs on: its symbols are looked up through the
    extension module, whether it links the library or embeds it."""
    try:
        import _sqlite3

        path = _sqlite3.__file__
    except (ImportError, AttributeError):
        return None
    try:
        library = ctypes.CDLL(path)
        library.sqlite3_memory_used.restype = ctypes.c_int64
        library.sqlite3_compileoption_used.argtypes = [ctypes.c_char_p]
        for name in ("sqlite3_shutdown", "sqlite3_initialize", "sqlite3_config"):
            getattr(library, name)
    except (OSError, AttributeError):
        return None
    return library


def memory_statistics() -> bool | None:
    """Whether SQLite keeps its process-wide memory statistics (None: library not reachable)."""
    if _untracked:
        return False
    library = _library()
    if library is None:
        return None
    return not library.sqlite3_compileoption_used(b"DEFAULT_MEMSTATUS=0")


def untrack_memory() -> bool:
    """Turn SQLite's memory statistics off for this process, if it can be done safely now
    (see the module's notes). True when they are off after the call."""
    global _untracked
    with _lock:
        if _untracked:
            return True
        library = _library()
        if library is None:
            return False
        if library.sqlite3_compileoption_used(b"DEFAULT_MEMSTATUS=0"):
            _untracked = True
            return True
        if threading.active_count() != 1 or library.sqlite3_memory_used() != 0:
            log.debug("SQLite memory statistics left on: the library is in use")
            return False
        if library.sqlite3_shutdown() != _SQLITE_OK:
            return False
        configured = library.sqlite3_config(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0))
        if library.sqlite3_initialize() != _SQLITE_OK:  # pragma: no cover - out of memory
            raise sqlite3.OperationalError("SQLite could not be initialised again")
        _untracked = bool(configured == _SQLITE_OK)
        return _untracked
