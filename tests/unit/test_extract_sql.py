"""The statements sent to Arrow-native drivers quote identifiers and escape the watermark."""

from collection.extract import _source_sql


def test_watermark_is_an_escaped_literal_and_identifiers_are_quoted() -> None:
    sql = _source_sql("postgresql", {"table": "tax.order"}, ("updated_at", "2026' OR 1=1 --"), 5)
    assert (
        sql
        == "SELECT * FROM tax.\"order\" WHERE updated_at > '2026'' OR 1=1 --' ORDER BY updated_at LIMIT 5"
    )


def test_query_sources_are_wrapped() -> None:
    sql = _source_sql("sqlite", {"query": "SELECT a FROM t"}, None, None)
    assert sql == "SELECT * FROM (SELECT a FROM t) AS source"
