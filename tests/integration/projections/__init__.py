"""Read models from real event logs: ledger properties (hypothesis), the threshold, kept
balances, a projector killed mid-batch, parallel rebuilds, admission, streamed exports.
support.py builds rooms and sales and runs the projector. May import: anything."""
