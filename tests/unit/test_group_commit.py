"""The group committer: many commands, one transaction; an item answered Again joins the next batch."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from domain.sales.group_commit import Again, GroupCommitter


def test_an_item_answered_again_is_run_in_the_flushers_next_batch_with_what_queued_meanwhile() -> None:
    batches: list[list[str]] = []
    first_batch_running, more_queued = threading.Event(), threading.Event()

    def process(items: Sequence[str]) -> list[object]:
        batches.append(list(items))
        if len(batches) == 1:  # "busy" is held elsewhere the first time: carried, not answered
            first_batch_running.set()
            more_queued.wait(5)
            return [Again("busy (again)") if i == "busy" else i.upper() for i in items]
        return [i.upper() for i in items]

    committer: GroupCommitter[str, object] = GroupCommitter(process, name="test", flushers=1)
    try:
        busy, free = committer.submit("busy"), committer.submit("free")
        first_batch_running.wait(5)
        later = committer.submit("later")
        more_queued.set()

        answers = [f.result(5) for f in (busy, free, later)]
    finally:
        committer.close()

    assert answers == ["BUSY (AGAIN)", "FREE", "LATER"]
    assert batches[1] == ["busy (again)", "later"]  # one transaction for the carried item and the new one
    assert committer.batches == 2


def test_a_carried_item_of_a_failed_batch_is_still_answered() -> None:
    calls: list[list[str]] = []

    def process(items: Sequence[str]) -> list[object]:
        calls.append(list(items))
        if len(items) > 1:
            raise RuntimeError("the whole transaction failed")
        return [Again(items[0] + "!") if not items[0].endswith("!") else items[0]]

    committer: GroupCommitter[str, object] = GroupCommitter(process, name="test", flushers=1)
    try:
        answers = [f.result(5) for f in [committer.submit(x) for x in ("a", "b")]]
    finally:
        committer.close()

    assert sorted(answers) == ["a!", "b!"]
