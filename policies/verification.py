"""Verification (核验, R3 "in specific ways", R14): a consumer sends records it holds — the
resource's key and the values it was told — and learns, per record and item, only ``match``,
``mismatch`` or ``not_found``; never a stored value.

A grant may open items for verification only. Each call is decided by the data PDP like a read,
counts against the grant's daily quota of records (so verification cannot become enumeration),
and leaves a usage row and an audit record with its purpose and counts in the transaction that
answers it.
"""

from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.errors import InvalidInput, NotFound, PermissionDenied, TooManyAttempts
from exchange.normalising import Normalisation, normalised
from exchange.principal import Principal
from exchange.settings import Settings
from exchange.snapshots import NoData, SnapshotCache
from policies.data_reads import resource_for, select_rows
from policies.models import DataUsage, Grant
from policies.pdp import DataAccessPolicy, Decision, ResourceFacts, Use

if TYPE_CHECKING:
    import pyarrow as pa

Outcome = Literal["match", "mismatch", "not_found"]
OUTCOMES: tuple[Outcome, ...] = ("match", "mismatch", "not_found")


@dataclass(frozen=True)
class VerifyRequest:
    code: str
    purpose: str
    records: list[dict[str, Any]]  # each: the key items and the claimed items, by name
    normalise: frozenset[Normalisation] = frozenset()
    grant_id: int | None = None


@dataclass(frozen=True)
class Verified:
    results: list[dict[str, Outcome]]  # per record, in the order sent: item -> outcome
    counts: dict[str, int]  # outcome -> how many (record, item) answers
    decision: Decision
    snapshot_id: int
    keys: tuple[str, ...]
    items: tuple[str, ...]  # the claimed items


def verify(
    session: Session,
    *,
    pdp: DataAccessPolicy,
    snapshots: SnapshotCache,
    actor: Principal,
    request: VerifyRequest,
    at: datetime,
    settings: Settings,
) -> Verified:
    """Check the claims; the usage row and audit record join ``session``'s transaction. The
    settings give the most records a call may send and the default daily quota."""
    facts, claimed = _check_call(pdp, actor, request, settings.verify_max_records)
    assert actor.department_id is not None  # resource_for refuses a caller without one
    decision = pdp.decide(
        department_id=actor.department_id,
        code=request.code,
        mode="api_query",
        at=at,
        items=[*facts.keys, *claimed],
        grant_id=request.grant_id,
        use=Use.VERIFY,
    )
    if not decision.allowed:
        raise PermissionDenied(
            decision.reason,
            detail={"resource": request.code, "not_granted": list(decision.denied_items)},
        )
    if decision.grant_id is not None:
        _within_quota(session, decision.grant_id, len(request.records), at, settings.zone,
                      settings.verify_daily_quota)  # fmt: skip
    try:
        served = snapshots.served(
            request.code, provider=actor.department_id == facts.provider_department_id
        )
        stored = snapshots.read(request.code, served.snapshot_id)
    except NoData as error:
        raise NotFound(error.text) from error
    if decision.row_filter:
        stored = select_rows(stored, decision, ())  # rows outside the grant are not found
    results = compare(stored, facts.keys, claimed, request.records, request.normalise)
    counts: dict[str, int] = {
        o: sum(1 for r in results for v in r.values() if v == o) for o in OUTCOMES
    }
    _record(session, actor, facts, decision, request, served.snapshot_id, counts, at)
    return Verified(results, counts, decision, served.snapshot_id, facts.keys, claimed)


def _check_call(
    pdp: DataAccessPolicy, actor: Principal, request: VerifyRequest, max_records: int
) -> tuple[ResourceFacts, tuple[str, ...]]:
    facts = resource_for(pdp, actor, request.code, request.purpose, "verify")
    if not facts.keys:
        raise InvalidInput(
            "{code} declares no key, so records cannot be looked up to verify",
            detail={"field": "records"},
            code=request.code,
        )
    if not request.records or len(request.records) > max_records:
        raise InvalidInput(
            "send between 1 and {most} records per call",
            detail={"field": "records", "most": max_records},
            most=max_records,
        )
    named = {name for record in request.records for name in record}
    unknown = sorted(named - set(facts.items))
    if unknown:
        raise InvalidInput(
            "not data items of {code}: {unknown}",
            detail={"field": "records", "unknown": unknown},
            code=request.code,
            unknown=", ".join(unknown),
        )
    keyless = [
        n
        for n, record in enumerate(request.records)
        if any(_blank(record.get(key)) for key in facts.keys)
    ]
    if keyless:
        raise InvalidInput(
            "every record names its key {keys}; records without it: {records}",
            detail={"field": "records", "without_key": keyless[:100], "keys": list(facts.keys)},
            keys=", ".join(facts.keys),
            records=", ".join(str(n + 1) for n in keyless[:20]),
        )
    claimed = tuple(name for name in facts.items if name in named and name not in facts.keys)
    if not claimed:
        raise InvalidInput(
            "a record claims at least one value besides its key", detail={"field": "records"}
        )
    return facts, claimed


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


def _within_quota(
    session: Session, grant_id: int, records: int, at: datetime, zone: ZoneInfo, default: int
) -> None:
    """Lock the grant (two calls at once are counted one after the other) and refuse a call that
    would take today's verified records past its quota."""
    grant = session.get_one(Grant, grant_id, with_for_update=True)
    quota = grant.verify_quota or default
    day_start = datetime.combine(at.astimezone(zone).date(), time.min, tzinfo=zone)
    used = session.scalar(
        select(func.coalesce(func.sum(DataUsage.rows), 0)).where(
            DataUsage.grant_id == grant_id,
            DataUsage.access == "verify",
            DataUsage.at >= day_start,
        )
    )
    if int(used or 0) + records > quota:
        raise TooManyAttempts(
            "grant {grant_id} verifies at most {quota} records a day; {left} are left today",
            detail={"quota": quota, "used": int(used or 0), "retry_after": "tomorrow"},
            grant_id=grant_id,
            quota=quota,
            left=max(0, quota - int(used or 0)),
        )


def compare(
    stored: "pa.Table",
    keys: tuple[str, ...],
    claimed: tuple[str, ...],
    records: list[dict[str, Any]],
    how: frozenset[Normalisation],
) -> list[dict[str, Outcome]]:
    """Each record's claims against the stored rows with its key: vectorised in Arrow — the
    stored table is narrowed to the keys sent, joined with the claims, and compared per item."""
    import pyarrow as pa
    import pyarrow.compute as pc

    count = len(records)
    claims = pa.table(
        {"_n": pa.array(range(count), pa.int64())}
        | {name: _claims(records, name) for name in (*keys, *claimed)}
    )
    # Keys as the store holds them: normalised like the claims, then typed like the column.
    typed = {key: _as_type(normalised(claims[key], how), stored.schema.field(key).type)
             for key in keys}  # fmt: skip
    narrowed = stored
    for key in keys:
        narrowed = narrowed.filter(pc.is_in(narrowed[key], value_set=pc.drop_null(typed[key])))
    narrowed = narrowed.select([*keys, *claimed])
    left = pa.table({"_n": claims["_n"]} | {f"_k{i}": typed[k] for i, k in enumerate(keys)}
                    | {f"_c{i}": claims[c] for i, c in enumerate(claimed)})  # fmt: skip
    right = pa.table({f"_k{i}": narrowed[k] for i, k in enumerate(keys)}
                     | {f"_s{i}": narrowed[c] for i, c in enumerate(claimed)})  # fmt: skip
    right = right.append_column("_found", pa.repeat(True, right.num_rows))
    joined = left.join(right, [f"_k{i}" for i in range(len(keys))], join_type="left outer")
    found = pc.fill_null(joined["_found"], False)
    equal_columns = {}
    for i, _ in enumerate(claimed):
        equal = _equal(joined[f"_c{i}"], joined[f"_s{i}"], how)
        equal_columns[f"_e{i}"] = pc.fill_null(equal, False)
    per_row = pa.table({"_n": joined["_n"], "_found": found} | equal_columns)
    # A key held by several rows matches when any of them does.
    grouped = per_row.group_by("_n").aggregate(
        [("_found", "any")] + [(f"_e{i}", "any") for i in range(len(claimed))]
    )
    order = pc.sort_indices(grouped["_n"])
    found_any = pc.take(grouped["_found_any"], order).to_pylist()
    equals = [pc.take(grouped[f"_e{i}_any"], order).to_pylist() for i in range(len(claimed))]
    results: list[dict[str, Outcome]] = []
    for n, record in enumerate(records):
        answer: dict[str, Outcome] = {}
        for i, item in enumerate(claimed):
            if _blank(record.get(item)):
                continue  # not claimed in this record
            if not found_any[n]:
                answer[item] = "not_found"
            else:
                answer[item] = "match" if equals[i][n] else "mismatch"
        results.append(answer)
    return results


def _claims(records: list[dict[str, Any]], name: str) -> "pa.Array":
    import pyarrow as pa

    return pa.array(
        [None if _blank(r.get(name)) else str(r.get(name)).strip() for r in records], pa.string()
    )


def _as_type(values: Any, target: "pa.DataType") -> Any:
    """Claimed text as the stored type; text that cannot be that type becomes null (no match)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(target) or pa.types.is_large_string(target):
        return values.cast(target)
    if pa.types.is_integer(target) or pa.types.is_floating(target) or pa.types.is_decimal(target):
        numeric = pc.match_substring_regex(values, r"^-?[0-9]+(\.[0-9]+)?$")
        values = pc.if_else(numeric, values, pa.scalar(None, pa.string()))
    elif pa.types.is_date(target):
        dated = pc.match_substring_regex(values, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        values = pc.if_else(dated, values, pa.scalar(None, pa.string()))
    try:
        return values.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.nulls(len(values), target)


def _equal(claim: Any, stored: Any, how: frozenset[Normalisation]) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(stored.type) or pa.types.is_large_string(stored.type):
        return pc.equal(normalised(claim, how), normalised(stored.cast(pa.string()), how))
    return pc.equal(_as_type(normalised(claim, how), stored.type), stored)


def _record(
    session: Session,
    actor: Principal,
    facts: ResourceFacts,
    decision: Decision,
    request: VerifyRequest,
    snapshot_id: int,
    counts: dict[str, int],
    at: datetime,
) -> None:
    assert actor.department_id is not None
    session.add(
        DataUsage(
            at=at,
            resource_id=facts.resource_id,
            provider_department_id=facts.provider_department_id,
            consumer_department_id=actor.department_id,
            user_id=actor.user_id,
            grant_id=decision.grant_id,
            basis=decision.basis,
            mode="api_query",
            access="verify",
            purpose=request.purpose.strip(),
            items=list(decision.items),
            rows=len(request.records),
            snapshot_id=snapshot_id,
        )
    )
    audit.record(
        session,
        at=at,
        actor=actor,
        action="data.verify",
        object_type="catalog_resource",
        object_id=facts.code,
        purpose=request.purpose.strip(),
        grant_id=decision.grant_id,
        detail={
            "basis": decision.basis,
            "items": list(decision.items),
            "records": len(request.records),
            "counts": counts,
            "snapshot_id": snapshot_id,
            "normalise": sorted(request.normalise),
        },
    )
