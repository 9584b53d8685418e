"""Chain heads kept outside the database, so that removing records from a chain's end is seen.

The hash chain shows any record altered, removed or reordered between its ends, but someone who
can write the database can also cut records off the end and move the head back. So the heads are
copied, signed with a key derived from the platform's secret key, into the warehouse (its folder or
object storage, kept and backed up apart from the database): by every backup, the daily supervision
run, and ``exchange audit checkpoint``. Verification then requires each chain to reach at least as
far as the newest checkpoint, through the very record the checkpoint names.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection, select

from exchange.audit.models import AuditChainHead, AuditRecord
from exchange.audit.verify import ChainReport, verify_chain
from exchange.db import table_of
from exchange.secrets_box import signing_key
from exchange.settings import Settings
from exchange.store import UnifiedStore

FOLDER = "_audit_checkpoints"
PURPOSE = "audit-checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    name: str
    taken_at: str
    heads: dict[int, tuple[int, str]]  # chain → (last position, its hash)


def _signature(settings: Settings, body: bytes) -> str:
    return hmac.new(signing_key(settings, PURPOSE), body, hashlib.sha256).hexdigest()


def write_checkpoint(connection: Connection, settings: Settings, *, now: datetime) -> str:
    """Sign the current heads and store them beside the warehouse; returns the file's name."""
    heads = table_of(AuditChainHead)
    body = orjson.dumps(
        {
            "taken_at": now.astimezone(UTC).isoformat(),
            "chains": {
                str(row.id): [row.last_pos, row.last_hash]
                for row in connection.execute(select(heads).order_by(heads.c.id))
            },
        },
        option=orjson.OPT_SORT_KEYS,
    )
    document = orjson.dumps({"body": body.decode(), "signature": _signature(settings, body)})
    file_system, root = UnifiedStore(settings).warehouse_file_system()
    folder = f"{root.rstrip('/')}/{FOLDER}"
    file_system.create_dir(folder, recursive=True)
    name = f"{now.astimezone(UTC):%Y%m%dT%H%M%S%f}Z.json"
    with file_system.open_output_stream(f"{folder}/{name}") as output:
        output.write(document)
    return name


def latest_checkpoint(settings: Settings) -> Checkpoint | str | None:
    """The newest checkpoint; a message if it cannot be trusted; None if there is none yet."""
    from pyarrow.fs import FileSelector, FileType

    file_system, root = UnifiedStore(settings).warehouse_file_system()
    found = file_system.get_file_info(
        FileSelector(f"{root.rstrip('/')}/{FOLDER}", allow_not_found=True)
    )
    names = sorted(i.path for i in found if i.type == FileType.File and i.path.endswith(".json"))
    if not names:
        return None
    with file_system.open_input_stream(names[-1]) as source:
        try:
            document = orjson.loads(source.read())
            body = str(document["body"]).encode()
            signed = hmac.compare_digest(_signature(settings, body), str(document["signature"]))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            signed = False
    name = names[-1].rsplit("/", 1)[-1]
    if not signed:
        return (
            f"the audit checkpoint {name} is damaged or not signed with this platform's secret key "
            "(a platform restored elsewhere needs the original EXCHANGE_SECRET_KEY)"
        )
    content = orjson.loads(body)
    heads = {
        int(chain): (int(pos), str(digest)) for chain, (pos, digest) in content["chains"].items()
    }
    return Checkpoint(name, content["taken_at"], heads)


def verify_audit(connection: Connection, settings: Settings) -> ChainReport:
    """The chains checked end to end (``verify_chain``), then against the newest checkpoint."""
    report = verify_chain(connection)
    if not report.ok:
        return report
    checkpoint = latest_checkpoint(settings)
    if checkpoint is None:
        return report
    if isinstance(checkpoint, str):
        return ChainReport(False, report.records_checked, problem=checkpoint)
    heads = {row.id: row for row in connection.execute(select(table_of(AuditChainHead)))}
    records = table_of(AuditRecord)
    for chain, (position, digest) in sorted(checkpoint.heads.items()):
        head = heads.get(chain)
        if head is None or head.last_pos < position:
            return ChainReport(
                False,
                report.records_checked,
                chain,
                position,
                f"the chain ends at record {head.last_pos if head else 0}, before record "
                f"{position} that the checkpoint of {checkpoint.taken_at} saw: records were "
                "removed from its end",
            )
        if head.anchor_pos >= position:  # purged by retention since: nothing left to compare
            continue
        stored = connection.scalar(
            select(records.c.hash).where(records.c.chain == chain, records.c.chain_pos == position)
        )
        if stored != digest:
            return ChainReport(
                False,
                report.records_checked,
                chain,
                position,
                f"record {position} differs from the one the checkpoint of "
                f"{checkpoint.taken_at} saw: the chain was rewritten from there",
            )
    return report
