"""Network egress (issue 9): allowlists enforced from outside the container,
DNS that follows the allowlist, live changes, modes and conflicts.

Every test host is a server container on a podman network that the test
creates (`allowed-srv` and `denied-srv`, aliases that aardvark-dns resolves
there); nothing else is contacted.  The probe image is a Debian minbase
(bash's /dev/tcp and getent have a working resolver; busybox's crash),
built by images/build-deb-test-image.sh when missing."""
import json
import os
import subprocess
import time

import pytest

import minotest

DEB = "localhost/mino-test-deb:latest"
SUBNET4 = "10.231.7.0/24"
SUBNET6 = "fd7a:6d69:6e6f::/64"
ROTATED_IP = "10.231.7.77"

SERVER = r'''
use IO::Socket::IP; use IO::Select;
my @l = map { IO::Socket::IP->new(LocalHost => "::", LocalPort => $_, Listen => 16,
    ReuseAddr => 1, V6Only => 0) or die "listen $_: $@" } (8080, 9090);
my $sel = IO::Select->new(@l); $| = 1; print "ready\n";
while (1) { for my $s ($sel->can_read) { my $c = $s->accept or next;
    print $c "$ENV{WHO}-" . $s->sockport . "\n"; close $c; } }
'''

# One DNS query (A, IN) to 127.0.0.53: prints the answer's RCODE.
DNSQ = r'''
use Socket;
my $name = shift; my $q = pack("n6", 0x4242, 0x0100, 1, 0, 0, 0);
$q .= pack("C", length $_) . $_ for split /\./, $name; $q .= pack("Cn2", 0, 1, 1);
socket(my $s, PF_INET, SOCK_DGRAM, 0) or die; my $to = sockaddr_in(53, inet_aton("127.0.0.53"));
send($s, $q, 0, $to) or die; my $r = ""; my $rin = ""; vec($rin, fileno($s), 1) = 1;
select($rin, undef, undef, 5) or die "no answer"; recv($s, $r, 4096, 0);
printf "rcode=%d id=%x\n", unpack("n", substr($r, 2, 2)) & 15, unpack("n", $r);
'''


def connect_cmd(host, port, secs=2):
    return ("timeout %d bash -c 'exec 3<>/dev/tcp/%s/%d && head -n1 <&3' && echo OPEN || echo BLOCKED"
            % (secs, host, port))


def ensure_image():
    if subprocess.run(["podman", "image", "exists", DEB], env=minotest.base_env()).returncode == 0:
        return
    script = os.path.join(os.environ.get("MINO_SRCDIR", "."), "images", "build-deb-test-image.sh")
    p = subprocess.run(["bash", script, DEB], env=minotest.base_env(), capture_output=True, timeout=900)
    assert p.returncode == 0, p.stderr.decode(errors="replace")


def stop_aardvark():
    """Test-machine workaround (podman 4.3, a runtime dir per test): each
    test gets its own rootless network namespace (MinoEnv.cleanup releases
    it), but netavark finds the aardvark-dns of an earlier test through its
    pid file and only signals it, so names stop resolving on the new
    network.  End this user's aardvark-dns (started by these tests, the only
    ones here that make podman networks) so that netavark starts a new one."""
    for pid in minotest.pids_with_cmdline("/aardvark-dns"):
        try:
            if os.stat("/proc/%d" % pid).st_uid != os.getuid():
                continue
            os.kill(pid, 15)
        except OSError:
            continue
        minotest.wait_for(lambda: not minotest.pid_alive(pid), 10)


class Net:
    def __init__(self, e):
        self.e = e
        self.net = "t%s-net" % e.token
        self.servers = []
        stop_aardvark()
        p = e.podman("network", "create", "--subnet", SUBNET4, "--ipv6", "--subnet", SUBNET6, self.net)
        assert p.returncode == 0, p.stderr
        self.allowed = self.server("allowed-srv")
        self.denied = self.server("denied-srv")

    def server(self, alias, ip=None):
        name = "t%s-%s" % (self.e.token, alias.replace(".", "-"))
        args = ["run", "-d", "--name", name, "--network", self.net, "--network-alias", alias,
                "-e", "WHO=%s" % alias, "--cap-drop", "ALL"]
        if ip:
            args[args.index(self.net)] = "%s:ip=%s" % (self.net, ip)
        p = self.e.podman(*(args + [DEB, "perl", "-e", SERVER]))
        assert p.returncode == 0, p.stderr
        self.servers.append(name)
        assert minotest.wait_for(lambda: b"ready" in self.e.podman("logs", name).stdout, 20)
        return self.addrs(name)

    def addrs(self, name):
        p = self.e.podman("inspect", "-f", "{{json .NetworkSettings.Networks}}", name)
        nets = json.loads(p.stdout)[self.net]
        return nets["IPAddress"], nets.get("GlobalIPv6Address", "")

    def remove(self, alias):
        name = "t%s-%s" % (self.e.token, alias)
        self.e.podman("rm", "-f", "-t", "0", name)
        self.servers.remove(name)

    def cleanup(self):
        for n in self.servers:
            self.e.podman("rm", "-f", "-t", "0", n)
        self.e.podman("network", "rm", "-f", self.net)
        stop_aardvark()


@pytest.fixture
def net(menv):
    ensure_image()
    n = Net(menv)
    yield n
    menv.stop_daemon()
    n.cleanup()


def run_detached(e, net, *flags):
    name = e.name("n")
    p = e.mino("run", "-d", "-n", name, "--image", DEB, "--network", net.net, *flags, "--", "sleep", "600")
    assert p.returncode == 0, p.stderr
    e.wait_status(name, "running")
    return name


def sh(e, name, cmd, timeout=60):
    p = e.mino("exec", name, "--", "bash", "-c", cmd, timeout=timeout)
    return p.stdout.decode(errors="replace"), p


def status(e, name):
    p = e.mino("network", "--json", name)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_allowlist_on_a_podman_network(net):
    e = net.e
    denied4, denied6 = net.denied
    allowed4, allowed6 = net.allowed
    # the rules hold from the command's first instruction on
    p = e.mino("run", "--image", DEB, "--network", net.net, "--network-allow", "allowed-srv:8080", "--",
               "bash", "-c", connect_cmd(denied4, 8080) + "; " + connect_cmd("allowed-srv", 8080))
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().split() == ["BLOCKED", "allowed-srv-8080", "OPEN"], p.stdout

    name = run_detached(e, net, "--network-allow", "allowed-srv:8080")
    out, _ = sh(e, name, connect_cmd("allowed-srv", 8080))
    assert out.split() == ["allowed-srv-8080", "OPEN"], out
    out, _ = sh(e, name, connect_cmd("allowed-srv", 9090))
    assert out.split() == ["BLOCKED"], out                      # another port
    out, p = sh(e, name, "getent ahosts denied-srv; echo rc=$?")
    assert out.split() == ["rc=2"], out                         # not resolved
    out, _ = sh(e, name, connect_cmd(denied4, 8080))
    assert out.split() == ["BLOCKED"], out                      # by address
    out, _ = sh(e, name, connect_cmd(allowed4, 9090))
    assert out.split() == ["BLOCKED"], out
    # IPv6: the network has it
    assert allowed6 and denied6
    out, _ = sh(e, name, connect_cmd(allowed6, 8080))
    assert out.split() == ["allowed-srv-8080", "OPEN"], out
    out, _ = sh(e, name, connect_cmd(denied6, 8080))
    assert out.split() == ["BLOCKED"], out
    out, _ = sh(e, name, connect_cmd(allowed6, 9090))
    assert out.split() == ["BLOCKED"], out

    # list, audit
    s = e.session(name)
    assert s["network_mode"] == "allowlist" and s["network_allow"] == ["allowed-srv:8080"], s
    assert s["network"] == net.net and s["network_denied"] >= 2, s
    ev = [a for a in e.audit_lines() if a["event"].startswith("network.")]
    applied = [a for a in ev if a["event"] == "network.rules_applied" and a["data"]["session"] == name]
    assert applied and applied[0]["data"]["rules"] == ["allowed-srv:8080"], ev
    denied = [a["data"] for a in ev if a["event"] == "network.dns_denied" and a["data"]["session"] == name]
    assert {"session": name, "name": "denied-srv", "type": "A"} in denied, denied


def test_container_root_cannot_change_the_rules(net):
    e = net.e
    denied4 = net.denied[0]
    name = run_detached(e, net, "--network-allow", "allowed-srv:8080")
    out, p = sh(e, name, "id -u; iptables -F; echo ipt=$?; nft flush ruleset; echo nft=$?; "
                "iptables -P OUTPUT ACCEPT; echo pol=$?")
    lines = out.split()
    assert lines[0] == "0", out                      # root in the container
    assert "ipt=0" not in lines and "nft=0" not in lines and "pol=0" not in lines, out
    out, _ = sh(e, name, connect_cmd(denied4, 8080))
    assert out.split() == ["BLOCKED"], out
    out, _ = sh(e, name, "echo nameserver %s > /etc/resolv.conf; getent ahosts denied-srv; echo rc=$?" %
                "10.231.7.1")
    assert out.split()[-1] == "rc=2", out            # another resolver: port 53 is dropped
    out, _ = sh(e, name, "echo nameserver 127.0.0.53 > /etc/resolv.conf; " + connect_cmd("allowed-srv", 8080))
    assert out.split() == ["allowed-srv-8080", "OPEN"], out


def test_denied_names_are_nxdomain_and_never_forwarded(net):
    e = net.e
    name = run_detached(e, net, "--network-allow", "allowed-srv:8080,*.example.test:443")
    before = status(e, name)
    out, _ = sh(e, name, "perl -e '%s' denied-srv; perl -e '%s' nothing.invalid" % (DNSQ, DNSQ))
    assert out.split() == ["rcode=3", "id=4242", "rcode=3", "id=4242"], out
    after = status(e, name)
    assert after["forwarded"] == before["forwarded"], (before, after)
    assert after["denied"] == before["denied"] + 2, (before, after)
    assert [d["name"] for d in after["recent_denials"]][-2:] == ["denied-srv", "nothing.invalid"], after
    out, _ = sh(e, name, "perl -e '%s' allowed-srv" % DNSQ)
    assert out.split() == ["rcode=0", "id=4242"], out
    later = status(e, name)
    assert later["forwarded"] == after["forwarded"] + 1 and later["denied"] == after["denied"], later
    assert any(r["name"] == "allowed-srv" and r["address"] == net.allowed[0] and r["port"] == 8080 and
               30 <= r["expires_in"] <= 3600 for r in later["resolved"]), later


def test_rotation_follows_dns_without_restart(net):
    e = net.e
    name = run_detached(e, net, "--network-allow", "allowed-srv:8080")
    # an allowed connect: 10 s, because its own lookup may wait out a slow
    # aardvark-dns under load (2 s per nameserver) within the timeout
    out, _ = sh(e, name, connect_cmd("allowed-srv", 8080, secs=10))
    assert out.split() == ["allowed-srv-8080", "OPEN"], out
    old = net.allowed[0]
    assert old != ROTATED_IP
    net.remove("allowed-srv")
    new = net.server("allowed-srv", ip=ROTATED_IP)[0]
    assert new == ROTATED_IP
    # aardvark-dns reloads its records asynchronously (SIGHUP from netavark):
    # ask until its answer has the new address; every query reaches it (no cache)
    out, _ = sh(e, name, "for i in $(seq 40); do getent ahostsv4 allowed-srv | grep -q '^%s ' && break; "
                "sleep 0.25; done; getent ahostsv4 allowed-srv | head -n1; %s"
                % (ROTATED_IP, connect_cmd("allowed-srv", 8080, secs=10)))
    assert out.split()[0] == ROTATED_IP and out.split()[-2:] == ["allowed-srv-8080", "OPEN"], out


def test_live_allow_and_deny(net):
    e = net.e
    name = run_detached(e, net, "--network-allow", "allowed-srv:8080")
    out, _ = sh(e, name, connect_cmd("allowed-srv", 9090))
    assert out.split() == ["BLOCKED"], out
    p = e.mino("network", name, "allow", "allowed-srv:9090")
    assert p.returncode == 0, p.stderr
    assert "allowed-srv:9090" in p.stdout.decode(), p.stdout
    out, _ = sh(e, name, connect_cmd("allowed-srv", 9090))
    assert out.split() == ["allowed-srv-9090", "OPEN"], out
    p = e.mino("network", name, "deny", "allowed-srv:8080")
    assert p.returncode == 0, p.stderr
    out, _ = sh(e, name, connect_cmd("allowed-srv", 8080) + "; " + connect_cmd("allowed-srv", 9090))
    assert out.split() == ["BLOCKED", "allowed-srv-9090", "OPEN"], out
    p = e.mino("network", name, "deny", "nosuch:1")
    assert p.returncode != 0 and b"no rule `nosuch:1`" in p.stderr, p.stderr
    p = e.mino("network", name, "allow", "bad rule")
    assert p.returncode == 2 and b"invalid network rule `bad rule`" in p.stderr, p.stderr
    assert status(e, name)["rules"] == ["allowed-srv:9090"]
    ch = [a["data"] for a in e.audit_lines() if a["event"] == "network.changed"]
    assert ch[0]["allow"] == ["allowed-srv:9090"] and ch[1]["deny"] == ["allowed-srv:8080"], ch
    assert e.session(name)["network_allow"] == ["allowed-srv:9090"]


def test_none_has_only_lo(menv):
    ensure_image()
    p = menv.mino("run", "--image", DEB, "--network", "none", "--", "ls", "/sys/class/net")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().split() == ["lo"], p.stdout


@pytest.mark.parametrize("args,msg", [
    (["--network-allow", "a.test:1", "--network-preset", "dev"], "--network-allow and --network-preset conflict"),
    (["--network", "none", "--network-allow", "a.test:1"], "--network none cannot be combined with an allowlist"),
    (["--network-allow", "a.test:1,b.test"], "invalid network rule `b.test`: expected host:port"),
    (["--network-allow", "fd00::1:80"], "invalid network rule `fd00::1:80`: an IPv6 address goes in brackets"),
    (["--network-allow", "a.test:0"], "the port must be a number from 1 to 65535"),
    (["--network", "container:abc"], "invalid network mode `container:abc`"),
])
def test_conflicts_and_bad_rules_exit_2(menv, args, msg):
    p = menv.mino("run", *args, "--", "true")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert msg in p.stderr.decode() and minotest.is_one_line_error(p.stderr), p.stderr
    assert menv.containers() == []


def test_config_none_with_allowlist_is_refused(menv):
    # the config's network = "none" and an allowlist from the config (every rule form)
    with open(menv.config) as f:
        text = f.read()
    with open(menv.config, "w") as f:
        f.write(text.replace('network = "none"\n',
                             'network = "none"\nnetwork_allow = ["a.test:443", "[fd00::1]:80", "*.b.test:443"]\n'))
    p = menv.mino("run", "--", "true")
    assert p.returncode != 0 and minotest.is_one_line_error(p.stderr), p.stderr
    assert b"`container.network_allow` cannot be combined with network mode none" in p.stderr, p.stderr
    assert menv.containers() == []


def test_host_with_allowlist_warns_and_uses_bridge(net):
    e = net.e
    name = e.name("h")
    p = e.mino("run", "-n", name, "--image", DEB, "--network", "host", "--network-allow", "allowed-srv:8080",
               "--", "ls", "/sys/class/net")
    assert p.returncode == 0, p.stderr
    assert b"host networking cannot be combined with an allowlist: using bridge" in p.stderr, p.stderr
    s = e.session(name)
    assert s["network"] == "bridge" and s["network_mode"] == "allowlist", s


def test_rules_that_cannot_be_applied_fail_the_start(net):
    e = net.e
    e.stop_daemon()
    # the nft that minod finds first (its PATH) refuses every command
    fake = os.path.join(e.root, "fakebin")
    os.mkdir(fake)
    with open(os.path.join(fake, "nft"), "w") as f:
        f.write("#!/bin/sh\necho 'Error: this nft refuses everything' >&2\nexit 1\n")
    os.chmod(os.path.join(fake, "nft"), 0o755)
    env = {"PATH": fake + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
    e.start_daemon(env=env)
    name = e.name("f")
    p = e.mino("run", "-n", name, "--image", DEB, "--network", net.net, "--network-allow", "allowed-srv:8080",
               "--", "echo", "RAN")
    assert b"RAN" not in p.stdout and p.returncode != 0, (p.stdout, p.stderr)
    assert b"egress rules" in p.stderr and b"nft" in p.stderr, p.stderr
    s = e.session(name)
    assert s is None or s["status"] == "failed", s
    assert minotest.wait_for(lambda: e.container_of(name) is None, 20), e.containers()
    assert not [a for a in e.audit_lines() if a["event"] == "network.rules_applied"]


def test_host_warns_once_per_project(menv):
    first = menv.mino("run", "--network", "host", "--", "true")
    assert first.returncode == 0, first.stderr
    assert b"host networking: the session shares the host's network" in first.stderr, first.stderr
    again = menv.mino("run", "--network", "host", "--", "true")
    assert again.returncode == 0 and b"host networking" not in again.stderr, again.stderr


def test_wildcard_rule(net):
    e = net.e
    net.server("www.wild.test")
    name = run_detached(e, net, "--network-allow", "*.wild.test:8080")
    out, _ = sh(e, name, connect_cmd("www.wild.test", 8080))
    assert out.split() == ["www.wild.test-8080", "OPEN"], out
    out, _ = sh(e, name, "perl -e '%s' wild.test; perl -e '%s' allowed-srv" % (DNSQ, DNSQ))
    assert out.split() == ["rcode=3", "id=4242", "rcode=3", "id=4242"], out   # not the domain itself


def test_presets_take_registries_from_the_package_managers(net):
    e = net.e
    e.stop_daemon()
    e.start_daemon(env={"npm_config_registry": "https://npm.mirror.test/",
                        "PIP_INDEX_URL": "https://pip.mirror.test:8443/simple"})
    p = e.mino("config", "show")
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.decode().splitlines() if l.startswith("# network preset ")]
    assert lines[1].split()[3:] == ["registries:", "npm.mirror.test:443", "pip.mirror.test:8443",
                                    "crates.io:443", "static.crates.io:443", "index.crates.io:443",
                                    "pypi.org:443", "files.pythonhosted.org:443"], lines
    assert lines[0].startswith("# network preset dev: github.com:443 github.com:22 api.github.com:443 "
                               "npm.mirror.test:443 pip.mirror.test:8443 "), lines
    name = run_detached(e, net, "--network-preset", "dev")
    st = status(e, name)
    assert "npm.mirror.test:443" in st["rules"] and "api.anthropic.com:443" in st["rules"], st
    s = e.session(name)
    assert s["network_preset"] == "dev" and s["network_mode"] == "allowlist", s
    out, _ = sh(e, name, connect_cmd("allowed-srv", 8080))
    assert out.split() == ["BLOCKED"], out


def with_dns_servers(e, servers):
    """The test's podman (through its own XDG_CONFIG_HOME) gives containers
    these nameservers, in this order: a copy of the user's containers
    config with `dns_servers` in its [containers] table."""
    import shutil
    link = os.path.join(e.config_home, "containers")
    src = os.path.realpath(link)
    os.unlink(link)
    shutil.copytree(src, link)
    conf = os.path.join(link, "containers.conf")
    lines = open(conf).read().splitlines() if os.path.exists(conf) else []
    entry = "dns_servers = [%s]" % ", ".join('"%s"' % s for s in servers)
    if "[containers]" in [l.strip() for l in lines]:
        i = [l.strip() for l in lines].index("[containers]")
        lines.insert(i + 1, entry)
    else:
        lines += ["[containers]", entry]
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")


def test_every_nameserver_in_order(menv):
    """The container's first nameserver does not answer (an unused address
    on the test's network), the second is the network's aardvark-dns: the
    allowlisted name still resolves, through the second."""
    ensure_image()
    with_dns_servers(menv, ["10.231.7.250", "10.231.7.1"])
    n = Net(menv)
    try:
        name = run_detached(menv, n, "--network-allow", "allowed-srv:8080")
        st = status(menv, name)
        assert st["resolvers"] == ["10.231.7.250", "10.231.7.1"], st
        out, _ = sh(menv, name, connect_cmd("allowed-srv", 8080, secs=20), timeout=90)
        assert "allowed-srv-8080" in out and "OPEN" in out, (out, menv.daemon_log_tail())
        out, _ = sh(menv, name, "getent hosts denied-srv || echo NXDOMAIN")
        assert out.strip() == "NXDOMAIN", out
        assert status(menv, name)["forwarded"] >= 1
    finally:
        menv.stop_daemon()
        n.cleanup()


# A DNS server for big.test: over UDP a truncated answer (TC, no records),
# over TCP the whole TXT record (8 strings of 249 "x", 2000 bytes of rdata).
BIGDNS = r'''
use IO::Socket::IP; use IO::Select;
my $u = IO::Socket::IP->new(LocalHost => "0.0.0.0", LocalPort => 53, Proto => "udp") or die "udp: $@";
my $t = IO::Socket::IP->new(LocalHost => "0.0.0.0", LocalPort => 53, Listen => 8, ReuseAddr => 1) or die "tcp: $@";
$| = 1; print "ready\n";
sub answer { my ($q, $full) = @_; my ($id) = unpack("n", $q); my $qd = substr($q, 12);
    $qd = substr($qd, 0, index($qd, "\0") + 5); my $txt = (pack("C", 249) . ("x" x 249)) x 8;
    my $r = pack("n6", $id, $full ? 0x8180 : 0x8380, 1, $full ? 1 : 0, 0, 0) . $qd;
    $r .= pack("n", 0xc00c) . pack("nnNn", 16, 1, 60, length $txt) . $txt if $full; return $r; }
my $sel = IO::Select->new($u, $t);
while (1) { for my $s ($sel->can_read) {
    if ($s == $u) { my $q; my $peer = $u->recv($q, 4096); $u->send(answer($q, 0), 0, $peer) if defined $peer; next; }
    my $c = $t->accept or next; my $l; next unless read($c, $l, 2) == 2; my $q; read($c, $q, unpack("n", $l));
    my $r = answer($q, 1); print $c pack("n", length $r) . $r; close $c; } }
'''

# One TXT query to 127.0.0.53 over TCP or UDP: the answer's header and size.
TXTQ = r'''
use IO::Socket::IP; alarm 20;
my ($proto, $name) = @ARGV; my $q = pack("n6", 0x4243, 0x0100, 1, 0, 0, 0);
$q .= pack("C", length $_) . $_ for split /\./, $name; $q .= pack("Cn2", 0, 16, 1);
my $s = IO::Socket::IP->new(PeerHost => "127.0.0.53", PeerPort => 53, Proto => $proto, Timeout => 10)
    or die "socket: $@"; my $r;
if ($proto eq "tcp") { print $s pack("n", length $q) . $q; my $l; read($s, $l, 2) == 2 or die "no answer";
    read($s, $r, unpack("n", $l)); }
else { $s->send($q); my $rin = ""; vec($rin, fileno($s), 1) = 1; select($rin, undef, undef, 10) or die "no answer";
    $s->recv($r, 65535); }
my ($id, $fl, $qd, $an) = unpack("n4", $r);
printf "id=%x rcode=%d tc=%d an=%d len=%d x=%d\n", $id, $fl & 15, ($fl >> 9) & 1, $an, length $r, ($r =~ tr/x//);
'''


def test_dns_over_tcp_carries_a_big_answer(menv):
    """A TCP query goes upstream over TCP: the whole 2 kB TXT answer
    arrives; over UDP the same name gets the server's truncated answer."""
    ensure_image()
    with_dns_servers(menv, ["10.231.7.53"])
    n = Net(menv)
    srv = "t%s-bigdns" % menv.token
    try:
        p = menv.podman("run", "-d", "--name", srv, "--network", "%s:ip=10.231.7.53" % n.net, DEB,
                        "perl", "-e", BIGDNS)
        assert p.returncode == 0, p.stderr
        n.servers.append(srv)
        assert minotest.wait_for(lambda: b"ready" in menv.podman("logs", srv).stdout, 20), \
            menv.podman("logs", srv).stderr
        name = run_detached(menv, n, "--network-allow", "big.test:443")
        before = status(menv, name)["forwarded"]
        out, p = sh(menv, name, "perl -e '%s' tcp big.test" % TXTQ.replace("'", "'\\''"))
        fields = dict(f.split("=") for f in out.split())
        assert fields == {"id": "4243", "rcode": "0", "tc": "0", "an": "1", "len": fields["len"], "x": "1992"}, \
            (out, p.stderr, menv.daemon_log_tail())
        assert int(fields["len"]) > 2000, out
        out, p = sh(menv, name, "perl -e '%s' udp big.test" % TXTQ.replace("'", "'\\''"))
        fields = dict(f.split("=") for f in out.split())
        assert (fields["tc"], fields["an"], fields["x"]) == ("1", "0", "0"), (out, p.stderr)
        assert status(menv, name)["forwarded"] == before + 2
    finally:
        print(menv.daemon_log_tail(8000))  # shown when the test failed
        menv.stop_daemon()
        n.cleanup()
