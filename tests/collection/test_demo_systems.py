"""The demo source systems carry exactly the documented inconsistencies."""

import csv
import json
import sqlite3
from pathlib import Path

from collection.demo import PLANTED, generate
from exchange.identifiers import is_valid_resident_id, is_valid_uscc


def test_planted_inconsistencies_are_exactly_as_documented(tmp_path: Path) -> None:
    systems = generate(tmp_path, rows=300)
    with sqlite3.connect(systems.market_db) as connection:
        market = dict(
            connection.execute("SELECT uscc, enterprise_name FROM enterprise_register").fetchall()
        )
    tax = {
        row["uscc"]: row["enterprise_name"]
        for row in json.loads(systems.tax_json.read_text(encoding="utf-8"))
    }
    assert len(market) == 300
    assert all(is_valid_uscc(code) for code in market)
    invalid_tax = [code for code in tax if not is_valid_uscc(code)]
    assert len(invalid_tax) == PLANTED["bad_uscc_tax"]
    shared = market.keys() & tax.keys()
    assert sum(market[code] != tax[code] for code in shared) == PLANTED["name_mismatch"]
    tax_only_valid = [c for c in tax.keys() - market.keys() if is_valid_uscc(c)]
    assert len(tax_only_valid) == PLANTED["tax_only"]
    # A wrong check character also leaves the true code on the register's side only.
    assert len(market.keys() - tax.keys()) == PLANTED["bad_uscc_tax"]
    with (systems.social_drop / "insured_persons.csv").open(encoding="utf-8") as handle:
        insured = list(csv.DictReader(handle))
    assert (
        sum(not is_valid_resident_id(p["公民身份号码"]) for p in insured)
        == PLANTED["bad_id_social"]
    )
    marriages = (systems.civil_drop / "marriages.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(marriages) == 75


def test_sizes_are_configurable(tmp_path: Path) -> None:
    systems = generate(tmp_path, rows=20)
    assert len(json.loads(systems.tax_json.read_text(encoding="utf-8"))) == 20 + PLANTED["tax_only"]
