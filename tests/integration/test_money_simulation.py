"""The seeded money simulation (tests/integration/money_sim.py) on PostgreSQL with two processes.

CI runs a fixed set of seeds; `make simulate SEEDS=N` runs more. The planted
double payout (the payout guard switched off in both processes) must be
caught: that shows the checks can fail, and what they catch.
"""

from __future__ import annotations

import pytest

from tests.integration.money_sim import plan, run_plan, shrink

pytestmark = pytest.mark.postgres

CI_SEEDS = (1, 2, 3)  # PLANTED_SEED among them: it holds with the guard on
STEPS = 60
PLANTED_SEED = 3  # overlapping runs pay a creator's released balance: unguarded, twice


@pytest.mark.parametrize("seed", CI_SEEDS)
def test_every_check_holds_after_every_step_of_a_seeded_simulation(postgres_admin_url: str, seed: int) -> None:
    outcome = run_plan(seed, plan(seed, STEPS), admin_url=postgres_admin_url)

    if not outcome.ok:
        shortest = shrink(outcome, budget=60)
        pytest.fail(f"{outcome.report()}\n\nshortest failing plan found:\n{shortest.report()}")


def test_the_simulation_catches_a_planted_double_payout(postgres_admin_url: str) -> None:
    assert PLANTED_SEED in CI_SEEDS  # the same plan passes with the guard on (above)

    unguarded = run_plan(PLANTED_SEED, plan(PLANTED_SEED, STEPS), guarded=False, admin_url=postgres_admin_url)

    assert not unguarded.ok
    assert any("paid and in transit" in p or "Stripe transferred" in p for p in unguarded.problems), unguarded.report()
    assert unguarded.steps[unguarded.failed_at][0] == "overlap"  # type: ignore[index]
