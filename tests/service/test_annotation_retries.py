"""A client that lost the answer posts its annotation again with the same ``client_key``.

Sequentially the second post finds the first; this test forces the hard case on PostgreSQL:
both posts have looked for an earlier one and found none before either could insert. The
table is locked against inserts (reads still pass) until both wait at their insert; then the
first insert wins and the second, refused by the unique key, answers with the first's
annotation. One row, one annotation id in both answers.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.service.harness import _pg_connect, package_zip, platform_on


def _waiting_inserts(admin: Any, dbname: str) -> int:
    row = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
        " AND query LIKE 'INSERT INTO annotations%%'",
        (dbname,),
    ).fetchone()
    return int(row[0])


def test_two_posts_racing_with_one_client_key_store_one_annotation(tmp_path: Path) -> None:
    with platform_on("postgresql", tmp_path) as p:
        project_id = p.new_project("重发标注")
        r = p.submit(project_id, package_zip("residential_tower_violations"))
        assert r.status_code == 201, r.text
        sub = r.json()["id"]
        r = p.as_("bureau")("post", f"/api/submissions/{sub}/intake", json={"decision": "accept"})
        assert r.status_code == 200, r.text
        drawings = p.as_("reviewer-fire")("get", f"/api/submissions/{sub}").json()["drawings"]
        drawing = next(d for d in drawings if d["discipline"] == "fire")
        body = {"geometry": {"type": "Point", "coordinates": [3.0, 4.0]}, "text": "重发",
                "kind": "cloud", "client_key": "lost-answer-1"}
        headers = p.login("reviewer-fire")
        dbname = p.settings.database_url.rsplit("/", 1)[1].split("?")[0]
        answers: list[Any] = []

        def post() -> None:
            client = TestClient(p.client.app)
            answers.append(client.post(f"/api/drawings/{drawing['id']}/annotations",
                                       json=body, headers=headers))

        with _pg_connect(dbname) as admin, _pg_connect(dbname) as watcher:
            admin.autocommit = False
            admin.execute("LOCK TABLE annotations IN EXCLUSIVE MODE")  # inserts wait, reads pass
            posts = [threading.Thread(target=post) for _ in range(2)]
            for th in posts:
                th.start()
            deadline = time.monotonic() + 30
            while _waiting_inserts(watcher, dbname) < 2:
                assert time.monotonic() < deadline, "both posts should be waiting at the insert"
                time.sleep(0.05)
            admin.commit()
            for th in posts:
                th.join(60)
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        assert answers[0].json()["id"] == answers[1].json()["id"]
        listed = p.as_("reviewer-fire")("get", f"/api/drawings/{drawing['id']}/annotations").json()
        assert [a["text"] for a in listed].count("重发") == 1
