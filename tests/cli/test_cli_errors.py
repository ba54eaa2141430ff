"""CLI errors as a person reads them: one line, one language, no pydantic wording, and dates
checked against the calendar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from finres.core.dates import DateError, parse_date

from .test_cli import PROFILE, run

LATIN_WORDS = re.compile(r"[A-Za-z]{3,}")
# What may stay in Latin letters in a zh-TW error: the command, options, file names, the
# values a person types (codes of the profile format) and the date form.
ALLOWED = {
    "finres",
    "help",
    "industry",
    "paid",
    "capital",
    "profile",
    "as",
    "of",
    "format",
    "bogus",
    "securities",
    "futures",
    "investment_trust",
    "investment",
    "trust",
    "bank",
    "insurance",
    "banks",
    "foo",
    "table",
    "json",
    "xml",
    "yaml",
    "tmp",
    "name",
    "internet_order",
    "internet",
    "order",
    "true",
    "false",
    "uses",
    "colour",
    "clowd",
    "cloud",
    "social_media",
    "social",
    "media",
    "mobile_devices",
    "mobile",
    "devices",
    "byod",
    "mobile_app",
    "app",
    "iot",
    "phone_trading",
    "phone",
    "trading",
    "video_identity",
    "video",
    "identity",
    "generative_ai",
    "generative",
    "co_location",
    "co",
    "location",
    "YYYY",
    "nope",
    "pytest",
    "fsc",
    "action",
    "plan",
    "resilience",
    "blueprint",
    "zero",
    "maturity",
    "iso",
    "annex",
    "nist",
    "csf",
    "sfa",
    "emerging",
    "tech",
    "guideline",
    "twse",
    "tiered",
    "protection",
    "frobnicate",
    "bad",
    "framework",
}
PYDANTIC = ("Input should", "Value error", "valid integer", "String should", "Field required")

CASES = [
    ["tier", "--industry", "foo", "--paid-in-capital", "1"],
    ["tier", "--industry", "bank", "--paid-in-capital", "-1"],
    ["tier", "--industry", "bank", "--paid-in-capital", "x"],
    ["tier", "--industry", "bank"],
    ["tier", "--bogus"],
    ["frobnicate"],
    ["applicable", "--profile", str(PROFILE), "--format", "xml"],
    ["applicable", "--profile", str(PROFILE), "--as-of", "2026-13-45"],
    ["applicable", "--profile", "/nonexistent.yaml"],
    ["library", "show", "nope"],
]


def bad_profile(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(
        'name: ""\nindustry: banks\npaid_in_capital: "100億"\ninternet_order: "yes"\n'
        "uses: [cloud, cloud]\ncolour: red\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("argv", [*CASES, ["applicable", "--profile", "BAD"]])
def test_errors_in_chinese_are_all_chinese(capsys, monkeypatch, tmp_path, argv) -> None:
    monkeypatch.delenv("FINRES_LANG", raising=False)
    argv = [str(bad_profile(tmp_path)) if a == "BAD" else a for a in argv]
    code, _, err = run(capsys, *argv)
    assert code != 0 and err.count("\n") == 1, err
    assert err.startswith("finres: 錯誤: ")
    assert not any(words in err for words in PYDANTIC), err
    message = err.split(": ", 2)[2]
    for path in (str(PROFILE), str(tmp_path), "/nonexistent.yaml"):
        message = message.replace(path, "")
    message = re.sub(r"[a-z0-9]+(?:-[a-z0-9.]+)+", "", message)  # identifiers: nist-csf-2.0
    english = {w for w in LATIN_WORDS.findall(message) if w.lower() not in ALLOWED}
    assert not english, err


@pytest.mark.parametrize("argv", [*CASES, ["applicable", "--profile", "BAD"]])
def test_errors_in_english_are_all_english(capsys, monkeypatch, tmp_path, argv) -> None:
    monkeypatch.delenv("FINRES_LANG", raising=False)
    argv = [str(bad_profile(tmp_path)) if a == "BAD" else a for a in argv]
    code, _, err = run(capsys, *argv, "--lang", "en")
    assert code != 0 and err.count("\n") == 1, err
    assert err.startswith("finres: error: ")
    assert not any(words in err for words in PYDANTIC), err
    assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", err.replace("100億", "")), err


def test_a_bad_profile_names_each_field_and_what_is_wrong(capsys, tmp_path) -> None:
    code, _, err = run(capsys, "applicable", "--profile", str(bad_profile(tmp_path)))
    assert code == 1
    for expected in (
        "name：不得空白",
        "industry：不接受 'banks'",
        "paid_in_capital：應為整數",
        "internet_order：應為 true 或 false",
        "uses：重複列出：cloud",
        "colour：不明欄位",
    ):
        assert expected in err, err


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (
            "2026-13-45",
            "2026-13-45 不是有效的日期：沒有 13 月",
            "2026-13-45 is not a valid date: there is no month 13",
        ),
        ("2026-02-30", "2026 年 2 月只有 28 天", "2026-02 has 28 days"),
        (
            "2026/1/5",
            "'2026/1/5' 不是 YYYY-MM-DD 格式的日期",
            "'2026/1/5' is not a date in the form YYYY-MM-DD",
        ),
    ],
)
def test_dates_are_checked_against_the_calendar(capsys, monkeypatch, value, zh, en) -> None:
    monkeypatch.delenv("FINRES_LANG", raising=False)
    code, _, err = run(capsys, "applicable", "--profile", str(PROFILE), "--as-of", value)
    assert code == 1 and zh in err, err
    code, _, err = run(
        capsys, "applicable", "--profile", str(PROFILE), "--as-of", value, "--lang", "en"
    )
    assert code == 1 and en in err, err


def test_parse_date() -> None:
    assert parse_date("2028-02-29").isoformat() == "2028-02-29"
    with pytest.raises(DateError, match="2027-02 has 28 days"):
        parse_date("2027-02-29")
    with pytest.raises(DateError, match="no month 0"):
        parse_date("2026-00-10")
    with pytest.raises(DateError, match="form YYYY-MM-DD"):
        parse_date("20260101")
