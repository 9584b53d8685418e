"""The audit log (R16, R21): append-only, hash-chained, kept for 15 years."""

from exchange.audit.chain import (
    Entry,
    Outcome,
    append_to_chain,
    commit_with_chain_append,
    entry,
    record,
    record_in_own_transaction,
)

__all__ = [
    "Entry",
    "Outcome",
    "append_to_chain",
    "commit_with_chain_append",
    "entry",
    "record",
    "record_in_own_transaction",
]
