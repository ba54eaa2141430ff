"""Load of the institution's people on a running FinRes (driven by ``bench_load.py``).

Each simulated person has a session of their own (a completed log-in prepared by
``bench_load.py``, read from the JSON file named by ``FINRES_LOAD_CONFIG``), thinks 0.5–2 s
between requests, and makes 88 % reads (pages and API lists) and 12 % real writes: update a
result, add a comment, link evidence, edit a finding.

    .venv/bin/python -m locust -f benchmarks/locustfile.py --headless -u 50 -r 10 -t 180s \\
        --host http://127.0.0.1:8000
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

CONFIG: dict[str, Any] = json.loads(
    open(os.environ["FINRES_LOAD_CONFIG"], encoding="utf-8").read()  # noqa: SIM115
)
CSRF = "benchcsrftoken0123456789abcdefgh"  # 32 characters: a valid unmasked token
_people = itertools.count()
_unlinked = list(CONFIG["unlinked_results"])
random.shuffle(_unlinked)


def _problem(response: Any) -> str:
    """The status and the start of the answer; for no answer (status 0), the connection's error."""
    if not response.status_code:
        return f"0 {response.error!r}"[:300]
    return f"{response.status_code} {response.text[:200]}"


class Person(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        session = CONFIG["sessions"][next(_people) % len(CONFIG["sessions"])]
        self.client.cookies.set("sessionid", session)
        self.client.cookies.set("csrftoken", CSRF)
        self.headers = {"X-CSRFToken": CSRF, "Referer": self.host or ""}

    @task(88)
    def read(self) -> None:
        name, url = random.choice(CONFIG["reads"])
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(_problem(response))

    @task(12)
    def write(self) -> None:
        kind = random.choice(("result", "comment", "link", "finding"))
        if kind == "link" and not _unlinked:
            kind = "comment"
        if kind == "result":
            pk = random.choice(CONFIG["results"])
            url, body = (
                f"/api/assessment-results/{pk}/",
                {"result": random.choice(CONFIG["result_values"])},
            )
            method, name = "patch", "write: update a result"
        elif kind == "comment":
            pk = random.choice(CONFIG["results"])
            url, body = (
                f"/api/assessment-results/{pk}/",
                {"comments": f"負載測試留言 {random.randint(1, 10**6)}"},
            )
            method, name = "patch", "write: add a comment"
        elif kind == "link":
            url = "/api/evidence-links/"
            body = {"evidence": random.choice(CONFIG["evidence"]), "result": _unlinked.pop()}
            method, name = "post", "write: link evidence"
        else:
            pk = random.choice(CONFIG["findings"])
            url, body = f"/api/findings/{pk}/", {"plan": f"改善計畫 {random.randint(1, 10**6)}"}
            method, name = "patch", "write: edit a finding"
        with getattr(self.client, method)(
            url, json=body, headers=self.headers, name=name, catch_response=True
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(_problem(response))
