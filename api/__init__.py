"""The top floor: HTTP, the command line, the consoles and the one composition root.

What lives here: bootstrap.py (builds and wires everything; the only composition root), main.py
(the FastAPI app and its lifespan), routers/ (parse, one command or query, present), console/
(server-rendered pages), settings, auth and caller tokens, admission keys and tokens, problems
(RFC 9457), limits, logs, metrics, exports, presenters and schemas, the CLI and the demo.

May import: every floor below (integrations/, payouts/, migrations/, projections/, store/,
domain/) and the web libraries. Nothing imports api/ but bench/ and tests/ (the "Floors"
contract in pyproject.toml).
"""
