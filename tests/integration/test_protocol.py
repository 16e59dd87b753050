"""Hostile protocol suite (raw socket).  Each case must get an error reply
or a close, never a crash or a hang, and a second client is served after."""

import json
import socket
import threading
import time

import pytest

import minotest
from minotest import (Client, E_HELLO_REQUIRED, E_PROTOCOL_MISMATCH, ERR_INVALID_PARAMS,
                      ERR_INVALID_REQUEST, ERR_METHOD_NOT_FOUND, ERR_PARSE, frame)

HELLO = {"jsonrpc": "2.0", "id": 1, "method": "mino/hello",
         "params": {"protocol": 1, "client": "hostile"}}


@pytest.fixture(scope="module")
def d():
    reason = minotest.root_reason()
    if reason:
        pytest.skip(reason)
    e = minotest.MinoEnv("proto")
    e.start_daemon("-v", env=minotest.MEMORY_BOUND_ENV)    # test_slow_reader_not_blocking bounds its RSS
    yield e
    e.cleanup()


@pytest.fixture(autouse=True)
def still_serving(d):
    yield
    assert d.daemon.poll() is None, "minod died:\n" + d.daemon_log_tail()
    with Client(d.sock) as c:
        r = c.hello()
        assert "result" in r, r
        st = c.call("daemon/status")
        assert st["pid"] == d.daemon.pid


def raw(d):
    return Client(d.sock, timeout=10)


def hello_ok(c):
    r = c.hello()
    assert "result" in r, r
    return r["result"]


def expect_error(c, code, id_=None, closed=None):
    m = c.read_message(timeout=10)
    assert m is not None, "closed without an error reply"
    assert "error" in m, m
    assert m["error"]["code"] == code, m
    assert isinstance(m["error"].get("message"), str) and m["error"]["message"]
    assert m.get("id", "missing") == id_, m
    assert m.get("jsonrpc") == "2.0"
    if closed is True:
        assert c.wait_closed(5), "connection not closed after a framing error"
    return m


# ---------------------------------------------------------------- hello

def test_hello_result(d):
    with raw(d) as c:
        r = hello_ok(c)
        assert r["protocol"] == 1 and r["pid"] == d.daemon.pid and r["daemon"]


def test_hello_output_kinds(d):
    """output defaults to json; binary is granted when asked; anything else
    is invalid params and the connection may say hello again."""
    with raw(d) as c:
        assert hello_ok(c)["output"] == "json"
    with raw(d) as c:
        r = c.request("mino/hello", {"protocol": 1, "client": "x", "output": "binary"})
        assert r["result"]["output"] == "binary", r
    with raw(d) as c:
        r = c.request("mino/hello", {"protocol": 1, "client": "x", "output": "base85"})
        assert r["error"]["code"] == ERR_INVALID_PARAMS, r
        assert "`output`" in r["error"]["message"], r
        assert hello_ok(c)["output"] == "json"


def test_protocol_mismatch(d):
    with raw(d) as c:
        r = c.hello(protocol=999)
        assert r["error"]["code"] == E_PROTOCOL_MISMATCH
        assert "protocol version mismatch (client 999, daemon 1)" in r["error"]["message"]
        assert r["error"]["data"]["name"] == "protocol_mismatch"
        # the connection stays open for the client to report it
        r = c.hello()
        assert "result" in r


def test_method_before_hello(d):
    with raw(d) as c:
        r = c.request("session/list", {}, id_=5)
        assert r["error"]["code"] == E_HELLO_REQUIRED, r
        assert r["error"]["data"]["name"] == "hello_required"
        hello_ok(c)
        assert "sessions" in c.call("session/list")


def test_hello_wrong_types(d):
    with raw(d) as c:
        r = c.request("mino/hello", {"protocol": "1", "client": "x"})
        assert r["error"]["code"] == ERR_INVALID_PARAMS, r
    with raw(d) as c:
        # by-position params are valid JSON-RPC, but mino's methods take an object
        r = c.request("mino/hello", [1, "x"])
        assert r["error"]["code"] == ERR_INVALID_PARAMS, r


def test_string_id_echoed(d):
    with raw(d) as c:
        c.send(dict(HELLO, id="abc-1"))
        m = c.read_message()
        assert m["id"] == "abc-1" and "result" in m


def test_content_type_and_case(d):
    with raw(d) as c:
        body = json.dumps(HELLO).encode()
        c.send_raw(b"content-length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
                   % len(body) + body)
        m = c.read_message()
        assert "result" in m, m


def test_byte_by_byte(d):
    with raw(d) as c:
        data = frame(HELLO) + frame({"jsonrpc": "2.0", "id": 2, "method": "daemon/status"})
        for i in range(len(data)):
            c.send_raw(data[i:i + 1])
            if i % 16 == 0:
                time.sleep(0.001)
        assert "result" in c.read_message()
        m = c.read_message()
        assert m["id"] == 2 and "result" in m


def test_two_frames_one_write(d):
    with raw(d) as c:
        c.send_raw(frame(HELLO) + frame({"jsonrpc": "2.0", "id": 2, "method": "daemon/status"}))
        assert c.read_message()["id"] == 1
        assert c.read_message()["id"] == 2


# ---------------------------------------------------------------- framing

@pytest.mark.parametrize("header", [
    b"Content-Length: -5\r\n\r\n",
    b"Content-Length: 99999999999999999999999\r\n\r\n",
    b"Content-Length: abc\r\n\r\n",
    b"Content-Length: 12x\r\n\r\n",
    b"Content-Length: \r\n\r\n",
    b"Content-Length: 5\r\nContent-Length: 5\r\n\r\n",
    b"X-Other: 1\r\nContent-Length: 2\r\n\r\n",
    b"\r\n\r\n",
    b"no colon here\r\n\r\n",
    b"Content-Type: application/json\r\n\r\n",
])
def test_bad_header(d, header):
    with raw(d) as c:
        c.send_raw(header + b"{}")
        expect_error(c, ERR_PARSE, None, closed=True)


@pytest.mark.parametrize("after_hello", [False, True])
def test_header_section_too_big(d, after_hello):
    with raw(d) as c:
        if after_hello:
            hello_ok(c)
        c.send_raw(b"Content-Length: 2\r\n" + b"Content-Type: " + b"x" * 2000 + b"\r\n\r\n{}")
        expect_error(c, ERR_PARSE, None, closed=True)


def test_header_without_end_flood(d):
    with raw(d) as c:
        try:
            c.send_raw(b"A" * 100000)
        except (BrokenPipeError, ConnectionResetError):
            pass
        expect_error(c, ERR_PARSE, None, closed=True)


def test_prehello_body_cap(d):
    # 16 KiB until hello: refused from the header alone, before the body
    with raw(d) as c:
        c.send_raw(b"Content-Length: %d\r\n\r\n" % (16 * 1024 + 1))
        expect_error(c, ERR_PARSE, None, closed=True)


def test_prehello_under_cap_ok(d):
    with raw(d) as c:
        msg = dict(HELLO)
        msg["params"] = dict(HELLO["params"], client="p" * 15000)
        c.send(msg)
        assert "result" in c.read_message()


def test_posthello_body_cap(d):
    with raw(d) as c:
        hello_ok(c)
        # a body over 16 KiB is fine after hello
        # (params a method does not define are ignored: PROTOCOL.md)
        r = c.request("daemon/status", {"pad": "x" * 100000})
        assert "result" in r, r
        assert r["result"]["pid"] == d.daemon.pid, r
        # but not past the 4 MiB cap
        c.send_raw(b"Content-Length: %d\r\n\r\n" % (4 * 1024 * 1024 + 1))
        expect_error(c, ERR_PARSE, None, closed=True)


def test_prehello_flood(d):
    """A peer that floods requests before hello and never reads does not
    stall the daemon for others."""
    c = raw(d)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stop = threading.Event()

    def flood():
        msg = frame({"jsonrpc": "2.0", "id": 9, "method": "session/list", "params": {}})
        try:
            for _ in range(20000):
                if stop.is_set():
                    break
                c.sock.sendall(msg * 10)
        except OSError:
            pass
    t = threading.Thread(target=flood, daemon=True)
    t.start()
    time.sleep(1)
    # others are served meanwhile
    t0 = time.time()
    with Client(d.sock) as other:
        hello_ok(other)
        other.call("daemon/status")
    assert time.time() - t0 < 5
    stop.set()
    c.close()
    t.join(10)


def test_truncated_body_then_close(d):
    with raw(d) as c:
        c.send_raw(b"Content-Length: 100\r\n\r\n{\"jsonrpc\":")
        c.sock.shutdown(socket.SHUT_WR)
        # no reply is required, but the daemon must close its side
        assert c.wait_closed(5)


def connected_clients(d):
    with Client(d.sock) as c:
        hello_ok(c)
        return c.call("daemon/status")["clients"] - 1    # not counting this one


def test_close_mid_header(d):
    before = connected_clients(d)
    with raw(d) as c:
        c.send_raw(b"Content-Len")
        # a half header is no message: no reply, the connection stays open
        with pytest.raises(socket.timeout):
            c.read_message(timeout=0.5)
    with raw(d) as c:
        c.send_raw(frame(HELLO)[:-3])
        with pytest.raises(socket.timeout):
            c.read_message(timeout=0.5)
    # both closes were noticed: minod holds no connection for them
    assert minotest.wait_for(lambda: connected_clients(d) == before, 10), (connected_clients(d), before)


# ---------------------------------------------------------------- bodies

@pytest.mark.parametrize("body", [
    b"{",
    b"not json",
    b'{"jsonrpc":"2.0","id":1,"id":2,"method":"mino/hello","params":{"protocol":1,"client":"x"}}',
    b'{"jsonrpc":"2.0","id":1,"method":"mino/hello","params":{"protocol":1,"protocol":1,"client":"x"}}',
    b'{"jsonrpc":"2.0","id":1,"method":"mino/hello","params":{"protocol":1,"client":"a\x00b"}}',
    b'{"jsonrpc":"2.0","id":1,"method":"mino/hello","params":{"protocol":1,"client":"\xff\xfe"}}',
    b'{"jsonrpc":"2.0","id":1,"method":"mino/hello","params":{"protocol":1,"client":"\xc3"}}',
    b'\x00',
    b'{"jsonrpc":"2.0","id":1,"method":"mino/hello","params":{"x":' + b"[" * 100 + b"]" * 100 + b'}}',
    b'{"jsonrpc":"2.0","id":1,"method":"mino/hello","params":{"x":' + b"[" * 5000 + b"]" * 5000 + b'}}',
    b'{"jsonrpc":"2.0","id":1,"method":"mino/hello","params":{"x":' + b'{"a":' * 40 + b"1" + b"}" * 40 + b'}}',
])
def test_bad_json(d, body):
    with raw(d) as c:
        c.send_raw(frame(body))
        expect_error(c, ERR_PARSE, None)


def test_nesting_within_limit_ok(d):
    with raw(d) as c:
        hello_ok(c)
        # depth 22 (under the limit of 32); unknown params are ignored
        r = c.request("daemon/status", {"x": json.loads("[" * 20 + "]" * 20)})
        assert "result" in r, r
        assert r["result"]["pid"] == d.daemon.pid, r


@pytest.mark.parametrize("msg", [
    {"id": 1, "method": "mino/hello", "params": {"protocol": 1, "client": "x"}},
    {"jsonrpc": "1.0", "id": 1, "method": "mino/hello", "params": {"protocol": 1, "client": "x"}},
    {"jsonrpc": "2.0", "id": 1, "method": 5},
    {"jsonrpc": "2.0", "id": 1},
    {"jsonrpc": "2.0", "id": {"x": 1}, "method": "mino/hello"},
    {"jsonrpc": "2.0", "id": 1, "method": "mino/hello", "params": "str"},
])
def test_invalid_request(d, msg):
    with raw(d) as c:
        c.send(msg)
        m = c.read_message(timeout=10)
        assert m is not None and "error" in m, m
        # each is a malformed request object (JSON-RPC 2.0: -32600), params "str" included
        assert m["error"]["code"] == ERR_INVALID_REQUEST, m


def test_not_an_object(d):
    for body in (b"5", b'"str"', b"null", b"true"):
        with raw(d) as c:
            c.send_raw(frame(body))
            expect_error(c, ERR_INVALID_REQUEST, None)


def test_batch_array(d):
    with raw(d) as c:
        c.send([HELLO, dict(HELLO, id=2)])
        expect_error(c, ERR_INVALID_REQUEST, None)
    with raw(d) as c:
        c.send([])
        expect_error(c, ERR_INVALID_REQUEST, None)


def test_unknown_method(d):
    with raw(d) as c:
        hello_ok(c)
        r = c.request("no/such-method", {}, id_=77)
        assert r["error"]["code"] == ERR_METHOD_NOT_FOUND and r["id"] == 77


def test_notifications_get_no_reply(d):
    with raw(d) as c:
        hello_ok(c)
        c.notify("no/such-method", {})
        c.notify("session/detach", {"session": "nope"})
        c.notify("session/input", {"session": "nope", "data": "aGk="})
        c.notify("session/resize", {"session": "nope", "rows": 0, "cols": 99999})
        c.notify("$/cancelRequest", {"id": 12345})
        c.notify("daemon/status")
        m = c.request("daemon/status", None, id_=424242)
        assert m["id"] == 424242
        assert [n for n in c.notes if "id" in n] == [], c.notes


def test_wrong_param_types(d):
    with raw(d) as c:
        hello_ok(c)
        for method, params in [
            ("session/create", {"project": 5}),
            ("session/create", {"project": "/tmp", "command": "true"}),
            ("session/create", {"project": "/tmp", "command": [1, 2]}),
            ("session/create", {"project": "/tmp", "tty": "yes"}),
            ("session/list", {"all": "yes"}),
            ("session/stop", {}),
            ("session/stop", {"session": 7}),
        ]:
            r = c.request(method, params)
            assert "error" in r, (method, params, r)
            assert r["error"]["code"] == ERR_INVALID_PARAMS, (method, params, r)
            assert r["error"]["message"].startswith("invalid params: "), (method, params, r)


def test_signal_param_types(d):
    with raw(d) as c:
        hello_ok(c)
        # the session is looked up before `signal` is read
        r = c.request("session/signal", {"session": "x", "signal": []})
        assert r["error"]["code"] == minotest.E_SESSION_NOT_FOUND, r
        r = c.request("session/signal", {"session": 5, "signal": "TERM"})
        assert r["error"]["code"] == ERR_INVALID_PARAMS, r


def test_unknown_session(d):
    with raw(d) as c:
        hello_ok(c)
        for method in ("session/stop", "session/logs", "session/attach", "session/signal"):
            params = {"session": "no-such-session"}
            if method == "session/signal":
                params["signal"] = "TERM"
            r = c.request(method, params)
            assert r["error"]["code"] == minotest.E_SESSION_NOT_FOUND, (method, r)
            assert r["error"]["data"]["name"] == "session_not_found"


def test_many_clients(d):
    clients = [raw(d) for _ in range(50)]
    try:
        for c in clients:
            hello_ok(c)
        for c in clients:
            c.call("daemon/status")
        st = clients[0].call("daemon/status")
        assert st["clients"] >= 50
    finally:
        for c in clients:
            c.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def test_slow_reader_not_blocking(d):
    """A client that sends requests but never reads replies cannot stall
    others, and its replies queue only up to the write cap (8 MiB), after
    which minod stops reading it."""
    rss0 = rss_kib(d.daemon.pid)
    c = raw(d)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hello_ok(c)
    msg = frame({"jsonrpc": "2.0", "id": 3, "method": "daemon/status"}) * 50
    c.sock.settimeout(5 * minotest.SLOW)
    sent = 0
    blocked = False
    # each reply is ~5 times its request: 2000 rounds would queue ~40 MiB of
    # replies if nothing pushed back
    for _ in range(2000):
        try:
            c.sock.sendall(msg)
        except socket.timeout:
            blocked = True     # minod stopped reading us: backpressure
            break
        sent += len(msg)
    assert blocked, "minod read all %d bytes of requests without pushing back" % sent
    peak = rss_kib(d.daemon.pid)
    with Client(d.sock) as other:
        hello_ok(other)
        assert other.call("daemon/status")["pid"] == d.daemon.pid
    peak = max(peak, rss_kib(d.daemon.pid))
    # the 8 MiB reply queue (about 14 MiB of RSS with its per-reply
    # allocations) plus working memory; the daemon/status requests that wait
    # for the podman probe of a fresh minod are capped too (PROTOCOL.md)
    bound = minotest.memory_bound_kib(32 * 1024)
    assert peak - rss0 < bound, "minod grew by %d KiB (bound %d KiB)" % (peak - rss0, bound)
    c.close()
