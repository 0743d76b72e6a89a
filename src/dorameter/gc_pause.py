"""Pausing CPython's cycle collector around work that builds many long-lived acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cycle collector for the block; resume it (if it was on) afterwards.

    A cold git ingest (commits, their times and parents, the rows, the commit graph) and a
    large organisation's report (about a million facts and results) allocate objects that
    form no reference cycles, and the collector would walk the growing heap over and over:
    a fifth of a large report's time. Reference counting still frees everything as usual.

    On the way out, the objects allocated meanwhile are moved to the oldest generation without
    being walked (freeze, then unfreeze: both only splice lists and reset the young count).
    Otherwise the first allocation after re-enabling walks them all as one young generation
    (about 0.3 s on the large demo) only to find no garbage; any cycle among them is still
    found by the next full collection. (The unfreeze also returns what the command line froze
    at start-up, its imported modules, to the oldest generation: harmless.)
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
