"""The portal's menu, grouped by work, shows each person only what their roles can do."""

from fastapi.testclient import TestClient

from exchange.identity.roles import Role
from exchange.principal import Principal
from exchange_api.portal.menu import MENU, menu_for
from tests.security.test_every_route import routes


def _menu(*roles: Role) -> dict[str, list[str]]:
    person = Principal(7, "someone", 3, "DEPT", frozenset(roles))
    return {group.label: [entry.href for entry in group.entries] for group in menu_for(person)}


def test_r14_a_consumer_sees_requests_and_grants_but_no_supervision_or_review() -> None:
    menu = _menu(Role.CONSUMER)
    assert "/access/requests" in menu["Sharing requests"]
    assert "/access/grants" in menu["Sharing requests"]
    assert "/access/inbox" not in menu["Sharing requests"]
    assert "Supervision and assessment" in menu  # their usage statements to confirm (R17)
    assert menu["Supervision and assessment"] == ["/supervision/usage-statements"]
    assert "System administration" in menu
    assert menu["System administration"] == ["/account/tokens", "/account/password"]
    assert "/catalog/review" not in menu["Catalog management"]


def test_r1_the_catalog_reviewer_has_the_review_queue_and_the_registrar_the_forms() -> None:
    reviewer = _menu(Role.CATALOG_REVIEWER)["Catalog management"]
    registrar = _menu(Role.CATALOG_REGISTRAR)["Catalog management"]
    assert "/catalog/review" in reviewer
    assert "/catalog/new" not in reviewer
    assert {"/catalog/new", "/catalog/import"} <= set(registrar)
    assert "/catalog/review" not in registrar


def test_r21_the_bureau_supervises_and_the_three_administrators_keep_to_their_pages() -> None:
    bureau = _menu(Role.BUREAU_ADMIN)
    assert {
        "/supervision/suspensions",
        "/supervision/scorecards",
        "/supervision/violations",
    } <= set(bureau["Supervision and assessment"])
    assert "/admin" not in bureau["System administration"]  # accounts are not the bureau's
    assert "/admin" in _menu(Role.SYSTEM_ADMIN)["System administration"]
    auditor = _menu(Role.AUDITOR)
    assert "/audit" in auditor["System administration"]
    assert "/supervision/violations" not in auditor.get("Supervision and assessment", [])


def test_r33_a_cloud_providers_staff_see_only_their_work_orders_and_their_account() -> None:
    menu = _menu(Role.CLOUD_PROVIDER)
    shown = [href for hrefs in menu.values() for href in hrefs]
    assert shown == ["/", "/notifications", "/cloud/work-orders", "/account/tokens",
                     "/account/password"]  # fmt: skip


def test_every_menu_entry_is_a_page_of_the_portal(client: TestClient) -> None:
    pages = {path for method, path in routes(client) if method == "GET"}
    for group in MENU:
        for entry in group.entries:
            assert entry.href in pages, entry.href
