"""Leaderboard files (`leaderboard/<benchmark>/<task>.yaml`): strict reading and the best config of
an entry (`files`), and recording measured results from run folders (`record`)."""

from cogdl.leaderboard.files import best_config, find_entry, leaderboard_dir, leaderboard_files, load_leaderboard
from cogdl.leaderboard.record import record

__all__ = ["best_config", "find_entry", "leaderboard_dir", "leaderboard_files", "load_leaderboard", "record"]
