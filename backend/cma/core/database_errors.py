"""What the database says of a request, as what to answer: its refusals (a constraint, a
trigger, a lock) are problems in French, its outages a 503, never a 500."""

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from cma.core.problems import ProblemError


class DataConflict(ProblemError):
    status = 409
    code = "conflict"
    title = "Opération impossible"
    detail = (
        "Cette opération entre en conflit avec l'état actuel des données (elle a peut-être "
        "déjà été faite). Rechargez la page et recommencez."
    )


class DataRefused(ProblemError):
    status = 422
    code = "invalid-value"
    title = "Valeur refusée"
    detail = "Une des valeurs envoyées ne peut pas être enregistrée. Vérifiez-les et recommencez."


class Contention(ProblemError):
    status = 503
    code = "contention"
    title = "Opération concurrente"
    detail = "Une autre opération sur les mêmes données est en cours. Réessayez dans un instant."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a driver's error (asyncpg's `sqlstate`, psycopg's `pgcode`); "" if none."""
    if not isinstance(exc, DBAPIError):
        return ""
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")


# SQLSTATE classes of a database that cannot serve now: connection lost (08), out of disk,
# memory or connections (53), shutting down or starting up (57P).
_UNAVAILABLE_STATES = ("08", "53", "57P")


def is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or sqlstate(exc).startswith(_UNAVAILABLE_STATES)
    ):
        return True
    return isinstance(exc, OSError | InterfaceError | OperationalError | TimeoutError)


def database_refusal(exc: BaseException) -> ProblemError | None:
    """What the database refused of a request, as the problem to answer; None if the error is
    not a refusal (an outage, or a bug of ours).

    The rules are the database's (constraints, triggers): whatever code path reached one, the
    client hears why in French, never a 500.
    """
    state = sqlstate(exc)
    if state in ("23502", "23514", "23P01") or state.startswith("22"):  # a value refused
        return DataRefused()
    if state.startswith("23") or state == "P0001":  # unique, foreign key, a trigger's refusal
        return DataConflict()
    if state in ("40001", "40P01", "55P03"):  # serialization, deadlock, lock timeout
        return Contention()
    return None
