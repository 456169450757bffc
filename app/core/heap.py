"""The long-lived part of the heap kept out of the garbage collector's way.

After start-up the process holds hundreds of thousands of objects that live as long as it does
(modules, mapped classes, validators, compiled statements). Every full collection walks them
all again; a batch of a few hundred records allocates enough to trigger several. ``settle()``
collects once and moves what survived to the permanent generation, which collections skip.
It acts once per process: what is frozen is never collected as a cycle, so it is done when
start-up is over, not for every application a process may build.
"""

from __future__ import annotations

import gc

_settled = False


def settle() -> None:
    """Collect once, then exempt every surviving object from later collections."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
