"""Production mode refuses the embedded defaults: SQLite, a generated secret key, a missing or
well-known password, the local address; the same settings pass outside production, and the demo
with its shared password is refused in production."""

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from exchange.deployment_check import findings
from exchange.settings import Settings
from exchange_cli import main

GOOD = {
    "EXCHANGE_PRODUCTION": "true",
    "EXCHANGE_DATABASE_URL": "postgresql+psycopg://exchange:Vx8-long-random-pw@db:5432/exchange",
    "EXCHANGE_SECRET_KEY": Fernet.generate_key().decode(),
    "EXCHANGE_WAREHOUSE_URI": "s3://exchange-warehouse/tables",
    "EXCHANGE_S3_ENDPOINT": "http://minio:9000",
    "EXCHANGE_S3_ACCESS_KEY_ID": "exchange",
    "EXCHANGE_S3_SECRET_ACCESS_KEY": "K2-another-long-random-key",
    "EXCHANGE_PUBLIC_BASE_URL": "https://exchange.example.gov.cn",
}


def _settings(**overrides: str) -> Settings:
    values = {**GOOD, **overrides}
    return Settings(**{k.removeprefix("EXCHANGE_").lower(): v for k, v in values.items()})


def test_a_complete_production_configuration_has_no_findings() -> None:
    assert findings(_settings()) == []
    encrypted = {
        "EXCHANGE_REQUIRE_TLS": "true",
        "EXCHANGE_S3_ENDPOINT": "https://minio:9000",
        "EXCHANGE_DATABASE_URL": GOOD["EXCHANGE_DATABASE_URL"] + "?sslmode=verify-full",
    }
    assert findings(_settings(**encrypted)) == []


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"EXCHANGE_DATABASE_URL": "sqlite:///var/exchange.db"}, "EXCHANGE_DATABASE_URL"),
        (
            {"EXCHANGE_DATABASE_URL": "postgresql+psycopg://exchange@db/exchange"},
            "EXCHANGE_DATABASE_URL",
        ),
        (
            {"EXCHANGE_DATABASE_URL": "postgresql+psycopg://postgres:postgres@db/x"},
            "EXCHANGE_DATABASE_URL",
        ),
        ({"EXCHANGE_SECRET_KEY": ""}, "EXCHANGE_SECRET_KEY"),
        ({"EXCHANGE_SECRET_KEY": "not-a-fernet-key"}, "EXCHANGE_SECRET_KEY"),
        ({"EXCHANGE_S3_SECRET_ACCESS_KEY": "minioadmin"}, "EXCHANGE_S3_SECRET_ACCESS_KEY"),
        ({"EXCHANGE_PUBLIC_BASE_URL": "http://127.0.0.1:8000"}, "EXCHANGE_PUBLIC_BASE_URL"),
        # R21: with TLS required, a database URL without it, then plain object storage.
        (
            {
                "EXCHANGE_REQUIRE_TLS": "true",
                "EXCHANGE_S3_ENDPOINT": "https://minio:9000",
                "EXCHANGE_DATABASE_URL": GOOD["EXCHANGE_DATABASE_URL"] + "?sslmode=prefer",
            },
            "EXCHANGE_DATABASE_URL",
        ),
        (
            {
                "EXCHANGE_REQUIRE_TLS": "true",
                "EXCHANGE_DATABASE_URL": GOOD["EXCHANGE_DATABASE_URL"] + "?sslmode=verify-full",
            },
            "EXCHANGE_S3_ENDPOINT",
        ),
    ],
)
def test_r21_each_embedded_default_is_named(override: dict[str, str], named: str) -> None:
    found = findings(_settings(**override))
    assert len(found) == 1
    assert found[0].startswith(named)


def test_check_config_fails_only_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    embedded = {**GOOD, "EXCHANGE_PRODUCTION": "false", "EXCHANGE_SECRET_KEY": ""}
    note = runner.invoke(main, ["check-config"], env=embedded)
    assert note.exit_code == 0
    assert "note: EXCHANGE_SECRET_KEY" in note.output

    refused = runner.invoke(main, ["check-config"], env={**embedded, "EXCHANGE_PRODUCTION": "true"})
    assert refused.exit_code == 2
    assert "error: EXCHANGE_SECRET_KEY" in refused.output

    started: list[str] = []
    monkeypatch.setattr(
        "exchange_cli.serving.serve", lambda *args, **kwargs: started.append("serving")
    )
    serve = runner.invoke(main, ["serve"], env={**embedded, "EXCHANGE_PRODUCTION": "true"})
    assert serve.exit_code == 2
    assert started == []
    assert runner.invoke(main, ["serve"], env=GOOD).exit_code == 0
    assert started == ["serving"]


def test_the_demo_is_refused_in_production() -> None:
    result = CliRunner().invoke(main, ["demo"], env=GOOD)
    assert result.exit_code == 2
    assert "refused when EXCHANGE_PRODUCTION is true" in result.output
