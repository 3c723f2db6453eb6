"""Every read the API, the consoles and payout runs make of the read tables: plain data, never aggregates.

May import: store/ (the database helpers) and the projections' own constants.
"""
