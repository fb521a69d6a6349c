"""A request's changes are committed before its answer leaves: a client told "done" can read
its change at once, and a change whose commit fails is never reported as done."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.types import Message, Receive, Scope, Send

from zhuyun.core.db import Database
from zhuyun.core.ledger import SYSTEM, LedgerEntry, Subject, record
from zhuyun.core.settings import Settings
from zhuyun.identity.deps import SessionDep


def test_the_session_commits_before_the_response_is_sent(fresh_database: Database) -> None:
    seen_when_answering: list[int] = []

    def stored() -> int:
        with fresh_database.session() as session:
            return int(
                session.scalar(select(func.count()).where(LedgerEntry.activity == "test.written"))
                or 0
            )

    app = FastAPI()
    app.state.db = fresh_database
    app.state.settings = Settings(env="test")

    @app.post("/write")
    def write(session: SessionDep) -> dict[str, bool]:
        record(session, SYSTEM, "test.written", Subject("test", 1), {})
        return {"done": True}

    class WatchTheAnswer:
        def __init__(self, inner: FastAPI) -> None:
            self.inner = inner

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def watched(message: Message) -> None:
                if message["type"] == "http.response.start":
                    seen_when_answering.append(stored())
                await send(message)

            await self.inner(scope, receive, watched)

    with TestClient(WatchTheAnswer(app)) as client:  # type: ignore[arg-type]
        assert client.post("/write").json() == {"done": True}
    assert seen_when_answering == [1]
