"""The words people type for what the catalog names otherwise (社保 for 社会保险): groups of
equivalent terms, built in and added by the bureau, and the alternatives a search word stands for
(R12).

A query word containing a term of a group also stands for the word with that term replaced by
each other term of the group, so 社保参保 finds 社会保险参保信息. Expanding the query (rather than
the index) lets the bureau change the list without re-indexing the catalog.
"""

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.models import SearchSynonyms
from exchange import audit
from exchange.actions import ACTIONS
from exchange.errors import InvalidInput
from exchange.principal import Principal

# Always in force; the bureau adds its own groups to them.
BUILT_IN: tuple[tuple[str, ...], ...] = (
    ("社保", "社会保险"),
    ("医保", "医疗保险", "基本医疗保险"),
    ("公积金", "住房公积金"),
    ("身份证", "居民身份证", "身份证件"),
    ("低保", "最低生活保障"),
    ("残联", "残疾人联合会"),
    ("不动产", "房产"),
)
_SEPARATORS = re.compile(r"[,，、;；\s]+")
MAX_GROUPS = 1000
MAX_TERM = 30


def added_groups(session: Session) -> list[list[str]]:
    """The groups the bureau added."""
    return [
        row.terms for row in session.scalars(select(SearchSynonyms).order_by(SearchSynonyms.id))
    ]


def groups(session: Session) -> list[list[str]]:
    """Every group in force: the built-in ones and the bureau's."""
    return [list(group) for group in BUILT_IN] + added_groups(session)


def alternatives(word: str, synonym_groups: Sequence[Sequence[str]]) -> list[str]:
    """``word`` and what it stands for through the groups, longest term first."""
    found = [word]
    lowered = word.lower()
    for group in synonym_groups:
        for term in sorted(group, key=len, reverse=True):
            if term.lower() in lowered:
                found += [lowered.replace(term.lower(), other) for other in group if other != term]
                break
    return list(dict.fromkeys(found))


def parse_groups(text: str) -> list[list[str]]:
    """One group per line, its terms separated by commas, 、 or spaces; or the line's fault."""
    parsed: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        terms = list(dict.fromkeys(t for t in _SEPARATORS.split(line.strip()) if t))
        if not terms:
            continue
        if len(terms) < 2:
            raise InvalidInput(
                "line {line}: a group needs at least two words that mean the same",
                detail={"line": number}, line=number,
            )  # fmt: skip
        if any(len(term) > MAX_TERM for term in terms):
            raise InvalidInput(
                "line {line}: a word is longer than {limit} characters",
                detail={"line": number}, line=number, limit=MAX_TERM,
            )  # fmt: skip
        parsed.append(terms)
    if len(parsed) > MAX_GROUPS:
        raise InvalidInput("at most {limit} groups", limit=MAX_GROUPS)
    return parsed


def replace_groups(session: Session, *, actor: Principal, text: str, now: datetime) -> None:
    """The bureau's new list of added groups, replacing its old one whole, recorded with both."""
    ACTIONS.require(actor, "other", "catalog", "govern")
    new = parse_groups(text)
    old = added_groups(session)
    session.execute(delete(SearchSynonyms))
    session.add_all(SearchSynonyms(terms=terms) for terms in new)
    audit.record(
        session, at=now, actor=actor, action="catalog.synonyms_changed",
        object_type="catalog", object_id="synonyms", detail={"before": old, "after": new},
    )  # fmt: skip
    session.flush()
