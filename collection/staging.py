"""An ingest's conformed rows, staged on local disk chunk by chunk before anything is committed.

A run reads its source in chunks and conforms each; the rows that can be stored go to an Arrow
stream file beside the platform's data (hashed as they are written), the rows set aside are kept.
Only when the whole source has been read is it known whether the run may commit (drift, the
share of bad rows), how many rows it has and their hash, all of which the snapshot records; the
staged file is then read back, batch by batch, as the snapshot's data. Memory is bounded by a
chunk (and, as the store writes, by its target data-file size) whatever the size of the source,
and a run that fails leaves nothing in the store.
"""

import hashlib
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from collection.conform import Drift, ItemSpec, SetAside, conform


class _HashingFile:
    """A file that hashes what is written to it: the content hash costs no second read."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")
        self.sha256 = hashlib.sha256()
        self.closed = False

    def write(self, data: bytes | memoryview) -> int:
        self.sha256.update(data)
        return self._file.write(data)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()
        self.closed = True


@dataclass
class Staged:
    """What reading a source produced: counts, rows set aside, drift, the content hash, the
    watermark's new value, and the conformed rows as a stream file to read back."""

    path: Path
    rows_read: int = 0
    rows_written: int = 0
    rejected: list[SetAside] = field(default_factory=list)
    drift: Drift = field(default_factory=Drift)
    digest: str = ""
    watermark: Any = None

    @property
    def rejected_share(self) -> float:
        return len(self.rejected) / self.rows_read if self.rows_read else 0.0

    def reader(self) -> pa.RecordBatchReader:
        # Read, not memory-mapped: a mapped file's pages would count as the process's memory.
        return pa.ipc.open_stream(pa.OSFile(str(self.path)))


@contextmanager
def staged(
    chunks: Iterable[pa.Table],
    items: Sequence[ItemSpec],
    *,
    folder: Path,
    row_hash: bool,
    ignore: frozenset[str],
    watermark_column: str | None,
) -> Iterator[Staged]:
    """Conform ``chunks`` into a staged file under ``folder``, removed when the block ends. Drift
    stops the reading at the chunk that shows it."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="ingest-") as scratch:
        result = Staged(Path(scratch) / "rows.arrows")
        sink = _HashingFile(result.path)
        writer: pa.ipc.RecordBatchStreamWriter | None = None
        # The staged file is written (and hashed) by a thread of its own while the next chunk
        # is conformed: both free the GIL for most of their time. One chunk at most is in hand.
        writing = ThreadPoolExecutor(1, thread_name_prefix="ingest-stage")
        written: Future[None] | None = None
        try:
            for chunk in chunks:
                conformed = conform(chunk, items, row_hash=row_hash, ignore=ignore)
                result.rows_read += conformed.rows_read
                if conformed.drift:
                    result.drift = conformed.drift
                    break
                if writer is None:
                    writer = pa.ipc.new_stream(sink, conformed.table.schema)
                if written is not None:
                    written.result()
                written = writing.submit(writer.write_table, conformed.table)
                result.rows_written += conformed.table.num_rows
                result.rejected.extend(conformed.rejected)
                if watermark_column and chunk.num_rows:
                    highest = pc.max(chunk.column(watermark_column)).as_py()
                    if result.watermark is None or (
                        highest is not None and highest > result.watermark
                    ):
                        result.watermark = highest
            if written is not None:
                written.result()
        finally:
            writing.shutdown()
            if writer is not None:
                writer.close()
            sink.close()
        result.digest = sink.sha256.hexdigest()
        yield result
