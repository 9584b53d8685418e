"""Reading a source ahead in a thread (R9 pulls): same items in the same order, the source's own
errors where they were reached, bounded memory, and a source released when the reader stops."""

import threading
import time
from collections.abc import Iterator

import pytest

from exchange.read_ahead import read_ahead


class SourceDown(Exception):
    pass


def test_r9_items_arrive_in_order_from_another_thread() -> None:
    producers: set[str] = set()

    def numbers() -> Iterator[int]:
        for number in range(100):
            producers.add(threading.current_thread().name)
            yield number

    assert list(read_ahead(numbers(), name="source-reader")) == list(range(100))
    assert producers == {"source-reader"}


def test_r9_an_error_of_the_source_is_raised_where_it_was_reached() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise SourceDown("connection reset")

    items = read_ahead(failing())
    assert [next(items), next(items)] == [1, 2]
    with pytest.raises(SourceDown, match="connection reset"):
        next(items)


def test_r9_the_reader_never_holds_more_than_depth_items_ahead() -> None:
    produced = []

    def counted() -> Iterator[int]:
        for number in range(10):
            produced.append(number)
            yield number

    items = read_ahead(counted(), depth=2)
    assert next(items) == 0
    time.sleep(0.3)  # time enough for the producer to run ahead as far as it may
    # One item taken, two waiting, one produced and blocked on the full hand-off.
    assert len(produced) <= 4
    items.close()


def test_r9_stopping_early_closes_the_source_in_its_thread() -> None:
    closed_in: list[str] = []

    def endless() -> Iterator[int]:
        try:
            number = 0
            while True:
                yield number
                number += 1
        finally:
            closed_in.append(threading.current_thread().name)

    items = read_ahead(endless(), name="source-reader")
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert closed_in == ["source-reader"]
    assert not any(t.name == "source-reader" for t in threading.enumerate())
