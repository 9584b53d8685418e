"""The catalog's daily work in the browser: register or edit an entry, submit it, the reviewer's
queue with approve and return, version history with diffs, and the spreadsheet import with its
error report. Every step goes through catalog.entries and catalog.lifecycle, as in the API."""

import re
from itertools import pairwise
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from catalog import entries, lifecycle
from catalog.diff import diff_versions
from catalog.item_names import suggested_identifier
from catalog.models import Classification, ResourceVersion
from catalog.schemas import EntryDraft
from catalog.vocab import LABELS_ZH, DataType, ShareType, UpdateCycle, ValueFormat, VersionState
from exchange.errors import DomainError, InvalidInput
from exchange_api.deps import AppPlatform, DbSession
from exchange_api.errors import record_refusal
from exchange_api.portal.web import (
    Form,
    PortalUser,
    checked_form,
    language,
    redirect,
    render,
    say,
    shown,
)

router = APIRouter(include_in_schema=False)
BLANK_ITEM_ROWS = 6
ADDED_ROWS = 5  # rows the 添加信息项 button adds
MAX_ITEM_ROWS = 1000
ITEM_FIELDS = ("name", "label", "data_type", "length", "precision", "share_type",
               "share_condition", "legal_basis", "element", "value_format", "allowed_values")  # fmt: skip
FLAGS = ("required", "is_key")


def _choices(session: Any) -> dict[str, Any]:
    classes = session.scalars(select(Classification).order_by(Classification.code)).all()
    return {
        "classes": classes, "cycles": list(UpdateCycle), "types": list(DataType),
        "share_types": list(ShareType), "formats": list(ValueFormat), "labels": LABELS_ZH,
    }  # fmt: skip


def _item_rows(form: dict[str, str]) -> list[int]:
    """The form's item rows that hold an item, in order: the draft's items[n] is row rows[n]."""
    rows = []
    for index in range(MAX_ITEM_ROWS):
        if f"item-{index}-name" not in form:
            break
        if form.get(f"item-{index}-name", "").strip():
            rows.append(index)
    return rows


def _with_suggested_identifiers(form: dict[str, str]) -> dict[str, str]:
    """A row with a name but no identifier gets one made from the name, shown on the form to be
    kept or changed."""
    filled = dict(form)
    for index in range(MAX_ITEM_ROWS):
        if f"item-{index}-name" not in form:
            break
        label = form.get(f"item-{index}-label", "").strip()
        if label and not form.get(f"item-{index}-name", "").strip():
            filled[f"item-{index}-name"] = suggested_identifier(label)
    return filled


def _draft_from(form: dict[str, str]) -> EntryDraft:
    items = []
    for index in _item_rows(form):
        item: dict[str, Any] = {
            f: form.get(f"item-{index}-{f}", "").strip() or None for f in ITEM_FIELDS
        }
        item.update({flag: form.get(f"item-{index}-{flag}") == "on" for flag in FLAGS})
        if item["share_type"] == ShareType.NOT_SHARED:  # one column holds condition or basis
            item["legal_basis"], item["share_condition"] = item["share_condition"], None
        if item["allowed_values"]:
            item["allowed_values"] = [
                v.strip() for v in item["allowed_values"].replace("；", ";").split(";") if v.strip()
            ]
        items.append(item)
    return EntryDraft.model_validate({
        "name": form.get("name", "").strip(), "classification_code": form.get("classification_code", ""),
        "abstract": form.get("abstract", "").strip(), "update_cycle": form.get("update_cycle", ""),
        "timeliness": form.get("timeliness") or None, "sensitive": form.get("sensitive") == "on",
        "change_note": form.get("change_note") or None, "items": items,
    })  # fmt: skip


def _problems(request: Request, error: Exception, rows: list[int]) -> list[str]:
    """Every problem at once, in the reader's language (catalog problems carry both), an item's
    named by its row of the form, counted from 1 as people count."""
    if isinstance(error, ValidationError):
        found = [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in error.errors()]
    elif isinstance(error, DomainError) and isinstance(error.detail, list):
        key = "message_zh" if language(request) == "zh" else "message"
        found = [
            (str(p.get("field", "")), str(p.get(key) or p.get("message"))) for p in error.detail
        ]
    else:
        return [
            error.in_language(language(request)) if isinstance(error, DomainError) else str(error)
        ]
    return [f"{_where(request, field, rows)}: {text}" for field, text in found]


def _where(request: Request, field: str, rows: list[int]) -> str:
    """``items.2.length`` or ``items[2].length`` as "Item row 3 · length"."""
    matched = re.match(r"items[.\[](\d+)\]?\.?(.*)", field)
    if not matched:
        return field
    index, rest = int(matched.group(1)), matched.group(2)
    row = rows[index] + 1 if index < len(rows) else index + 1
    return say(request, "Item row {row}", row=row) + (f" · {rest}" if rest else "")


def _form_page(
    request: Request, session: Any, values: dict[str, str], extra: int = 0, **more: Any
) -> Response:
    used = sum(1 for key in values if key.endswith("-name") and key.startswith("item-"))
    shown = used + (extra or BLANK_ITEM_ROWS)
    return render(
        request, "entry_form.html", values=values, rows=range(min(shown, MAX_ITEM_ROWS)),
        **_choices(session), **more,
    )  # fmt: skip


@router.get("/catalog/new")
def new_entry(request: Request, actor: PortalUser, session: DbSession) -> Response:
    return _form_page(request, session, {}, action="/catalog/new", title_key="Register an entry")


@router.post("/catalog/new")
def create_entry(
    request: Request, actor: PortalUser, form: Form, platform: AppPlatform
) -> Response:
    form = _with_suggested_identifiers(form)
    if form.get("add_rows"):  # 添加信息项: the same form with more rows, nothing saved
        with platform.database.transaction() as session:
            return _form_page(request, session, form, extra=ADDED_ROWS, action="/catalog/new",
                              title_key="Register an entry")  # fmt: skip
    try:
        draft = _draft_from(form)
        with platform.database.transaction() as session:
            code = entries.create_entry(
                session, actor=actor, now=platform.clock.now(), draft=draft
            ).resource.code
            if form.get("submit_now"):
                lifecycle.submit(
                    session, actor=actor, env=platform.workflow_environment(session), code=code
                )
    except (DomainError, ValidationError, ValueError) as error:
        record_refusal(request, error)
        with platform.database.transaction() as session:
            return _form_page(request, session, form, action="/catalog/new", title_key="Register an entry",
                              problems=_problems(request, error, _item_rows(form)))  # fmt: skip
    return redirect(f"/catalog/{code}", notice=say(request, "Saved"))


def _values_of(version: ResourceVersion) -> dict[str, str]:
    values = {"name": version.name, "classification_code": version.classification_code,
              "abstract": version.abstract, "update_cycle": version.update_cycle,
              "timeliness": version.timeliness or "", "sensitive": "on" if version.sensitive else ""}  # fmt: skip
    for index, item in enumerate(version.items):
        for field in ITEM_FIELDS:
            value = getattr(item, field)
            values[f"item-{index}-{field}"] = (
                ";".join(value) if isinstance(value, list) else str(value or "")
            )
        for flag in FLAGS:
            values[f"item-{index}-{flag}"] = "on" if getattr(item, flag) else ""
    return values


@router.get("/catalog/{classification}/{sequence}/edit")
def edit_entry(
    request: Request, classification: str, sequence: str, actor: PortalUser, session: DbSession
) -> Response:
    code = f"{classification}/{sequence}"
    resource = entries.visible_resource(session, code, actor)
    version = entries.working_version(session, resource) or entries.published_version(
        session, resource
    )
    if version is None:
        raise InvalidInput("entry {code} has no version to edit", code=code)
    return _form_page(request, session, _values_of(version), action=f"/catalog/{code}/edit",
                      title_key="Edit the entry", code=code)  # fmt: skip


@router.post("/catalog/{classification}/{sequence}/edit")
def save_entry(
    request: Request,
    classification: str,
    sequence: str,
    actor: PortalUser,
    form: Form,
    platform: AppPlatform,
) -> Response:
    code = f"{classification}/{sequence}"
    form = _with_suggested_identifiers(form)
    if form.get("add_rows"):
        with platform.database.transaction() as session:
            return _form_page(request, session, form, extra=ADDED_ROWS,
                              action=f"/catalog/{code}/edit", title_key="Edit the entry", code=code)  # fmt: skip
    try:
        draft = _draft_from(form)
        with platform.database.transaction() as session:
            resource = entries.get_resource(session, code)
            if entries.working_version(session, resource) is None:
                entries.start_new_version(session, actor=actor, now=platform.clock.now(), code=code)
            entries.update_draft(
                session, actor=actor, now=platform.clock.now(), code=code, draft=draft
            )
            if form.get("submit_now"):
                lifecycle.submit(
                    session, actor=actor, env=platform.workflow_environment(session), code=code
                )
    except (DomainError, ValidationError, ValueError) as error:
        record_refusal(request, error)
        with platform.database.transaction() as session:
            return _form_page(request, session, form, action=f"/catalog/{code}/edit",
                              title_key="Edit the entry", code=code,
                              problems=_problems(request, error, _item_rows(form)))  # fmt: skip
    return redirect(f"/catalog/{code}", notice=say(request, "Saved"))


@router.post("/catalog/{classification}/{sequence}/{action}")
async def review_action(
    request: Request, classification: str, sequence: str, action: str, actor: PortalUser,
    platform: AppPlatform,
) -> Response:  # fmt: skip
    form = await checked_form(request)
    code = f"{classification}/{sequence}"
    steps = {
        "submit": lambda s, env: lifecycle.submit(s, actor=actor, env=env, code=code),
        "approve": lambda s, env: lifecycle.approve(s, actor=actor, env=env, code=code,
                                                    comment=form.get("comment") or None),
        "return": lambda s, env: lifecycle.return_for_changes(s, actor=actor, env=env, code=code,
                                                              comment=form.get("comment", "")),
    }  # fmt: skip
    if action not in steps:
        raise InvalidInput("no action {action!r} on a catalog entry", action=action)
    try:
        with platform.database.transaction() as session:
            steps[action](session, platform.workflow_environment(session))
    except DomainError as error:
        return redirect(f"/catalog/{code}", notice=await run_in_threadpool(shown, request, error))
    return redirect(f"/catalog/{code}", notice=say(request, "Saved"))


@router.get("/catalog/review")
def review_queue(request: Request, actor: PortalUser, session: DbSession) -> Response:
    waiting = entries.department_versions(session, actor.department_id, [VersionState.SUBMITTED])
    return render(request, "review_queue.html", waiting=waiting)


@router.get("/catalog/{classification}/{sequence}/history")
def version_history(
    request: Request, classification: str, sequence: str, actor: PortalUser, session: DbSession
) -> Response:
    resource = entries.visible_resource(session, f"{classification}/{sequence}", actor)
    own = actor.department_id == resource.provider_department_id
    versions = [
        v
        for v in resource.versions
        if own or v.state in (VersionState.PUBLISHED, VersionState.SUPERSEDED)
    ]
    changes = [(new, diff_versions(old, new)) for old, new in pairwise(versions)]
    return render(
        request, "entry_history.html", resource=resource, versions=versions, changes=changes
    )
