"""The home page as a work bench: 待办 and 已办 tabs, the 已办 history a page at a time, and the
message centre marking what was opened as read."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from exchange.i18n import Message
from exchange.identity.models import User
from exchange.identity.roles import Role
from exchange.notifications.models import Notification
from exchange.notifications.service import notify
from exchange.worklist.models import Task
from tests.catalog_fixtures import CatalogWorld
from tests.scenarios.people import sign_in


def test_r14_the_done_tab_pages_through_what_was_finished_and_messages_are_read_by_opening(
    world: CatalogWorld, client: TestClient
) -> None:
    sign_in(client, world, world.provider, Role.DATA_REVIEWER)
    now = world.platform.clock.now()
    with world.platform.database.transaction() as session:
        me = session.scalars(select(User).order_by(User.id.desc())).first()
        assert me is not None
        for number in range(55):
            title = Message("Review the catalog entry {resource} ({code})",
                            resource=f"资源{number}", code=f"202/{number:06d}")  # fmt: skip
            session.add(Task(
                kind="catalog.review", subject_type="catalog_version", subject_id=str(number),
                title=title.english, title_message=title, link="/catalog", created_at=now,
                done_at=now, done_by_user_id=me.id,
            ))  # fmt: skip
        [note] = notify(session, users=[me], kind="test", title="审核提醒", body="请处理",
                        link="/access/inbox", now=now)  # fmt: skip
        note_id = note.id
    first = client.get("/", params={"tab": "done"})
    assert first.text.count("审核目录资源") == 50
    assert 'rel="next"' in first.text
    second = client.get("/", params={"tab": "done", "page": "2"})
    assert second.text.count("审核目录资源") == 5
    assert 'rel="next"' not in second.text

    assert re.search(
        r'class="inbox" href="/notifications">消息 <span class="count"[^>]*>1<', first.text
    )
    opened = client.get(f"/notifications/{note_id}", follow_redirects=False)
    assert opened.headers["location"] == "/access/inbox"
    with world.platform.database.transaction() as session:
        assert session.get_one(Notification, note_id).read_at is not None
    assert 'class="count"' not in client.get("/notifications").text.split("</header>")[0]
    # Somebody else's message is not theirs to open.
    sign_in(client, world, world.provider, Role.DATA_REVIEWER)
    assert client.get(f"/notifications/{note_id}", follow_redirects=False).status_code == 404
