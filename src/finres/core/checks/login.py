"""The optional, explicitly authorised log-in probe of art. 36-5: does a test account on a
staging endpoint lock after 5 wrong passwords?

The probe logs in once with the right password (without it nothing can be decided), forgets the
session, enters a wrong password 5 times, then the right one again: refused means the account
locked (pass), accepted means it did not (fail). It leaves the test account locked, which is
the point: unlocking it must need the holder's identity (36-5). Art. 36-6 (password strength
and renewal) cannot be seen from a log-in form and is reported as needing evidence.

The log-in form is the page's first form with a password field; its hidden fields (CSRF tokens)
are sent back, the user-name field is its first text, e-mail or telephone field. A submission
succeeded when the page it ends on no longer shows a password field (or, if given, shows
``success_text``). Everything goes through the standard library's HTTP client with a cookie jar.
"""

from __future__ import annotations

import http.cookiejar
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from finres.core.checks.tls_rules import FRAMEWORK
from finres.core.i18n import DEFAULT_LANGUAGE, Language, gettext_for

ATTEMPTS = 5  # art. 36-5: "密碼輸入錯誤次數達 5次者應予帳號鎖定"
USER_TYPES = ("text", "email", "tel")


class LoginProbeError(ValueError):
    """The probe could not run (no log-in form, the endpoint not answering)."""


@dataclass
class Form:
    action: str
    method: str = "post"
    fields: dict[str, str] = field(default_factory=dict)  # hidden and other prefilled fields
    user_field: str | None = None
    password_field: str | None = None


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = Form(values.get("action", ""), values.get("method", "post").lower())
        elif tag == "input" and self._current is not None:
            name, kind = values.get("name", ""), values.get("type", "text").lower()
            if not name:
                return
            if kind == "password" and self._current.password_field is None:
                self._current.password_field = name
            elif kind in USER_TYPES and self._current.user_field is None:
                self._current.user_field = name
            elif kind in ("hidden", "checkbox") and ("checked" in values or kind == "hidden"):
                self._current.fields[name] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def login_form(html: str) -> Form | None:
    parser = _FormParser()
    parser.feed(html)
    return next((f for f in parser.forms if f.password_field and f.user_field), None)


class _Session:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.opener.addheaders = [("User-Agent", "finres-check-login")]

    def fetch(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=self.timeout) as response:
                text = response.read(2_000_000).decode("utf-8", "replace")
                return response.status, response.geturl(), text
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read(2_000_000).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise LoginProbeError(f"{url}: {reason}") from None


def _attempt(session: _Session, url: str, user: str, password: str, success_text: str) -> bool:
    """One log-in attempt on a fresh copy of the form; True when it got in."""
    _status, page_url, page = session.fetch(url)
    form = login_form(page)
    if form is None:
        raise LoginProbeError(f"{url}: no log-in form (a form with a password field)")
    assert form.user_field and form.password_field
    data = {**form.fields, form.user_field: user, form.password_field: password}
    target = urllib.parse.urljoin(page_url, form.action or page_url)
    status, _final, answer = session.fetch(target, data)
    if status >= 400:
        return False
    if success_text:
        return success_text in answer
    return login_form(answer) is None


def probe(
    url: str,
    username: str,
    password: str,
    *,
    attempts: int = ATTEMPTS,
    success_text: str = "",
    pause: float = 0.5,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Run the probe; the result as ``finres check login --format json`` prints it."""
    wrong = password + "-not-the-password"
    first = _Session(timeout)
    logged_in = _attempt(first, url, username, password, success_text)
    locked: bool | None = None
    if logged_in:
        failures = _Session(timeout)
        for _ in range(attempts):
            if _attempt(failures, url, username, wrong, success_text):
                raise LoginProbeError(f"{url}: a wrong password was accepted")
            time.sleep(pause)
        locked = not _attempt(_Session(timeout), url, username, password, success_text)
    return {
        "target": url,
        "username": username,
        "attempts": attempts,
        "logged_in_before": logged_in,
        "locked_after_failures": locked,
    }


def findings(result: dict[str, Any], language: Language = DEFAULT_LANGUAGE) -> list[dict[str, str]]:
    """Art. 36-5 judged from the probe (never pass unless the account really locked at 5
    failures or fewer); 36-6 needs evidence."""
    _ = gettext_for(language).gettext
    attempts, locked = result["attempts"], result["locked_after_failures"]
    if locked is None:
        status = "needs_evidence"
        evidence = _("The test account could not log in with its password, so nothing was tried.")
    elif locked and attempts <= ATTEMPTS:
        status = "pass"
        evidence = _(
            "After {n} wrong passwords the right one was refused: the account locked."
        ).format(n=attempts)
    elif locked:
        status = "needs_evidence"
        evidence = _(
            "The account locked after {n} wrong passwords; the article asks for 5: "
            "probe again with 5."
        ).format(n=attempts)
    else:
        status = "fail"
        evidence = _(
            "After {n} wrong passwords the right one still logged in: the account did not lock."
        ).format(n=attempts)
    return [
        {"framework": FRAMEWORK, "requirement": "art-36-5", "status": status, "evidence": evidence},
        {
            "framework": FRAMEWORK,
            "requirement": "art-36-6",
            "status": "needs_evidence",
            "evidence": _(
                "Password length, character rules and renewal reminders cannot be seen from "
                "a log-in form: show the settings or a test of the change-password function."
            ),
        },
    ]
