"""Names that become file or folder names, checked before they touch the file system.

Dataset ids (a card is `<id>.yaml`), registered task, model, dataset and protocol names (run
folders are `<out>/<task>/<dataset>/<model>/`), search study names, and the benchmark and task a
leaderboard file declares (its chart is `charts/<benchmark>-<task>.png`) each end up as one path
component. `path_component` admits letters, digits, `.`, `_`, `+` and `-`, starting with a letter
or a digit, so no name can hold a separator, be `.` or `..`, or start a hidden file.
"""

from __future__ import annotations

import re

from cogdl.errors import ConfigError

_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")


def path_component(name: object, what: str) -> str:
    """`name` when it is safe as one file or folder name, else a ConfigError naming `what` it is."""
    if not isinstance(name, str) or not _COMPONENT.fullmatch(name):
        raise ConfigError(f"{what} {name!r} cannot name a file: use letters, digits, '.', '_', '+' and '-' "
                          f"(at most 200), starting with a letter or a digit")
    return name
