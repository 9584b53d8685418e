"""Checking every chain: names the first altered, missing or reordered record."""

from dataclasses import dataclass

from sqlalchemy import Connection, select

from exchange.audit.chain import HASHED_COLUMNS, record_hash
from exchange.audit.models import AuditChainHead, AuditRecord
from exchange.db import table_of
from exchange.i18n import Message


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    records_checked: int
    chain: int | None = None
    position: int | None = None
    problem: str | None = None

    @property
    def said(self) -> Message:
        """The verdict for people (the problem itself is technical, and stays as found)."""
        if self.ok:
            return Message(
                "audit chain intact: {count} records verified", count=self.records_checked
            )
        if self.chain is None:
            return Message("audit chain cannot be trusted: {problem}", problem=self.problem)
        return Message(
            "audit chain broken at record {position} of chain {chain}: {problem}",
            position=self.position, chain=self.chain, problem=self.problem,
        )  # fmt: skip

    @property
    def message(self) -> str:
        return self.said.english


@dataclass
class _ChainState:
    expected_pos: int
    expected_prev: str
    last_pos: int
    last_hash: str

    def ended_cleanly(self) -> bool:
        return self.expected_pos - 1 == self.last_pos and self.expected_prev == self.last_hash


def verify_chain(connection: Connection, *, batch_size: int = 20_000) -> ChainReport:
    heads = table_of(AuditChainHead)
    records = table_of(AuditRecord)
    chains = {
        row.id: _ChainState(row.anchor_pos + 1, row.anchor_hash, row.last_pos, row.last_hash)
        for row in connection.execute(select(heads))
    }
    columns = [
        records.c.chain,
        records.c.chain_pos,
        records.c.seq,
        *(records.c[name] for name in HASHED_COLUMNS),
        records.c.prev_hash,
        records.c.hash,
    ]
    result = connection.execution_options(yield_per=batch_size).execute(
        select(*columns).order_by(records.c.chain, records.c.chain_pos)
    )
    checked = 0
    with result:
        for row in result:
            chain, position, seq = row[0], row[1], row[2]
            state = chains.get(chain)
            if state is None:
                return ChainReport(False, checked, chain, position, f"chain {chain} does not exist")
            if position != state.expected_pos:
                return ChainReport(
                    False, checked, chain, state.expected_pos, "the record is missing"
                )
            prev_hash, stored_hash = row[-2], row[-1]
            if record_hash(prev_hash, chain, position, seq, tuple(row[3:-2])) != stored_hash:
                return ChainReport(
                    False, checked, chain, position, f"record seq {seq} was altered (hash mismatch)"
                )
            if prev_hash != state.expected_prev:
                return ChainReport(
                    False,
                    checked,
                    chain,
                    position,
                    f"record seq {seq} does not follow record {position - 1} (reordered or replaced)",
                )
            checked += 1
            state.expected_pos += 1
            state.expected_prev = stored_hash
    for chain, state in sorted(chains.items()):
        if not state.ended_cleanly():
            return ChainReport(
                False,
                checked,
                chain,
                state.expected_pos,
                f"the chain should end at record {state.last_pos}; records are missing",
            )
    return ChainReport(True, checked)
