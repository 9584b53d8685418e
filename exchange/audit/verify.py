"""Checking the whole chain: names the first altered, missing or reordered record."""

from dataclasses import dataclass

from sqlalchemy import Connection, select

from exchange.audit.chain import HASHED_COLUMNS, HEAD_ID, record_hash
from exchange.audit.models import AuditChainHead, AuditRecord
from exchange.db import table_of


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    records_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def message(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.records_checked} records verified"
        return f"audit chain broken at record {self.first_bad_seq}: {self.problem}"


def verify_chain(connection: Connection, *, batch_size: int = 20_000) -> ChainReport:
    head = table_of(AuditChainHead)
    records = table_of(AuditRecord)
    anchor_seq, anchor_hash, last_seq, last_hash = connection.execute(
        select(head.c.anchor_seq, head.c.anchor_hash, head.c.last_seq, head.c.last_hash).where(
            head.c.id == HEAD_ID
        )
    ).one()
    columns = [
        records.c.seq,
        *(records.c[name] for name in HASHED_COLUMNS),
        records.c.prev_hash,
        records.c.hash,
    ]
    result = connection.execution_options(yield_per=batch_size).execute(
        select(*columns).order_by(records.c.seq)
    )
    expected_seq = anchor_seq + 1
    expected_prev = anchor_hash
    checked = 0
    for row in result:
        seq = row[0]
        if seq != expected_seq:
            result.close()
            return ChainReport(False, checked, expected_seq, f"record {expected_seq} is missing")
        prev_hash, stored_hash = row[-2], row[-1]
        if record_hash(prev_hash, seq, tuple(row[1:-2])) != stored_hash:
            result.close()
            return ChainReport(False, checked, seq, "its content was altered (hash mismatch)")
        if prev_hash != expected_prev:
            result.close()
            return ChainReport(
                False, checked, seq, f"it does not follow record {seq - 1} (reordered or replaced)"
            )
        checked += 1
        expected_seq += 1
        expected_prev = stored_hash
    if expected_seq - 1 != last_seq or expected_prev != last_hash:
        return ChainReport(
            False,
            checked,
            expected_seq,
            f"the chain should end at record {last_seq}; records are missing",
        )
    return ChainReport(True, checked)
