#!/usr/bin/env python3
"""HTTPS receiver for the HTTP output tests (127.0.0.1 only).

Checks the exact wire format of each output type and records what it accepted:
  /services/collector/event  Splunk HEC envelopes, `Authorization: Splunk <token>`; with an
                              X-Splunk-Request-Channel header it answers an ackId
  /services/collector/ack     indexer acknowledgement: an ackId is acknowledged on its second poll
  /_bulk                      NDJSON create actions; per-item 429 and 400 results
  /v1/logs                    OTLP/HTTP JSON ExportLogsServiceRequest
  /hook                       webhook JSON array with an HMAC-SHA256 signature
The first --fail requests to each endpoint are answered 429 (with Retry-After: 1) or 503, as an
overloaded receiver would. Accepted alert outputs go to <dir>/<endpoint>.log, one JSON string per line;
format violations go to <dir>/violations.log (the test fails when it is not empty).
"""
import argparse, hashlib, hmac, json, os, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
lock = threading.Lock()
counts = {}
bulk_flaky_seen = set()
ack_polls = {}
next_ack = [0]


def record(name, line):
    with lock, open(os.path.join(args.dir, name), 'a') as f:
        f.write(line + '\n')


def violation(msg):
    record('violations.log', msg)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def reply(self, status, body=b'{}', headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        path = self.path
        with lock:
            n = counts.get(path, 0)
            counts[path] = n + 1
        if n < args.fail:
            if n % 2 == 0:
                return self.reply(429, b'{"error":"slow down"}', [('Retry-After', '1')])
            return self.reply(503, b'{"error":"unavailable"}')
        if path == '/services/collector/ack':
            return self.hec_ack(body)
        try:
            handler = {'/services/collector/event': self.hec, '/_bulk': self.bulk, '/v1/logs': self.otlp,
                       '/hook': self.hook}[path]
        except KeyError:
            violation(f'unexpected path {path}')
            return self.reply(404)
        try:
            handler(body)
        except Exception as e:  # a malformed request is a violation, answered 400
            violation(f'{path}: {e!r}')
            self.reply(400, json.dumps({'error': repr(e)}).encode())

    def hec(self, body):
        if self.headers.get('Authorization') != 'Splunk ' + args.token:
            violation('hec: bad Authorization header')
            return self.reply(401, b'{"text":"Invalid token","code":4}')
        dec = json.JSONDecoder()
        text = body.decode('utf-8')
        pos, outs = 0, []
        while pos < len(text):
            obj, end = dec.raw_decode(text, pos)
            pos = end
            while pos < len(text) and text[pos].isspace():
                pos += 1
            for key in ('time', 'host', 'source', 'sourcetype', 'event'):
                if key not in obj:
                    raise ValueError(f'hec envelope without {key}')
            if not isinstance(obj['time'], (int, float)):
                raise ValueError('hec time is not a number')
            if obj['sourcetype'] != 'ztai:alert' or obj['index'] != 'security':
                raise ValueError('hec sourcetype/index not as configured')
            outs.append(obj['event']['output'])
        for o in outs:
            record('hec.log', json.dumps(o))
        if self.headers.get('X-Splunk-Request-Channel'):
            with lock:
                ack_id = next_ack[0]
                next_ack[0] += 1
                ack_polls[ack_id] = 0
            return self.reply(200, json.dumps({'text': 'Success', 'code': 0, 'ackId': ack_id}).encode())
        self.reply(200, b'{"text":"Success","code":0}')

    def hec_ack(self, body):
        if self.headers.get('Authorization') != 'Splunk ' + args.token or \
                not self.headers.get('X-Splunk-Request-Channel'):
            violation('hec ack: bad Authorization or no channel')
            return self.reply(400, b'{"text":"Data channel is missing","code":10}')
        acks = {}
        for ack_id in json.loads(body)['acks']:
            with lock:
                ack_polls[ack_id] = ack_polls.get(ack_id, 0) + 1
                acks[str(ack_id)] = ack_polls[ack_id] >= 2
            record('ack.log', str(ack_id))
        self.reply(200, json.dumps({'acks': acks}).encode())

    def bulk(self, body):
        if self.headers.get('Content-Type') != 'application/x-ndjson':
            raise ValueError('bulk content type is not application/x-ndjson')
        if not body.endswith(b'\n'):
            raise ValueError('bulk body does not end with a newline')
        lines = body.decode('utf-8').split('\n')[:-1]
        if len(lines) % 2:
            raise ValueError('bulk body has an odd number of lines')
        items, errors = [], False
        for i in range(0, len(lines), 2):
            action, doc = json.loads(lines[i]), json.loads(lines[i + 1])
            if list(action) != ['create'] or action['create'].get('_index') != 'ztai-test':
                raise ValueError(f'bad bulk action {lines[i]}')
            if doc['event']['kind'] != 'alert' or '@timestamp' not in doc:
                raise ValueError('bulk document is not an ECS alert')
            out = doc['message']
            if 'permanently-bad' in out:
                errors = True
                items.append({'create': {'status': 400, 'error': {'type': 'mapper_parsing_exception'}}})
                continue
            if 'flaky' in out and out not in bulk_flaky_seen:
                bulk_flaky_seen.add(out)
                errors = True
                items.append({'create': {'status': 429, 'error': {'type': 'es_rejected_execution_exception'}}})
                continue
            record('bulk.log', json.dumps(out))
            items.append({'create': {'status': 201, 'result': 'created'}})
        self.reply(200, json.dumps({'took': 1, 'errors': errors, 'items': items}).encode())

    def otlp(self, body):
        if self.headers.get('Content-Type') != 'application/json':
            raise ValueError('otlp content type is not application/json')
        req = json.loads(body)
        outs = []
        for rl in req['resourceLogs']:
            attrs = {a['key']: a['value'] for a in rl['resource']['attributes']}
            if attrs['service.name'] != {'stringValue': 'ztai'}:
                raise ValueError('otlp service.name')
            for sl in rl['scopeLogs']:
                for lr in sl['logRecords']:
                    if not isinstance(lr['timeUnixNano'], str) or not lr['timeUnixNano'].isdigit():
                        raise ValueError('otlp timeUnixNano must be a decimal string')
                    if not 1 <= lr['severityNumber'] <= 24:
                        raise ValueError('otlp severityNumber out of range')
                    a = {x['key']: x['value'] for x in lr['attributes']}
                    if 'ztai.rule' not in a:
                        raise ValueError('otlp record without ztai.rule')
                    outs.append(json.loads(lr['body']['stringValue'])['output'])
        for o in outs:
            record('otlp.log', json.dumps(o))
        self.reply(200, b'{}')

    def hook(self, body):
        ts = self.headers.get('X-Ztai-Timestamp', '')
        sig = self.headers.get('X-Ztai-Signature', '')
        want = 'sha256=' + hmac.new(args.secret.encode(), ts.encode() + b'.' + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sig, want):
            violation('webhook: bad signature')
            return self.reply(401, b'{"error":"bad signature"}')
        if abs(time.time() - int(ts)) > 300:
            violation('webhook: stale timestamp')
        for rec in json.loads(body):
            record('hook.log', json.dumps(rec['output']))
        self.reply(200, b'{}')


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument('--dir', required=True)
    p.add_argument('--cert', required=True)
    p.add_argument('--key', required=True)
    p.add_argument('--fail', type=int, default=4)
    p.add_argument('--token', default='test-token')
    p.add_argument('--secret', default='test-secret')
    args = p.parse_args()
    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(os.path.join(args.dir, 'port.tmp'), 'w') as f:
        f.write(str(server.server_address[1]))
    os.rename(os.path.join(args.dir, 'port.tmp'), os.path.join(args.dir, 'port'))
    server.serve_forever()


if __name__ == '__main__':
    sys.exit(main())
