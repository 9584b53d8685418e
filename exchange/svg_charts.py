"""Charts as inline SVG, for documents that run no script (the offline HTML reports, kept for
years and opened anywhere): horizontal bars with their values written beside them, so the
picture reads without the table and prints as it shows."""

from html import escape

from markupsafe import Markup

BAR_HEIGHT, GAP, LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH = 18, 6, 220, 360, 90


def bars(title: str, categories: list[str], values: list[int | float]) -> Markup:
    """One bar per category, longest for the largest value; ``title`` names it for screen
    readers. Nothing when there is nothing to draw. Inline in HTML, the SVG needs no namespace
    (the parser gives it one), and a report names no address at all."""
    if not categories:
        return Markup("")
    largest = max((abs(v) for v in values), default=0) or 1
    height = len(categories) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-size="12" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for row, (category, value) in enumerate(zip(categories, values, strict=True)):
        top = GAP + row * (BAR_HEIGHT + GAP)
        middle = top + BAR_HEIGHT / 2 + 4
        length = max(1.0, BAR_WIDTH * abs(value) / largest) if value else 0
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end">'
            f"{escape(_shortened(category))}</text>",
            f'<rect x="{LABEL_WIDTH}" y="{top}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="#3b6fd8"/>',
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle}">{value:,}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above)


def _shortened(label: str, most: int = 28) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"
