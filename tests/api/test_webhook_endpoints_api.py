"""`/v1/webhook-endpoints`: integrators' endpoints managed by admins (finance for finance events)."""

from __future__ import annotations

import pytest

from api.main import create_app
from tests.api.builders import a_listener, an_admin, assert_problem, finance, nothing_written
from tests.conftest import make_settings

URL = "/v1/webhook-endpoints"


def create(client, caller, **overrides):
    body = {"url": "https://hooks.example.com/boxoffice", "events": ["ticket.paid"], "description": "CRM", **overrides}
    return client.post(URL, json=body, headers=caller.headers)


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(client):
    admin = an_admin()

    created = create(client, admin)

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert (body["url"], body["events"], body["enabled"]) == ("https://hooks.example.com/boxoffice", ["ticket.paid"],
                                                              True)
    listed = client.get(URL, headers=admin.headers).json()["items"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]


def test_an_admin_changes_the_url_events_and_enabled_flag(client):
    admin = an_admin()
    endpoint = create(client, admin).json()

    changed = client.patch(f"{URL}/{endpoint['id']}", headers=admin.headers,
                           json={"url": "https://other.example.com/h", "events": ["room.opened", "ticket.refunded"],
                                 "enabled": False})

    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["url"], body["events"], body["enabled"]) == ("https://other.example.com/h",
                                                              ["room.opened", "ticket.refunded"], False)


def test_a_deleted_endpoint_is_gone(client):
    admin = an_admin()
    endpoint = create(client, admin).json()

    assert client.delete(f"{URL}/{endpoint['id']}", headers=admin.headers).status_code == 204

    assert client.get(URL, headers=admin.headers).json()["items"] == []
    assert_problem(client.get(f"{URL}/{endpoint['id']}", headers=admin.headers), 404, "not_found")
    assert_problem(client.patch(f"{URL}/{endpoint['id']}", headers=admin.headers, json={"enabled": True}), 404,
                   "not_found")


def test_rotating_gives_a_new_secret_and_keeps_the_old_one_valid_for_a_day(client):
    admin = an_admin()
    endpoint = create(client, admin).json()

    rotated = client.post(f"{URL}/{endpoint['id']}/rotate-secret", headers=admin.headers)

    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_valid_until"] == "2026-03-03T18:00:00+00:00"


def test_finance_manages_endpoints_for_payout_events_only(client, services):
    money = finance()

    allowed = create(client, money, events=["payout.paid", "payout.failed"])
    with nothing_written(services):
        refused = create(client, money, events=["payout.paid", "ticket.paid"])

    assert allowed.status_code == 201, allowed.text
    assert_problem(refused, 403, "forbidden")


def test_a_listener_may_not_register_or_list_endpoints(client):
    listener = a_listener()

    assert_problem(create(client, listener), 403, "forbidden")
    assert_problem(client.get(URL, headers=listener.headers), 403, "forbidden")


def test_an_unknown_event_type_is_refused_and_writes_nothing(client, services):
    with nothing_written(services):
        assert_problem(create(client, an_admin(), events=["ticket.exploded"]), 422, "validation")


@pytest.mark.parametrize("url", ["http://127.0.0.1/hooks", "http://localhost:8080/x", "http://10.1.2.3/x",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://192.168.0.7/x"])
def test_a_local_or_private_url_is_refused_in_production(make_services, sqlite_url, url):
    from fastapi.testclient import TestClient

    services = make_services(sqlite_url)
    # Production mode for the URL check only (the other production requirements are tested elsewhere).
    services.settings = services.settings.model_copy(update={"environment": "production"})
    with TestClient(create_app(services), raise_server_exceptions=False) as client, nothing_written(services):
        response = create(client, an_admin(), url=url)

    assert_problem(response, 422, "unsafe_url")


def test_a_local_url_is_accepted_in_test_mode(client):
    assert make_settings("sqlite:///unused.db").environment == "test"

    assert create(client, an_admin(), url="http://127.0.0.1/hooks").status_code == 201


@pytest.mark.parametrize("url", ["ftp://example.com/x", "https://user:pw@example.com/x", "not a url at all"])
def test_a_url_that_is_not_plain_http_is_refused_everywhere(client, url):
    assert_problem(create(client, an_admin(), url=url), 422, "unsafe_url")
