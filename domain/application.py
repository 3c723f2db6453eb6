"""The boxoffice application: every command of the product, recorded as events.

`BoxOffice` is an eventsourcing `Application` whose recorder also implements
`domain.guards.GuardedRecorder`, so a command can check cross-aggregate rules
(the seat cap, one live ticket per listener, a webhook seen once) in the same
transaction that appends its events (`domain.unit_of_work`). Commands return
the log position of their last event, so a caller can wait for projections to
reach it.

The rules live in each context's command classes (domain/rooms, sales,
creators, attendance, webhooks), built here with what they need (the unit of
work, the clock, the policies, the gateway); `BoxOffice` composes them and
forwards its public methods to them (`domain.commands.forward`). Callers use
`app.<command>(...)` for commands and `app.uow` for the unit of work.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from domain.attendance.commands import MediaCommands
from domain.clock import Clock, SystemClock
from domain.commands import forward
from domain.creators.accounts import AccountCommands
from domain.creators.commands import CreatorCommands
from domain.payments import PaymentGateway
from domain.policies import Policies
from domain.rooms.commands import RoomCommands
from domain.rooms.tier_commands import TierCommands
from domain.sales.code_commands import CodeCommands
from domain.sales.commands import SalesCommands
from domain.sales.holds import HoldCommands
from domain.sales.refunds import RefundCommands
from domain.sales.self_refunds import SelfRefundCommands
from domain.sales.transfers import TransferCommands
from domain.sales.waitlist_commands import WaitlistCommands
from domain.unit_of_work import UnitOfWork
from domain.webhooks.commands import WebhookEndpointCommands


class BoxOffice(Application[UUID]):
    name = "boxoffice"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        gateway: PaymentGateway,
        clock: Clock | None = None,
        policies: Policies | None = None,
        group_commit_flushers: int = 1,
        sold_out_mark: timedelta = timedelta(0),
        group_commit_gather: timedelta = timedelta(0),
    ) -> None:
        """`sold_out_mark`: how long a room a plain purchase found sold out refuses the next plain ones
        without a claim, at most (domain/sales/sold_out.py; 0: never); needs `sold_out.holds_live_ticket`.
        `group_commit_gather`: how long a purchase batch waits to fill under load (domain/sales/group_commit.py)."""
        super().__init__(env)
        self.uow = UnitOfWork(self)
        self.clock: Clock = clock or SystemClock()
        self.policies = policies or Policies()
        self.gateway = gateway
        uow, clock, policies = self.uow, self.clock, self.policies
        self._creators = CreatorCommands(uow, clock)
        self._accounts = AccountCommands(uow, gateway, self._creators)
        self._rooms = RoomCommands(uow, clock, policies, self._creators)
        self._tiers = TierCommands(uow, clock, policies)
        self._codes = CodeCommands(uow, clock, policies, self._creators)
        # Sales, holds and refunds call each other (a sold-out room sweeps expired holds, a late
        # payment is refunded, an expired or cancelled hold's payment may have succeeded): each gets
        # the others' commands as functions, looked up when called.
        self._sales = SalesCommands(
            uow, clock, policies, gateway, group_commit_flushers=group_commit_flushers, sold_out_mark=sold_out_mark,
            group_commit_gather=group_commit_gather,
            expire_holds=lambda room_id=None: self._holds.expire_holds(room_id=room_id),
            refund_now=lambda ticket: self._refunds.execute_refunds(ticket))
        self._holds = HoldCommands(uow, clock, gateway, record_payment=self._sales.record_payment)
        self._refunds = RefundCommands(uow, clock, policies, gateway, record_payment=self._sales.record_payment)
        self._self_refunds = SelfRefundCommands(uow, clock, policies, self._refunds)
        self._transfers = TransferCommands(uow, clock, policies)
        # Registers itself with the unit of work: every transaction offers the seats it freed.
        self._waitlists = WaitlistCommands(uow, clock, policies, gateway, self._sales)
        self._media = MediaCommands(uow, clock)
        self._webhooks = WebhookEndpointCommands(uow, clock)
        # The purchase router submits reservations itself and awaits them on its event loop.
        self.reservations = self._sales.reservations
        self.sold_out = self._sales.sold_out  # the composition root gives it the admission index's check
        self.uow.event_listeners.append(self.sold_out.saw)  # this process's own writes drop marks at once

    def close(self) -> None:
        self._sales.close()
        super().close()

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        if recordings:
            self.uow.committed(recordings[-1].notification.id)

    # --- creators ------------------------------------------------------------

    register_creator = forward("_creators", CreatorCommands.register_creator)
    attest_eligibility = forward("_creators", CreatorCommands.attest_eligibility)
    find_creator = forward("_creators", CreatorCommands.find_creator)
    get_creator = forward("_creators", CreatorCommands.get_creator)
    open_payout_account = forward("_accounts", AccountCommands.open_payout_account)
    onboarding_link = forward("_accounts", AccountCommands.onboarding_link)
    update_payout_account = forward("_accounts", AccountCommands.update_payout_account)

    # --- rooms and tiers -----------------------------------------------------

    open_room = forward("_rooms", RoomCommands.open_room)
    get_room = forward("_rooms", RoomCommands.get_room)
    change_room = forward("_rooms", RoomCommands.change_room)
    set_cohost = forward("_rooms", RoomCommands.set_cohost)
    set_speaker = forward("_rooms", RoomCommands.set_speaker)
    start_room = forward("_rooms", RoomCommands.start_room)
    end_room = forward("_rooms", RoomCommands.end_room)
    add_tier = forward("_tiers", TierCommands.add_tier)
    change_tier = forward("_tiers", TierCommands.change_tier)
    close_tier = forward("_tiers", TierCommands.close_tier)
    set_refund_policy = forward("_self_refunds", SelfRefundCommands.set_refund_policy)
    reschedule_room = forward("_self_refunds", SelfRefundCommands.reschedule_room)

    # --- sales -----------------------------------------------------------------

    create_code = forward("_codes", CodeCommands.create_code)
    buy_ticket = forward("_sales", SalesCommands.buy_ticket)
    purchase_request = forward("_sales", SalesCommands.purchase_request)
    purchase_is_settled = forward("_sales", SalesCommands.purchase_is_settled)
    complete_purchase = forward("_sales", SalesCommands.complete_purchase)
    payment_request_for = forward("_sales", SalesCommands.payment_request_for)
    record_payment = forward("_sales", SalesCommands.record_payment)
    get_ticket = forward("_sales", SalesCommands.get_ticket)
    expire_holds = forward("_holds", HoldCommands.expire_holds)
    transfer_ticket = forward("_transfers", TransferCommands.transfer_ticket)
    join_waitlist = forward("_waitlists", WaitlistCommands.join_waitlist)
    leave_waitlist = forward("_waitlists", WaitlistCommands.leave_waitlist)
    buy_with_offer = forward("_waitlists", WaitlistCommands.buy_with_offer)
    expire_offers = forward("_waitlists", WaitlistCommands.expire_offers)

    # --- refunds, cancellations, disputes -----------------------------------------

    cancel_room = forward("_refunds", RefundCommands.cancel_room)
    refund_ticket = forward("_refunds", RefundCommands.refund_ticket)
    refund_own_ticket = forward("_self_refunds", SelfRefundCommands.refund_own_ticket)
    record_processor_refund = forward("_refunds", RefundCommands.record_processor_refund)
    refund_summary = forward("_refunds", RefundCommands.refund_summary)
    open_dispute = forward("_refunds", RefundCommands.open_dispute)
    close_dispute = forward("_refunds", RefundCommands.close_dispute)

    # --- attendance ----------------------------------------------------------

    record_media_events = forward("_media", MediaCommands.record_media_events)
    set_end_room_when_finished = forward("_media", MediaCommands.set_end_room_when_finished)
    record_media_room_finished = forward("_media", MediaCommands.record_media_room_finished)

    # --- integrators' webhook endpoints --------------------------------------

    register_webhook_endpoint = forward("_webhooks", WebhookEndpointCommands.register_webhook_endpoint)
    get_webhook_endpoint = forward("_webhooks", WebhookEndpointCommands.get_webhook_endpoint)
    change_webhook_endpoint = forward("_webhooks", WebhookEndpointCommands.change_webhook_endpoint)
    rotate_webhook_secret = forward("_webhooks", WebhookEndpointCommands.rotate_webhook_secret)
    disable_webhook_endpoint = forward("_webhooks", WebhookEndpointCommands.disable_webhook_endpoint)
    delete_webhook_endpoint = forward("_webhooks", WebhookEndpointCommands.delete_webhook_endpoint)
