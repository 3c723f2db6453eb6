"""One router per audience and resource: parse the request, run one command or query, present it.

Reads of the read tables live in projections/queries/, authorization in one dependency per
route (api/deps.py).

May import: the api/ modules beside them (deps, schemas, presenters, problems, auth, settings,
bootstrap's `Services` type), a sibling router's helpers, and every floor below api/. Never
main.py, and no circle between routers.
"""
