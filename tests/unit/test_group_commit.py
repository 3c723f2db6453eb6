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


class FirstBatchWaits:
    """A batch processor whose first batch waits for `release`: what is submitted meanwhile queues."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.first_running, self.release = threading.Event(), threading.Event()

    def __call__(self, items: Sequence[str]) -> list[object]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.first_running.set()
            self.release.wait(5)
        return [i.upper() for i in items]


def test_a_lone_command_is_recorded_at_once_and_under_load_a_batch_waits_to_fill() -> None:
    process, pauses = FirstBatchWaits(), list[float]()
    committer: GroupCommitter[str, object]

    def pause(seconds: float) -> None:  # while the flusher waits, two more purchases arrive
        pauses.append(seconds)
        committer.submit("e")
        committer.submit("f")

    committer = GroupCommitter(process, name="test", flushers=1, gather=0.004, pause=pause)
    try:
        a = committer.submit("a")  # alone: no batch before it held more than one, no wait
        process.first_running.wait(5)
        b, c = committer.submit("b"), committer.submit("c")  # queue while "a" is recorded
        process.release.set()
        assert [f.result(5) for f in (a, b, c)] == ["A", "B", "C"]
        d = committer.submit("d")  # the last batch held two: load; this one waits to fill
        assert d.result(5) == "D"
    finally:
        committer.close()

    assert process.batches[:3] == [["a"], ["b", "c"], ["d", "e", "f"]]
    assert pauses == [0.004]


def test_without_a_gather_window_a_flusher_never_waits_even_under_load() -> None:
    process, pauses = FirstBatchWaits(), list[float]()

    committer: GroupCommitter[str, object] = GroupCommitter(process, name="test", flushers=1, pause=pauses.append)
    try:
        a = committer.submit("a")
        process.first_running.wait(5)
        queued = [committer.submit(i) for i in "bc"]
        process.release.set()
        assert [f.result(5) for f in (a, *queued)] == ["A", "B", "C"]
        assert committer.submit("d").result(5) == "D"  # after a batch of two: load, but no window
    finally:
        committer.close()
    assert process.batches == [["a"], ["b", "c"], ["d"]] and pauses == []
