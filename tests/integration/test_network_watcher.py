"""The network watcher against a real kernel: netwatch_probe (a NetworkWatcher on a LibuvDispatcher)
runs in a network namespace of its own, and the test changes that namespace's addresses and routes
with `ip` (through nsenter), waiting for the probe's reports. Nothing of the host's network is
touched; the namespace goes away with the probe."""
import os
import re
import signal
import subprocess
import sys
from typing import List, NamedTuple

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))

from pfd_harness import LineLog, binary  # noqa: E402

REPORT = re.compile(r"^change (\d+) default_route=([01]) addresses=([01]): (.*)$")


class Report(NamedTuple):
    changes: int
    default_route_changed: bool
    addresses_changed: bool
    summary: str


def namespace_unavailable_reason() -> str:
    """Why no network namespace can be created here, or "" when one can."""
    try:
        result = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30)
    except FileNotFoundError:
        return "unshare(1) is not installed"
    if result.returncode != 0:
        return (f"`unshare -n true` failed ({result.returncode}): "
                f"{result.stderr.decode(errors='replace').strip()}")
    return ""


class Probe:
    """netwatch_probe in a fresh network namespace."""

    def __init__(self, setup: str = "") -> None:
        # unshare execs the probe (through `sh -c … exec`), so its pid is the probe's, and
        # nsenter -t finds its namespace. `setup` runs in the namespace before the probe starts.
        script = f"{setup}\nexec \"$0\"" if setup else 'exec "$0"'
        self.process = subprocess.Popen(
            ["unshare", "-n", "--", "sh", "-e", "-c", script, binary("NETWATCH_PROBE_BIN")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.log = LineLog(self.process.stdout)
        self.errors = LineLog(self.process.stderr)
        self.log.wait_for(r"^watching$")
        self.seen = self.log.mark()

    def ip(self, *args: str, batch: str = "") -> None:
        subprocess.run(["nsenter", "-t", str(self.process.pid), "-n", "ip", *args],
                       input=batch.encode(), check=True, capture_output=True, timeout=30)

    def expect(self, pattern: str) -> Report:
        """The next report whose summary matches `pattern`; reports before it are skipped."""
        match = self.log.wait_for(r"^change .*" + pattern, since=self.seen)
        self.seen = self.log.lines().index(match.string, self.seen) + 1
        return parse(match.string)

    def reports_until(self, changes: int) -> List[Report]:
        """The reports from now on, up to the one that brings their changes to `changes`."""
        reports: List[Report] = []
        while sum(report.changes for report in reports) < changes:
            match = self.log.wait_for(r"^change ", since=self.seen)
            self.seen = self.log.lines().index(match.string, self.seen) + 1
            reports.append(parse(match.string))
        return reports

    def stop(self) -> int:
        os.kill(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout=30)


def parse(line: str) -> Report:
    match = REPORT.match(line)
    assert match, f"not a report: {line!r}"
    return Report(int(match[1]), match[2] == "1", match[3] == "1", match[4])


@pytest.fixture
def make_probe():
    reason = namespace_unavailable_reason()
    if reason:
        pytest.skip(f"cannot create a network namespace for the netlink test: {reason}")
    started: List[Probe] = []

    def factory(setup: str = "") -> Probe:
        started.append(Probe(setup))
        return started[-1]

    yield factory
    for probe in started:
        if probe.process.poll() is None:
            assert probe.stop() == 0, "\n".join(probe.errors.lines())


@pytest.fixture
def probe(make_probe):
    return make_probe()


def bring_lo_up(probe: Probe) -> None:
    probe.ip("link", "set", "lo", "up")
    probe.expect(r"address 127\.0\.0\.1/8 added on lo")


def test_address_added_to_and_removed_from_lo_is_reported(probe):
    bring_lo_up(probe)

    probe.ip("address", "add", "127.0.0.9/8", "dev", "lo")
    added = probe.expect(r"address 127\.0\.0\.9/8 added on lo")
    assert added.addresses_changed
    assert not added.default_route_changed
    # The kernel's local and broadcast routes for the address are left out of the report.
    assert "route" not in added.summary, added.summary

    probe.ip("address", "del", "127.0.0.9/8", "dev", "lo")
    removed = probe.expect(r"address 127\.0\.0\.9/8 removed from lo")
    assert removed.addresses_changed


def test_default_route_added_changed_and_removed_is_reported(probe):
    bring_lo_up(probe)
    probe.ip("link", "add", "pfdv0", "type", "veth", "peer", "name", "pfdv1")
    probe.ip("address", "add", "10.200.0.1/24", "dev", "pfdv0")
    probe.ip("link", "set", "pfdv0", "up")
    probe.ip("link", "set", "pfdv1", "up")
    probe.expect(r"address 10\.200\.0\.1/24 added on pfdv0")

    probe.ip("route", "add", "default", "via", "10.200.0.2", "dev", "pfdv0")
    added = probe.expect(r"default route via 10\.200\.0\.2 on pfdv0 added")
    assert added.default_route_changed

    probe.ip("route", "replace", "default", "via", "10.200.0.3", "dev", "pfdv0")
    replaced = probe.expect(r"default route now via 10\.200\.0\.3 on pfdv0")
    assert replaced.default_route_changed

    probe.ip("route", "del", "default")
    removed = probe.expect(r"default route via 10\.200\.0\.3 on pfdv0 removed")
    assert removed.default_route_changed

    # Taking the link down removes its routes without a message: the link is what is reported,
    # and the routes coming back with it are reported as new.
    probe.ip("link", "set", "pfdv0", "down")
    probe.expect(r"link pfdv0 down")
    probe.ip("link", "set", "pfdv0", "up")
    probe.expect(r"route 10\.200\.0\.0/24 on pfdv0 added")

    # The veth pair going away takes its address (and its prefix route) with it.
    probe.ip("link", "del", "pfdv0")
    gone = probe.expect(r"address 10\.200\.0\.1/24 removed from pfdv0")
    assert gone.addresses_changed


def test_burst_of_twenty_address_changes_is_one_report(probe):
    bring_lo_up(probe)
    # One `ip` process applies all 20 within milliseconds, as a VPN client does.
    probe.ip("-batch", "-", batch="".join(f"address add 127.0.1.{i}/8 dev lo\n"
                                          for i in range(20)))
    reports = probe.reports_until(20)
    # The debounce merges them; on a machine so loaded that the burst spans the 2 s cap, it is
    # cut into a few reports, never 20.
    assert len(reports) <= 3, reports
    assert sum(report.changes for report in reports) == 20, reports
    assert "address 127.0.1.0/8 added on lo" in reports[0].summary, reports
    assert all(re.match(r"address 127\.0\.1\.\d+/8 added on lo", report.summary)
               for report in reports), reports


def test_what_existed_before_the_watcher_is_no_change_when_announced_again(make_probe):
    probe = make_probe("ip link set lo up\n"
                       "ip address add 127.0.0.9/8 dev lo\n"
                       "ip link add pfdv0 type veth peer name pfdv1\n"
                       "ip address add 10.200.0.1/24 dev pfdv0\n"
                       "ip link set pfdv0 up\n"
                       "ip link set pfdv1 up\n"
                       "ip route add default via 10.200.0.2 dev pfdv0")
    # The kernel announces each of these again, unchanged, as a router advertisement refreshing
    # an address's lifetimes would; then one real change follows.
    probe.ip("address", "change", "127.0.0.9/8", "dev", "lo")
    probe.ip("route", "replace", "default", "via", "10.200.0.2", "dev", "pfdv0")
    probe.ip("address", "add", "127.0.0.10/8", "dev", "lo")
    report = probe.reports_until(1)
    assert [r.summary for r in report] == ["address 127.0.0.10/8 added on lo"]


def test_probe_stops_cleanly_on_sigterm(probe):
    assert probe.stop() == 0, "\n".join(probe.errors.lines())
