"""The consoles in a real browser (headless Chromium): a creator, a finance analyst, a listener.

Each story signs in through the page's `token` field with the same JWT the API takes, clicks
through the forms, and saves a screenshot (tests/e2e/artifacts/).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from api.auth import issue_token
from tests.conftest import SECRET
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


def token(sub: str, *roles: str) -> str:
    return issue_token(SECRET, sub, list(roles), ttl_seconds=3600)


def auth(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, *roles)}"}


def sign_in(page, base: str, sub: str, *roles: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/console/login")
    page.fill("textarea[name=token]", token(sub, *roles))
    page.click("form[action='/console/login'] button[type=submit]")


def a_room_with_sales(base: str, host: str, *, paid: int, price: int = 99_900) -> str:
    """Through the API: a registered host, a live room, `paid` paid tickets."""
    with httpx.Client(base_url=base, timeout=30) as http:
        http.post("/v1/creators", json={"display_name": host.title(), "follower_count": 5_000},
                  headers=auth(host, "creator")).raise_for_status()
        room = http.post("/v1/rooms", json={"title": f"{host}'s room", "scheduled_start": None, "capacity": 50,
                                            "ticket_price": {"amount": price, "currency": "USD"}},
                         headers=auth(host, "creator"))
        room.raise_for_status()
        room_id = room.json()["id"]
        for i in range(paid):
            http.post(f"/v1/rooms/{room_id}/tickets", headers=auth(f"fan-{uuid.uuid4().hex[:8]}", "listener"),
                      ).raise_for_status()
    return room_id


def test_a_creator_opens_a_room_and_reads_the_refusal_when_the_cap_drops_below_sales(page, server: str) -> None:  # noqa: ANN001
    host = f"maya-{uuid.uuid4().hex[:6]}"

    # Maya signs in with her token and registers as a creator
    sign_in(page, server, host, "creator")
    assert page.url.endswith("/console/studio")
    page.fill("input[name=display_name]", "Maya")
    page.fill("input[name=follower_count]", "1200")
    page.click("form[action='/console/studio/register'] button")
    assert "Profile saved" in page.inner_text("main")

    # She opens a room through the form, and it lands on its own page, then in her list
    page.fill("input[name=title]", "Jazz theory live")
    page.fill("input[name=price]", "9.99")
    page.fill("input[name=capacity]", "30")
    page.click("form[action='/console/studio/rooms'] button")
    assert "Room opened" in page.inner_text("main")
    room_id = page.url.split("/rooms/")[1].split("?")[0]
    page.click("text=My rooms")
    assert "Jazz theory live" in page.inner_text("table.rooms")

    # Two listeners buy; the room page shows them
    with httpx.Client(base_url=server, timeout=30) as http:
        for fan in ("ana", "ben"):
            http.post(f"/v1/rooms/{room_id}/tickets", headers=auth(f"{fan}-{uuid.uuid4().hex[:6]}", "listener"),
                      ).raise_for_status()
    page.goto(f"{server}/console/studio/rooms/{room_id}")
    assert page.inner_text("#sold") == "2"

    # She tries to cut the cap to one seat, below what is sold, and reads why not
    page.fill("input[name=capacity]", "1")
    page.click("form[action$='/change'] button")
    refusal = page.inner_text("p.error")
    assert "capacity" in refusal.lower() and "{" not in refusal
    screenshot(page, "studio-cap-refused")
    page.goto(f"{server}/console/studio")
    screenshot(page, "studio-rooms")


def test_a_finance_user_sees_a_zero_trial_balance_pays_out_and_downloads_the_api_csv(page, server: str) -> None:  # noqa: ANN001
    host = f"kofi-{uuid.uuid4().hex[:6]}"
    room_id = a_room_with_sales(server, host, paid=3)
    with httpx.Client(base_url=server, timeout=30) as http:
        http.post(f"/v1/creators/{host}/payout-account", headers=auth(host, "creator")).raise_for_status()
        buyers = http.get(f"/v1/rooms/{room_id}/buyers", headers=auth(host, "creator")).json()["items"]
        http.post(f"/v1/tickets/{buyers[0]['ticket_id']}/refund", headers=auth(host, "creator")).raise_for_status()
        http.post(f"/v1/rooms/{room_id}/start", headers=auth(host, "creator")).raise_for_status()
        http.post(f"/v1/rooms/{room_id}/end", headers=auth(host, "creator")).raise_for_status()
    analyst = f"fin-{uuid.uuid4().hex[:6]}"

    # The analyst signs in and sees every currency's trial balance at zero
    sign_in(page, server, analyst, "finance")
    assert page.url.endswith("/console/finance")
    assert "balanced" in page.inner_text("table.trial-balance")
    assert page.inner_text("td[data-currency=USD]").startswith("0.00")
    screenshot(page, "finance-ledger")

    # The CSV download is byte for byte the API's own
    with page.expect_download() as download:
        page.click("#accounts-csv")
    downloaded = Path(download.value.path()).read_bytes()
    api_csv = httpx.get(f"{server}/v1/ledger/accounts", headers={**auth(analyst, "finance"), "Accept": "text/csv"}, timeout=60)
    assert downloaded == api_csv.content and b"platform:" in downloaded

    # A dry run first shows who would be paid; confirming pays them
    page.click("text=Payouts")
    page.click("form[action='/console/finance/payouts/dry-run'] button")
    dry = page.inner_text(".dry-run")
    assert host in dry
    screenshot(page, "finance-payout-dry-run")
    page.click("form[action='/console/finance/payouts/run'] button")
    assert "/console/finance/payout-runs/" in page.url
    run_table = page.inner_text("table.payouts")
    assert host in run_table and ("submitted" in run_table or "paid" in run_table)
    screenshot(page, "finance-payout-run")

    # The revenue page draws its chart from the same rollups
    page.goto(f"{server}/console/finance/revenue")
    assert page.locator("svg.chart").count() >= 1
    screenshot(page, "finance-revenue")


def test_a_listener_sees_no_creator_or_finance_page(page, server: str) -> None:  # noqa: ANN001
    listener = f"lee-{uuid.uuid4().hex[:6]}"

    sign_in(page, server, listener, "listener")

    assert "no console page for your roles" in page.inner_text("main")
    assert page.locator("nav a").count() == 0
    for path in ("/console/studio", "/console/finance", "/console/finance/payouts", "/console/ops"):
        answer = page.goto(f"{server}{path}")
        assert answer.status == 403, path
        assert page.locator("table").count() == 0, path
    screenshot(page, "listener-refused")
