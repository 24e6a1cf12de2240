#!/usr/bin/env python3
"""Agent of the nftkit datapath testbed: one per pod network namespace.

Started as `ip netns exec <pod-ns> python3 agent.py --port 7000 --token NAME`
(or `--ports 80,81` for several ports; `--sctp 1` adds the SCTP responder).
It serves TCP (accept, send the token and a newline, close) and UDP (echo) on
every port, IPv4 and IPv6 alike, then speaks JSON lines: requests on stdin,
answers on stdout.

  {"op":"probe","id":1,"timeout":0.8,"probes":[{"ip":"10.0.0.1","proto":"tcp","port":7000}]}
      -> {"id":1,"results":[{"outcome":"open","ms":0.4,"sent":123.4,"detail":"a-web-1"}]}
  {"op":"stream","id":2,"interval":0.02,"timeout":0.8,"targets":[...],"count":0}
      -> {"id":2,"event":"result","target":0,"tick":5,...} per probe, then
         {"id":2,"event":"done","ticks":N} once stopped (or after `count` ticks)
  {"op":"stop","id":2}

`sent` is CLOCK_MONOTONIC in milliseconds (same clock as Node's
process.hrtime). Outcomes: icmp reply/unreachable/timeout; tcp
open/reset/unreachable/timeout; udp open/unreachable/timeout. Errors carried
by ICMP are read from the socket error queue (IP_RECVERR) so the ICMP type,
code and sender are reported. The agent exits when stdin closes.

SCTP works without kernel SCTP support (no IPPROTO_SCTP sockets needed): a
probe sends an INIT chunk through a raw socket; the responder (a raw socket in
the destination pod) answers an INIT to one of its ports with an INIT ACK
carrying the probe's tag. Both have valid CRC32c checksums and tags, so
conntrack tracks them as one SCTP association and a firewall in between sees
real SCTP. Outcomes: sctp open (INIT ACK back) / timeout.
"""
import errno
import json
import os
import socket
import struct
import sys
import threading
import time

IP_RECVERR = 11
IPV6_RECVERR = 25
SO_EE_ORIGIN_ICMP = 2
SO_EE_ORIGIN_ICMP6 = 3
IPPROTO_SCTP = 132
ICMP_ERROR_TYPES = (3, 11, 12)
IDENT = os.getpid() & 0xFFFF

_out_lock = threading.Lock()
_seq_lock = threading.Lock()
_seq = [0]


def emit(obj):
    line = json.dumps(obj, separators=(',', ':')) + '\n'
    with _out_lock:
        try:
            sys.stdout.write(line)
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            os._exit(0)


def write_sysctls():
    """No ICMP rate limit (rejects must answer every probe), no rp_filter."""
    for path, value in (
        ('net/ipv4/icmp_ratemask', '0'),
        ('net/ipv4/conf/all/rp_filter', '0'),
        ('net/ipv4/conf/default/rp_filter', '0'),
    ):
        try:
            with open('/proc/sys/' + path, 'w') as f:
                f.write(value)
        except OSError:
            pass


# ---------------------------------------------------------------- servers

def dual_stack(kind, port):
    """A socket bound to `port` on every IPv6 and IPv4 address (IPv4 only if IPv6 is off)."""
    try:
        srv = socket.socket(socket.AF_INET6, kind)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        srv.bind(('::', port))
        return srv
    except OSError:
        srv = socket.socket(socket.AF_INET, kind)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(('0.0.0.0', port))
        return srv


def serve_tcp(port, token):
    srv = dual_stack(socket.SOCK_STREAM, port)
    srv.listen(1024)

    def loop():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            try:
                conn.sendall(token)
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=loop, daemon=True).start()


def serve_udp(port):
    srv = dual_stack(socket.SOCK_DGRAM, port)

    def loop():
        while True:
            try:
                data, peer = srv.recvfrom(65535)
                srv.sendto(data, peer)
            except OSError:
                pass

    threading.Thread(target=loop, daemon=True).start()


# ---------------------------------------------------------------- probes

def result(outcome, t0, **extra):
    now = time.monotonic()
    out = {'outcome': outcome, 'ms': round((now - t0) * 1000, 2), 'sent': round(t0 * 1000, 3)}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def errno_name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__


def read_icmp_error(sock):
    """The ICMP error queued on the socket (IP_RECVERR), or None."""
    try:
        _, anc, _, _ = sock.recvmsg(1, 512, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
    except OSError:
        return None
    for level, kind, data in anc:
        if len(data) < 16:
            continue
        _, origin, etype, ecode = struct.unpack('=IBBB', data[:7])
        if level == socket.SOL_IP and kind == IP_RECVERR and origin == SO_EE_ORIGIN_ICMP:
            sender = socket.inet_ntoa(data[20:24]) if len(data) >= 24 else None
            return {'type': etype, 'code': ecode, 'from': sender}
        if level == socket.IPPROTO_IPV6 and kind == IPV6_RECVERR and origin == SO_EE_ORIGIN_ICMP6:
            sender = socket.inet_ntop(socket.AF_INET6, data[24:40]) if len(data) >= 40 else None
            return {'type': etype, 'code': ecode, 'from': sender}
    return None


def failed(sock, e, t0, proto, stage=None):
    icmp = read_icmp_error(sock)
    name = errno_name(e)
    rst = proto == 'tcp' and icmp is None and e.errno in (errno.ECONNREFUSED, errno.ECONNRESET)
    return result('reset' if rst else 'unreachable', t0, errno=name, icmp=icmp, detail=stage)


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def next_seq():
    with _seq_lock:
        _seq[0] = (_seq[0] + 1) & 0xFFFF
        return _seq[0]


def probe_icmp(ip, timeout):
    seq = next_seq()
    payload = b'nftkit-testbed' + struct.pack('!d', time.time())
    header = struct.pack('!BBHHH', 8, 0, 0, IDENT, seq)
    packet = struct.pack('!BBHHH', 8, 0, checksum(header + payload), IDENT, seq) + payload
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)

    def classify(data, sender):
        hit = match_icmp(data, sender, ip, seq)
        if hit is None:
            return None
        return ('reply', {}) if hit == 'reply' else ('unreachable', {'icmp': hit})
    return raw_exchange(sock, packet, ip, timeout, 4096, classify)


def raw_exchange(sock, packet, ip, timeout, bufsize, classify):
    """Sends packet to ip on a raw socket and reads until classify(data, sender)
    names an outcome (outcome, extra fields) or the timeout passes; closes the socket."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    try:
        try:
            sock.sendto(packet, (ip, 0))
        except OSError as e:
            return result('unreachable', t0, errno=errno_name(e))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return result('timeout', t0)
            sock.settimeout(left)
            try:
                data, peer = sock.recvfrom(bufsize)
            except TimeoutError:
                return result('timeout', t0)
            hit = classify(data, peer[0])
            if hit is not None:
                return result(hit[0], t0, **hit[1])
    finally:
        sock.close()


def match_icmp(data, sender, ip, seq):
    """'reply', an ICMP error dict, or None when the packet is not ours."""
    ihl = (data[0] & 15) * 4
    if len(data) < ihl + 8:
        return None
    kind, code, _, ident, rseq = struct.unpack('!BBHHH', data[ihl:ihl + 8])
    if kind == 0:
        return 'reply' if (ident, rseq, sender) == (IDENT, seq, ip) else None
    if kind not in ICMP_ERROR_TYPES:
        return None
    inner = data[ihl + 8:]
    if len(inner) < 20 or inner[9] != 1 or socket.inet_ntoa(inner[16:20]) != ip:
        return None
    iihl = (inner[0] & 15) * 4
    if len(inner) < iihl + 8:
        return None
    ikind, _, _, iident, iseq = struct.unpack('!BBHHH', inner[iihl:iihl + 8])
    if (ikind, iident, iseq) != (8, IDENT, seq):
        return None
    return {'type': kind, 'code': code, 'from': sender}


# Every probe leaves from its own source port, counting up from a per-agent
# start: a flow never repeats the 5-tuple of an earlier probe, so it can never
# ride on a conntrack entry an earlier probe left behind (an established UDP
# entry lives 120 s and would let a "new" probe through whatever the firewall
# says now).
_port_lock = threading.Lock()
_next_port = [20000 + (os.getpid() * 7919) % 40000]


def next_source_port():
    with _port_lock:
        p = _next_port[0]
        _next_port[0] = 20000 + (p - 20000 + 1) % 40000
        return p


def family_socket(ip, kind):
    """A socket of the address's family, bound to a fresh source port, with ICMP errors queued (IP_RECVERR / IPV6_RECVERR)."""
    if ':' in ip:
        sock = socket.socket(socket.AF_INET6, kind)
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
    else:
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
    for _ in range(20):
        try:
            sock.bind(('', next_source_port()))
            break
        except OSError:
            continue
    return sock


def probe_tcp(ip, port, timeout):
    sock = family_socket(ip, socket.SOCK_STREAM)
    t0 = time.monotonic()
    deadline = t0 + timeout
    try:
        sock.settimeout(timeout)
        try:
            sock.connect((ip, port))
        except TimeoutError:
            return result('timeout', t0)
        except OSError as e:
            return failed(sock, e, t0, 'tcp')
        token = b''
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return result('timeout', t0, detail='connected, no token')
            sock.settimeout(left)
            try:
                chunk = sock.recv(256)
            except TimeoutError:
                return result('timeout', t0, detail='connected, no token')
            except OSError as e:
                return failed(sock, e, t0, 'tcp', 'after connect')
            if not chunk:
                return result('open', t0, detail=token.decode(errors='replace').strip())
            token += chunk
    finally:
        sock.close()


def probe_udp(ip, port, timeout):
    sock = family_socket(ip, socket.SOCK_DGRAM)
    nonce = os.urandom(12)
    t0 = time.monotonic()
    deadline = t0 + timeout
    try:
        try:
            sock.connect((ip, port))
            sock.send(nonce)
        except OSError as e:
            return failed(sock, e, t0, 'udp')
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return result('timeout', t0)
            sock.settimeout(left)
            try:
                data = sock.recv(2048)
            except TimeoutError:
                return result('timeout', t0)
            except OSError as e:
                return failed(sock, e, t0, 'udp')
            if data == nonce:
                return result('open', t0)
    finally:
        sock.close()


def probe_one(spec, timeout):
    proto = spec.get('proto')
    try:
        if proto == 'icmp':
            return probe_icmp(spec['ip'], timeout)
        if proto == 'tcp':
            return probe_tcp(spec['ip'], int(spec.get('port', 7000)), timeout)
        if proto == 'udp':
            return probe_udp(spec['ip'], int(spec.get('port', 7000)), timeout)
        if proto == 'sctp':
            return probe_sctp(spec['ip'], int(spec.get('port', 7000)), timeout)
        return {'outcome': 'error', 'ms': 0, 'detail': 'unknown proto %r' % proto}
    except Exception as e:  # a bug here must not kill the agent
        return {'outcome': 'error', 'ms': 0, 'detail': '%s: %s' % (type(e).__name__, e)}


# ---------------------------------------------------------------- sctp (raw)

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def sctp_packet(sport, dport, vtag, chunk):
    """An SCTP packet (common header + one chunk) with its CRC32c (stored little-endian, as the kernel does)."""
    head = struct.pack('!HHII', sport, dport, vtag, 0)
    return head[:8] + struct.pack('<I', crc32c(head + chunk)) + chunk


def sctp_init_chunk(kind, tag, extra=b''):
    """INIT (1) or INIT ACK (2): initiate tag, a_rwnd, 1 stream each way, initial TSN, then parameters."""
    body = struct.pack('!IIHHI', tag, 65535, 1, 1, tag) + extra
    return struct.pack('!BBH', kind, 0, 4 + len(body)) + body


def sctp_of(data, family):
    """(sport, dport, vtag, chunk type, initiate tag) of a raw datagram, or None."""
    if family == socket.AF_INET:
        if len(data) < 20:
            return None
        data = data[(data[0] & 15) * 4:]
    if len(data) < 20:
        return None
    sport, dport, vtag = struct.unpack('!HHI', data[:8])
    kind = data[12]
    tag = struct.unpack('!I', data[16:20])[0] if kind in (1, 2) and len(data) >= 20 else None
    return sport, dport, vtag, kind, tag


def serve_sctp(ports):
    """Answers INITs to `ports` with an INIT ACK, on IPv4 and IPv6 raw sockets."""
    def loop(family):
        try:
            raw = socket.socket(family, socket.SOCK_RAW, IPPROTO_SCTP)
        except OSError:
            return
        while True:
            try:
                data, peer = raw.recvfrom(65535)
                p = sctp_of(data, family)
                if p is None or p[3] != 1 or p[1] not in ports or p[2] != 0:
                    continue
                sport, dport, _, _, tag = p
                cookie = struct.pack('!HH', 7, 8) + os.urandom(4)
                ack = sctp_init_chunk(2, int.from_bytes(os.urandom(4), 'big') or 1, cookie)
                raw.sendto(sctp_packet(dport, sport, tag, ack), (peer[0], 0))
            except OSError:
                pass

    for family in (socket.AF_INET, socket.AF_INET6):
        threading.Thread(target=loop, args=(family,), daemon=True).start()


def probe_sctp(ip, port, timeout):
    family = socket.AF_INET6 if ':' in ip else socket.AF_INET
    raw = socket.socket(family, socket.SOCK_RAW, IPPROTO_SCTP)
    tag = int.from_bytes(os.urandom(4), 'big') or 1
    sport = next_source_port()

    def classify(data, sender):
        p = sctp_of(data, family)
        return ('open', {}) if p is not None and p[:4] == (port, sport, tag, 2) and sender == ip else None
    return raw_exchange(raw, sctp_packet(sport, port, 0, sctp_init_chunk(1, tag)), ip, timeout, 65535, classify)


# ---------------------------------------------------------------- requests

def run_batch(req):
    probes = req['probes']
    timeout = float(req.get('timeout', 0.8))
    results = [None] * len(probes)

    def work(i):
        results[i] = probe_one(probes[i], timeout)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(probes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    emit({'id': req['id'], 'results': results})


STREAMS = {}


def run_stream(req, stop):
    sid = req['id']
    targets = req['targets']
    interval = float(req.get('interval', 0.02))
    timeout = float(req.get('timeout', 0.8))
    count = int(req.get('count', 0))
    threads = []

    def work(i, tick):
        res = probe_one(targets[i], timeout)
        res.update({'id': sid, 'event': 'result', 'target': i, 'tick': tick})
        emit(res)

    start = time.monotonic()
    tick = 0
    while not stop.is_set() and (count <= 0 or tick < count):
        for i in range(len(targets)):
            t = threading.Thread(target=work, args=(i, tick), daemon=True)
            t.start()
            threads.append(t)
        tick += 1
        threads = [t for t in threads if t.is_alive()]
        stop.wait(max(0.0, start + tick * interval - time.monotonic()))
    for t in threads:
        t.join()
    STREAMS.pop(sid, None)
    emit({'id': sid, 'event': 'done', 'ticks': tick})


def handle(req):
    op = req.get('op')
    if op == 'probe':
        threading.Thread(target=run_batch, args=(req,), daemon=True).start()
    elif op == 'stream':
        stop = threading.Event()
        STREAMS[req['id']] = stop
        threading.Thread(target=run_stream, args=(req, stop), daemon=True).start()
    elif op == 'stop':
        stop = STREAMS.get(req['id'])
        if stop is not None:
            stop.set()
    else:
        emit({'id': req.get('id'), 'error': 'unknown op %r' % op})


def main():
    opts = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    ports = [int(p) for p in opts.get('--ports', opts.get('--port', '7000')).split(',')]
    write_sysctls()
    for port in ports:
        serve_tcp(port, (opts.get('--token', 'pod') + '\n').encode())
        serve_udp(port)
    if opts.get('--sctp') == '1':
        serve_sctp(set(ports))
    emit({'event': 'ready', 'pid': os.getpid()})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            handle(json.loads(line))
        except (ValueError, KeyError, TypeError) as e:
            emit({'error': 'bad request: %s' % e})
    os._exit(0)


if __name__ == '__main__':
    main()
