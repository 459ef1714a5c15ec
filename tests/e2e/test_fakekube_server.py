"""The fake API server at the wire level: HTTP answers, watches and the SPDY port-forward
session, driven by a raw client so each protocol step can be asserted. No kubectl."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from fakekube import spdy
from fakekube.spdy_client import SpdyPortForwardClient, UpgradeRefused

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _get(cluster, path: str, accept: str = "application/json"):
    connection = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=10)
    connection.request("GET", path, headers={"Accept": accept})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, json.loads(body) if body.startswith(b"{") else body


def test_version_reports_the_configured_server_version(cluster):
    response, body = _get(cluster, "/version")
    assert response.status == 200
    assert (body["major"], body["minor"], body["gitVersion"]) == ("1", "32", "v1.32.0")


def test_aggregated_discovery_is_served_with_its_content_type(cluster):
    response, body = _get(cluster, "/apis", AGGREGATED_V2 + ",application/json")
    assert response.getheader("Content-Type") == AGGREGATED_V2
    assert body["kind"] == "APIGroupDiscoveryList"
    resources = {r["resource"]: r for r in body["items"][0]["versions"][0]["resources"]}
    assert resources["deployments"]["shortNames"] == ["deploy"]
    core = _get(cluster, "/api", AGGREGATED_V2)[1]
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert "portforward" in {s["subresource"] for s in pods["subresources"]}


def test_legacy_discovery_answers_plain_json_clients(cluster):
    response, body = _get(cluster, "/apis")
    assert response.getheader("Content-Type") == "application/json"
    assert body["kind"] == "APIGroupList" and body["groups"][0]["name"] == "apps"
    names = {r["name"] for r in _get(cluster, "/api/v1")[1]["resources"]}
    assert {"pods", "pods/portforward", "services", "namespaces"} <= names


def test_missing_objects_are_not_found_status_objects(cluster):
    response, body = _get(cluster, "/apis/apps/v1/namespaces/default/deployments/nope")
    assert response.status == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "apps", "kind": "deployments"},
        "code": 404,
    }
    assert _get(cluster, "/api/v1/namespaces/nope")[1]["message"] == 'namespaces "nope" not found'


def test_protobuf_only_clients_get_not_acceptable(cluster):
    response, body = _get(
        cluster, "/api/v1/namespaces/default/pods", "application/vnd.kubernetes.protobuf"
    )
    assert response.status == 406 and body["reason"] == "NotAcceptable"


def test_watch_streams_added_modified_and_deleted_events(cluster):
    cluster.add_pod("solo")
    connection = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=10)
    connection.request(
        "GET", "/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dsolo"
    )
    response = connection.getresponse()
    assert response.status == 200
    cluster.set_ready("solo", False)
    cluster.delete_pod("solo", grace=0)
    events = []
    while not events or events[-1]["type"] != "DELETED":
        line = response.readline()  # http.client undoes the chunked framing
        assert line, f"watch ended early after {events}"
        events.append(json.loads(line))
    connection.close()
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "MODIFIED", "DELETED"]
    assert all(e["object"]["metadata"]["name"] == "solo" for e in events)
    assert events[2]["object"]["metadata"]["deletionTimestamp"]


@pytest.fixture
def web(cluster):
    return cluster.add_deployment("web", replicas=1, ports={"http": 8080})[0]


def _reply_and_data(client, stream_ids):
    """Collects frames until every stream in stream_ids got FIN; returns payload per stream and
    the frame types seen."""
    payload = {sid: b"" for sid in stream_ids}
    open_streams, replies = set(stream_ids), set()
    while open_streams:
        frame = client.next_frame()
        assert frame is not None, "server closed the connection"
        if isinstance(frame, spdy.SynReplyFrame):
            replies.add(frame.stream_id)
        elif isinstance(frame, spdy.DataFrame) and frame.stream_id in payload:
            payload[frame.stream_id] += frame.data
            if frame.fin:
                open_streams.discard(frame.stream_id)
    return payload, replies


def test_forwarded_connection_reaches_the_pod_backend(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    try:
        assert "X-Stream-Protocol-Version: portforward.k8s.io" in client.response_head
        error_id, data_id = client.open_pair(8080)
        client.send(spdy.DataFrame(data_id, b"GET / HTTP/1.0\r\n\r\n", spdy.FLAG_FIN))
        payload, replies = _reply_and_data(client, [error_id, data_id])
        assert replies == {error_id, data_id}
        assert payload[error_id] == b""
        assert payload[data_id].startswith(b"HTTP/1.1 200 OK") and payload[data_id].endswith(
            web.encode()
        )
    finally:
        client.close()


def test_pings_are_echoed(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    try:
        client.send(spdy.PingFrame(41))
        assert client.next_frame() == spdy.PingFrame(41)
    finally:
        client.close()


def test_refused_port_gets_kubelets_message_on_the_error_stream(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    try:
        error_id, data_id = client.open_pair(9999)
        payload, _ = _reply_and_data(client, [error_id, data_id])
        message = payload[error_id].decode()
        sandbox = cluster.pod(web).sandbox_id
        assert message.startswith(f"error forwarding port 9999 to pod {sandbox}, uid : ")
        assert "dial tcp4 127.0.0.1:9999: connect: connection refused" in message
    finally:
        client.close()


def test_deleted_pod_keeps_the_session_but_fails_new_streams(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    try:
        cluster.delete_pod(web)
        error_id, data_id = client.open_pair(8080)
        payload, _ = _reply_and_data(client, [error_id, data_id])
        sandbox = cluster.pod(web).sandbox_id
        assert payload[error_id].decode() == (
            f"error forwarding port 8080 to pod {sandbox}, uid : "
            f'failed to find sandbox "{sandbox}" '
            "in store: not found"
        )
        client.send(spdy.PingFrame(3))
        assert client.next_frame() == spdy.PingFrame(3)  # the session itself is still up
    finally:
        client.close()


def test_docker_runtime_says_no_such_container(tmp_path):
    from fakekube import FakeCluster

    with FakeCluster(str(tmp_path / "c"), runtime="docker") as cluster:
        pod = cluster.add_pod("solo")
        client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", pod)
        try:
            cluster.delete_pod(pod)
            error_id, data_id = client.open_pair(8080)
            payload, _ = _reply_and_data(client, [error_id, data_id])
            assert (
                payload[error_id]
                .decode()
                .endswith(f"Error: No such container: {cluster.pod(pod).sandbox_id}")
            )
        finally:
            client.close()


def test_deleting_with_close_sessions_sends_goaway_and_closes(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    try:
        cluster.delete_pod(web, close_sessions=True)
        assert isinstance(client.next_frame(), spdy.GoAwayFrame)
        assert client.next_frame() is None
    finally:
        client.close()


def test_hung_stream_creation_is_never_answered_while_pings_are(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    try:
        cluster.hang_streams(True)
        client.open_stream("error", 8080, 0)
        client.send(spdy.PingFrame(5))
        # Frames are handled in order: had the SYN_STREAM been answered, its reply came first.
        assert client.next_frame() == spdy.PingFrame(5)
        assert client.frames.empty()
    finally:
        client.close()


def test_client_reset_of_the_data_stream_ends_the_pair_at_once(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    try:
        error_id, data_id = client.open_pair(8080)
        replies = set()
        while replies != {error_id, data_id}:
            replies.add(client.next_frame().stream_id)
        client.send(spdy.RstStreamFrame(data_id, spdy.RST_CANCEL))
        payload, _ = _reply_and_data(client, [error_id])
        assert payload[error_id] == b""
    finally:
        client.close()


def test_upgrade_for_a_missing_pod_is_refused_with_not_found(cluster):
    with pytest.raises(UpgradeRefused) as refused:
        SpdyPortForwardClient("127.0.0.1", cluster.port, "default", "ghost")
    assert "404" in refused.value.status_line
    assert b'pods \\"ghost\\" not found' in refused.value.body


def test_forbidden_portforward_is_a_403_status(cluster, web):
    cluster.forbid("create", "pods/portforward")
    with pytest.raises(UpgradeRefused) as refused:
        SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    assert "403" in refused.value.status_line


def test_api_down_refuses_and_cuts_sessions_then_comes_back_on_the_same_port(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    port = cluster.port
    try:
        cluster.api_down()
        assert client.next_frame() is None
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        cluster.api_up()
        assert cluster.port == port
        response, body = _get(cluster, "/version")
        assert response.status == 200
    finally:
        client.close()


def test_slow_api_server_outlasts_a_short_client_timeout(cluster):
    cluster.api_delay(5)
    connection = http.client.HTTPConnection("127.0.0.1", cluster.port, timeout=0.5)
    with pytest.raises(TimeoutError):
        connection.request("GET", "/version")
        connection.getresponse()
    connection.close()
    cluster.api_delay(0)
    assert _get(cluster, "/version")[0].status == 200


def test_unavailable_api_server_answers_503_but_open_sessions_go_on(cluster, web):
    client = SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
    try:
        cluster.api_unavailable(True)
        response, body = _get(cluster, "/api/v1/namespaces/default/pods")
        assert response.status == 503
        assert (body["kind"], body["reason"], body["code"]) == ("Status", "ServiceUnavailable", 503)
        with pytest.raises(UpgradeRefused) as refused:
            SpdyPortForwardClient("127.0.0.1", cluster.port, "default", web)
        assert "503" in refused.value.status_line
        client.send(spdy.PingFrame(43))  # the session opened before goes on
        assert client.next_frame() == spdy.PingFrame(43)
        cluster.api_unavailable(False)
        assert _get(cluster, "/api/v1/namespaces/default/pods")[0].status == 200
    finally:
        client.close()


def test_restarted_containers_count_up_and_drop_connections(cluster, web):
    backend = cluster.backend(web)
    connection = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=5)
    connection.request("GET", "/")  # HTTP/1.1 keep-alive: the connection stays open after this
    assert connection.getresponse().read() == web.encode()
    cluster.restart_containers(web)
    assert connection.sock.recv(1) == b""  # the old process's connection is gone
    connection.close()
    pod = _get(cluster, f"/api/v1/namespaces/default/pods/{web}")[1]
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 1
    assert backend.running  # and the new process listens on the same port
