"""The ``finres`` command line: a thin layer over ``finres.core``.

Output forms (``--format json``) are a stable contract. Every error is one line on stderr and a
non-zero exit; no traceback reaches the user (set ``FINRES_DEBUG=1`` to see one).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree
from typer.exceptions import Abort, Exit, TyperException

from finres.core import i18n
from finres.core.applicability import (
    Applicability,
    ApplicableRequirement,
    Status,
    applicability_data,
    applicable,
    tier_of,
)
from finres.core.dates import DateError, parse_date
from finres.core.i18n import Language, label
from finres.core.library import (
    Library,
    LibraryError,
    LibraryPathError,
    UnknownFrameworkError,
    load_library,
    load_paths,
)
from finres.core.library.loader import library_files
from finres.core.library.schema import Framework, RequirementNode
from finres.core.oscal import export_catalog
from finres.core.profile import ProfileError, load_profile
from finres.core.vocab import Industry
from finres.usage import usage_message


class Lang(StrEnum):
    ZH_TW = "zh-TW"
    EN = "en"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class _State:
    language: Language = "zh-TW"


_state = _State()


def _start(lang: Lang | None) -> None:
    """Use ``lang`` if given; otherwise what ``main`` chose (``--lang`` read ahead, FINRES_LANG)."""
    if lang is not None:
        _state.language = "en" if lang == Lang.EN else "zh-TW"
    elif os.environ.get("FINRES_LANG") == "en":
        _state.language = "en"


def _(message: str) -> str:
    return i18n.gettext_for(_state.language).gettext(message)


class UserError(Exception):
    """An error whose message is meant for the user as it is."""


app = typer.Typer(
    help="FinRes: which cyber-security rules apply to a financial institution, and when.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
library_app = typer.Typer(help="Inspect and validate the regulatory library.", no_args_is_help=True)
export_app = typer.Typer(
    help="Export library content to interchange formats.", no_args_is_help=True
)
audit_app = typer.Typer(help="The audit trail of the web application.", no_args_is_help=True)
app.add_typer(library_app, name="library")
app.add_typer(export_app, name="export")
app.add_typer(audit_app, name="audit")

LangOption = Annotated[
    Lang | None, typer.Option("--lang", help="Language of the output (default zh-TW).")
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="table (readable) or json (stable contract).")
]


def _out() -> Console:
    return Console(soft_wrap=False)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _library() -> Library:
    """The shipped library and the folders of ``FINRES_LIBRARY_PATH`` (as the web app loads)."""
    return load_library()


# --- tier ---------------------------------------------------------------------------------------


@app.command()
def tier(
    industry: Annotated[Industry, typer.Option("--industry", help="The institution's industry.")],
    paid_in_capital: Annotated[
        int, typer.Option("--paid-in-capital", min=0, help="Paid-in capital in NT$.")
    ],
    output: FormatOption = OutputFormat.TABLE,
    lang: LangOption = None,
) -> None:
    """Tier of an institution under the library's tier rule for its industry."""
    _start(lang)
    result = tier_of(_library(), industry, paid_in_capital)
    if output == OutputFormat.JSON:
        _print_json(
            {"industry": industry.value, "paid_in_capital": paid_in_capital, "tier": result.tier}
        )
        return
    if result.tier is None:
        _out().print(_("No tier rule applies to this industry."))
    else:
        _out().print(_("Tier {tier}").format(tier=result.tier))


# --- applicable ---------------------------------------------------------------------------------


def _parse_date(value: str) -> dt.date:
    try:
        return parse_date(value)
    except DateError as error:
        raise UserError(
            _("{option}: {problem}").format(option="--as-of", problem=error.text(_state.language))
        ) from None


@app.command(name="applicable")
def applicable_command(
    profile: Annotated[Path, typer.Option("--profile", help="Institution profile (YAML or JSON).")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date YYYY-MM-DD (default: today).")
    ] = None,
    framework: Annotated[
        list[str] | None,
        typer.Option(
            "--framework", help="Only this framework (repeatable); names voluntary ones too."
        ),
    ] = None,
    include_voluntary: Annotated[
        bool,
        typer.Option(
            "--include-voluntary", help="Also list voluntary frameworks (standards, models)."
        ),
    ] = False,
    output: FormatOption = OutputFormat.TABLE,
    lang: LangOption = None,
) -> None:
    """The requirements that apply to an institution on a date, in force or upcoming."""
    _start(lang)
    date = _parse_date(as_of) if as_of else dt.date.today()
    institution = load_profile(profile)
    result = applicable(_library(), institution, date, framework or None, include_voluntary)
    if output == OutputFormat.JSON:
        _print_json(applicability_data(result, _state.language))
    else:
        _print_applicability(result)


def _facts_text(names: Sequence[str]) -> str:
    return _(", ").join(label(name, _state.language) for name in names)


def _status(item: ApplicableRequirement) -> str:
    if item.status is Status.CONDITIONAL:
        return _("conditional on: {facts}").format(facts=_facts_text(item.depends_on))
    if item.status is Status.UPCOMING:
        date = item.effective_from.isoformat() if item.effective_from else ""
        return _("from {date}").format(date=date)
    if item.status is Status.OVERDUE:
        return _("overdue")
    return _("in force")


def _print_applicability(result: Applicability) -> None:
    language = _state.language
    console = _out()
    tier_text = str(result.tier.tier) if result.tier.tier is not None else _("none")
    console.print(
        _("{name} ({industry}) — tier: {tier} — as of {date}").format(
            name=result.profile.name,
            industry=label(result.profile.industry, language),
            tier=tier_text,
            date=result.as_of.isoformat(),
        )
    )
    by_framework: dict[str, list[Any]] = {}
    for item in result.requirements:
        by_framework.setdefault(item.framework.id, []).append(item)
    for items in by_framework.values():
        fw = items[0].framework
        table = Table(title=fw.name.best(language), title_justify="left", expand=True)
        table.add_column(_("Ref"), overflow="fold", max_width=10)
        table.add_column(_("Requirement"), overflow="fold", min_width=24, ratio=1)
        table.add_column(_("Obligation"), no_wrap=True)
        table.add_column(_("Scope"), overflow="fold", max_width=10)
        table.add_column(_("Status"), overflow="fold", max_width=18)
        table.add_column(_("Due by"), no_wrap=True)
        for item in items:
            node = item.node
            table.add_row(
                node.ref or "",
                node.title.best(language),
                label(node.obligation, language) if node.obligation else "",
                label(node.scope, language) if node.scope else "",
                _status(item),
                item.due_by.isoformat() if item.due_by else "",
            )
        console.print(table)
    console.print(
        _(
            "{total} requirements: {in_force} in force, {overdue} overdue, {upcoming} upcoming, "
            "{conditional} conditional"
        ).format(
            total=len(result.requirements),
            in_force=len(result.with_status(Status.IN_FORCE)),
            overdue=len(result.overdue),
            upcoming=len(result.with_status(Status.UPCOMING)),
            conditional=len(result.conditional),
        )
    )
    unknown = sorted({name for item in result.conditional for name in item.depends_on})
    if unknown:
        console.print(
            _(
                "Conditional requirements depend on facts the profile does not state: {facts}. "
                "State them under 'facts:' (and 'total_assets:') in the profile."
            ).format(facts=_facts_text(unknown))
        )


# --- library ------------------------------------------------------------------------------------


def _summary(library: Library, framework: Framework, language: Language) -> dict[str, Any]:
    return {
        "id": framework.id,
        "name": framework.name.best(language),
        "version": framework.version,
        "kind": framework.kind.value,
        "binding": framework.binding,
        "publisher": framework.publisher.best(language),
        "published": framework.published.isoformat(),
        "requirements": len(framework.requirements),
        "assessable": len(library.assessable(framework.id)),
    }


@library_app.command("list")
def library_list(output: FormatOption = OutputFormat.TABLE, lang: LangOption = None) -> None:
    """The frameworks in the library."""
    _start(lang)
    library = _library()
    rows = [_summary(library, fw, _state.language) for fw in library.frameworks.values()]
    if output == OutputFormat.JSON:
        _print_json(rows)
        return
    table = Table()
    for title in (_("Id"), _("Name"), _("Version"), _("Kind"), _("Assessable")):
        table.add_column(title)
    for row in rows:
        kind = label(row["kind"], _state.language)
        table.add_row(row["id"], row["name"], row["version"], kind, str(row["assessable"]))
    _out().print(table)


@library_app.command("show")
def library_show(
    framework_id: Annotated[str, typer.Argument(metavar="ID", help="Framework id.")],
    output: FormatOption = OutputFormat.TABLE,
    lang: LangOption = None,
) -> None:
    """One framework: its details and its tree of requirements."""
    _start(lang)
    library = _library()
    framework = library.framework(framework_id)
    if output == OutputFormat.JSON:
        _print_json(framework.model_dump(mode="json", by_alias=True, exclude_none=True))
        return
    language = _state.language
    summary = _summary(library, framework, language)
    console = _out()
    console.print(f"[bold]{summary['name']}[/bold] ({framework.id}, {framework.version})")
    console.print(
        _("Publisher: {publisher}; published {date}").format(
            publisher=summary["publisher"], date=summary["published"]
        )
    )
    console.print(
        _("{count} requirements, {assessable} assessable").format(
            count=summary["requirements"], assessable=summary["assessable"]
        )
    )
    tree = Tree(framework.id)

    def add(parent: Tree, node: RequirementNode) -> None:
        text = f"{node.ref or node.id}  {node.title.best(language)}"
        if node.obligation:
            text += f"  [dim]({label(node.obligation, language)})[/dim]"
        branch = parent.add(text, highlight=False)
        for child in library.children(framework.id, node.id):
            add(branch, child)

    for root in library.children(framework.id, None):
        add(tree, root)
    console.print(tree)


@library_app.command("validate")
def library_validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to check (default: the whole shipped library)."),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Check library files and report every problem with its file, node and field."""
    _start(lang)
    if paths:
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise UserError(_("no such file or folder: {paths}").format(paths=", ".join(missing)))
        if not library_files(paths):
            raise UserError(
                _("no YAML files found in: {paths}").format(paths=", ".join(map(str, paths)))
            )
        try:
            context: Library | None = _library()
        except LibraryError:
            context = None
        library = load_paths(paths, context=context)
    else:
        library = _library()
    count = sum(len(fw.requirements) for fw in library.frameworks.values())
    mappings = sum(len(ms.mappings) for ms in library.mapping_sets)
    _out().print(
        _(
            "OK: {frameworks} frameworks ({nodes} nodes), {sets} mapping sets ({mappings} mappings)"
        ).format(
            frameworks=len(library.frameworks),
            nodes=count,
            sets=len(library.mapping_sets),
            mappings=mappings,
        )
    )


# --- export -------------------------------------------------------------------------------------


@export_app.command("oscal")
def export_oscal(
    framework_id: Annotated[str, typer.Option("--framework", help="Framework id.")],
    output_file: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Export a framework as an OSCAL 1.2.1 catalogue (JSON)."""
    _start(None)
    document = export_catalog(_library(), framework_id)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output_file is None:
        sys.stdout.write(text)
        return
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"{output_file}: {error.strerror or error}") from None


# --- the web application -----------------------------------------------------------------------


def _web() -> Any:
    """Set Django up on first use, so that the library commands stay fast and Django-free."""
    from finres.web import setup

    setup.bootstrap()
    from django.utils import translation

    translation.activate("en" if _state.language == "en" else "zh-hant")
    return setup


@app.command()
def setup(lang: LangOption = None) -> None:
    """Create or upgrade the database, load the library, prepare the static files."""
    web = _sync_library(lang)
    if not web.static_is_current():
        _out().print(_("Preparing the static files (once after each install or upgrade)…"))
        web.collect_static()


def _sync_library(lang: Lang | None) -> Any:
    _start(lang)
    web = _web()
    web.migrate()
    report = web.sync_library()
    _out().print(
        _(
            "Database ready; library: {created} new, {updated} updated, {same} unchanged "
            "frameworks, {mappings} mappings"
        ).format(
            created=len(report.frameworks_created),
            updated=len(report.frameworks_updated),
            same=len(report.frameworks_unchanged),
            mappings=report.mappings,
        )
    )
    return web


@library_app.command("sync")
def library_sync(lang: LangOption = None) -> None:
    """Load or update the library into the web application's database."""
    _sync_library(lang)


organisation_app = typer.Typer(help="Organisations in the web application.", no_args_is_help=True)
app.add_typer(organisation_app, name="organisation")


@organisation_app.command("add")
def organisation_add(
    profile: Annotated[
        Path,
        typer.Option("--profile", help="Institution profile (YAML or JSON), as for applicable."),
    ],
    parent: Annotated[
        str | None, typer.Option("--parent", help="Name of its group (financial holding).")
    ] = None,
    is_group: Annotated[
        bool, typer.Option("--group", help="It is a financial holding with subsidiaries.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Create (or update) an organisation from its profile file."""
    _start(lang)
    institution = load_profile(profile)
    web = _web()
    web.migrate()
    try:
        organisation, created = web.add_organisation(institution, parent, is_group)
    except ValueError as error:
        raise UserError(str(error)) from None
    message = _("Organisation {name} created.") if created else _("Organisation {name} updated.")
    _out().print(message.format(name=organisation.name))


@app.command()
def createadmin(
    username: Annotated[str, typer.Option("--username", help="User name.")],
    email: Annotated[str, typer.Option("--email", help="E-mail address.")] = "",
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Make them administrator of it.")
    ] = None,
) -> None:
    """Create an administrator (password from FINRES_ADMIN_PASSWORD or asked for)."""
    _start(None)
    password = os.environ.get("FINRES_ADMIN_PASSWORD") or typer.prompt(
        _("Password"), hide_input=True, confirmation_prompt=True
    )
    web = _web()
    web.migrate()
    from django.core.exceptions import ValidationError

    try:
        done = web.create_admin(username, password, email, organisation)
    except ValidationError as error:
        raise UserError("; ".join(error.messages)) from None
    except ValueError as error:
        raise UserError(str(error)) from None
    message = (
        _("Administrator {username} created.")
        if done == "created"
        else _("Administrator {username} updated (new password).")
    )
    _out().print(message.format(username=username))
    code = web.issue_enrolment_code(username)
    if code:
        _out().print(
            _(
                "One-time code to register the second factor at the first log-in "
                "(valid 3 days): {code}"
            ).format(code=code)
        )


@app.command()
def demo(lang: LangOption = None) -> None:
    """Load the demo institution (a financial holding with a securities firm and a bank)."""
    _start(lang)
    web = _web()
    web.migrate()
    web.sync_library()
    context = web.load_demo()
    _print_logins(context)


def _print_logins(context: Any) -> None:
    table = Table(title=_("Demo log-ins"), title_justify="left")
    for title in (_("User name"), _("Role")):
        table.add_column(title, no_wrap=True)
    table.add_column(_("Organisation"), overflow="fold", min_width=12)
    table.add_column(_("Enrolment code"), no_wrap=True)
    passwords = set()
    for username, password, role, organisation, code in context.logins:
        passwords.add(password)
        table.add_row(username, role, organisation, code)
    _out().print(table)
    _out().print(_("Every demo password: {password}").format(password=", ".join(sorted(passwords))))
    _out().print(
        _(
            "Administrators and CISOs register an authenticator app (TOTP) at their "
            "first log-in with the one-time enrolment code shown; the other roles log in "
            "with the password only."
        )
    )


def _read_anchor(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"{path}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError):
        raise UserError(_("{path}: not an audit anchor (JSON)").format(path=path)) from None


def _break_text(item: Any) -> str:
    """One break of the audit chain in the output language."""
    messages = {
        "order": _("an event is missing or out of order before this one"),
        "previous": _("does not follow the previous event"),
        "content": _("content does not match its hash (altered, or written with another key)"),
        "no_key": _("keyed events, but the audit key is not available"),
        "scheme": _("unknown hash scheme"),
        "downgrade": _("unkeyed event after keyed events"),
        "unsealed": _("unkeyed events not sealed by a keyed one"),
        "head": _("the chain does not end at the stored head: newest events removed"),
        "shorter": _("the chain is shorter than the anchored head: newest events removed"),
        "rewritten": _("the anchored event was rewritten"),
        "checkpoint": _("the verification checkpoint was altered"),
        "checkpointed": _("the event verified last was rewritten or removed"),
    }
    return f"#{item.sequence}: {messages.get(item.code, item.reason)}"


def _no_audit_key() -> UserError:
    return UserError(
        _("no audit key: set FINRES_AUDIT_KEY or keep the key in the data folder's audit_key file")
    )


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        Path | None,
        typer.Option("--anchor", help="Also check a head kept aside with `finres audit anchor`."),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Check every event again, not only those after the last verification."
        ),
    ] = False,
    lang: LangOption = None,
) -> None:
    """Check that no audit event was altered, removed, inserted or reordered (by default from
    where the last verification ended; --full from the first event)."""
    _start(lang)
    anchored = _read_anchor(anchor) if anchor is not None else None
    _web()
    from finres.web.audit.chain import AnchorError
    from finres.web.audit.keys import AuditKeyError
    from finres.web.audit.verification import anchor_check, verify_trail

    report = verify_trail(full=full)
    if report.breaks:
        for item in report.breaks:
            sys.stderr.write(_break_text(item) + "\n")
        raise UserError(
            _("the audit trail has been tampered with: {count} break(s)").format(
                count=len(report.breaks)
            )
        )
    if anchored is not None:
        try:
            anchor_breaks = anchor_check(anchored)
        except AuditKeyError:
            raise _no_audit_key() from None
        except AnchorError as error:
            message = (
                _("{path}: the anchor's signature does not match (another key, or altered)")
                if error.code == "signature"
                else _("{path}: not an audit anchor (sequence, hash, timestamp, signature)")
            )
            raise UserError(message.format(path=anchor)) from None
        if anchor_breaks:
            raise UserError(
                _("the audit trail no longer matches the anchor: {reason}").format(
                    reason=_break_text(anchor_breaks[0])
                )
            )
    _out().print(_("The audit trail is intact ({count} events).").format(count=report.count))
    if report.previous is not None:
        _out().print(
            _(
                "Verified from event {start} to {end}; the events before were verified on "
                "{date} by {who} (--full checks them again)."
            ).format(
                start=report.start,
                end=report.end,
                date=report.previous.verified_at,
                who=report.previous.verified_by,
            )
        )
    else:
        _out().print(_("Verified from the first event to event {end}.").format(end=report.end))


@audit_app.command("anchor")
def audit_anchor(
    output_file: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Print the audit trail's head, signed with the audit key, to keep outside the database."""
    _start(lang)
    _web()
    from finres.web.audit.keys import AuditKeyError
    from finres.web.audit.verification import current_anchor

    try:
        text = json.dumps(current_anchor(), indent=2) + "\n"
    except AuditKeyError:
        raise _no_audit_key() from None
    if output_file is None:
        sys.stdout.write(text)
        return
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UserError(f"{output_file}: {error.strerror or error}") from None


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (e.g. `finres manage check --deploy`)."""
    _web()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["finres manage", *ctx.args])


from finres import cli_ops  # noqa: E402, F401  (backup, restore, doctor join the app)

# --- entry point --------------------------------------------------------------------------------


def _fail(message: str, code: int = 1) -> NoReturn:
    prefix = _("error")
    sys.stderr.write(f"finres: {prefix}: {message}\n")
    raise SystemExit(code)


def _language_in(args: Sequence[str]) -> Lang | None:
    """``--lang`` read ahead, so that errors found while parsing the options use it too."""
    for i, arg in enumerate(args):
        value = arg.removeprefix("--lang=") if arg.startswith("--lang=") else None
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        if value in (Lang.EN.value, Lang.ZH_TW.value):
            return Lang(value)
    return None


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    _state.language = "zh-TW"
    _start(_language_in(args))
    try:
        app(args=args, standalone_mode=False)
    except TyperException as error:  # usage errors: bad option, missing argument, bad value
        _fail(usage_message(error, _), 2)
    except Abort:
        _fail(_("interrupted"), 130)
    except Exit as exit_:
        raise SystemExit(exit_.exit_code) from None
    except LibraryError as error:
        for problem in error.problems:
            sys.stderr.write(f"{problem}\n")
        _fail(_("{count} problem(s) found").format(count=len(error.problems)))
    except LibraryPathError as error:
        _fail(
            _("FINRES_LIBRARY_PATH: {path}: {reason}").format(
                path=error.path, reason=_(error.reason)
            )
        )
    except ProfileError as error:
        _fail(error.message(_state.language))
    except UnknownFrameworkError as error:
        _fail(
            _("unknown framework {id!r} (known: {known})").format(
                id=error.framework_id, known=", ".join(error.known)
            )
        )
    except UserError as error:
        _fail(str(error))
    except BrokenPipeError:
        raise SystemExit(1) from None
    except Exception as error:  # the last guard: no traceback for users
        if os.environ.get("FINRES_DEBUG"):
            raise
        _fail(_("unexpected {kind}: {error}").format(kind=type(error).__name__, error=error), 70)


# Sub-commands kept in their own modules (registered last: they use the helpers above).
from finres.cli_resilience import resilience_app  # noqa: E402

app.add_typer(resilience_app, name="resilience")
from finres.cli_sbom import sbom_app  # noqa: E402

app.add_typer(sbom_app, name="sbom")
from finres.cli_checks import check_app  # noqa: E402

app.add_typer(check_app, name="check")
from finres import cli_jobs  # noqa: E402, F401  (`finres worker` joins the app)
from finres.cli_crypto import crypto_app  # noqa: E402

app.add_typer(crypto_app, name="crypto")


if __name__ == "__main__":  # pragma: no cover
    main()
