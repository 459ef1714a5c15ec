"""pfd itself hears the network change under it: pfd runs in a network namespace of its own
(`unshare -n`), and the test changes that namespace's addresses and default route with `ip`
(through nsenter). An address change checks the clusters; a new default route also gives every
running forward a new child (its connections left by the old route). Nothing of the host's
network is touched; the namespace goes away with pfd."""
import subprocess

import pytest

from conftest import command_forward
from pfd_harness import PfdInstance
from test_network_watcher import namespace_unavailable_reason

UNAVAILABLE = namespace_unavailable_reason()


class NamespacedPfd(PfdInstance):
    """pfd in a fresh network namespace with lo up; unshare and sh exec it, so its pid is pfd's
    and nsenter -t finds the namespace."""

    def command(self, *extra: str, log_level: str = "debug"):
        return ["unshare", "-n", "--", "sh", "-e", "-c", 'ip link set lo up\nexec "$@"', "sh",
                *super().command(*extra, log_level=log_level)]

    def ip(self, *args: str) -> None:
        subprocess.run(["nsenter", "-t", str(self.process.pid), "-n", "ip", *args],
                       check=True, capture_output=True, timeout=30)


@pytest.fixture
def namespaced_pfd():
    instances = []

    def factory(config_text: str) -> NamespacedPfd:
        instance = NamespacedPfd(config_text)
        instances.append(instance)
        return instance.start()

    yield factory
    leftovers = []
    for instance in instances:
        leftovers += instance.cleanup()
    assert not leftovers, f"children outlived pfd: {leftovers}"


@pytest.mark.skipif(bool(UNAVAILABLE), reason=UNAVAILABLE or "namespaces work")
def test_an_address_change_checks_the_clusters_and_a_new_default_route_restarts_forwards(
    namespaced_pfd, ports
):
    pfd = namespaced_pfd("forwards:\n" + command_forward("echo", ports[0]))
    pfd.wait_for_state("echo", "READY")
    first_pid = pfd.forward("echo")["pid"]

    mark = pfd.mark()
    pfd.ip("addr", "add", "127.0.0.9/8", "dev", "lo")
    pfd.wait_for_log(r"network changed \(address 127\.0\.0\.9/8 added on lo\): checking 0 "
                     r"clusters$", since=mark)
    assert pfd.forward("echo")["pid"] == first_pid, "an address elsewhere restarts nothing"

    mark = pfd.mark()
    pfd.ip("link", "add", "pfd-veth0", "type", "veth", "peer", "name", "pfd-veth1")
    pfd.ip("addr", "add", "10.201.0.1/24", "dev", "pfd-veth0")
    pfd.ip("link", "set", "pfd-veth0", "up")
    pfd.ip("link", "set", "pfd-veth1", "up")
    pfd.ip("route", "add", "default", "via", "10.201.0.2", "dev", "pfd-veth0")
    pfd.wait_for_log(r"network changed \(.*default route.*\): checking 0 clusters, restarting "
                     r"1 forward$", since=mark)
    pfd.wait_for_state("echo", "READY", since=mark)
    assert pfd.forward("echo")["pid"] != first_pid, "a new child for the new route"
