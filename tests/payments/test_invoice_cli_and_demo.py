"""`flask invoices issue`, the worker's monthly task, and the demo's issued invoices for last month."""

from __future__ import annotations

from sqlalchemy import select

from shopapp.core.transaction import commit
from shopapp.dev.invariants import check_invariants
from shopapp.dev.seed import seed_demo, seed_invoices
from shopapp.extensions import db
from shopapp.payments import invoices
from shopapp.payments.models import CommissionInvoice
from tests.payments.test_invoices import last_month, settle, with_identities
from worker.beat import SCHEDULE


def test_cli_issues_a_month_and_reports_incomplete_identities(app, runner, make_shop):  # type: ignore[no-untyped-def]
    ready, incomplete = make_shop(), make_shop()
    settle(app, ready, 1005)
    settle(app, incomplete, 2000)
    with_identities(app, ready)
    month = f"{last_month():%Y-%m}"
    result = runner.invoke(args=["invoices", "issue", "--month", month])
    assert result.exit_code == 1
    assert "FA-000001" in result.output and "Boutique 2" in result.output
    with_identities(app, incomplete)
    again = runner.invoke(args=["invoices", "issue", "--month", month])
    assert again.exit_code == 0 and "FA-000002" in again.output
    assert runner.invoke(args=["invoices", "issue", "--month", "2026-13"]).exit_code == 1


def test_worker_task_issues_last_month_once_and_is_scheduled(app, make_shop):  # type: ignore[no-untyped-def]
    assert "payments.issue_monthly_invoices" in {entry["task"] for entry in SCHEDULE.values()}
    shop_id = make_shop()
    settle(app, shop_id, 1005)
    with_identities(app, shop_id)
    # By name on this app's Celery: the module-level task proxy follows whichever Celery app the suite
    # created last (another test's app, on another database).
    task = app.extensions["celery"].tasks["payments.issue_monthly_invoices"]
    assert task() == 1
    assert task() == 1
    with app.app_context():
        assert list(db.session.scalars(select(CommissionInvoice.number))) == [1]


def test_demo_seed_issues_last_months_invoices_and_keeps_the_invariants(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        seed_demo()
        issued = seed_invoices()
        commit()
        assert issued == 2  # the bakery (two sales) and the cheese shop
        found = invoices.invoices(month=last_month())
        assert [i.display_number for i in found] == ["FA-000002", "FA-000001"]
        assert all(i.total_ttc_cents == i.commission_ht_cents + i.vat_cents > 0 for i in found)
        assert check_invariants() == []
        assert seed_invoices() == 0
