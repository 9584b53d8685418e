"""One process's in-memory index of the catalog's search entries (R12): a search costs about the
same at a million entries as at a hundred thousand.

The database stays the record (``catalog_search`` and its full-text index), and it answers a
search correctly; but to count a total and six facets it must visit every match, and a common
word with two filters matches one entry in sixty: 17,000 entries and 70 ms at a million on
SQLite, ten times the cost at a hundred thousand. Here every filter value is a compressed bitmap
of entry ids, every facet an array of small codes by entry id, and every search token the bitmap
of its entries, read from the full-text index the first time a search uses it. A search is then a
few bitmap intersections, one gather of the matches' codes and a partial sort for the page.

Kept current from the database, never ahead of what is committed:
- On SQLite each reindex appends its resource to ``catalog_search_changes`` in its transaction,
  and each search first applies what was appended since (SQLite commits one writer at a time,
  so the log has no gaps), whichever process wrote it.
- On PostgreSQL each reindex announces its resource on the change bus (NOTIFY, delivered on
  commit); a process uses the index only while it follows the bus (the API does), as it does for
  its access policy. Anywhere else search asks the database.
A session that changed the catalog and has not committed asks the database too, which shows it
its own changes.
"""

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import numpy as np
import pyarrow as pa
from pyroaring import BitMap
from sqlalchemy import Engine, bindparam, column, func, insert, select, table, text
from sqlalchemy.orm import Session

from exchange.policy_changes import EVERYTHING, ChangeBus, PolicyChange, announce, pending
from exchange.principal import Principal

if TYPE_CHECKING:
    from catalog.search import SearchQuery

Words = Sequence[Sequence[Sequence[str]]]  # per word, its alternatives, each as its tokens

TOPIC = "search"  # the change bus topic: a resource's search entry changed
# SQLite's log of rewritten entries, made by hand in migration 0031 (no model describes it)
_CHANGE_LOG = table("catalog_search_changes", column("seq"), column("resource_id"))
# Tokens whose entries are kept, the most recently used first; a common one at a million entries
# takes 125 KB, a rare one a few bytes an entry.
_TOKENS_KEPT = 4096
_NO_DATE = np.iinfo(np.int64).min  # an entry never published sorts after every published one
FACETS = (
    "provider_department_id",
    "share_type",
    "category",
    "update_cycle",
    "open_to_public",
    "status",
)
_COLUMNS = ("resource_id", "audience_department_id", "classification_code", "published_at")


def changed_in(session: Session, resource_id: int) -> None:
    """Note that ``session`` rewrote the search entry of ``resource_id``: every process's index
    learns of it once the session commits (on PostgreSQL by the announcement, on SQLite from the
    log), and until then the session itself searches the database."""
    announce(session, TOPIC, resource_id)
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(_CHANGE_LOG).values(resource_id=resource_id))


_INDEXES: "WeakKeyDictionary[Engine, SearchIndex]" = WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def index_for(session: Session) -> "SearchIndex | None":
    """This process's index of the session's database, if the session may search it."""
    if any(change.topic == TOPIC for change in pending(session)):
        return None  # its own changes are in the database, not yet in the index
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    bus: ChangeBus | None = session.info.get("change_bus")
    postgres = engine.dialect.name == "postgresql"
    with _INDEXES_LOCK:
        index = _INDEXES.get(engine)
        if postgres and (bus is None or not bus.following):
            if index is not None:
                # What other processes commit meanwhile is not heard: load afresh when used again.
                index.on_change(EVERYTHING)
            return None
        if index is None:
            index = _INDEXES[engine] = SearchIndex(follows_log=not postgres)
            if bus is not None and postgres:
                # Before the first load: a change committed meanwhile is applied twice at worst.
                bus.subscribe(index.on_change)
        return index


class SearchIndex:
    def __init__(self, *, follows_log: bool) -> None:
        self._follows_log = follows_log
        self._lock = threading.Lock()
        self._last_logged = 0  # SQLite: the last change of the log applied
        self._reload = True
        # PostgreSQL: what the bus told since the last search, under a lock of its own, so that
        # the bus's thread never waits for a search or a load (grants come on the same thread).
        self._heard_lock = threading.Lock()
        self._heard: set[int] = set()
        self._heard_everything = False
        self._empty()

    def _empty(self) -> None:
        self._present = BitMap()
        self._codes = np.full((0, len(FACETS)), -1, dtype=np.int32)
        self._published = np.full(0, _NO_DATE, dtype=np.int64)
        self._values: list[dict[Any, int]] = [{} for _ in FACETS]  # value -> code, per facet
        self._by_value: dict[tuple[int, int], BitMap] = {}  # (facet, code) -> entries
        self._classification: dict[str, BitMap] = {}
        self._audience: dict[int | None, BitMap] = {}  # None: what everyone may find
        self._tokens: OrderedDict[str, BitMap] = OrderedDict()

    def on_change(self, change: PolicyChange) -> None:
        with self._heard_lock:
            if change.topic == "all":
                self._heard_everything = True
            elif change.topic == TOPIC:
                self._heard.add(change.key)

    def search(
        self, session: Session, query: "SearchQuery", actor: Principal | None, words: Words
    ) -> tuple[int, list[int], dict[str, dict[str, int]]]:
        """The number of matches, the ids of the page's and every facet's counts."""
        with self._lock:
            self._catch_up(session)
            matched, fixed = self._matching(session, query, actor, words)
            ids = np.frombuffer(matched.to_array(), dtype=np.uint32).astype(np.intp)
            return len(ids), self._page(ids, query.offset, query.limit), self._facets(ids, fixed)

    # -- keeping current ------------------------------------------------------------------

    def _catch_up(self, session: Session) -> None:
        if self._follows_log:
            last = session.scalar(select(func.max(_CHANGE_LOG.c.seq))) or 0
            if last < self._last_logged:  # the database was restored from an earlier backup
                self._reload = True
            if self._reload:
                self._load(session)
                self._last_logged = last
                return
            if last > self._last_logged:
                seq = _CHANGE_LOG.c.seq
                logged = session.scalars(
                    select(_CHANGE_LOG.c.resource_id).where(seq > self._last_logged, seq <= last)
                )
                self._apply(session, set(logged))
                self._last_logged = last
            return
        with self._heard_lock:
            everything, changed = self._heard_everything, self._heard
            self._heard_everything, self._heard = False, set()
        if everything or self._reload:
            self._load(session)
        elif changed:
            self._apply(session, changed)

    def _load(self, session: Session) -> None:
        self._empty()
        # Straight from the driver's cursor: SQLAlchemy's rows would double the time.
        cursor = session.connection().connection.cursor()
        try:
            cursor.execute(_ALL_ENTRIES)
            for chunk in iter(lambda: cursor.fetchmany(100_000), []):
                self._put_all(chunk)
        finally:
            cursor.close()
        # A set of nearly every entry (what everyone may find, say) is then a few runs, and
        # intersecting with it costs next to nothing.
        for members in (self._present, *self._by_value.values(), *self._audience.values(),
                        *self._classification.values()):  # fmt: skip
            members.run_optimize()
        self._reload = False

    def _apply(self, session: Session, changed: set[int]) -> None:
        gone = BitMap(changed)
        for entries in self._tokens.values():
            entries.difference_update(gone)
        for resource_id in changed:
            if resource_id in self._present:
                self._remove(resource_id)
        rows = session.execute(_entries_query(changed)).all()
        self._put_all([row[:-1] for row in rows])
        for row in rows:
            for token in set(row[-1].split()):
                if token in self._tokens:
                    self._tokens[token].add(row[0])

    def _put_all(self, rows: Sequence[Sequence[Any]]) -> None:
        """Index ``rows`` of :data:`_ALL_ENTRIES`, as the driver hands them over: a column at
        a time, each encoded by pyarrow (a million rows in about a second)."""
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        ids = np.asarray(columns[0], dtype=np.intp)
        self._grow(int(ids.max()) + 1)
        for j, name in enumerate(FACETS):
            values, positions = _encoded(columns[len(_COLUMNS) + j])
            known = self._values[j]
            codes = np.asarray(
                [-1 if v is None else known.setdefault(_as_stored(name, v), len(known))
                 for v in values],
                dtype=np.int32,
            )[positions]  # fmt: skip
            self._codes[ids, j] = codes
            for code in np.unique(codes):
                members = ids[codes == code].tolist()
                self._by_value.setdefault((j, int(code)), BitMap()).update(members)
        self._published[ids] = _instants(columns[3])
        self._present.update(ids.tolist())
        for group, position in ((self._audience, 1), (self._classification, 2)):
            values, positions = _encoded(columns[position])
            for k, value in enumerate(values):
                if members := ids[positions == k].tolist():
                    group.setdefault(value, BitMap()).update(members)

    def _remove(self, resource_id: int) -> None:
        for j, code in enumerate(self._codes[resource_id]):
            self._by_value[(j, int(code))].discard(resource_id)
        for group in (self._audience, self._classification):
            for members in group.values():
                members.discard(resource_id)
        self._codes[resource_id] = -1
        self._published[resource_id] = _NO_DATE
        self._present.discard(resource_id)

    def _grow(self, size: int) -> None:
        if size <= len(self._published):
            return
        size = max(size, 2 * len(self._published))
        codes = np.full((size, len(FACETS)), -1, dtype=np.int32)
        codes[: len(self._codes)] = self._codes
        published = np.full(size, _NO_DATE, dtype=np.int64)
        published[: len(self._published)] = self._published
        self._codes, self._published = codes, published

    # -- answering ------------------------------------------------------------------------

    def _matching(
        self,
        session: Session,
        query: "SearchQuery",
        actor: Principal | None,
        words: Words,
    ) -> tuple[BitMap, dict[int, Any]]:
        """The entries matching, and the facets a filter fixes to one value (by position)."""
        everyone = self._audience.get(None, BitMap())
        drafts = self._audience.get(actor.department_id if actor else None)
        sets = [everyone | drafts if drafts is not None and drafts is not everyone else everyone]
        filters = query.column_filters()
        if query.classification:
            filters["category"] = query.classification[:1]
        fixed = {FACETS.index(name): value for name, value in filters.items()}
        for j, value in fixed.items():
            code = self._values[j].get(value)
            sets.append(BitMap() if code is None else self._by_value[(j, code)])
        if query.classification and len(query.classification) > 1:
            sets.append(BitMap.union(BitMap(), *(
                members for code, members in self._classification.items()
                if code.startswith(query.classification)
            )))  # fmt: skip
        for word in words:
            sets.append(BitMap.union(BitMap(), *(
                BitMap.intersection(*(self._entries_with(session, t) for t in tokens))
                for tokens in word
            )))  # fmt: skip
        sets.sort(key=len)  # the smallest first: each intersection is then cheap
        matched = self._present
        for members in sets:
            matched = members & matched
        return matched, fixed

    def _entries_with(self, session: Session, token: str) -> BitMap:
        entries = self._tokens.get(token)
        if entries is not None:
            self._tokens.move_to_end(token)
            return entries
        listed = session.scalar(_token_query(session, token)) or ""
        entries = BitMap(np.array(listed.split(), dtype=np.uint32))
        entries.run_optimize()
        self._tokens[token] = entries
        if len(self._tokens) > _TOKENS_KEPT:
            self._tokens.popitem(last=False)
        return entries

    def _facets(self, ids: np.ndarray, fixed: dict[int, Any]) -> dict[str, dict[str, int]]:
        """Every facet's counts over ``ids``. A facet a filter fixes has one value, held by all;
        the others are counted in one pass, each one's codes shifted past the codes of those
        before it."""
        counted = [j for j in range(len(FACETS)) if j not in fixed]
        sizes = [len(self._values[j]) for j in counted]
        starts = np.cumsum([0, *sizes[:-1]], dtype=np.int32)
        codes = np.take(self._codes, ids, axis=0)[:, counted] + starts  # take: 2x [] here
        counts = np.bincount(codes.ravel(), minlength=sum(sizes))
        facets: dict[str, dict[str, int]] = {}
        for j, name in enumerate(FACETS):
            if j in fixed:
                facets[name] = {_facet_key(fixed[j]): len(ids)} if len(ids) else {}
                continue
            start = starts[counted.index(j)]
            facets[name] = {
                _facet_key(value): int(counts[start + code])
                for value, code in sorted(self._values[j].items(), key=lambda pair: pair[0])
                if counts[start + code]
            }
        return facets

    def _page(self, ids: np.ndarray, offset: int, limit: int) -> list[int]:
        """``ids`` newest published first (never published last), then by id, the highest
        first; rows ``offset`` to ``offset + limit`` of that order, sorting no more than them."""
        wanted = min(offset + limit, len(ids))
        if wanted <= 0:
            return []
        dates = self._published[ids]
        if wanted < len(ids):
            # The wanted-th newest date; what is newer is all taken, the ties by highest id.
            cut = np.partition(dates, len(ids) - wanted)[len(ids) - wanted]
            newer, tied = ids[dates > cut], ids[dates == cut]
            needed = wanted - len(newer)
            tied = np.partition(tied, len(tied) - needed)[len(tied) - needed :]
            ids = np.concatenate([newer, tied])
            dates = self._published[ids]
        order = np.lexsort((ids, dates))[::-1]
        return [int(i) for i in ids[order][offset:wanted]]


_KEPT = ", ".join((*_COLUMNS, *FACETS))  # what the index keeps of each entry
_ALL_ENTRIES = f"SELECT {_KEPT} FROM catalog_search"  # noqa: S608 (names of ours)


def _entries_query(changed: Iterable[int]) -> Any:
    """What the index keeps of the entries ``changed``, and their tokens, as the driver gives
    them (no type conversion, as :data:`_ALL_ENTRIES`)."""
    statement = f"SELECT {_KEPT}, tokens FROM catalog_search WHERE resource_id IN :ids"  # noqa: S608
    return text(statement).bindparams(bindparam("ids", sorted(changed), expanding=True))


def _token_query(session: Session, token: str) -> Any:
    """The ids of the entries holding ``token``, from the database's full-text index, as one
    string (a row each would take three times as long). Tokens are CJK characters, their pairs
    and Latin words and numbers, so they go in as they are."""
    if session.get_bind().dialect.name == "postgresql":
        return text(
            "SELECT string_agg(resource_id::text, ' ') FROM catalog_search "
            "WHERE to_tsvector('simple', tokens) @@ to_tsquery('simple', :token)"
        ).bindparams(token=token)
    return text(
        "SELECT group_concat(rowid, ' ') FROM catalog_search_fts "
        "WHERE catalog_search_fts MATCH :match"
    ).bindparams(match=f'"{token}"')


def _encoded(column: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """The distinct values of ``column`` (``None`` among them if it has nulls) and, for each
    row, the position of its value among them."""
    encoded = pa.array(column).dictionary_encode()
    values = encoded.dictionary.to_pylist()
    positions = encoded.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
    return [*values, None], positions


def _instants(column: Sequence[Any]) -> np.ndarray:
    """Microseconds since 1970 (UTC) of each date, :data:`_NO_DATE` for none. SQLite hands over
    the UTC time as text, PostgreSQL an aware datetime."""
    dates = pa.array(column)
    if not pa.types.is_timestamp(dates.type):
        dates = dates.cast(pa.string()).cast(pa.timestamp("us"))
    return np.asarray(dates.cast(pa.int64()).fill_null(_NO_DATE).to_numpy(zero_copy_only=False))


def _as_stored(name: str, value: Any) -> Any:
    """A facet value as the entry holds it: SQLite hands a boolean over as 0 or 1."""
    return bool(value) if name == "open_to_public" else value


def _facet_key(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
