"""The yearly settlement (R33): before 5 January the bureau settles each unit's cloud fees of the
past year with each provider — every resource line's days held in the year × its quantity × the
contracted price, never above the ceiling — as a statement per unit and provider.

A day is counted when the resource was held at any time of it (the day of opening counts, the
day of reclaiming does not), in the city's time zone.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.models import ApplicationLine, CloudApplication, CloudProvider, ProviderService
from exchange.actions import ACTIONS
from exchange.i18n import Message
from exchange.identity.models import Department
from exchange.principal import Principal
from exchange.spreadsheets import append_row, csv_document


@dataclass(frozen=True)
class FeeLine:
    provider: str
    unit: str
    system: str
    service: str
    quantity: int
    days: int
    price_fen: int  # per unit and day, as charged (the contract's, capped at the ceiling)

    @property
    def fee_fen(self) -> int:
        return self.quantity * self.days * self.price_fen


@dataclass(frozen=True)
class Statement:
    """What one unit owes one provider for the year."""

    year: int
    provider: str
    unit: str
    lines: tuple[FeeLine, ...]

    @property
    def total_fen(self) -> int:
        return sum(line.fee_fen for line in self.lines)


def days_held(held_from: datetime, held_to: datetime | None, year: int, zone: ZoneInfo) -> int:
    """The days of ``year`` a line was held: from the day it was opened to the day before it was
    released (a line opened and released on one day holds that day)."""
    first = held_from.astimezone(zone).date()
    last = date(year, 12, 31)
    if held_to is not None:
        released = held_to.astimezone(zone).date()
        last = min(last, max(first, released - timedelta(days=1)))
    start = max(first, date(year, 1, 1))
    return max(0, (last - start).days + 1)


def settle(session: Session, *, actor: Principal, year: int, zone: ZoneInfo) -> list[Statement]:
    """Every unit's statement with every provider for ``year``."""
    ACTIONS.require(actor, "other", "cloud_application", "review",
                    explain="the bureau's cloud reviewers settle the fees")  # fmt: skip
    names = dict(session.execute(select(Department.id, Department.name)).all())
    rows = session.execute(
        select(ApplicationLine, ProviderService, CloudApplication, CloudProvider)
        .join(ProviderService, ProviderService.id == ApplicationLine.service_id)
        .join(CloudApplication, CloudApplication.id == ApplicationLine.application_id)
        .join(CloudProvider, CloudProvider.id == CloudApplication.provider_id)
        .where(ApplicationLine.held_from.is_not(None),
               ApplicationLine.held_from < datetime(year + 1, 1, 1, tzinfo=zone))
        .order_by(CloudProvider.id, CloudApplication.department_id, CloudApplication.id,
                  ApplicationLine.id)
    ).all()  # fmt: skip
    grouped: dict[tuple[str, str], list[FeeLine]] = {}
    for line, service, application, provider in rows:
        assert line.held_from is not None
        days = days_held(line.held_from, line.held_to, year, zone)
        if days == 0:
            continue
        key = (names[provider.department_id], names[application.department_id])
        grouped.setdefault(key, []).append(FeeLine(
            key[0], key[1], application.system_name, service.name, line.quantity, days,
            min(service.price_per_day_fen, service.ceiling_per_day_fen),
        ))  # fmt: skip
    return [Statement(year, provider, unit, tuple(lines))
            for (provider, unit), lines in grouped.items()]  # fmt: skip


HEADER = ("provider", "unit", "system", "service", "quantity", "days", "price_yuan", "fee_yuan")
LABELS = {
    "provider": Message("Cloud provider"),
    "unit": Message("Department"),
    "system": Message("System"),
    "service": Message("Service"),
    "quantity": Message("Quantity"),
    "days": Message("Days held"),
    "price_yuan": Message("Price per day (yuan)"),
    "fee_yuan": Message("Fee (yuan)"),
}


def rows(statements: list[Statement]) -> list[list[object]]:
    """Every fee line, then each statement's total, in yuan."""
    table: list[list[object]] = []
    for statement in statements:
        for line in statement.lines:
            table.append([line.provider, line.unit, line.system, line.service, line.quantity,
                          line.days, line.price_fen / 100, line.fee_fen / 100])  # fmt: skip
        table.append([statement.provider, statement.unit, "", "", "", "", "",
                      statement.total_fen / 100])  # fmt: skip
    return table


def to_csv(statements: list[Statement], language: str) -> bytes:
    return csv_document([LABELS[c].in_language(language) for c in HEADER], rows(statements))


def to_xlsx(statements: list[Statement], year: int, language: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = Message("Cloud fees {year}", year=year).in_language(language)
    sheet.append([LABELS[c].in_language(language) for c in HEADER])
    for row in rows(statements):
        append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
