#!/usr/bin/python3
"""The outside world of `ztai demo`, on 127.0.0.2: the host a hijacked agent downloads an installer
from, and where stolen weights are sent. GET /install.sh answers a harmless script; any other
connection is read to its end and its byte count printed ("RECEIVED n"), so the demo can tell
whether an exfiltration got through.
"""
import socketserver, sys

SCRIPT = b'echo "installer from the outside host ran"\n'


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        first = self.rfile.readline()
        if first.startswith(b'GET /install.sh '):
            self.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Type: text/x-sh\r\nConnection: close\r\n'
                             b'Content-Length: %d\r\n\r\n%s' % (len(SCRIPT), SCRIPT))
            return
        received = len(first)
        while chunk := self.rfile.read(65536):
            received += len(chunk)
        print('RECEIVED', received, flush=True)


def main():
    socketserver.ThreadingTCPServer.daemon_threads = True
    srv = socketserver.ThreadingTCPServer(('127.0.0.2', 0), Handler)
    print('PORT', srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    sys.exit(main())
