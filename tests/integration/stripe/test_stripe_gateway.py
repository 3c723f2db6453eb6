"""StripeGateway through the real SDK, against the local Stripe stand-in only.

Each test reads as a specification of one promise the gateway makes to the
domain: money in our `Money`, idempotency keys derived from our ids, retries
that never double money, declines as data, Stripe failures as one error type.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.money import Money
from domain.payments import PaymentGatewayError, PaymentRequest, RefundRequest, TransferRequest
from payouts.stripe_gateway import StripeGateway, WebhookSignatureError, parse_webhook
from tests.stripe_standin import StripeStandIn, WebhookSender

WEBHOOK_SECRET = "whsec_gateway_tests"
ROOM = UUID("00000000-0000-4000-8000-00000000000a")


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    with StripeStandIn() as running:
        yield running


@pytest.fixture
def gateway(standin: StripeStandIn) -> StripeGateway:
    return StripeGateway("sk_test_gateway", api_base=standin.url, max_network_retries=2, timeout=5.0)


def ticket(amount: int = 1000, payment_method: str | None = "pm_card_visa", **overrides: object) -> PaymentRequest:
    fields: dict[str, object] = {
        "ticket_id": uuid4(),
        "room_id": ROOM,
        "creator_id": "creator-1",
        "holder_id": "listener-1",
        "amount": Money(amount, "USD"),
        "payment_method": payment_method,
    }
    return PaymentRequest(**{**fields, **overrides})  # type: ignore[arg-type]


def onboarded_account(gateway: StripeGateway, standin: StripeStandIn, creator_id: str = "creator-1") -> str:
    account = gateway.create_connected_account(creator_id)
    standin.set_account_status(account.account_id, charges_enabled=True, payouts_enabled=True)
    return account.account_id


def payout_to(destination: str, amount: int = 800) -> TransferRequest:
    return TransferRequest(
        payout_id=uuid4(), destination=destination, amount=Money(amount, "USD"), transfer_group="payouts-2026-11"
    )


# ------------------------------------------------------------- payments --


def test_a_card_payment_succeeds_and_reports_stripes_fee_in_money(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket(2500)

    session = gateway.start_payment(request)

    assert (session.provider, session.status, session.amount) == ("stripe", "succeeded", Money(2500, "USD"))
    assert session.charge is not None
    assert (session.charge.fee, session.charge.net) == (Money(103, "USD"), Money(2397, "USD"))  # 72.5 -> 73, + 30
    assert session.charge.charge_id.startswith("ch_") and session.charge.balance_transaction_id.startswith("txn_")
    intent = standin.get(session.payment_id, "payment_intent")
    assert (intent["currency"], intent["transfer_group"]) == ("usd", f"room_{ROOM}")
    assert intent["metadata"] == {
        "ticket_id": str(request.ticket_id),
        "room_id": str(ROOM),
        "creator_id": "creator-1",
        "holder_id": "listener-1",
    }
    assert standin.requests[0].idempotency_key == f"pi-{request.ticket_id}"


def test_a_payment_without_a_card_is_pending_until_the_client_confirms(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    session = gateway.start_payment(ticket(payment_method=None))

    # the listener confirms in the browser with the client secret
    standin.succeed_payment(session.payment_id)

    assert session.status == "pending" and session.charge is None
    assert session.client_secret is not None and session.client_secret.startswith(f"{session.payment_id}_secret_")
    assert standin.requests[0].params["automatic_payment_methods"] == {"enabled": "true"}
    paid = gateway.get_payment(session.payment_id)
    assert paid.status == "succeeded" and paid.charge is not None and paid.charge.fee == Money(59, "USD")


def test_a_declined_card_is_a_failed_session_not_an_exception(gateway: StripeGateway) -> None:
    session = gateway.start_payment(ticket(payment_method="pm_card_chargeDeclined"))

    assert session.status == "failed" and session.charge is None
    assert (session.failure_code, session.failure_message) == ("card_declined", "Your card was declined.")
    assert session.payment_id.startswith("pi_")
    assert gateway.get_payment(session.payment_id).status == "failed"


def test_a_payment_declined_on_the_client_reads_as_failed(standin: StripeStandIn, gateway: StripeGateway) -> None:
    session = gateway.start_payment(ticket(payment_method=None))

    standin.fail_payment(session.payment_id)

    assert gateway.get_payment(session.payment_id).status == "failed"


def test_starting_the_same_ticket_twice_returns_the_same_payment_intent(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket()

    first = gateway.start_payment(request)
    again = gateway.start_payment(request)

    assert again == first
    assert len(standin.objects("payment_intent")) == 1
    assert [r.replayed for r in standin.requests if r.method == "POST"] == [False, True]


def test_a_500_on_create_is_retried_with_the_same_key_and_makes_one_payment_intent(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket()
    standin.fail_next("POST", "/v1/payment_intents", status=500)

    session = gateway.start_payment(request)

    creates = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/payment_intents")]
    assert [(r.status, r.idempotency_key) for r in creates] == [
        (500, f"pi-{request.ticket_id}"),
        (200, f"pi-{request.ticket_id}"),
    ]
    assert session.status == "succeeded"
    assert [pi["id"] for pi in standin.objects("payment_intent")] == [session.payment_id]


def test_a_timeout_on_create_is_retried_with_the_same_key_and_makes_one_payment_intent(standin: StripeStandIn) -> None:
    impatient = StripeGateway("sk_test_gateway", api_base=standin.url, max_network_retries=2, timeout=0.5)
    request = ticket()
    standin.timeout_next("POST", "/v1/payment_intents", seconds=1.5)

    session = impatient.start_payment(request)

    creates = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/payment_intents")]
    assert [(r.idempotency_key, r.replayed) for r in creates] == [
        (f"pi-{request.ticket_id}", False),
        (f"pi-{request.ticket_id}", True),
    ]
    assert session.status == "succeeded"
    assert [pi["id"] for pi in standin.objects("payment_intent")] == [session.payment_id]


def test_an_outage_outlasting_the_retries_is_a_retryable_gateway_error(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    standin.fail_next("POST", "/v1/payment_intents", status=503, times=3)

    with pytest.raises(PaymentGatewayError) as outage:
        gateway.start_payment(ticket())

    assert outage.value.retryable is True and outage.value.code == "api_error"
    assert len([r for r in standin.requests if r.path == "/v1/payment_intents"]) == 3  # first try + 2 retries
    assert standin.objects("payment_intent") == []


def test_a_refused_request_is_a_gateway_error_that_is_not_retryable(gateway: StripeGateway) -> None:
    with pytest.raises(PaymentGatewayError) as missing:
        gateway.get_payment("pi_missing")

    assert (missing.value.retryable, missing.value.code) == (False, "resource_missing")


def test_the_same_ticket_with_other_terms_is_refused_not_charged_twice(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket(1000)
    gateway.start_payment(request)

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.start_payment(PaymentRequest(**{**request.__dict__, "amount": Money(2000, "USD")}))

    assert (refused.value.retryable, refused.value.code) == (False, "idempotency_error")
    assert len(standin.objects("payment_intent")) == 1


def test_cancelling_an_unpaid_payment_cancels_it(gateway: StripeGateway) -> None:
    session = gateway.start_payment(ticket(payment_method=None))

    canceled = gateway.cancel_payment(session.payment_id)

    assert canceled.status == "canceled"


def test_cancelling_a_payment_that_was_paid_meanwhile_answers_it_paid(gateway: StripeGateway) -> None:
    session = gateway.start_payment(ticket())

    answer = gateway.cancel_payment(session.payment_id)

    assert answer.status == "succeeded" and answer.charge is not None


# -------------------------------------------------------------- refunds --


def refund_of(payment_id: str, ticket_id: UUID, amount: int, reason: str = "requested_by_customer") -> RefundRequest:
    return RefundRequest(
        refund_id=uuid4(), ticket_id=ticket_id, payment_id=payment_id, amount=Money(amount, "USD"), reason=reason
    )


def test_refunds_full_or_partial_are_keyed_by_our_refund_id(standin: StripeStandIn, gateway: StripeGateway) -> None:
    request = ticket(1000)
    payment = gateway.start_payment(request)
    part = refund_of(payment.payment_id, request.ticket_id, 300)

    first = gateway.refund(part)
    replay = gateway.refund(part)
    rest = gateway.refund(refund_of(payment.payment_id, request.ticket_id, 700, reason="room_canceled"))

    assert (first.status, first.amount) == ("succeeded", Money(300, "USD")) and replay == first
    assert first.refund_id.startswith("re_") and first.balance_transaction_id is not None
    assert first.metadata == {
        "ticket_id": str(request.ticket_id),
        "refund_id": str(part.refund_id),
        "reason": "requested_by_customer",
    }
    assert gateway.get_refund(rest.refund_id) == rest
    assert len(standin.objects("refund")) == 2
    posts = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/refunds")]
    assert (
        posts[0].idempotency_key == f"refund-{part.refund_id}" and posts[0].params["reason"] == "requested_by_customer"
    )
    assert "reason" not in posts[2].params and posts[2].params["metadata"]["reason"] == "room_canceled"


def test_refunding_more_than_was_paid_is_refused(gateway: StripeGateway) -> None:
    request = ticket(1000)
    payment = gateway.start_payment(request)

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.refund(refund_of(payment.payment_id, request.ticket_id, 1001))

    assert (refused.value.retryable, refused.value.code) == (False, "amount_too_large")


def test_a_refund_in_another_currency_is_refused_before_money_moves(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    request = ticket(1000)
    payment = gateway.start_payment(request)
    wrong = RefundRequest(
        refund_id=uuid4(), ticket_id=request.ticket_id, payment_id=payment.payment_id, amount=Money(1000, "EUR")
    )

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.refund(wrong)

    assert refused.value.code == "currency_mismatch"
    assert standin.objects("refund") == []


def test_a_pending_refund_that_fails_later_reads_as_failed(standin: StripeStandIn, gateway: StripeGateway) -> None:
    request = ticket(1000)
    payment = gateway.start_payment(request)
    standin.next_refund("pending")

    pending = gateway.refund(refund_of(payment.payment_id, request.ticket_id, 1000))
    standin.fail_refund(pending.refund_id)

    assert pending.status == "pending"
    failed = gateway.get_refund(pending.refund_id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")


# ------------------------------------------------------ connected accounts --


def test_a_new_express_account_is_pending_and_created_once_per_creator(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    first = gateway.create_connected_account("creator-7", email="c7@example.test")
    again = gateway.create_connected_account("creator-7", email="c7@example.test")

    assert again == first and first.status == "pending" and first.requirements_due
    stored = standin.objects("account")
    assert len(stored) == 1 and stored[0]["type"] == "express" and stored[0]["metadata"] == {"creator_id": "creator-7"}
    assert stored[0]["capabilities"] == {"card_payments": "inactive", "transfers": "inactive"}
    assert standin.requests[0].idempotency_key == "acct-creator-7"


def test_an_onboarding_link_is_a_fresh_url_each_time(standin: StripeStandIn, gateway: StripeGateway) -> None:
    account = gateway.create_connected_account("creator-8")

    links = {
        gateway.onboarding_link(account.account_id, "https://app.test/refresh", "https://app.test/done")
        for _ in range(2)
    }

    assert len(links) == 2 and all(link.startswith(standin.url) for link in links)


def test_account_status_follows_onboarding(standin: StripeStandIn, gateway: StripeGateway) -> None:
    account = gateway.create_connected_account("creator-9").account_id

    standin.set_account_status(
        account, charges_enabled=False, payouts_enabled=False, currently_due=["external_account"]
    )
    restricted = gateway.get_connected_account(account)
    standin.set_account_status(account, charges_enabled=False, payouts_enabled=False, currently_due=[])
    verifying = gateway.get_connected_account(account)
    standin.set_account_status(account, charges_enabled=True, payouts_enabled=True)
    enabled = gateway.get_connected_account(account)

    assert (restricted.status, restricted.requirements_due) == ("restricted", ("external_account",))
    assert verifying.status == "pending"
    assert (enabled.status, enabled.charges_enabled, enabled.payouts_enabled) == ("enabled", True, True)


# ------------------------------------------------------------ transfers --


def test_a_transfer_pays_the_creator_keyed_by_our_payout_id(standin: StripeStandIn, gateway: StripeGateway) -> None:
    account = onboarded_account(gateway, standin)
    request = payout_to(account, 800)

    result = gateway.transfer(request)

    assert (result.status, result.amount, result.destination, result.reversed_amount) == (
        "submitted",
        Money(800, "USD"),
        account,
        0,
    )
    assert result.transfer_id.startswith("tr_") and result.balance_transaction_id is not None
    transfer = standin.get(result.transfer_id, "transfer")
    assert (transfer["metadata"], transfer["transfer_group"]) == (
        {"payout_id": str(request.payout_id)},
        "payouts-2026-11",
    )
    assert standin.requests[-1].idempotency_key == f"transfer-{request.payout_id}"


def test_a_500_on_transfer_is_retried_with_the_same_key_and_makes_one_transfer(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    account = onboarded_account(gateway, standin)
    request = payout_to(account)
    standin.fail_next("POST", "/v1/transfers", status=500)

    result = gateway.transfer(request)

    posts = [r for r in standin.requests if (r.method, r.path) == ("POST", "/v1/transfers")]
    assert [(r.status, r.idempotency_key) for r in posts] == [
        (500, f"transfer-{request.payout_id}"),
        (200, f"transfer-{request.payout_id}"),
    ]
    assert [t["id"] for t in standin.objects("transfer")] == [result.transfer_id]


def test_a_transfer_whose_answer_was_lost_is_found_by_payout_id(standin: StripeStandIn, gateway: StripeGateway) -> None:
    account = onboarded_account(gateway, standin)
    for _ in range(3):  # other payouts, made before and after
        gateway.transfer(payout_to(account, 100))
    request = payout_to(account, 800)
    crashing = StripeGateway("sk_test_gateway", api_base=standin.url, max_network_retries=0, timeout=0.3)
    standin.timeout_next("POST", "/v1/transfers", seconds=1.0)

    # the transfer is made, but its answer never arrives
    with pytest.raises(PaymentGatewayError) as lost:
        crashing.transfer(request)
    gateway.transfer(payout_to(account, 100))

    found = gateway.find_transfer(request.payout_id)
    assert (lost.value.retryable, lost.value.code) == (True, "api_connection_error")
    assert found is not None and found.amount == Money(800, "USD")
    assert gateway.find_transfer(uuid4()) is None
    # within Stripe's 24 hours, re-sending the same transfer is also safe
    assert gateway.transfer(request) == found
    assert len(standin.objects("transfer")) == 5


def test_a_lost_transfer_is_found_among_its_own_accounts_transfers_only(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    creator = onboarded_account(gateway, standin, "creator-1")
    request = payout_to(creator, 800)
    gateway.transfer(request)
    others = onboarded_account(gateway, standin, "creator-2")
    for _ in range(250):  # the rest of a large run, made after it
        gateway.transfer(payout_to(others, 100))
    listed_before = sum(1 for q in standin.requests if (q.method, q.path) == ("GET", "/v1/transfers"))

    found = gateway.find_transfer(request.payout_id, destination=creator)
    missing = gateway.find_transfer(uuid4(), destination=creator)

    pages = sum(1 for q in standin.requests if (q.method, q.path) == ("GET", "/v1/transfers")) - listed_before
    assert found is not None and found.amount == Money(800, "USD") and found.destination == creator
    assert missing is None
    assert pages == 2  # one page each; without the destination: three pages to find it, three to miss


def test_transfers_are_reversed_in_part_then_in_full(standin: StripeStandIn, gateway: StripeGateway) -> None:
    transfer = gateway.transfer(payout_to(onboarded_account(gateway, standin), 800))

    partly = gateway.reverse_transfer(transfer.transfer_id, Money(300, "USD"), key="refund-after-payout-1")
    replay = gateway.reverse_transfer(transfer.transfer_id, Money(300, "USD"), key="refund-after-payout-1")
    fully = gateway.reverse_transfer(transfer.transfer_id, Money(500, "USD"), key="refund-after-payout-2")

    assert (partly.status, partly.reversed_amount) == ("submitted", 300) and replay == partly
    assert (fully.status, fully.reversed_amount) == ("reversed", 800)
    assert len(standin.objects("transfer_reversal")) == 2
    posts = [r for r in standin.requests if r.path.endswith("/reversals")]
    assert posts[0].idempotency_key == "reversal-refund-after-payout-1"


def test_a_reversal_in_another_currency_is_refused_before_money_moves(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    transfer = gateway.transfer(payout_to(onboarded_account(gateway, standin)))

    with pytest.raises(PaymentGatewayError) as refused:
        gateway.reverse_transfer(transfer.transfer_id, Money(100, "EUR"), key="k")

    assert refused.value.code == "currency_mismatch"
    assert standin.objects("transfer_reversal") == []


# ------------------------------------------------- balance transactions --


def test_balance_transactions_cover_a_half_open_window_oldest_first_over_many_pages(
    standin: StripeStandIn, gateway: StripeGateway
) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    epoch = int(start.timestamp())
    inside = [
        standin.add_balance_transaction(type="adjustment", amount=i + 1, created=epoch + i * 60) for i in range(150)
    ]
    standin.add_balance_transaction(type="adjustment", amount=-1, created=epoch - 1)  # before the window
    standin.add_balance_transaction(type="adjustment", amount=-2, created=epoch + 150 * 60)  # at its end: excluded

    rows = list(gateway.balance_transactions(start, start + timedelta(minutes=150)))

    assert [row.id for row in rows] == [txn["id"] for txn in inside]
    assert rows[0].created == start and rows[0].created.tzinfo is UTC
    assert (rows[-1].amount, rows[-1].fee, rows[-1].net) == (Money(150, "USD"), Money(0, "USD"), Money(150, "USD"))
    pages = [r for r in standin.requests if r.path == "/v1/balance_transactions"]
    assert len(pages) == 2 and pages[0].params["created"] == {"gte": str(epoch), "lt": str(epoch + 9000)}


def test_balance_transactions_map_charges_refunds_and_transfers(standin: StripeStandIn, gateway: StripeGateway) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    request = ticket(1000)
    payment = gateway.start_payment(request)
    refund = gateway.refund(refund_of(payment.payment_id, request.ticket_id, 400))
    transfer = gateway.transfer(payout_to(onboarded_account(gateway, standin), 500))

    rows = list(gateway.balance_transactions(before, datetime.now(UTC) + timedelta(seconds=2)))

    assert payment.charge is not None
    assert [(row.type, row.amount.amount, row.fee.amount, row.net.amount, row.source) for row in rows] == [
        ("charge", 1000, 59, 941, payment.charge.charge_id),
        ("refund", -400, 0, -400, refund.refund_id),
        ("transfer", -500, 0, -500, transfer.transfer_id),
    ]


def test_a_naive_datetime_or_a_reversed_window_is_refused(gateway: StripeGateway) -> None:
    with pytest.raises(ValueError):
        gateway.balance_transactions(datetime(2026, 10, 1), datetime(2026, 11, 1))
    with pytest.raises(ValueError):
        gateway.balance_transactions(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))


def test_the_window_bounds_round_up_to_whole_seconds(standin: StripeStandIn, gateway: StripeGateway) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    epoch = int(start.timestamp())
    standin.add_balance_transaction(type="adjustment", amount=1, created=epoch)  # before 00:00:00.5
    later = standin.add_balance_transaction(type="adjustment", amount=2, created=epoch + 1)

    rows = list(
        gateway.balance_transactions(start + timedelta(milliseconds=500), start + timedelta(seconds=1, milliseconds=1))
    )

    assert [row.id for row in rows] == [later["id"]]


# ------------------------------------------------------------- webhooks --


def delivery(*, secret: str = WEBHOOK_SECRET, tamper: bool = False, timestamp: int | None = None) -> tuple[bytes, str]:
    captured: list[tuple[bytes, dict[str, str]]] = []
    sender = WebhookSender(lambda payload, headers: captured.append((payload, headers)), WEBHOOK_SECRET)
    sender.send(
        sender.event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}),
        secret=secret,
        tamper=tamper,
        timestamp=timestamp,
    )
    payload, headers = captured[0]
    return payload, headers["Stripe-Signature"]


def test_a_signed_webhook_parses_to_the_event() -> None:
    payload, signature = delivery()

    event = parse_webhook(payload, signature, WEBHOOK_SECRET)

    assert event["type"] == "payment_intent.succeeded" and event["data"]["object"]["id"] == "pi_1"
    assert event["id"].startswith("evt_")


@pytest.mark.parametrize(
    ("forgery", "why"),
    [
        ({"tamper": True}, "matching the expected signature"),
        ({"secret": "whsec_someone_else"}, "matching the expected signature"),
        ({"timestamp": int(datetime.now(UTC).timestamp()) - 301}, "tolerance"),
    ],
    ids=["tampered", "wrong secret", "stale"],
)
def test_a_forged_or_stale_webhook_is_refused(forgery: dict[str, object], why: str) -> None:
    payload, signature = delivery(**forgery)  # type: ignore[arg-type]

    with pytest.raises(WebhookSignatureError, match=why):
        parse_webhook(payload, signature, WEBHOOK_SECRET)


@pytest.mark.parametrize("header", [None, "", "garbage", "t=1700000000"])
def test_a_webhook_without_a_usable_signature_is_refused(header: str | None) -> None:
    payload, _ = delivery()

    with pytest.raises(WebhookSignatureError):
        parse_webhook(payload, header, WEBHOOK_SECRET)


def test_parse_webhook_refuses_an_unsafe_configuration() -> None:
    payload, signature = delivery()

    with pytest.raises(ValueError):
        parse_webhook(payload, signature, "")
    with pytest.raises(ValueError):
        parse_webhook(payload, signature, WEBHOOK_SECRET, tolerance=0)
