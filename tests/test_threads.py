"""Threads on a busy machine (`cogdl.threads`): the budget and its share per process, the team
sized to the cores other processes leave free, the long OpenMP spin set before torch loads, and `cogdl bench load` end to end (its timings are
measured by the command, not asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import torch

from cogdl import threads
from cogdl.bench_load import BUSY_MARK, busy_processes, stop
from cogdl.errors import ConfigError
from cogdl.threads import ENV, thread_budget, threads_for, usable_cores


def test_the_budget_is_shared_among_jobs(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    assert thread_budget() == usable_cores() == len(os.sched_getaffinity(0))
    assert threads_for(usable_cores() + 5) == 1
    monkeypatch.setenv(ENV, "6")
    assert (threads_for(1), threads_for(2), threads_for(4), threads_for(8)) == (6, 3, 1, 1)
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(ENV, bad)
        with pytest.raises(ConfigError, match=f"{ENV}='{bad}'"):
            threads_for(1)


def test_cli_threads_sets_this_process_and_its_workers(cli, monkeypatch):
    old = torch.get_num_threads()
    monkeypatch.setenv(ENV, str(old))  # restored after the test, with the thread count below
    try:
        status, out, _ = cli("--threads", "1", "env")
        assert status == 0 and json.loads(out)["torch_threads"] == 1 and os.environ[ENV] == "1"
        status, _, err = cli("--threads", "0", "env")
        assert status == 2 and "--threads 0: expected a number >= 1" in err
    finally:
        torch.set_num_threads(old)


@pytest.mark.parametrize("given, expected", [({}, "300000"), ({"OMP_WAIT_POLICY": "PASSIVE"}, "None"),
                                             ({"GOMP_SPINCOUNT": "50"}, "50")])
def test_importing_cogdl_keeps_the_long_openmp_spin_unless_the_environment_sets_one(given, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = "import os, cogdl; print(os.environ.get('GOMP_SPINCOUNT'))"
    done = subprocess.run([sys.executable, "-c", code], env={**env, **given}, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == expected, done.stderr


def test_the_team_shrinks_to_the_cores_other_processes_leave_free(monkeypatch):
    looks = []
    monkeypatch.setattr(threads, "runnable_elsewhere", lambda: looks.pop(0))
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(4)
        team = threads.FreeCoreThreads(look_every=(0, 0))
        team.cores = 4
        for seen, expected in (([0, 0, 0], 4), ([1, 2, 1], 3), ([9, 5, 7], 1), ([3, 0, 2], 4), ([None, 1, 1], 4)):
            looks[:] = seen + seen  # a load that lasts two epochs
            team.adjust()
            assert team.adjust() == expected == torch.get_num_threads(), seen
        looks[:] = [3, 3, 3, 0]  # a load seen at one epoch only
        assert team.adjust() == 4
        torch.set_num_threads(2)  # a user's (or --threads') change is the new budget
        looks[:] = [0, 0, 0]
        assert team.adjust() == 2 and team.budget == 2
    finally:
        torch.set_num_threads(old)


def test_the_load_is_looked_at_often_while_there_is_one_and_ever_less_often_while_there_is_none(monkeypatch):
    looked, now, load = [], [0], [1]
    monkeypatch.setattr(threads, "runnable_elsewhere", lambda: looked.append(now[0]) or load[0])
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        team = threads.FreeCoreThreads(look_every=(4, 64), clock=lambda: now[0])  # in epochs, to count exactly
        team.cores = 2
        for now[0] in range(10):  # one busy process throughout
            team.adjust()
        assert sorted(set(looked)) == [0, 4, 8]  # three looks at each of three times
        assert torch.get_num_threads() == 1  # the load lasted from one look to the next
        torch.set_num_threads(2)  # a new budget is looked at at once
        team.adjust()
        assert looked[-1] == now[0] == 9
        load[0], looked[:] = 0, []  # the busy process ends
        for now[0] in range(10, 400):
            team.adjust()
        assert [b - a for a, b in zip([9] + looked, looked)] == [4, 8, 16, 32, 64, 64, 64, 64, 64]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)


def test_threads_given_or_a_fixed_team_keep_the_team_as_it_is(monkeypatch):
    monkeypatch.setattr(threads, "runnable_elsewhere", lambda: 5)  # a busy machine
    monkeypatch.delenv(ENV, raising=False)
    team = threads.free_core_threads()
    monkeypatch.setattr(team, "cores", 2)
    monkeypatch.setattr(team, "wait", 0)
    monkeypatch.setattr(team, "look_every", (0, 0))
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with threads.fixed_team():  # the contract's same-seed runs
            assert team.adjust() == 2
        monkeypatch.setenv(ENV, "2")  # --threads 2
        assert team.adjust() == 2 == torch.get_num_threads()
        monkeypatch.delenv(ENV)
        team.adjust()  # the load lasts two epochs (an earlier fit's history may have seen none)
        assert team.adjust() == 1 == torch.get_num_threads()
    finally:
        torch.set_num_threads(old)


def cpu_seconds(pid: int) -> float:
    stat = open(f"/proc/{pid}/stat", "rb").read()
    fields = stat[stat.rindex(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_busy_processes_count_as_runnable_elsewhere():
    busy = busy_processes(2)
    try:
        deadline = time.monotonic() + 60  # a loaded machine may take seconds to start two interpreters
        while min(cpu_seconds(p.pid) for p in busy) < 0.2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert min(cpu_seconds(p.pid) for p in busy) >= 0.2, "the busy processes never started spinning"
        seen = []
        for _ in range(40):  # a moment's dip (a cgroup's quota spent, a preemption) is not what is tested
            seen.append(threads.runnable_elsewhere())
            if seen[-1] >= 2:
                break
            time.sleep(0.05)
        assert max(seen) >= 2, seen
    finally:
        stop(busy)


def test_this_process_running_threads_are_not_counted_as_elsewhere(tmp_path, monkeypatch):
    loadavg = tmp_path / "loadavg"
    loadavg.write_text("1.00 0.50 0.20 5/310 4242\n")  # five threads runnable on the machine
    monkeypatch.setattr(threads, "LOADAVG", str(loadavg))
    own = iter([3, 2])  # this process's running threads before and after the machine's count
    monkeypatch.setattr(threads, "_own_running", lambda: next(own))
    assert threads.runnable_elsewhere() == 2  # the larger of the two own counts is taken off
    monkeypatch.setattr(threads, "_own_running", lambda: 9)
    assert threads.runnable_elsewhere() == 0
    monkeypatch.setattr(threads, "LOADAVG", str(tmp_path / "missing"))
    assert threads.runnable_elsewhere() is None  # no /proc: the budget is used
    assert threads._own_running() >= 1  # the real count: this thread runs while it counts


def test_bench_load_times_each_case_beside_zero_one_and_two_busy_processes(tmp_path, data_root):
    out = tmp_path / "load.json"
    done = subprocess.run([sys.executable, "-m", "cogdl", "bench", "load", "--datasets", "cora", "--models", "gcn",
                           "--epochs", "3", "--rounds", "1", "--json", str(out)], capture_output=True, text=True,
                          env={**os.environ, "COGDL_DATA": str(data_root)}, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["results"]
    assert [(r["model"], r["dataset"], r["busy"], r["team"]) for r in rows] == [
        ("gcn", "cora", 0, "free-core"), ("gcn", "cora", 1, "free-core"), ("gcn", "cora", 2, "free-core"),
        ("gcn", "cora", 0, "fixed")]  # the idle fits also with the team held fixed
    assert rows[0]["slowdown_median"] == 1.0 and all(r["median_s"] > 0 for r in rows)
    assert json.loads(out.read_text())["machine"]["torch_threads"] == threads.threads_for(1)  # the budget
    leftover = subprocess.run(["pgrep", "-f", BUSY_MARK], capture_output=True, text=True).stdout.split()
    assert not leftover  # the busy processes are gone
