"""`forward`: how the application exposes a command that a command object holds.

`BoxOffice` is the one public face of the domain (api/, payouts/, tests call
`app.open_room(...)`); the rules live in the command classes of each context
(`RoomCommands`, `CreatorCommands`, ...), which the application builds with
what they need. A forwarded method keeps the command's own signature and
docstring (`functools.wraps`), so each command is written once.

Imports the stdlib only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def forward(part: str, command: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """A method that calls `command` on the application's command object named `part`."""
    name = command.__name__

    @functools.wraps(command)
    def call(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        return getattr(getattr(self, part), name)(*args, **kwargs)  # type: ignore[no-any-return]

    return call
