"""Which failures the gateway reports as its database being unreachable."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from app.db.outage import database_unreachable


def _raised_in(module: str, error: BaseException) -> BaseException:
    """``error`` as raised by a function of ``module`` (its frame on the traceback)."""
    namespace: dict[str, object] = {"__name__": module, "error": error}
    exec("def connect():\n    raise error\n", namespace)
    try:
        namespace["connect"]()  # type: ignore[operator]
    except BaseException as exc:  # noqa: BLE001 - the test inspects what was raised
        return exc
    raise AssertionError("connect() did not raise")


@pytest.mark.parametrize("error", [ConnectionRefusedError(111, "refused"), TimeoutError()])
def test_socket_errors_raised_by_a_database_driver_are_an_outage(error: BaseException) -> None:
    assert database_unreachable(_raised_in("asyncpg.connect_utils", error))
    assert database_unreachable(_raised_in("sqlalchemy.pool.base", error))


@pytest.mark.parametrize("error", [ConnectionRefusedError(111, "refused"), TimeoutError()])
def test_socket_errors_from_anything_else_are_not_blamed_on_the_database(
    error: BaseException,
) -> None:
    assert not database_unreachable(_raised_in("app.spend.alerts", error))


def test_a_wrapped_driver_error_is_found_through_the_chain() -> None:
    inner = _raised_in("asyncpg.connection", ConnectionResetError(104, "reset"))
    try:
        raise RuntimeError("query failed") from inner
    except RuntimeError as outer:
        assert database_unreachable(outer)


def test_pool_timeouts_are_an_outage_wherever_they_come_from() -> None:
    assert database_unreachable(sa_exc.TimeoutError("QueuePool limit reached"))


def test_a_bug_is_not_an_outage() -> None:
    assert not database_unreachable(_raised_in("sqlalchemy.orm", ValueError("bad column")))
