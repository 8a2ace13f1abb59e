#!/usr/bin/env python3
"""HTTPS (or, with --plain, HTTP) server for the capture tests, on 127.0.0.1 only.

Every request is answered 200 with a JSON body naming the method, path and the number of body
bytes received, keep-alive, HTTP/1.1. Prints "PORT <n>" once listening.
"""
import argparse, json, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        out = json.dumps({'echo': 'ztai-test-response', 'method': self.command, 'path': self.path,
                          'received': len(body)}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = answer
    do_POST = answer


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--cert')
    p.add_argument('--key')
    p.add_argument('--plain', action='store_true')
    a = p.parse_args()
    srv = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    srv.daemon_threads = True
    if not a.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        ctx.set_alpn_protocols(['http/1.1'])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print('PORT', srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    sys.exit(main())
