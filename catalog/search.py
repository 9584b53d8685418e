"""Finding entries (R12): Chinese substring search with filters and facet counts.

Text is indexed as tokens: every Chinese character and every pair of neighbouring characters,
and every Latin word. A query matches an entry holding all of the query's tokens, so ``企业``
and ``登记`` both find ``企业登记信息``. The tokens go into SQLite's FTS5 or PostgreSQL's full-text
index; everything else is plain indexed columns.

The filters are indexed as tokens too (``zzfstconditional``: share type conditional), so that on
SQLite a search with words and filters asks FTS5 for the conjunction of both: the matches it hands
over are then few even where a word alone matches most of the catalog (PostgreSQL combines its
indexes itself). The filters are still applied to the columns; the tokens only narrow what the
index hands over.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    cast,
    column,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from catalog.models import DataItem, Resource, ResourceVersion, SearchEntry
from catalog.search_index import FACETS, Words, changed_in, index_for
from catalog.synonyms import alternatives, groups
from catalog.vocab import ResourceStatus
from exchange.db import table_of
from exchange.principal import Principal

_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")


# A filter's token is this mark, the filter's short name and its value's letters and digits
# (one token in both FTS5 and PostgreSQL's parser). Words of text never take the prefix.
FILTER_MARK = "zzf"
_FILTER_TOKEN_NAMES = {
    "provider_department_id": "pd",
    "share_type": "st",
    "category": "ca",
    "update_cycle": "uc",
    "open_to_public": "op",
    "status": "ss",
}


def _is_cjk(run: str) -> bool:
    return not run.isascii()


def _runs(text_value: str) -> list[str]:
    return [run for run in _RUNS.findall(text_value.lower()) if not run.startswith(FILTER_MARK)]


def index_tokens(*texts: str | None) -> str:
    tokens: list[str] = []
    for text_value in texts:
        for run in _runs(text_value or ""):
            if _is_cjk(run):
                tokens.extend(run)
                tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
            else:
                tokens.append(run)
    return " ".join(dict.fromkeys(tokens))


def filter_tokens(values: Mapping[str, object]) -> list[str]:
    """The tokens of an entry's (or a query's) filter values; ``None`` means no filter."""
    tokens = []
    for name, value in values.items():
        if name in _FILTER_TOKEN_NAMES and value is not None:
            spelled = str(int(value)) if isinstance(value, bool) else str(value).lower()
            letters = re.sub(r"[^a-z0-9]", "", spelled)
            tokens.append(f"{FILTER_MARK}{_FILTER_TOKEN_NAMES[name]}{letters}")
    return tokens


def entry_tokens(texts: str, filters: Mapping[str, object]) -> str:
    """What the full-text index holds for an entry: its text's tokens, then its filters'."""
    return " ".join([texts, *filter_tokens(filters)]).strip()


def query_tokens(query: str) -> list[str]:
    tokens: list[str] = []
    for run in _runs(query):
        if _is_cjk(run) and len(run) > 1:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run)
    return list(dict.fromkeys(tokens))


def reindex(session: Session, resource: Resource) -> None:
    """Rebuild the search row of ``resource`` from its published (or else latest) version."""
    changed_in(session, resource.id)
    session.execute(delete(SearchEntry).where(SearchEntry.resource_id == resource.id))
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        session.execute(
            text("DELETE FROM catalog_search_fts WHERE rowid = :id"), {"id": resource.id}
        )
    version = _version_to_show(session, resource)
    if version is None:
        return
    published = resource.status in (ResourceStatus.PUBLISHED, ResourceStatus.RETIRED)
    filters: dict[str, object] = {
        "provider_department_id": resource.provider_department_id,
        "share_type": version.share_type,
        "category": version.classification_code[:1],
        "update_cycle": version.update_cycle,
        "open_to_public": version.open_to_public,
        "status": resource.status,
    }
    texts = index_tokens(
        resource.code,
        version.name,
        version.abstract,
        *(f"{i.label} {i.name} {i.description or ''}" for i in version.items),
    )
    tokens = entry_tokens(texts, filters)
    session.add(
        SearchEntry(
            resource_id=resource.id,
            audience_department_id=None if published else resource.provider_department_id,
            version_id=version.id,
            code=resource.code,
            name=version.name,
            abstract=version.abstract,
            classification_code=version.classification_code,
            published_at=version.reviewed_at if published else None,
            tokens=tokens,
            **filters,
        )
    )
    session.flush()
    if not postgres:
        session.execute(
            text("INSERT INTO catalog_search_fts (rowid, tokens) VALUES (:id, :tokens)"),
            {"id": resource.id, "tokens": tokens},
        )


def _version_to_show(session: Session, resource: Resource) -> ResourceVersion | None:
    if resource.published_version_id is not None:
        return session.get(ResourceVersion, resource.published_version_id)
    return session.scalar(
        select(ResourceVersion)
        .where(ResourceVersion.resource_id == resource.id)
        .order_by(ResourceVersion.number.desc())
    )


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    provider_department_id: int | None = None
    share_type: str | None = None
    classification: str | None = None  # a code; matches it and everything under it
    update_cycle: str | None = None
    open_to_public: bool | None = None
    status: str | None = None
    limit: int = 20
    offset: int = 0

    def column_filters(self) -> dict[str, object]:
        """The filters set that ask for one value of a column, by column (the classification,
        a prefix, is not one of them)."""
        filters = {
            "provider_department_id": self.provider_department_id,
            "share_type": self.share_type,
            "update_cycle": self.update_cycle,
            "open_to_public": self.open_to_public,
            "status": self.status,
        }
        return {name: value for name, value in filters.items() if value is not None}


@dataclass
class SearchResult:
    total: int
    hits: list[SearchEntry]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def search(session: Session, query: SearchQuery, actor: Principal | None) -> SearchResult:
    """The page of hits, the total and every facet's counts: from this process's index of the
    catalog where the session may use it (catalog.search_index), else from the database."""
    words = _words(query.text, groups(session))
    index = index_for(session)
    if index is not None:
        total, page_ids, facets = index.search(session, query, actor, words)
    else:
        total, page_ids, facets = _search_database(session, query, actor, words)
    found = {
        e.resource_id: e
        for e in session.scalars(select(SearchEntry).where(SearchEntry.resource_id.in_(page_ids)))
    }
    hits = [found[i] for i in page_ids if i in found]
    hits.sort(
        key=lambda e: (e.published_at is not None, e.published_at, e.resource_id), reverse=True
    )
    return SearchResult(total, hits, facets)


def _search_database(
    session: Session, query: SearchQuery, actor: Principal | None, words: Words
) -> tuple[int, list[int], dict[str, dict[str, int]]]:
    """The total, the page's ids and the facets in one statement: the text match is evaluated
    once, into a materialized set that the counts and the page both read."""
    entries = table_of(SearchEntry)
    conditions = _conditions(session, query, actor, words)
    columns = [entries.c.resource_id, entries.c.published_at, *(entries.c[name] for name in FACETS)]
    matched = select(*columns).where(*conditions).cte("matched").prefix_with("MATERIALIZED")
    page = (
        select(matched.c.resource_id)
        .order_by(matched.c.published_at.desc().nulls_last(), matched.c.resource_id.desc())
        .limit(query.limit)
        .offset(query.offset)
        .subquery("page")
    )
    branches = [
        select(
            literal(name).label("facet"), cast(matched.c[name], String).label("value"), func.count()
        ).group_by(matched.c[name])
        for name in FACETS
    ]
    branches.append(
        select(literal(_PAGE).label("facet"), cast(page.c.resource_id, String), literal(0))
    )
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    page_ids: list[int] = []
    for name, value, count in session.execute(union_all(*branches)):
        if name == _PAGE:
            page_ids.append(int(value))
        else:
            facets[name][_facet_key(name, value)] = count
    return sum(facets["status"].values()), page_ids, facets


_PAGE = "_page"


def _facet_key(name: str, value: object) -> str:
    if name == "open_to_public":  # cast to text: 1/0 on SQLite, true/false on PostgreSQL
        return {"1": "true", "0": "false"}.get(str(value), str(value))
    return str(value)


def _conditions(
    session: Session, query: SearchQuery, actor: Principal | None, words: Words
) -> list[ColumnElement[bool]]:
    entries = table_of(SearchEntry)
    audience = entries.c.audience_department_id
    department = actor.department_id if actor else None
    conditions: list[ColumnElement[bool]] = [
        audience.is_(None)
        if department is None
        else or_(audience.is_(None), audience == department)
    ]
    filters = query.column_filters()
    if words:
        category = query.classification[:1] if query.classification else None
        required = filter_tokens({**filters, "category": category})
        conditions.append(_text_match(session, words, required))
    for column_name, value in filters.items():
        conditions.append(entries.c[column_name] == value)
    if query.classification:
        if len(query.classification) == 1:
            conditions.append(entries.c.category == query.classification)
        else:
            conditions.append(
                entries.c.classification_code.startswith(query.classification, autoescape=True)
            )
    return conditions


def _words(query: str, synonym_groups: list[list[str]]) -> list[list[list[str]]]:
    """Each word of the query as the tokens of each of its alternatives (itself and what it
    stands for through the synonyms): an entry matches when, for every word, it holds all the
    tokens of one of its alternatives."""
    words = []
    for word in query.split():
        spelled = [query_tokens(a) for a in alternatives(word, synonym_groups)]
        if spelled := [tokens for tokens in spelled if tokens]:
            words.append(spelled)
    return words


def _text_match(session: Session, words: Words, required: list[str]) -> ColumnElement[bool]:
    """Entries holding ``words`` (and, on SQLite, the ``required`` filter tokens). Tokens are
    CJK characters, their pairs and Latin words and numbers (no operators), so they go into the
    full-text query as they are."""
    entries = table_of(SearchEntry)
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL ANDs the full-text index's bitmap with the filters' index itself; asking it
        # for the filter tokens too only skews its row estimates (71 rows expected, 1,643 found).
        tsquery = " & ".join(
            "(" + " | ".join("(" + " & ".join(tokens) + ")" for tokens in word) + ")"
            for word in words
        )
        return literal_column("to_tsvector('simple', catalog_search.tokens)").op("@@")(
            func.to_tsquery("simple", tsquery)
        )
    fts_query = " AND ".join(
        [
            "("
            + " OR ".join("(" + " AND ".join(f'"{t}"' for t in tokens) + ")" for tokens in word)
            + ")"
            for word in words
        ]
        + [f'"{t}"' for t in required]
    )
    matching = text(
        "SELECT rowid FROM catalog_search_fts WHERE catalog_search_fts MATCH :q"
    ).bindparams(q=fts_query)
    return entries.c.resource_id.in_(matching.columns(column("rowid", Integer)))


def like_scan(session: Session, words: str, query: SearchQuery) -> list[int]:
    """The baseline the benchmark compares with: a plain LIKE over names, abstracts and items."""
    pattern = f"%{words}%"
    versions = select(ResourceVersion.id).join(DataItem).where(DataItem.label.like(pattern))
    statement = select(ResourceVersion.resource_id).where(
        ResourceVersion.state == "published",
        or_(
            ResourceVersion.name.like(pattern),
            ResourceVersion.abstract.like(pattern),
            ResourceVersion.id.in_(versions),
        ),
    )
    if query.share_type:
        statement = statement.where(ResourceVersion.share_type == query.share_type)
    if query.update_cycle:
        statement = statement.where(ResourceVersion.update_cycle == query.update_cycle)
    return list(session.scalars(statement.limit(query.limit)))
