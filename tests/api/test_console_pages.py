"""The consoles over HTTP (no browser): sign-in, CSRF, roles, readable refusals, CSV, metrics.

The browser tests (tests/e2e/test_console_browser.py) tell the stories; these pin
the security properties one by one.
"""

from __future__ import annotations

import re
import time

import jwt
from fastapi.testclient import TestClient

from api.auth import issue_token
from tests.api.builders import a_hosted_room, a_listener, a_paid_ticket, get_room, unique
from tests.conftest import SECRET


def csrf_of(client: TestClient) -> str:
    page = client.get("/console/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(client: TestClient, sub: str, *roles: str, ttl: int = 3600) -> str:
    csrf = csrf_of(client)
    token = issue_token(SECRET, sub, list(roles), ttl_seconds=ttl)
    answer = client.post("/console/login", data={"token": token, "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf


def error_on(page_html: str) -> str:
    match = re.search(r'class="error" role="alert">([^<]*)<', page_html)
    return match.group(1) if match else ""


def test_the_root_sends_people_to_the_console(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/console"
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/login"


def test_console_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    page = client.get("/console/login")

    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp  # nothing from another origin, no inline code
    assert 'src="http' not in page.text and 'href="http' not in page.text  # every asset is ours
    assert client.get("/console/static/console.css").status_code == 200
    assert client.get("/console/static/console.js").status_code == 200


def test_signing_in_keeps_the_token_in_an_httponly_lax_cookie_that_expires_with_it(client: TestClient) -> None:
    csrf = csrf_of(client)
    token = issue_token(SECRET, "maya", ["creator"], ttl_seconds=600)

    answer = client.post("/console/login", data={"token": token, "csrf_token": csrf}, follow_redirects=False)

    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("bo_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert 590 <= max_age <= 600
    assert token not in cookie.split(";")[0] or "." in cookie  # signed, not the bare token
    assert client.get("/console/studio").status_code == 200


def test_a_token_the_api_refuses_is_refused_on_the_sign_in_page(client: TestClient) -> None:
    csrf = csrf_of(client)
    forged = jwt.encode({"sub": "eve", "roles": ["admin"], "exp": int(time.time()) + 600}, "another-secret-" * 3,
                        algorithm="HS256")

    answer = client.post("/console/login", data={"token": forged, "csrf_token": csrf}, follow_redirects=False)

    assert answer.status_code == 401
    assert "not accepted" in error_on(answer.text)
    assert "bo_session" not in answer.headers.get("set-cookie", "")


def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(client: TestClient) -> None:
    host, room = a_hosted_room(client)
    sign_in(client, host.sub, "creator")

    answer = client.post(f"/console/studio/rooms/{room['id']}/change", data={"capacity": "3"})

    assert answer.status_code == 403
    assert get_room(client, room["id"])["capacity"] == room["capacity"]


def test_a_form_post_with_a_wrong_csrf_token_or_from_another_site_is_refused(client: TestClient) -> None:
    host, room = a_hosted_room(client)
    csrf = sign_in(client, host.sub, "creator")

    wrong = client.post(f"/console/studio/rooms/{room['id']}/start", data={"csrf_token": "x" * 43})
    foreign = client.post(f"/console/studio/rooms/{room['id']}/start", data={"csrf_token": csrf},
                          headers={"Origin": "https://evil.example"})

    assert wrong.status_code == 403 and foreign.status_code == 403
    assert get_room(client, room["id"])["state"] == "scheduled"


def test_a_creator_cannot_act_on_another_creators_room_from_the_console(client: TestClient) -> None:
    _, room = a_hosted_room(client)
    intruder = unique("creator")
    csrf = sign_in(client, intruder, "creator")

    answer = client.post(f"/console/studio/rooms/{room['id']}/cancel", data={"csrf_token": csrf})

    assert answer.status_code == 403
    assert error_on(answer.text)  # the API's refusal, as a sentence
    assert get_room(client, room["id"])["state"] == "scheduled"


def test_a_refusal_reads_as_a_sentence_not_json(client: TestClient) -> None:
    host, room = a_hosted_room(client)
    a_paid_ticket(client, room["id"])
    a_paid_ticket(client, room["id"])
    csrf = sign_in(client, host.sub, "creator")

    answer = client.post(f"/console/studio/rooms/{room['id']}/change", data={"capacity": "1", "csrf_token": csrf})

    assert answer.status_code == 422
    message = error_on(answer.text)
    assert "capacity" in message and "{" not in message and "Traceback" not in answer.text


def test_cancelling_asks_first_and_says_how_many_refunds_it_makes(client: TestClient) -> None:
    host, room = a_hosted_room(client)
    for _ in range(3):
        a_paid_ticket(client, room["id"])
    sign_in(client, host.sub, "creator")

    confirm = client.get(f"/console/studio/rooms/{room['id']}/cancel")

    assert confirm.status_code == 200
    assert "3 paid tickets" in confirm.text
    assert get_room(client, room["id"])["state"] == "scheduled"  # asking changed nothing


def test_a_listener_sees_no_creator_finance_or_operations_page(client: TestClient) -> None:
    sign_in(client, a_listener().sub, "listener")

    for path in ("/console/studio", "/console/studio/earnings", "/console/finance", "/console/finance/revenue",
                 "/console/finance/payouts", "/console/finance/reconciliation", "/console/ops"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "<table" not in page.text, path


def test_a_finance_download_is_the_csv_the_api_serves(client: TestClient) -> None:
    _, room = a_hosted_room(client)
    a_paid_ticket(client, room["id"])
    finance_user = unique("finance")
    sign_in(client, finance_user, "finance")
    token = issue_token(SECRET, finance_user, ["finance"])

    download = client.get("/console/export/v1/ledger/accounts")
    api_csv = client.get("/v1/ledger/accounts", headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"})

    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.content == api_csv.content
    assert "attachment" in download.headers["content-disposition"]


def test_sign_in_as_exists_only_outside_production(client: TestClient, services) -> None:  # noqa: ANN001
    csrf = csrf_of(client)
    assert client.post("/console/login-as", data={"user_id": "dev", "roles": ["finance"], "csrf_token": csrf},
                       follow_redirects=False).status_code == 303

    services.settings = services.settings.model_copy(update={"environment": "production"})
    page = client.get("/console/login")
    refused = client.post("/console/login-as", data={"user_id": "dev", "roles": ["admin"], "csrf_token": csrf},
                          follow_redirects=False)

    assert "Sign in as" not in page.text
    assert refused.status_code == 404


def test_metrics_are_closed_without_the_token_when_one_is_set(make_services, sqlite_url) -> None:  # noqa: ANN001
    from api.main import create_app

    services = make_services(sqlite_url, metrics_token="m" * 32)
    with TestClient(create_app(services), raise_server_exceptions=False) as http:
        assert http.get("/metrics").status_code == 404
        assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        scrape = http.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
    assert scrape.status_code == 200
    assert "boxoffice_projection_lag_events" in scrape.text


def test_metrics_count_purchases_by_outcome_and_time_routes_by_template(client: TestClient) -> None:
    def count(text: str, name: str, label: str) -> float:
        match = re.search(rf'^{name}\{{[^}}]*{label}[^}}]*\}} ([0-9.e+]+)$', text, re.M)
        return float(match.group(1)) if match else 0.0

    before = client.get("/metrics").text
    _, room = a_hosted_room(client, capacity=1)
    a_paid_ticket(client, room["id"])
    sold_out = client.post(f"/v1/rooms/{room['id']}/tickets", headers=a_listener().headers)
    after = client.get("/metrics").text

    assert sold_out.status_code == 409
    assert count(after, "boxoffice_purchases_total", 'outcome="accepted"') - \
        count(before, "boxoffice_purchases_total", 'outcome="accepted"') == 1
    assert count(after, "boxoffice_purchases_total", 'outcome="sold_out"') - \
        count(before, "boxoffice_purchases_total", 'outcome="sold_out"') == 1
    assert 'route="/v1/rooms/{room_id}/tickets"' in after  # a template, never the raw path
    assert room["id"] not in re.sub(r"boxoffice_room_seats_sold\{[^}]*\}.*", "", after)


def test_the_operations_page_shows_readiness_projection_lag_and_recent_errors(client: TestClient) -> None:
    import logging

    logging.getLogger("boxoffice.test").error("the disk is on fire")
    sign_in(client, unique("admin"), "admin")

    page = client.get("/console/ops")

    assert page.status_code == 200
    assert "Readiness" in page.text and "ready" in page.text
    for projection in ("catalog", "ledger", "payouts"):
        assert projection in page.text
    assert "the disk is on fire" in page.text


def test_a_finance_user_without_admin_gets_no_operations_page(client: TestClient) -> None:
    sign_in(client, unique("finance"), "finance")

    assert client.get("/console/ops").status_code == 403


def test_a_creator_adds_a_tier_and_a_code_from_the_room_page(client: TestClient) -> None:
    host, room = a_hosted_room(client)
    csrf = sign_in(client, host.sub, "creator")

    tier = client.post(f"/console/studio/rooms/{room['id']}/tiers", follow_redirects=False, data={
        "name": "Early bird", "price": "4.99", "currency": "USD", "capacity": "5", "csrf_token": csrf})
    code = client.post(f"/console/studio/rooms/{room['id']}/codes", follow_redirects=False, data={
        "code": "JAZZ25", "percent_off": "25", "max_uses": "3", "csrf_token": csrf})
    too_big = client.post(f"/console/studio/rooms/{room['id']}/tiers", data={
        "name": "Huge", "price": "1.00", "currency": "USD", "capacity": "100000", "csrf_token": csrf})

    assert tier.status_code == 303 and code.status_code == 303
    shown = client.get(f"/console/studio/rooms/{room['id']}").text
    assert "Early bird" in shown and "4.99 USD" in shown
    assert "code jazz25 created" in client.get(code.headers["location"]).text.lower()  # codes are case-insensitive
    assert too_big.status_code >= 400 and error_on(too_big.text)
    assert [t["name"] for t in get_room(client, room["id"])["tiers"] if t["name"] == "Early bird"] == ["Early bird"]


def test_the_payouts_table_downloads_as_the_api_csv(client: TestClient) -> None:
    analyst = unique("finance")
    sign_in(client, analyst, "finance")
    token = issue_token(SECRET, analyst, ["finance"])

    download = client.get("/console/export/v1/payouts?limit=1000")
    api_csv = client.get("/v1/payouts?limit=1000", headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"})

    assert download.status_code == 200 and download.content == api_csv.content
    assert download.text.splitlines()[0].startswith("id,creator_id,amount,currency")
