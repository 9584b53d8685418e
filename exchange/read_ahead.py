"""Reading ahead: an iterator's next items produced in a thread of their own while the caller
works on the current one.

Ingestion reads a source (Arrow parses CSV, drivers fetch rows) and conforms what it read; both
are mostly native code that frees the GIL, so on two cores the next chunk can be read while this
one is conformed. At most ``depth`` items wait, so memory stays bounded by a few chunks.
"""

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

# How often a producer blocked on a full hand-off looks whether the reader went away.
_PATIENCE_SECONDS = 0.1


class _End:
    """The producer's last word: the iterator ended, or raised ``error``."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def read_ahead(
    items: Iterator[T], *, depth: int = 1, name: str = "read-ahead"
) -> Generator[T, None, None]:
    """``items`` in order, produced by a thread up to ``depth`` items ahead. What ``items`` raises
    is raised here, at the point it was reached; a reader that stops early (or fails) stops the
    thread and closes ``items`` in it, so a source's connections and files are released there."""
    handoff: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
    abandoned = threading.Event()

    def offer(item: T | _End) -> bool:
        while not abandoned.is_set():
            try:
                handoff.put(item, timeout=_PATIENCE_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_End())
        except BaseException as error:  # handed to the reader, raised where it reads
            offer(_End(error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, name=name, daemon=True)
    producer.start()
    try:
        while True:
            item = handoff.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        abandoned.set()
        producer.join()
