"""The `cma` command for operators and developers (its reports in French, `--json` for
scripts)."""

import argparse
import asyncio
import getpass
import json
import logging
import logging.config
import os
import shutil
import signal
import socket
import stat
import sys
import tempfile
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import uvicorn
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from cma.core.logs import LogFormat, logging_config
from cma.core.problems import ProblemError
from cma.core.settings import Environment, get_settings
from cma.core.wording import french_day, french_moment
from cma.demo.fake import DemoExtraMissing

logger = logging.getLogger("cma")
T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Shipped inside the package, so that an installed wheel migrates as the checkout does.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DATA_DIR = Path(os.environ.get("CMA_DATA_DIR") or PROJECT_ROOT / ".data")
# What `make run` (cma dev) started, for the commands typed in another terminal meanwhile:
# they work on its database and queue mails with its address.
RUNNING = DATA_DIR / "running.json"
RUNNING_KEYS = (
    "CMA_ENV",
    "DATABASE_URL",
    "PUBLIC_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "DEV_MAILBOX_DIR",
    "DEV_SMS_DIR",
)


@dataclass(frozen=True)
class Report:
    """What a command tells: lines in French for people, the same as data for `--json`."""

    lines: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    status: int = 0  # the command's exit status (1: it found something wrong)


class NoDatabase(Exception):
    """No DATABASE_URL, and no `make run` to borrow it from."""


def _announce_running() -> None:
    """Tell the commands of other terminals what this `cma dev` runs: a new file, readable by
    its owner only, never written through a link someone left in its place."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    values = {key: os.environ[key] for key in RUNNING_KEYS if os.environ.get(key)}
    RUNNING.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    with os.fdopen(os.open(RUNNING, flags, 0o600), "w", encoding="utf-8") as out:
        json.dump({"pid": os.getpid(), "environment": values}, out)


def _is_our_dev_server(pid: int) -> bool:
    """The process is alive, this user's, and a `cma dev` (a reused pid is something else).
    Without /proc to tell, nothing is trusted."""
    process = Path(f"/proc/{pid}")
    try:
        if process.stat().st_uid != os.getuid():  # even root borrows only its own
            return False
        words = (process / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(Path(os.fsdecode(word)).name == "cma" for word in words) and b"dev" in words


RUNNING_MAX_BYTES = 64 * 1024


def _running() -> dict[str, Any] | None:
    """What a `make run` of this user announced, if the file is theirs alone and its server
    still runs; anything else (another owner, a link, a FIFO, wider permissions, a file too
    big or not what `cma dev` writes) is ignored."""
    try:
        # Non-blocking: a FIFO left in its place must not hang the command.
        descriptor = os.open(RUNNING, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    status = os.fstat(descriptor)
    if (
        not stat.S_ISREG(status.st_mode)
        or status.st_uid != os.getuid()
        or status.st_mode & 0o077
        or status.st_size > RUNNING_MAX_BYTES
    ):
        os.close(descriptor)
        return None
    with os.fdopen(descriptor, "rb") as source:
        try:
            running = json.loads(source.read(RUNNING_MAX_BYTES))
        except (ValueError, RecursionError):
            return None
    if not isinstance(running, dict) or not isinstance(running.get("environment"), dict):
        return None
    pid = running.get("pid")
    # A real process id: not a bool, not 0 or -1 (a whole group, every process to kill()).
    if type(pid) is not int or not 1 < pid < 2**22 or not _is_our_dev_server(pid):
        return None
    return running


def use_running_server() -> None:
    """A command without DATABASE_URL (environment or .env) takes the one of the `make run`
    that is running, with its PUBLIC_URL and mail settings; none running, or settings that
    do not hold, is a plain error."""
    if get_settings().database_url:
        return
    running = _running()
    if running is None:
        raise NoDatabase()
    borrowed = {
        key: value
        for key in RUNNING_KEYS
        if isinstance(value := running["environment"].get(key), str) and key not in os.environ
    }
    os.environ.update(borrowed)
    get_settings.cache_clear()
    try:
        settings = get_settings()
        settings.sqlalchemy_url  # noqa: B018 - a DATABASE_URL that is not one refuses here
    except (ValueError, RuntimeError):  # pydantic's ValidationError is a ValueError
        for key in borrowed:
            del os.environ[key]
        get_settings.cache_clear()
        raise NoDatabase() from None
    logger.info("base de données et adresse de `make run` : %s", settings.public_url)


def migrate(database_url: str | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if database_url:
        config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def serve_metrics(host: str, port: int) -> Path:
    """The sum of every worker's metrics on `host:port`: each process writes its own to one
    directory (made empty here, before any worker imports prometheus-client)."""
    directory = Path(tempfile.mkdtemp(prefix="cma-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)
    logger.info("métriques Prometheus : http://%s:%d/metrics", host, port)
    return directory


def serve(host: str, port: int, workers: int, logs: LogFormat) -> None:
    settings = get_settings()
    metrics = (
        serve_metrics(settings.metrics_host, settings.metrics_port)
        if settings.metrics_port is not None
        else None
    )
    try:
        _serve(host, port, workers, logs)
    finally:
        if metrics is not None:
            shutil.rmtree(metrics, ignore_errors=True)


def _serve(host: str, port: int, workers: int, logs: LogFormat) -> None:
    uvicorn.run(
        "cma.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,  # no product name to fingerprint
        # uvicorn's HTTP/1.1 with deadlines for a request's headers and body (slow clients).
        http="cma.core.slow_clients:BoundedHttpToolsProtocol",
        # No route speaks WebSocket: an Upgrade header is an ordinary request's.
        ws="none",
        # Every worker process logs in this format; the request lines are the application's
        # own (cma.request: the route's template, never the raw target), not uvicorn's.
        log_config=logging_config(logs),
        access_log=False,
    )


def worker() -> None:
    """Drain the outbox (and do housekeeping) as a process of its own."""
    from cma.background import run_background
    from cma.core.database import create_engine, create_sessionmaker
    from cma.core.ratelimit import create_throttle

    settings = get_settings()

    async def main() -> None:
        engine = create_engine(settings.sqlalchemy_url, pool_size=2)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await run_background(
                create_sessionmaker(engine),
                create_throttle(engine, settings.rate_limit_storage_url),
                settings,
                stop,
            )
        finally:
            await engine.dispose()

    asyncio.run(main())


def in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction on a short-lived engine (one-shot commands)."""
    import cma.models  # noqa: F401 - every table, so that foreign keys resolve
    from cma.core.database import create_engine, create_sessionmaker

    async def main() -> T:
        engine = create_engine(get_settings().sqlalchemy_url, pool_size=1)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def seed(courses: int, random_seed: int) -> None:
    """Load (or refresh) the seed's domains, calendar, pages and the demo catalogue."""
    from cma.demo import catalogue

    written = in_transaction(
        lambda session: catalogue.seed(session, courses=courses, random_seed=random_seed)
    )
    logger.info("catalogue de démonstration chargé : %d cours", written)


def seed_if_empty() -> None:
    from cma.catalogue import service as catalogue

    demo_legacy = DATA_DIR / "legacy-demo"
    if in_transaction(catalogue.is_empty):
        seed(courses=1200, random_seed=2016)
        generate_legacy(demo_legacy, size=200, random_seed=1998)
        import_legacy(demo_legacy, demo=True)
    # Every time, not only the first: they are what a developer pairs with.
    announce_demo_logins(demo_legacy)


def announce_demo_logins(directory: Path) -> None:
    """Two old CMA logins of the demo, to try the pairing with."""
    credentials = directory / "credentials.csv"
    if credentials.is_file():
        for line in credentials.read_text(encoding="utf-8").splitlines()[1:3]:
            email, password, _ = line.split(";")
            logger.info("ancien compte CMA à appairer : %s / %s", email, password)


def _operator() -> str:
    """Who runs a command, for the security events: the system user, on which machine."""
    try:
        user = getpass.getuser()
    except OSError:
        user = "utilisateur inconnu"
    return f"ligne de commande cma, {user}@{socket.gethostname()}"


def create_staff(email: str) -> Report:
    """Make the owner of an address staff: promote its activated account, or invite it."""
    from cma.accounts import service as accounts
    from cma.core.validation import normalize_email

    address = normalize_email(email)
    grant = in_transaction(
        lambda session: accounts.grant_staff(session, address, actor=_operator())
    )
    data = {"email": address, "outcome": grant.outcome}
    if grant.outcome == "already":
        return Report([f"{address} est déjà agent : rien n'a changé."], data)
    if grant.outcome == "promoted":
        assert grant.activated_at is not None
        return Report(
            [
                f"{address} : son compte parisien, activé le {french_day(grant.activated_at)}, "
                "est désormais un compte d'agent. Son mot de passe reste celui que son "
                "titulaire a choisi.",
                "Inscrit dans le journal de sécurité.",
            ],
            {**data, "activated_at": grant.activated_at.isoformat()},
        )
    assert grant.expires_at is not None
    return Report(
        [
            f"{address} n'a pas de compte parisien activé : une invitation lui a été envoyée, "
            f"valable jusqu'au {french_moment(grant.expires_at)}. Le compte d'agent sera créé "
            "quand son titulaire suivra le lien et choisira son mot de passe ; jusque-là il "
            "n'existe pas, et aucun compte créé par quelqu'un d'autre à cette adresse ne "
            "devient agent.",
            "Inscrit dans le journal de sécurité.",
        ],
        {**data, "expires_at": grant.expires_at.isoformat()},
    )


def remove_staff(email: str) -> Report:
    from cma.accounts import service as accounts
    from cma.core.validation import normalize_email

    address = normalize_email(email)
    removed = in_transaction(
        lambda session: accounts.revoke_staff(session, address, actor=_operator())
    )
    data = {"email": address, "removed": removed}
    if removed:
        return Report(
            [
                f"{address} n'est plus agent ; ses sessions ont été fermées.",
                "Inscrit dans le journal de sécurité.",
            ],
            data,
        )
    return Report([f"{address} n'a pas de compte d'agent : rien n'a changé."], data)


def import_legacy(directory: Path, demo: bool = False) -> None:
    """Import the old site's export; `demo`: the generated one, whose dirty rows are on
    purpose (counted, not listed as if something went wrong)."""
    from cma.core.database import create_engine, create_sessionmaker
    from cma.learners.legacy_import import import_legacy as run_import

    async def main() -> None:
        engine = create_engine(get_settings().sqlalchemy_url, pool_size=2)
        try:
            report = await run_import(create_sessionmaker(engine), directory)
        finally:
            await engine.dispose()
        if demo:
            logger.info(
                "anciens comptes de démonstration : %d importés ; %d lignes et %d détails "
                "volontairement fautifs écartés, comme l'import réel le fait",
                report.accounts,
                len(report.rejected),
                len(report.corrected),
            )
            return
        for file, line, reason in report.rejected[:200]:
            logger.warning("%s, ligne %d écartée : %s", file, line, reason)
        for file, line, note in report.corrected[:200]:
            logger.info("%s, ligne %d importée sans un détail : %s", file, line, note)
        logger.info(
            "import de l'ancien site : %d comptes et %d lignes d'historique importés ; "
            "%d lignes écartées, %d détails écartés",
            report.accounts,
            report.history,
            len(report.rejected),
            len(report.corrected),
        )

    asyncio.run(main())


def generate_legacy(directory: Path, size: int, random_seed: int) -> None:
    from cma.demo.legacy_accounts import generate

    history = generate(directory, size, random_seed)
    logger.info("%s écrit : %d comptes, %d lignes d'historique", directory, size, history)


def dev(host: str, port: int) -> None:
    """`make run`: embedded PostgreSQL if needed, SMTP sink + dev mailbox, migrate, serve."""
    from cma.core import embedded
    from cma.notifications.smtp_sink import SmtpSink

    os.environ.setdefault("CMA_ENV", Environment.DEV.value)
    os.environ.setdefault("PUBLIC_URL", f"http://{host}:{port}")
    database = None
    if not os.environ.get("DATABASE_URL"):
        logger.info(
            "DATABASE_URL n'est pas défini : démarrage du PostgreSQL embarqué (.data/postgres)"
        )
        database = embedded.start(DATA_DIR / "postgres", "cma")
        os.environ["DATABASE_URL"] = database.url
    sink = None
    if not os.environ.get("SMTP_HOST"):
        mailbox_dir = DATA_DIR / "mailbox"
        sink = SmtpSink(directory=mailbox_dir)
        sink.start()
        os.environ.update(
            SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), DEV_MAILBOX_DIR=str(mailbox_dir)
        )
    if not os.environ.get("SMS_URL"):
        os.environ.setdefault("DEV_SMS_DIR", str(DATA_DIR / "sms"))
    # uvicorn re-raises SIGTERM once it has shut down; exit normally then, so the finally below
    # stops what this command started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        get_settings.cache_clear()
        settings = get_settings()
        logger.info("Base de données : %s", embedded.describe(os.environ["DATABASE_URL"]))
        migrate()
        seed_if_empty()
        _announce_running()
        logger.info("Swagger UI : %s/docs", settings.public_url)
        logger.info("Espace agents : %s/agents", settings.public_url)
        if sink is not None:
            logger.info(
                "Boîte aux lettres de développement (tous les mails) : %s/dev/mailbox",
                settings.public_url,
            )
        serve(host, port, workers=1, logs=log_format("dev"))
    finally:
        RUNNING.unlink(missing_ok=True)
        if sink is not None:
            sink.stop()
        if database is not None:
            logger.info("arrêt du PostgreSQL embarqué")
            database.stop()


def allocate(campaign_id: int, commit: bool) -> Report:
    """Preview (or commit) a campaign's allocation, per course and tier."""
    from cma.enrolment import runs

    async def previewed(session: AsyncSession) -> dict[str, Any]:
        report, _ = await runs.preview(session, campaign_id, None)
        return report

    report = in_transaction(
        lambda session: runs.commit(session, campaign_id, None) if commit else previewed(session)
    )
    state = (
        f"ENREGISTRÉE (affectation n° {report['run_id']})"
        if commit
        else "PRÉVISUALISATION, rien n'est enregistré"
    )
    lines = [
        f"Campagne {campaign_id}, graine {report['seed']} (du secret engagé "
        f"{report['lottery_commitment'][:16]}… et des données {report['inputs_digest'][:16]}…), "
        f"{report['cap']} cours au plus par personne : {state}",
        f"{'cours':<10}{'places':>7}{'candid.':>9}{'accept.':>9}{'attente':>9}"
        f"{'non ret.':>10}  priorités (candidatures/acceptées)",
    ]
    for line in report["courses"]:
        tiers = " ".join(f"{t['tier']}:{t['demand']}/{t['accepted']}" for t in line["by_tier"])
        lines.append(
            f"{line['code']:<10}{line['seats']:>7}{line['demand']:>9}{line['accepted']:>9}"
            f"{line['waitlisted']:>9}{line['not_retained']:>10}  {tiers}"
        )
    lines.append(
        f"{report['applications']} candidatures de {report['learners']} apprenants : "
        f"{report['accepted']} acceptées, {report['waitlisted']} sur liste d'attente, "
        f"{report['not_retained']} non retenues (plafond atteint)"
    )
    if not commit:
        lines.append(f"Pour enregistrer l'affectation : cma allocate {campaign_id} --commit")
    return Report(lines, report)


def verify_allocation(
    campaign_id: int | None, document: Path | None, commitment: str | None = None
) -> Report:
    """Recompute a committed allocation from its published inputs and secret: "identique", or
    the first difference (exit status 1)."""
    from cma.enrolment import runs, verification

    if document is not None:
        try:
            published = json.loads(document.read_text(encoding="utf-8"))
        except OSError:
            return Report([f"Document illisible : {document} ne s'ouvre pas."], {}, 1)
        except (ValueError, RecursionError):
            return Report([f"Document illisible : {document} n'est pas du JSON."], {}, 1)
        if not isinstance(published, dict):
            result = verification.Verification.differs(
                "Le document publié n'est pas un objet JSON."
            )
        elif commitment is not None and published.get("lottery_commitment") != commitment.lower():
            result = verification.Verification.differs(
                "L'engagement du document n'est pas celui que le calendrier a publié."
            )
        else:
            result = verification.verify(published)
    else:
        assert campaign_id is not None
        use_running_server()
        result = in_transaction(lambda session: runs.verify(session, campaign_id))
    return Report(
        [result.detail],
        {"identical": result.identical, "detail": result.detail},
        0 if result.identical else 1,
    )


def send_responses(campaign_id: int) -> Report:
    from cma.enrolment import responses

    mailed = in_transaction(lambda session: responses.send(session, campaign_id))
    return Report(
        [f"Réponses mises en file pour {mailed} apprenants (le worker envoie les mails)."],
        {"campaign_id": campaign_id, "learners_mailed": mailed},
    )


def expire_offers() -> Report:
    from cma.enrolment import offers

    expired = in_transaction(offers.expire)
    return Report(
        [
            f"{expired} places non confirmées à temps : elles passent aux suivants des listes "
            "d'attente."
        ],
        {"offers_expired": expired},
    )


def openapi(output: Path) -> None:
    import json

    from cma.main import create_app

    document = create_app().openapi()
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    logger.info("%s écrit", output)


def log_format(command: str) -> LogFormat:
    """`LOG_FORMAT` if set; otherwise JSON for the processes an operator runs (`serve`,
    `worker`), plain text for a developer's `dev` and the one-shot commands."""
    chosen = os.environ.get("LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "text"):
        return cast(LogFormat, chosen)
    if chosen:
        raise SystemExit("LOG_FORMAT doit valoir json ou text.")
    return "json" if command in ("serve", "worker") else "text"


def main(argv: list[str] | None = None) -> None:
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    # `--json` before or after the command's name: the command's own flag has no default, so
    # that it never undoes the one given before it.
    parser = argparse.ArgumentParser(prog="cma", description=__doc__)
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    reports = argparse.ArgumentParser(add_help=False)
    reports.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=JSON_HELP)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, **options: Any) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[reports], **options)

    command("migrate", help="appliquer les migrations de la base (alembic upgrade head)")
    serve_cmd = command("serve", help="servir l'API (base et SMTP configurés)")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument("--workers", type=int, default=1)
    command("worker", help="envoyer les mails en attente et faire le ménage périodique")
    seed_cmd = command("seed", help="charger le catalogue de démonstration (sans doublons)")
    seed_cmd.add_argument("--courses", type=int, default=1200)
    seed_cmd.add_argument("--seed", type=int, default=2016, dest="random_seed")
    import_cmd = command("import-legacy", help="importer l'export de l'ancien site des CMA")
    import_cmd.add_argument("directory", type=Path)
    generate_cmd = command(
        "generate-legacy",
        help="écrire un export réaliste de l'ancien site (tests et démonstration)",
    )
    generate_cmd.add_argument("directory", type=Path)
    generate_cmd.add_argument("--size", type=int, default=1000)
    generate_cmd.add_argument("--seed", type=int, default=1998, dest="random_seed")
    staff_cmd = command(
        "create-staff",
        help="faire du compte activé d'une adresse un compte d'agent, ou l'inviter",
    )
    staff_cmd.add_argument("email")
    unstaff_cmd = command("remove-staff", help="retirer le rôle d'agent")
    unstaff_cmd.add_argument("email")
    dev_cmd = command("dev", help="ce que lance `make run` : tout pour développer")
    dev_cmd.add_argument("--host", default="127.0.0.1")
    dev_cmd.add_argument("--port", type=int, default=8000)
    allocate_cmd = command(
        "allocate", help="prévisualiser l'affectation d'une campagne (l'enregistrer avec --commit)"
    )
    allocate_cmd.add_argument("campaign", type=int, help="numéro de la campagne")
    allocate_cmd.add_argument("--commit", action="store_true", help="enregistrer le résultat")
    verify_cmd = command(
        "verify-allocation",
        help="recalculer une affectation enregistrée depuis ses données publiées et son secret",
    )
    verify_source = verify_cmd.add_mutually_exclusive_group(required=True)
    verify_source.add_argument("campaign", type=int, nargs="?", help="numéro de la campagne")
    verify_source.add_argument(
        "--file",
        type=Path,
        help="le document publié (GET /api/v1/campaigns/{id}/allocation), sans base de données",
    )
    verify_cmd.add_argument(
        "--commitment",
        help="avec --file : l'empreinte du tirage lue sur le calendrier de la campagne",
    )
    responses_cmd = command(
        "send-responses", help="envoyer à chaque candidat ses réponses (une fois par affectation)"
    )
    responses_cmd.add_argument("campaign", type=int, help="numéro de la campagne")
    command("expire-offers", help="passer aux suivants les places non confirmées à temps")
    openapi_cmd = command("openapi", help="écrire le document OpenAPI")
    openapi_cmd.add_argument("--output", type=Path, default=PROJECT_ROOT / "openapi/openapi.json")

    args = parser.parse_args(argv)
    logging.config.dictConfig(logging_config(log_format(args.command)))
    try:
        if args.command in ON_THE_DATABASE:
            use_running_server()
        report = _dispatch(parser, args)
    except ProgrammingError as error:
        # asyncpg's own error rides under the driver's adapter
        if type(getattr(error.orig, "__cause__", None)).__name__ != "UndefinedTableError":
            raise
        sys.stderr.write(
            "La base de données n'est pas à jour (une table manque) : lancez `cma migrate`.\n"
        )
        sys.exit(2)
    except NoDatabase:
        sys.stderr.write(
            "Aucune base de données : DATABASE_URL n'est pas défini et aucun `make run` ne "
            "tourne. Lancez `make run` dans un autre terminal, ou définissez DATABASE_URL.\n"
        )
        sys.exit(2)
    except DemoExtraMissing as missing:  # seed, generate-legacy, dev on an empty database
        sys.stderr.write(f"{missing}\n")
        sys.exit(2)
    except ProblemError as refused:  # a refusal of the rules, told like the API tells it
        if args.json:
            sys.stdout.write(json.dumps({"error": refused.code, "detail": refused.detail}) + "\n")
        sys.stderr.write(f"{refused.title} : {refused.detail}\n")
        sys.exit(1)
    if report is not None:
        if args.json:
            sys.stdout.write(json.dumps(report.data, ensure_ascii=False, default=str) + "\n")
        else:
            sys.stdout.write("".join(line + "\n" for line in report.lines))
    sys.exit(report.status if report is not None else 0)


JSON_HELP = "le compte rendu en JSON (pour les scripts)"

# The commands that work on the database: without DATABASE_URL, that of `make run`.
ON_THE_DATABASE = frozenset(
    {
        "migrate",
        "worker",
        "seed",
        "import-legacy",
        "create-staff",
        "remove-staff",
        "allocate",
        "send-responses",
        "expire-offers",
    }
)


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Report | None:
    if args.command == "migrate":
        migrate()
    elif args.command == "serve":
        serve(args.host, args.port, args.workers, log_format("serve"))
    elif args.command == "worker":
        worker()
    elif args.command == "seed":
        seed(args.courses, args.random_seed)
    elif args.command == "import-legacy":
        import_legacy(args.directory)
    elif args.command == "generate-legacy":
        generate_legacy(args.directory, args.size, args.random_seed)
    elif args.command == "create-staff":
        return create_staff(args.email)
    elif args.command == "remove-staff":
        return remove_staff(args.email)
    elif args.command == "dev":
        dev(args.host, args.port)
    elif args.command == "allocate":
        return allocate(args.campaign, args.commit)
    elif args.command == "verify-allocation":
        return verify_allocation(args.campaign, args.file, args.commitment)
    elif args.command == "send-responses":
        return send_responses(args.campaign)
    elif args.command == "expire-offers":
        return expire_offers()
    elif args.command == "openapi":
        openapi(args.output)
    else:  # pragma: no cover - argparse refuses unknown commands
        parser.error(f"unknown command {args.command}")
    return None
