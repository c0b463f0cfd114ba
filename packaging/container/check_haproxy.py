#!/usr/bin/env python3
"""The client side of check-haproxy.sh: talks to the balancer only, as Twitch and the desktop apps do."""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import time
import urllib.request

args = None
tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE  # a throwaway certificate
failures = []


def check(ok, what):
    print(('ok    ' if ok else 'FAIL  ') + what)
    if not ok:
        failures.append(what)


def request(method, path, headers=None, body=b''):
    """One HTTPS request through the balancer: (status, whole answer)."""
    s = tls.wrap_socket(socket.create_connection(('127.0.0.1', args.https), timeout=10))
    head = f'{method} {path} HTTP/1.1\r\nHost: relay.example.org\r\nConnection: close\r\nContent-Length: {len(body)}\r\n'
    head += ''.join(f'{k}: {v}\r\n' for k, v in (headers or {}).items())
    s.sendall(head.encode() + b'\r\n' + body)
    answer = b''
    while chunk := s.recv(65536):
        answer += chunk
    s.close()
    return int(answer.split(b' ', 2)[1]), answer


class Client:
    """A desktop app's WebSocket through the balancer (RFC 6455 client framing, masked)."""

    def __init__(self):
        self.sock = tls.wrap_socket(socket.create_connection(('127.0.0.1', args.https), timeout=10))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f'GET /ws HTTP/1.1\r\nHost: relay.example.org\r\nUpgrade: websocket\r\n'
                           f'Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n').encode())
        self.buffer = b''
        while b'\r\n\r\n' not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b'\r\n\r\n', 1)
        self.status = int(head.split(b' ', 2)[1])
        self.events = []

    def frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        size = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack('>H', n)
        self.sock.sendall(bytes([0x80 | opcode]) + size + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, message):
        self.frame(0x1, json.dumps(message).encode())

    def receive(self, timeout):
        """The next text frame as JSON; None on timeout or close. Pings are answered."""
        self.sock.settimeout(timeout)
        while True:
            if len(self.buffer) >= 2:
                opcode, n, at = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
                if n == 126:
                    n, at = struct.unpack('>H', self.buffer[2:4])[0], 4
                elif n == 127:
                    n, at = struct.unpack('>Q', self.buffer[2:10])[0], 10
                if len(self.buffer) >= at + n:
                    payload, self.buffer = self.buffer[at:at + n], self.buffer[at + n:]
                    if opcode == 0x9:
                        self.frame(0xA, payload)
                    elif opcode == 0x1:
                        message = json.loads(payload)
                        if message.get('type') == 'event':
                            self.events.append(message)
                        return message
                    elif opcode == 0x8:
                        return None
                    continue
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ConnectionError, ssl.SSLError):
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def drain(self, seconds):
        end = time.time() + seconds
        while time.time() < end and self.receive(max(0.1, end - time.time())) is not None:
            pass


def webhook(broadcaster, number):
    """A signed stream.online notification, as Twitch sends it; its status."""
    message_id = f'check-haproxy-{number}-{time.time_ns()}'
    timestamp = datetime.datetime.now(datetime.timezone.utc).isoformat().replace('+00:00', 'Z')
    body = json.dumps({
        'subscription': {'id': 'check-haproxy', 'type': 'stream.online', 'version': '1', 'status': 'enabled',
                         'condition': {'broadcaster_user_id': broadcaster},
                         'transport': {'method': 'webhook', 'callback': 'https://relay.example.org/eventsub'},
                         'created_at': '2024-01-01T00:00:00Z'},
        'event': {'id': str(number), 'type': 'live', 'started_at': timestamp, 'broadcaster_user_id': broadcaster,
                  'broadcaster_user_login': 'b' + broadcaster, 'broadcaster_user_name': 'B' + broadcaster}}).encode()
    signature = hmac.new(args.secret.encode(), message_id.encode() + timestamp.encode() + body, hashlib.sha256)
    status, _ = request('POST', '/eventsub', {
        'Content-Type': 'application/json', 'Twitch-Eventsub-Message-Id': message_id,
        'Twitch-Eventsub-Message-Retry': '0', 'Twitch-Eventsub-Message-Type': 'notification',
        'Twitch-Eventsub-Message-Timestamp': timestamp,
        'Twitch-Eventsub-Message-Signature': 'sha256=' + signature.hexdigest(),
        'Twitch-Eventsub-Subscription-Type': 'stream.online', 'Twitch-Eventsub-Subscription-Version': '1'}, body)
    return message_id, status


def relay_clients(port):
    text = urllib.request.urlopen(f'http://127.0.0.1:{port}/metrics', timeout=5).read().decode()
    found = re.search(r'^streams_relay_clients(?:\{[^}]*\})? (\d+)', text, re.M)
    return int(found.group(1)) if found else -1


def main():
    global args
    parser = argparse.ArgumentParser()
    parser.add_argument('--https', type=int, required=True)
    parser.add_argument('--http', type=int, required=True)
    parser.add_argument('--sim', type=int, required=True)
    parser.add_argument('--relays', required=True, help='the relays own ports, comma-separated')
    parser.add_argument('--kill-pid', type=int, required=True, help='the second relay, killed at the end')
    parser.add_argument('--secret', required=True)
    args = parser.parse_args()
    relays = [int(p) for p in args.relays.split(',')]

    # Ready when each relay says so and the balancer has taken them in (rise 2 x inter 2s).
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if all(urllib.request.urlopen(f'http://127.0.0.1:{p}/readyz', timeout=2).status == 200 for p in relays):
                break
        except OSError:
            pass
        time.sleep(0.5)
    time.sleep(5)

    plain = socket.create_connection(('127.0.0.1', args.http), timeout=5)
    plain.sendall(b'GET /ws HTTP/1.1\r\nHost: relay.example.org\r\n\r\n')
    check(plain.recv(200).startswith(b'HTTP/1.1 301'), 'port 80 redirects to https')
    check([request('GET', '/readyz')[0] for _ in relays] == [200] * len(relays), '/readyz through the balancer')
    check(request('GET', '/api/v1/config')[0] == 200, '/api/v1/config through the balancer')
    check(request('GET', '/metrics')[0] == 404, '/metrics is not published through the balancer')

    answer = urllib.request.urlopen(urllib.request.Request(
        f'http://127.0.0.1:{args.sim}/sim/users/1001/token?scopes=moderator%3Aread%3Afollowers', data=b'', method='POST'))
    token = json.load(answer)['access_token']
    clients = []
    for _ in range(2 * len(relays)):
        c = Client()
        c.send({'type': 'hello', 'protocol': 1, 'token': token})
        welcome = c.receive(5)
        c.send({'type': 'subscribe', 'broadcaster_id': '1001'})
        subscribed = c.receive(5)
        check(c.status == 101 and welcome and welcome['type'] == 'welcome' and subscribed
              and subscribed['type'] == 'subscribed', 'a WebSocket upgraded, welcomed and subscribed')
        clients.append(c)
    spread = [relay_clients(p) for p in relays]
    check(spread == [2] * len(relays), f'the WebSockets are spread evenly over the relays: {spread}')

    sent = [webhook('1001', n) for n in range(1, 10)]
    check(all(200 <= status < 300 for _, status in sent), f'9 webhooks acknowledged: {[s for _, s in sent]}')
    ids = {message_id for message_id, _ in sent}
    for i, c in enumerate(clients):
        c.drain(3)
        mine = [e for e in c.events if e['id'] in ids]
        seqs = [e['seq'] for e in mine]
        check(len(mine) == len(ids) and seqs == sorted(set(seqs)),
              f'client {i} has every webhook once and in seq order ({len(mine)} of {len(ids)})')

    os.kill(args.kill_pid, signal.SIGKILL)
    after = [webhook('1001', n) for n in range(10, 16)]
    check(all(200 <= status < 300 for _, status in after),
          f'webhooks right after a relay was killed are acknowledged (tried on another): {[s for _, s in after]}')
    ids = {message_id for message_id, _ in after}
    for c in clients:
        c.drain(2)
    got = [len([e for e in c.events if e['id'] in ids]) for c in clients]
    check(sorted(got)[-4:] == [len(ids)] * 4 and sorted(got)[:2] == [0, 0],
          f'the 4 clients of the other relays have them all, the killed relay\'s 2 none: {got}')
    time.sleep(8)  # fall 3 x inter 2s
    check([request('GET', '/readyz')[0] for _ in relays] == [200] * len(relays),
          'the killed relay is out of the balancer: every /readyz answered 200')
    print('check-haproxy: ' + ('all checks passed' if not failures else f'{len(failures)} CHECKS FAILED'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
