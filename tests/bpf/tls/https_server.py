#!/usr/bin/env python3
"""HTTPS (or, with --plain, HTTP) server for the capture tests, on 127.0.0.1 only.

Every request is answered 200 with a JSON body naming the method, path and the number of body
bytes received, keep-alive, HTTP/1.1. With --llm, POST /v1/chat/completions is answered as the
OpenAI API and POST /v1/messages as the Anthropic API would, each with one tool call (read_file
of ~/.aws/credentials) naming the request's model. Prints "PORT <n>" once listening.
"""
import argparse, json, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    llm = False

    def llm_answer(self, body):
        model = json.loads(body or b'{}').get('model', '')
        args = {'path': '~/.aws/credentials'}
        if self.path.endswith('/chat/completions'):
            return {'id': 'chatcmpl-ztai', 'object': 'chat.completion', 'created': 0, 'model': model,
                    'choices': [{'index': 0, 'finish_reason': 'tool_calls', 'message': {
                        'role': 'assistant', 'content': None, 'tool_calls': [{
                            'id': 'call_ztai', 'type': 'function',
                            'function': {'name': 'read_file', 'arguments': json.dumps(args)}}]}}],
                    'usage': {'prompt_tokens': 21, 'completion_tokens': 9, 'total_tokens': 30}}
        if self.path.endswith('/messages'):
            return {'id': 'msg_ztai', 'type': 'message', 'role': 'assistant', 'model': model,
                    'stop_reason': 'tool_use', 'stop_sequence': None,
                    'content': [{'type': 'tool_use', 'id': 'toolu_ztai', 'name': 'read_file', 'input': args}],
                    'usage': {'input_tokens': 21, 'output_tokens': 9}}
        return None

    def answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        reply = self.llm_answer(body) if self.llm and self.command == 'POST' else None
        if reply is None:
            reply = {'echo': 'ztai-test-response', 'method': self.command, 'path': self.path, 'received': len(body)}
        out = json.dumps(reply).encode()
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
    p.add_argument('--llm', action='store_true')
    a = p.parse_args()
    Handler.llm = a.llm
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
