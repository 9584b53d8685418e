"""The working-day calendar (R23): look at a year, import its schedule, compute a deadline (R34)."""

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, UploadFile
from pydantic import AwareDatetime, BaseModel, Field

from exchange.errors import InvalidInput
from exchange.workdays.schedule import import_schedule, parse_schedule_csv
from exchange.workdays.spans import Span, TimeUnit, deadline_after
from exchange_api.deps import AppPlatform, BureauAdmin, CurrentPrincipal, DbSession
from exchange_api.errors import ERROR_RESPONSES

# Years a working-day calendar is asked about: wide of any deadline, narrow enough for dates.
MIN_YEAR, MAX_YEAR = 2000, 2100

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"], responses=ERROR_RESPONSES)


class SpecialDay(BaseModel):
    date: date
    working: bool


class YearCalendar(BaseModel):
    year: int
    has_official_schedule: bool = Field(description="False: weekends only, deadlines provisional.")
    special_days: list[SpecialDay] = Field(description="Weekdays off and weekend days worked.")


class DeadlinePreview(BaseModel):
    start: datetime
    span: str = Field(description="The length counted: 3wd, 24h, 30d or 6mo (R34).")
    due_date: date
    due_at: datetime
    remind_at: datetime
    provisional: bool


class ImportResult(BaseModel):
    years: list[int]
    days: int
    recomputed_deadlines: int


@router.get("/deadline", summary="Compute a deadline in working days, hours, days or months")
def preview_deadline(
    _: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
    start: Annotated[
        AwareDatetime, Query(description="An instant with its offset: 2026-09-30T10:00+08:00")
    ],
    days: Annotated[int | None, Query(ge=1, le=60, description="Working days.")] = None,
    span: Annotated[
        str | None, Query(description="Instead of days: 3wd, 24h, 30d or 6mo (R34).")
    ] = None,
) -> DeadlinePreview:
    if (days is None) == (span is None):
        raise InvalidInput("give either days or span", detail={"field": "span"})
    try:
        length = Span(days, TimeUnit.WORKING_DAYS) if days is not None else Span.parse(str(span))
    except ValueError as error:
        raise InvalidInput("{span!r} is not a length of time: write e.g. 3wd, 24h, 30d or 6mo",
                           detail={"field": "span"}, span=span) from error  # fmt: skip
    try:
        computed = deadline_after(start, length, platform.calendar(session))
    except (OverflowError, ValueError) as error:  # past the calendar's last representable day
        raise InvalidInput(
            "the deadline falls outside the calendar", detail={"field": "start"}
        ) from error
    return DeadlinePreview(start=start, span=str(length), **computed.__dict__)


@router.get("/{year}", summary="A year's days off and make-up working days")
def year_calendar(
    year: Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR)],
    _: CurrentPrincipal,
    session: DbSession,
    platform: AppPlatform,
) -> YearCalendar:
    calendar = platform.calendar(session)
    special = []
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        if working == (day.weekday() >= 5):
            special.append(SpecialDay(date=day, working=working))
        day += timedelta(days=1)
    return YearCalendar(
        year=year, has_official_schedule=calendar.has_schedule(year), special_days=special
    )


@router.post("/import", summary="Import a year's official schedule (CSV: date,type,name)")
async def import_year(
    file: UploadFile, actor: BureauAdmin, session: DbSession, platform: AppPlatform
) -> ImportResult:
    try:
        text = (await file.read()).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput("the schedule file must be UTF-8 text") from error
    days = parse_schedule_csv(text)
    result = import_schedule(
        session,
        days=days,
        source=file.filename or "upload",
        actor=actor,
        now=platform.clock.now(),
        zone=platform.settings.zone,
    )
    return ImportResult(
        years=result.years, days=result.days, recomputed_deadlines=result.recomputed_deadlines
    )
