"""Long lists a page at a time: which page was asked for, and the links to the others."""

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PAGE_SIZE = 50


@dataclass(frozen=True)
class Paging:
    number: int  # 1-based, as people count pages
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.size)


def asked_page(request: Request) -> int:
    """The page number in the address; anything but a positive whole number is the first page."""
    text = request.query_params.get("page", "1")
    return int(text) if text.isdigit() and int(text) > 0 else 1


def paging(request: Request, total: int, size: int = PAGE_SIZE) -> Paging:
    """The page asked for, or the last one when the address asks past the end."""
    return Paging(min(asked_page(request), Paging(1, size, total).pages), size, total)


def page_of(
    session: Session, request: Request, statement: Select[*tuple[Any, ...]]
) -> tuple[list[Any], Paging]:
    """The rows of ``statement`` (ordered) on the page asked for, and the paging to link the rest."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pages = paging(request, total or 0)
    return list(session.execute(statement.offset(pages.offset).limit(pages.size)).all()), pages


def newer_and_older(
    request: Request, rows: list[Any], size: int = PAGE_SIZE
) -> tuple[list[Any], int, bool]:
    """For a list read ``size + 1`` rows at a time from the page's offset (counting every row of
    a long history would cost more than reading it): the page's rows, its number, and whether an
    older page follows."""
    return rows[:size], asked_page(request), len(rows) > size


def offset_of(request: Request, size: int = PAGE_SIZE) -> int:
    return (asked_page(request) - 1) * size
