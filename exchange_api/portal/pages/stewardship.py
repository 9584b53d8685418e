"""A data steward's setup in the portal (R18): comparisons between two departments' resources —
picked, not typed: the two resources, then which items are keys and which are compared, with
their normalisation — run now with their reports; and the checks added to a resource's suite,
made blocking or not."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from catalog.entries import get_resource, published_version
from catalog.models import Resource, ResourceVersion
from catalog.vocab import ResourceStatus
from exchange.actions import ACTIONS
from exchange.errors import InvalidInput
from exchange.normalising import Normalisation
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.portal.web import (
    FormLists,
    PortalUser,
    attempt,
    field,
    language,
    redirect,
    render,
    say,
)
from quality import comparisons, expectations
from quality.comparisons import AttributeDraft, ComparisonDraft
from quality.models import Comparison, ComparisonRun, StewardExpectation
from quality.suites import STEWARD_KINDS, check_message
from quality.validation import suite_for

router = APIRouter(include_in_schema=False)


def _published(session: Any) -> list[tuple[str, str]]:
    """(code, name) of every published resource, to pick from."""
    return [
        (code, name)
        for code, name in session.execute(
            select(Resource.code, ResourceVersion.name)
            .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
            .where(Resource.status == ResourceStatus.PUBLISHED)
            .order_by(Resource.code)
        )
    ]


def _items(session: Any, code: str) -> list[Any]:
    if not code:
        return []
    version = published_version(session, get_resource(session, code))
    return [] if version is None else list(version.items)


@router.get("/quality/comparisons")
def comparisons_page(
    request: Request,
    actor: PortalUser,
    session: DbSession,
    left: str = "",
    right: str = "",
    error: str | None = None,
) -> Response:
    """The comparisons with their last runs, and the form to define one: choosing the two
    resources shows their items to pair."""
    newest = select(func.max(ComparisonRun.id)).group_by(ComparisonRun.comparison_id)
    last = {
        run.comparison_id: run
        for run in session.scalars(select(ComparisonRun).where(ComparisonRun.id.in_(newest)))
    }
    defined = session.scalars(
        select(Comparison).where(Comparison.retired_at.is_(None)).order_by(Comparison.id)
    ).all()
    codes = {r.id: r.code for r in session.scalars(select(Resource))}
    return render(
        request, "comparisons.html", status_code=400 if error else 200, comparisons=defined,
        last=last, codes=codes, resources=_published(session), left=left, right=right,
        left_items=_items(session, left), right_items=_items(session, right), error=error,
        normalisations=list(Normalisation), may_manage=ACTIONS.allows(actor, "other", "quality", "manage"),
    )  # fmt: skip


def _draft(form: dict[str, list[str]]) -> ComparisonDraft:
    """Each row of the form pairs a left item with a right one as a key or a compared value."""
    keys, attributes = [], []
    lefts = form.get("pair_left", [])

    def column(name: str) -> list[str]:  # a column of the pairs' table, as long as the left one
        return (form.get(name, []) + [""] * len(lefts))[: len(lefts)]

    rows = zip(
        lefts, column("pair_right"), column("pair_role"), column("pair_tolerance"), strict=True
    )
    for left, right, role, given_tolerance in rows:
        tolerance = given_tolerance.strip()
        if not left or not right or role == "skip":
            continue
        if role == "key":
            keys.append((left, right))
        else:
            try:
                attributes.append(
                    AttributeDraft(
                        left=left, right=right, tolerance=float(tolerance) if tolerance else None
                    )
                )
            except ValueError as error:
                raise InvalidInput(
                    "the tolerance of {item} is a number", item=left, detail={"field": "tolerance"}
                ) from error
    if not keys:
        raise InvalidInput("choose at least one pair of items as the key", detail={"field": "keys"})
    if not attributes:
        raise InvalidInput(
            "choose at least one pair of items to compare", detail={"field": "attributes"}
        )
    return ComparisonDraft(
        name=field(form, "name"), left=field(form, "left"), right=field(form, "right"), keys=keys,
        attributes=attributes, normalise=[Normalisation(n) for n in form.get("normalise", [])],
    )  # fmt: skip


@router.post("/quality/comparisons")
def define_comparison(
    request: Request, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    def define(session: Any, env: Any) -> None:
        comparisons.require_steward(actor)  # before reading the form
        comparisons.create_comparison(session, actor=actor, now=env.now, draft=_draft(form))

    refused = attempt(request, platform, define)
    if refused:
        with platform.database.transaction() as session:
            return comparisons_page(
                request, actor, session, field(form, "left"), field(form, "right"), refused
            )
    return redirect("/quality/comparisons", notice=say(request, "Saved"))


@router.post("/quality/comparisons/{comparison_id}/run")
def run_comparison(
    request: Request, comparison_id: int, actor: PortalUser, form: FormLists, platform: AppPlatform
) -> Response:
    try:
        comparisons.require_steward(actor)
        run = comparisons.run_comparison(platform, comparison_id=comparison_id, actor=actor)
    except InvalidInput as error:
        return redirect("/quality/comparisons", notice=error.in_language(language(request)))
    return redirect(f"/quality/comparison-runs/{run.id}/report")


@router.get("/quality/resources/{classification}/{sequence}/checks")
def checks_page(
    request: Request, classification: str, sequence: str, actor: PortalUser, session: DbSession,
    error: str | None = None,
) -> Response:  # fmt: skip
    resource = get_resource(session, f"{classification}/{sequence}")
    extra = session.scalars(
        select(StewardExpectation)
        .where(StewardExpectation.resource_id == resource.id, StewardExpectation.removed_at.is_(None))
        .order_by(StewardExpectation.id)
    ).all()  # fmt: skip
    return render(
        request, "checks.html", status_code=400 if error else 200, resource=resource,
        suite=suite_for(session, resource), extra=extra, items=_items(session, resource.code),
        kinds=sorted(STEWARD_KINDS), error=error, may_manage=ACTIONS.allows(actor, "other", "quality", "manage"),
        check_message=check_message,
    )  # fmt: skip


def _params(kind: str, form: dict[str, list[str]]) -> dict[str, Any]:
    """The parameters of a check, from the fields its kind needs."""
    if kind == "in_set":
        return {"values": [v.strip() for v in field(form, "values").split(";") if v.strip()]}
    if kind == "matches":
        return {"pattern": field(form, "pattern")}
    if kind == "format":
        return {"format": field(form, "format")}
    if kind in ("between", "max_length"):
        bounds = {name: field(form, name) for name in ("min", "max") if field(form, name)}
        try:
            return {
                name: float(value) if "." in value else int(value) for name, value in bounds.items()
            }
        except ValueError as error:
            raise InvalidInput("the bounds are numbers", detail={"field": "min"}) from error
    return {}


@router.post("/quality/resources/{classification}/{sequence}/checks")
def add_check(
    request: Request, classification: str, sequence: str, actor: PortalUser, form: FormLists,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    code = f"{classification}/{sequence}"
    kind = field(form, "kind")
    refused = attempt(
        request, platform,
        lambda session, env: expectations.add_expectation(
            session, actor=actor, now=env.now, code=code, kind=kind, column=field(form, "column"),
            params=_params(kind, form), blocking=field(form, "blocking") == "on",
            description=field(form, "description"),
        ),
    )  # fmt: skip
    if refused:
        with platform.database.transaction() as session:
            return checks_page(request, classification, sequence, actor, session, refused)
    return redirect(f"/quality/resources/{code}/checks", notice=say(request, "Saved"))


@router.post("/quality/checks/{expectation_id}/{change}")
def change_check(
    request: Request, expectation_id: int, change: str, actor: PortalUser, form: FormLists,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    def act(session: Any, env: Any) -> None:
        if change == "remove":
            expectations.remove_expectation(
                session, actor=actor, now=env.now, expectation_id=expectation_id
            )
        elif change in ("block", "unblock"):
            expectations.set_blocking(
                session, actor=actor, now=env.now, expectation_id=expectation_id,
                blocking=change == "block",
            )  # fmt: skip
        else:
            raise InvalidInput("no action {change!r} on a check", change=change)

    refused = attempt(request, platform, act)
    back = field(form, "back") or "/quality"
    if not back.startswith("/quality/"):  # only back to a page of this site
        back = "/quality"
    return redirect(back, notice=refused or say(request, "Saved"))
