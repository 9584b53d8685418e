"""Reading shared data (R13–R16): the decision point decides, the store serves, usage is recorded.

Every read names a purpose, is decided by the data PDP (which items, under which grant and row
filter) and returns only what was decided, with the record the read must leave
(:mod:`policies.read_records`) before its data is sent. Asking for an item that is not granted is
refused by name — never dropped quietly.
"""

import base64
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import orjson

from exchange.actions import ACTIONS, DOING, relation_of
from exchange.errors import InvalidInput, NotFound, PermissionDenied
from exchange.i18n import Message
from exchange.principal import Principal
from exchange.snapshots import NoData, NotInMemory, Served, SnapshotCache
from policies import masking
from policies.pdp import DataAccessPolicy, Decision, ResourceFacts
from policies.read_records import ReadRecord

if TYPE_CHECKING:
    import pyarrow as pa

Operator = Literal["eq", "in", "range"]


@dataclass(frozen=True)
class Filter:
    """``eq`` one value, ``in`` several, ``range`` (low, high) with "" for an open end."""

    item: str
    op: Operator
    values: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "Filter":
        """``district:eq:南山区`` · ``district:in:南山区|福田区`` · ``capital:range:100..5000``"""
        item, _, rest = text.partition(":")
        op, _, value = rest.partition(":")
        if not item or op not in ("eq", "in", "range"):
            raise InvalidInput(
                "cannot read the filter {text!r}: write item:eq:value, item:in:a|b or item:range:low..high",
                detail={"field": "filter", "value": text},
                text=text,
            )
        if op == "range":
            low, dots, high = value.partition("..")
            if not dots or not (low or high):
                raise InvalidInput(
                    "a range is low..high, either end may be left open: {text!r}",
                    detail={"field": "filter", "value": text},
                    text=text,
                )
            return cls(item, "range", (low, high))
        return cls(item, op, tuple(value.split("|")) if op == "in" else (value,))  # type: ignore[arg-type]


@dataclass(frozen=True)
class ReadRequest:
    code: str
    mode: str
    purpose: str
    items: tuple[str, ...] | None = None
    filters: tuple[Filter, ...] = ()
    snapshot_id: int | None = None
    grant_id: int | None = None
    limit: int | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class ReadResult:
    data: "pa.Table"
    decision: Decision
    snapshot_id: int
    next_cursor: str | None
    record: ReadRecord  # to be committed before ``data`` is sent
    served: Served | None = None  # what quality says of the data served


def resource_for(
    pdp: DataAccessPolicy, actor: Principal, code: str, purpose: str, action: str
) -> ResourceFacts:
    """The published resource a use of data (``read`` or ``verify``) is about, once the use
    states its purpose and the actor's roles take that action on it."""
    if len(purpose.strip()) < 2:
        raise InvalidInput("say what the data is for (R15)", detail={"field": "purpose"})
    facts = pdp.resource(code)
    if facts is None or actor.department_id is None:
        raise NotFound("no published data resource {code}", code=code)
    ACTIONS.require(
        actor,
        relation_of(actor, provider_id=facts.provider_department_id),
        "data",
        action,
        explain=Message("your roles do not {doing}", doing=DOING["data", action]),
    )
    return facts


def authorize(
    pdp: DataAccessPolicy, actor: Principal, request: ReadRequest, at: datetime
) -> tuple[ResourceFacts, Decision]:
    """The decision for this read, or PermissionDenied naming what may not be read."""
    facts = resource_for(pdp, actor, request.code, request.purpose, "read")
    if request.items is not None:
        unknown = sorted(set(request.items) - set(facts.items))
        if unknown:
            raise InvalidInput(
                "not data items of {code}: {unknown}",
                detail={"field": "columns", "unknown": unknown},
                code=request.code,
                unknown=", ".join(unknown),
            )
    assert actor.department_id is not None  # resource_for refuses a caller without one
    decision = pdp.decide(
        department_id=actor.department_id,
        code=request.code,
        mode=request.mode,
        at=at,
        items=request.items,
        grant_id=request.grant_id,
    )
    if not decision.allowed:
        raise PermissionDenied(
            decision.reason,
            detail={
                "resource": request.code,
                "not_granted": list(decision.denied_items),
                "mode": request.mode,
            },
        )
    if not decision.items:
        raise PermissionDenied(
            "nothing of {code} is open to your department in the {mode} mode; request the items you need",
            detail={"resource": request.code, "mode": request.mode},
            code=request.code,
            mode=request.mode,
        )
    for each in request.filters:
        if each.item not in decision.items:
            raise PermissionDenied(
                "you may not filter on {item}: it is not granted to you",
                detail={"resource": request.code, "not_granted": [each.item]},
                item=each.item,
            )
        if each.item in decision.masked:
            # A filter on clear values would tell, row by row, what the mask hides.
            raise PermissionDenied(
                "you may not filter on {item}: it is shared with you masked",
                detail={"resource": request.code, "masked": [each.item]},
                item=each.item,
            )
    return facts, decision


def served_values(table: "pa.Table", decision: Decision) -> "pa.Table":
    """What leaves the platform: the decided items, masked where the grant says so."""
    return masking.mask(table, decision.masked, decision.pseudonym_key)


def _own(actor: Principal, facts: ResourceFacts) -> bool:
    return actor.department_id == facts.provider_department_id


# A read of at most this many rows, by key or from a small table, is quick once in memory.
QUICK_ROWS = 1_000


def read(
    *,
    pdp: DataAccessPolicy,
    snapshots: SnapshotCache,
    actor: Principal,
    request: ReadRequest,
    at: datetime,
    quick_only: bool = False,
) -> ReadResult:
    """The page of rows the decision allows. With ``quick_only`` raises :class:`NotInMemory`
    rather than do anything slow: load a snapshot, build an index, scan a large table or return
    more than ``QUICK_ROWS`` rows (a caller on an event loop then hands the read to a thread)."""
    if quick_only and (request.limit is None or request.limit > QUICK_ROWS):
        raise NotInMemory(request.code)
    facts, decision = authorize(pdp, actor, request, at)
    if quick_only and decision.masked:
        raise NotInMemory(request.code)  # masking runs in DuckDB, off the event loop
    offset, cursor_snapshot = _decode_cursor(request.cursor)
    with _no_data_is_not_found():
        served = snapshots.served(request.code, provider=_own(actor, facts))
        snapshot_id = cursor_snapshot or request.snapshot_id or served.snapshot_id
        if quick_only or request.limit is None or snapshots.fits(request.code, snapshot_id):
            whole = snapshots.read(request.code, snapshot_id, memory_only=quick_only)
        else:
            whole = None  # too large to hold: read file by file
    if whole is None:
        page, more = _streamed_page(snapshots, request, decision, snapshot_id, offset)
        end = offset + page.num_rows
        total = end + more
    else:
        page, end, total = _page_in_memory(
            snapshots, request, decision, snapshot_id, whole, offset, quick_only
        )
    page = served_values(page, decision)
    next_cursor = _encode_cursor(end, snapshot_id) if end < total else None
    record = ReadRecord(actor, facts, decision, request.mode, request.purpose, len(page),
                        snapshot_id, at)  # fmt: skip
    return ReadResult(page, decision, snapshot_id, next_cursor, record, served)


@dataclass(frozen=True)
class StreamedRead:
    """A whole snapshot too large to hold in memory (a bulk download). Its served rows come batch
    by batch; whoever writes them out counts them and completes the record with the count, which
    is committed before any of them is sent (R16)."""

    batches: "Iterator[pa.Table]"
    decision: Decision
    snapshot_id: int
    served: Served
    unfinished_record: ReadRecord  # rows=0 until counted

    def record(self, rows: int) -> ReadRecord:
        return replace(self.unfinished_record, rows=rows)


def read_all(
    *,
    pdp: DataAccessPolicy,
    snapshots: SnapshotCache,
    actor: Principal,
    request: ReadRequest,
    at: datetime,
) -> ReadResult | StreamedRead:
    """Every row the decision allows (bulk download): in memory when the snapshot fits the read
    cache, otherwise streamed file by file, so memory is bounded by a data file, not the table."""
    facts, decision = authorize(pdp, actor, request, at)
    with _no_data_is_not_found():
        served = snapshots.served(request.code, provider=_own(actor, facts))
        snapshot_id = request.snapshot_id or served.snapshot_id
        if snapshots.fits(request.code, snapshot_id):
            whole = snapshots.read(request.code, snapshot_id)
            data = served_values(select_rows(whole, decision, request.filters), decision)
            record = ReadRecord(actor, facts, decision, request.mode, request.purpose,
                                len(data), snapshot_id, at)  # fmt: skip
            return ReadResult(data, decision, snapshot_id, None, record, served)
    batches = (
        served_values(rows, decision)
        for rows in _selected_batches(snapshots, request, decision, snapshot_id)
    )
    record = ReadRecord(actor, facts, decision, request.mode, request.purpose, 0, snapshot_id, at)
    return StreamedRead(batches, decision, snapshot_id, served, record)


@contextlib.contextmanager
def _no_data_is_not_found() -> Iterator[None]:
    try:
        yield
    except NoData as error:
        raise NotFound(error.text) from error


def _page_in_memory(
    snapshots: SnapshotCache,
    request: ReadRequest,
    decision: Decision,
    snapshot_id: int,
    whole: "pa.Table",
    offset: int,
    quick_only: bool,
) -> tuple["pa.Table", int, int]:
    """The page of a snapshot held in memory, where it ends, and how many rows there are."""
    positions = _key_positions(snapshots, request, snapshot_id, whole, quick_only)
    if positions is not None and len(request.filters) == 1 and not decision.row_filter:
        # The index alone selects the rows: take just this page's, of just the decided items.
        total = len(positions)
        end = total if request.limit is None else min(total, offset + request.limit)
        return _rows_at(select_rows(whole, decision, ()), positions[offset:end]), end, total
    narrowed = whole if positions is None else _rows_at(whole, positions)
    if quick_only and narrowed.num_rows >= INDEXED_LOOKUP_ROWS:
        raise NotInMemory(request.code)
    data = select_rows(narrowed, decision, request.filters)
    total = len(data)
    end = total if request.limit is None else min(total, offset + request.limit)
    return data.slice(offset, end - offset), end, total


def _rows_at(table: "pa.Table", positions: list[int]) -> "pa.Table":
    """The rows at ``positions`` (ascending, as the index keeps them). A run of adjacent rows (a
    key's one row, most often) is a slice, which costs a microsecond where a take costs tens."""
    if positions and positions[-1] - positions[0] == len(positions) - 1:
        return table.slice(positions[0], len(positions))
    return table.take(positions)


def _streamed_page(
    snapshots: SnapshotCache,
    request: ReadRequest,
    decision: Decision,
    snapshot_id: int,
    offset: int,
) -> tuple["pa.Table", bool]:
    """A page of a snapshot too large to hold in memory, and whether rows follow it: the snapshot
    is read file by file and filtered batch by batch until the page and one row more are found,
    so memory and time follow the page's position, not the snapshot's size."""
    import pyarrow as pa

    assert request.limit is not None
    pieces: list[pa.Table] = []
    skipped = found = 0
    for rows in _selected_batches(snapshots, request, decision, snapshot_id):
        if skipped < offset:
            dropped = min(offset - skipped, rows.num_rows)
            rows, skipped = rows.slice(dropped), skipped + dropped
        if not pieces or rows.num_rows:
            pieces.append(rows)  # the first even if empty: it carries the columns
            found += rows.num_rows
        if found > request.limit:
            break
    return pa.concat_tables(pieces).slice(0, request.limit), found > request.limit


def _selected_batches(
    snapshots: SnapshotCache, request: ReadRequest, decision: Decision, snapshot_id: int
) -> "Iterator[pa.Table]":
    """The rows the decision and the request's filters keep, batch by batch as the snapshot's
    files are read; at least one table (perhaps empty), which carries the columns."""
    import pyarrow as pa

    needed = {*decision.items, *(decision.row_filter or {}), *(f.item for f in request.filters)}
    empty = True
    for batch in snapshots.batches(request.code, snapshot_id, tuple(sorted(needed))):
        empty = False
        yield select_rows(pa.Table.from_batches([batch]), decision, request.filters)
    if empty:  # a snapshot without a data file
        yield select_rows(snapshots.read(request.code, snapshot_id), decision, ())


# Above this many rows an equality filter goes through the snapshot's hash index.
INDEXED_LOOKUP_ROWS = 50_000


def _key_positions(
    snapshots: SnapshotCache,
    request: ReadRequest,
    snapshot_id: int,
    whole: "pa.Table",
    memory_only: bool,
) -> list[int] | None:
    """Positions of the rows matching the request's first equality filter, from the snapshot's
    index; None when the table is small enough to filter directly or there is no such filter."""
    equal = next((f for f in request.filters if f.op == "eq"), None)
    if equal is None or whole.num_rows < INDEXED_LOOKUP_ROWS:
        return None
    value = _key_value(whole, equal.item, equal.values[0])
    return snapshots.rows_equal(request.code, snapshot_id, equal.item, value, memory_only)


def select_rows(whole: "pa.Table", decision: Decision, filters: tuple[Filter, ...]) -> "pa.Table":
    """The decided items, in catalog order, of the rows the grant's filter and the caller's keep."""
    import pyarrow.compute as pc

    masks = []
    for item, allowed in (decision.row_filter or {}).items():
        values = allowed if isinstance(allowed, list) else [allowed]
        masks.append(pc.is_in(whole[item], value_set=_typed(whole, item, values)))
    for each in filters:
        column = whole[each.item]
        if each.op == "eq":
            masks.append(pc.equal(column, _typed(whole, each.item, list(each.values))[0]))
        elif each.op == "in":
            masks.append(pc.is_in(column, value_set=_typed(whole, each.item, list(each.values))))
        else:
            low, high = each.values
            if low:
                masks.append(pc.greater_equal(column, _typed(whole, each.item, [low])[0]))
            if high:
                masks.append(pc.less_equal(column, _typed(whole, each.item, [high])[0]))
    present = set(whole.schema.names)  # column_names builds a new list on every access
    columns = [name for name in decision.items if name in present]
    selected = whole.select(columns)
    if not masks:
        return selected
    keep = masks[0]
    for mask in masks[1:]:
        keep = pc.and_(keep, mask)
    return selected.filter(keep)


def _key_value(whole: "pa.Table", item: str, value: Any) -> Any:
    """``value`` as the index holds values of ``item``: a text key (the most frequent) as it is."""
    import pyarrow as pa

    target = whole.schema.field(item).type
    if pa.types.is_string(target) or pa.types.is_large_string(target):
        return str(value)
    return _typed(whole, item, [value])[0].as_py()


def _typed(whole: "pa.Table", item: str, values: list[Any]) -> "pa.Array":
    import pyarrow as pa

    target = whole.schema.field(item).type
    texts = [str(v) for v in values]
    if pa.types.is_string(target) or pa.types.is_large_string(target):
        return pa.array(texts, target)  # no parsing to do: a key is text, most often
    try:
        return pa.array(texts).cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise InvalidInput(
            "{item} holds {target}; cannot compare it with {values}",
            detail={"field": "filter", "item": item},
            item=item,
            target=target,
            values=", ".join(map(str, values)),
        ) from error


def _encode_cursor(offset: int, snapshot_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([snapshot_id, offset])).decode("ascii")


def _decode_cursor(cursor: str | None) -> tuple[int, int | None]:
    """(offset, snapshot) of a cursor: a page always continues the snapshot its first page read."""
    if not cursor:
        return 0, None
    try:
        snapshot_id, offset = orjson.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        return int(offset), int(snapshot_id)
    except (ValueError, TypeError) as error:
        raise InvalidInput(
            "the cursor is not one this API gave out", detail={"field": "cursor"}
        ) from error


def changes_since(
    *,
    pdp: DataAccessPolicy,
    snapshots: SnapshotCache,
    actor: Principal,
    request: ReadRequest,
    since_snapshot_id: int,
    at: datetime,
) -> ReadResult:
    """Subscription mode: the rows added and removed between a snapshot and the current one, each
    marked in a ``_change`` column, limited to what the subscription grant allows."""
    import duckdb

    facts, decision = authorize(pdp, actor, request, at)
    with _no_data_is_not_found():
        served = snapshots.served(request.code, provider=_own(actor, facts))
        current = served.snapshot_id
        # Masked before comparing: a change hidden by the mask is no change to this consumer.
        before = served_values(
            select_rows(snapshots.read(request.code, since_snapshot_id), decision, ()), decision
        )
        after = served_values(
            select_rows(snapshots.read(request.code, current), decision, ()), decision
        )
    connection = duckdb.connect()
    connection.register("before_rows", before)
    connection.register("after_rows", after)
    changes: pa.Table = connection.sql(
        "SELECT 'added' AS _change, * FROM (SELECT * FROM after_rows EXCEPT ALL "
        "SELECT * FROM before_rows) "
        "UNION ALL SELECT 'removed' AS _change, * FROM (SELECT * FROM before_rows EXCEPT ALL "
        "SELECT * FROM after_rows) ORDER BY ALL"
    ).to_arrow_table()
    connection.close()
    record = ReadRecord(actor, facts, decision, request.mode, request.purpose, len(changes),
                        current, at)  # fmt: skip
    return ReadResult(changes, decision, current, None, record, served)
