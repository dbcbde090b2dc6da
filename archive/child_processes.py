"""Starting the project's helper processes (the archive's writer, the extraction workers)."""

from __future__ import annotations

import contextlib
import importlib.machinery
import sys
import threading

_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def without_main_module():
    """Start processes that do not run this program's main script again: multiprocessing's
    forkserver and spawn children re-import `__main__` from its file (the `scrapy` or
    `newsarchive` script, a user's script that may not guard its code), which a worker,
    whose code is all in importable modules, does not need. A `__main__` named "__main__"
    is skipped."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    with _MAIN_LOCK:
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
        try:
            yield
        finally:
            main.__spec__ = None


def _start_time(pid: int) -> str | None:
    """When the process started (field 22 of /proc/PID/stat), to tell it from a later
    process given the same pid; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def exit_with(owner: int, every: float = 0.5) -> None:
    """End this process (at once, whatever it is doing) when process `owner` is gone: a
    helper whose crawl was killed outright must not go on. Checked from a thread of its own,
    every `every` seconds."""
    import os
    import time

    started = _start_time(owner)

    def watch() -> None:
        while True:
            time.sleep(every)
            if started is not None:
                if _start_time(owner) != started:
                    os._exit(1)
            else:  # no /proc: the pid alone
                try:
                    os.kill(owner, 0)
                except ProcessLookupError:
                    os._exit(1)
                except PermissionError:
                    pass

    threading.Thread(target=watch, name="exit-with-owner", daemon=True).start()
