"""Scorecards as a person reads them (R20): CSV, XLSX and a printable PDF, each wholly in the
reader's language — the column codes stay in the JSON, for programs."""

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session

from exchange.errors import InvalidInput
from exchange.i18n import Message
from exchange.spreadsheets import CSV_TYPE, XLSX_TYPE, append_row, csv_document
from supervision.scorecards import HEADER, as_rows, computed_at

LABELS: dict[str, Message] = {
    "period": Message("Reporting period"),
    "department": Message("Department"),
    "catalog_completeness": Message("Catalog completeness"),
    "validation_pass_rate": Message("Validation pass rate"),
    "fresh_share": Message("Data on time"),
    "requests_on_time": Message("Requests answered on time"),
    "requests_counted": Message("Requests counted"),
    "quality_issues_on_time": Message("Quality issues answered on time"),
    "quality_issues_counted": Message("Quality issues counted"),
    "disputes_lost": Message("Disputes lost"),
    "rows_provided": Message("Rows provided to others"),
    "rows_consumed": Message("Rows read of others"),
    "masked_rows_provided": Message("Of them, rows served masked"),
    "records_verified": Message("Records others verified"),
    "suspensions": Message("Suspensions"),
    "sharing_vetoes": Message("Project sharing vetoes"),
    "funds_withheld": Message("O&M funds withheld"),
    "late_filings": Message("Late project filings"),
    "overall": Message("Overall"),
}
SHARES = {
    "catalog_completeness", "validation_pass_rate", "fresh_share", "requests_on_time",
    "quality_issues_on_time", "overall",
}  # fmt: skip


def labels(language: str) -> list[str]:
    return [LABELS[code].in_language(language) for code in HEADER]


def shown(code: str, value: object) -> str:
    """A figure as a person reads it: shares as percentages, unknown as a dash."""
    if value is None:
        return "—"
    if code in SHARES and isinstance(value, int | float):
        return f"{value * 100:.1f}%"
    return str(value)


def to_csv(rows: list[list[object]], language: str) -> bytes:
    return csv_document(labels(language), rows)


def to_xlsx(rows: list[list[object]], language: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = Message("Scorecards").in_language(language)
    sheet.append(labels(language))
    for row in rows:
        append_row(sheet, row)
    for column, code in enumerate(HEADER, start=1):
        if code in SHARES:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FONT = "STSong-Light"  # a CID font every PDF reader has: no font file to ship or embed


def to_pdf(rows: list[list[object]], *, period: str, computed_at: datetime | None,
           language: str) -> bytes:  # fmt: skip
    """A printable report: the ranking, then each department's card."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title_style = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22)
    text_style = ParagraphStyle("text", fontName=FONT, fontSize=9, leading=13)
    heading_style = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=18)
    grid = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ])  # fmt: skip
    ranked_columns = ["department", "overall", "catalog_completeness", "validation_pass_rate",
                      "fresh_share", "requests_on_time", "quality_issues_on_time"]  # fmt: skip
    position = {code: HEADER.index(code) for code in HEADER}

    def cell(text: str) -> Paragraph:
        return Paragraph(escape(text), text_style)

    ranking = [
        [
            cell(Message("Rank").in_language(language)),
            *(cell(LABELS[c].in_language(language)) for c in ranked_columns),
        ]
    ]
    for rank, row in enumerate(rows, start=1):
        ranking.append(
            [cell(str(rank)), *(cell(shown(c, row[position[c]])) for c in ranked_columns)]
        )
    computed = (
        Message("Computed at {moment}", moment=f"{computed_at:%Y-%m-%d %H:%M} UTC")
        if computed_at
        else Message("Not computed yet for this period.")
    )
    story: list[object] = [
        Paragraph(
            escape(
                Message("Department scorecards · {period}", period=period).in_language(language)
            ),
            title_style,
        ),
        Paragraph(escape(computed.in_language(language)), text_style),
        Spacer(0, 8),
        Table(ranking, repeatRows=1, style=grid),
    ]
    for row in rows:
        card = [[cell(LABELS[code].in_language(language)), cell(shown(code, row[position[code]]))]
                for code in HEADER[2:]]  # fmt: skip
        story.append(KeepTogether([
            Spacer(0, 12),
            Paragraph(escape(str(row[position["department"]])), heading_style),
            Table(card, colWidths=[220, 120], style=grid),
        ]))  # fmt: skip
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=landscape(A4), title=Message("Department scorecards").in_language(language)
    )
    document.build(story)  # type: ignore[arg-type]
    return out.getvalue()


PDF_TYPE = "application/pdf"
FORMATS = ("csv", "xlsx", "pdf")


@dataclass(frozen=True)
class Export:
    body: bytes
    media_type: str
    filename: str


def export(session: Session, *, period: str, format: str, language: str) -> Export:
    """The period's stored scorecards as a file of ``format`` (csv, xlsx, pdf)."""
    rows = as_rows(session, period)
    filename = f"scorecards-{period}.{format}"
    if format == "csv":
        return Export(to_csv(rows, language), CSV_TYPE, filename)
    if format == "xlsx":
        return Export(to_xlsx(rows, language), XLSX_TYPE, filename)
    if format == "pdf":
        moment = computed_at(session, period)
        return Export(
            to_pdf(rows, period=period, computed_at=moment, language=language), PDF_TYPE, filename
        )
    raise InvalidInput(
        "scorecards are exported as {formats}, not {format}",
        detail={"field": "format"},
        formats=", ".join(FORMATS),
        format=format,
    )
