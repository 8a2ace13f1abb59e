#!/usr/bin/env python3
"""A Kubernetes API server test double for the list/watch that the agent does: pods, and the
objects of ztai's CRDs (RuleBundle, WorkloadPolicy).

Serves HTTPS on 127.0.0.1 with the wire format of the real server (core/v1 PodList, watch events
as one JSON object per line over chunked encoding, Status objects for errors, 410 Gone for a
compacted resourceVersion). Driven from stdin, one JSON command per line; each command is
acknowledged on stdout with "OK <op>" once it took effect:

  {"op": "add"|"modify", "pod": {...}}   store a pod and send the event to open watches
  {"op": "add"|"modify", "path": P, "object": {...}}
                                         the same for an object of the collection at path P
                                         (e.g. /apis/ztai.io/v1alpha1/rulebundles)
  {"op": "delete", "uid": "..."}         delete it (DELETED carries its last state); with
                                         "silent": true no event is kept, as if compacted away;
                                         "path": P for an object of another collection
  {"op": "drop_watches"}                 cut every open watch without ending the chunked body
  {"op": "expire_watches"}               forget history: open watches get ERROR 410, and so does
                                         any watch from an older version
  {"op": "compact"}                      forget history: watching from an older version gets 410
  {"op": "fail", "n": N, "status": S}    answer the next N requests with HTTP status S
  {"op": "expire_continue"}              answer the next list page asked with a continue token
                                         with 410 Gone (its snapshot was compacted)
  {"op": "stats"}                        answered by "STATS {json}" (requests by kind), not "OK"

First line on stdout: "LISTENING <port>".
"""
import argparse
import http.server
import json
import socket
import ssl
import sys
import threading
import urllib.parse

lock = threading.Condition()
PODS = "/api/v1/pods"
# path -> {uid: object}: the collections served; any other path is 404 (a CRD not installed).
collections = {PODS: {}, "/apis/ztai.io/v1alpha1/rulebundles": {}, "/apis/ztai.io/v1alpha1/workloadpolicies": {}}
history = []       # (rv, type, object, path)
state = {"rv": 100, "compacted": 0, "drop_gen": 0, "expire_gen": 0, "fail_n": 0, "fail_status": 503,
         "expire_continue": False,
         "stats": {"list": 0, "watch": 0, "unauthorized": 0, "failed": 0}}
token = None


def status_obj(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def node_of(pod):
    return pod.get("spec", {}).get("nodeName", "")


def wanted(pod, selector):
    if not selector:
        return True
    field, _, value = selector.partition("=")
    return field == "spec.nodeName" and node_of(pod) == value


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("api-double: " + (fmt % args) + "\n")

    def send_json(self, code, obj):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        if self.headers.get("Authorization") != "Bearer " + token:
            with lock:
                state["stats"]["unauthorized"] += 1
            return self.send_json(401, status_obj(401, "Unauthorized", "Unauthorized"))
        with lock:
            if state["fail_n"] > 0:
                state["fail_n"] -= 1
                state["stats"]["failed"] += 1
                code = state["fail_status"]
                return self.send_json(code, status_obj(code, "ServiceUnavailable", "injected failure"))
        if url.path not in collections:
            return self.send_json(404, status_obj(404, "NotFound", "the server could not find the requested resource"))
        if q.get("watch") in ("true", "1"):
            return self.watch(q, url.path)
        return self.list(q, url.path)

    def list(self, q, path):
        selector = q.get("fieldSelector", "")
        limit = int(q.get("limit", "0") or 0)
        with lock:
            state["stats"]["list"] += 1
            items = sorted((p for p in collections[path].values() if wanted(p, selector)),
                           key=lambda p: p["metadata"]["uid"])
            rv = str(state["rv"])
        with lock:
            if q.get("continue") and state["expire_continue"]:
                state["expire_continue"] = False
                return self.send_json(410, status_obj(
                    410, "Expired", "The provided continue parameter is too old to display a consistent list result."))
        start = int(q.get("continue", "0") or 0)
        end = start + limit if limit else len(items)
        meta = {"resourceVersion": rv}
        if end < len(items):
            meta["continue"] = str(end)
        self.send_json(200, {"kind": "PodList" if path == PODS else "List", "apiVersion": "v1", "metadata": meta,
                             "items": items[start:end]})

    def watch(self, q, path):
        selector = q.get("fieldSelector", "")
        since = int(q.get("resourceVersion", "0") or 0)
        timeout = float(q.get("timeoutSeconds", "300") or 300)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with lock:
            state["stats"]["watch"] += 1
            drop_gen = state["drop_gen"]
            expire_gen = state["expire_gen"]
            too_old = since < state["compacted"]
        if too_old:
            self.chunk({"type": "ERROR", "object": status_obj(
                410, "Expired", "too old resource version: %d (%d)" % (since, state["compacted"]))})
            return self.finish_chunks()
        sent = since
        deadline = threading.Event()
        timer = threading.Timer(timeout, lambda: (deadline.set(), notify()))
        timer.start()
        try:
            while True:
                with lock:
                    lock.wait_for(lambda: deadline.is_set() or state["drop_gen"] != drop_gen
                                  or state["expire_gen"] != expire_gen
                                  or (history and history[-1][0] > sent))
                    if state["drop_gen"] != drop_gen:
                        # A cut connection: no terminating chunk.
                        self.close_connection = True
                        try:
                            self.connection.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                        return
                    if state["expire_gen"] != expire_gen:
                        self.chunk({"type": "ERROR", "object": status_obj(410, "Expired", "too old resource version")})
                        return self.finish_chunks()
                    if deadline.is_set():
                        return self.finish_chunks()
                    events = [e for e in history if e[0] > sent]
                for rv, typ, pod, where in events:
                    sent = rv
                    if where == path and wanted(pod, selector):
                        self.chunk({"type": typ, "object": pod})
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        finally:
            timer.cancel()

    def finish_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def notify():
    with lock:
        lock.notify_all()


def record(typ, pod, path):
    state["rv"] += 1
    pod.setdefault("metadata", {})["resourceVersion"] = str(state["rv"])
    history.append((state["rv"], typ, pod, path))


def command(cmd):
    op = cmd.get("op")
    with lock:
        if op in ("add", "modify"):
            path = cmd.get("path", PODS)
            pod = cmd["pod"] if path == PODS else cmd["object"]
            collections[path][pod["metadata"]["uid"]] = pod
            record("ADDED" if op == "add" else "MODIFIED", pod, path)
        elif op == "delete":
            path = cmd.get("path", PODS)
            pod = collections[path].pop(cmd["uid"])
            if not cmd.get("silent"):
                record("DELETED", pod, path)
        elif op == "drop_watches":
            state["drop_gen"] += 1
        elif op == "expire_watches":
            state["expire_gen"] += 1
            state["rv"] += 1
            state["compacted"] = state["rv"]
            history.clear()
        elif op == "compact":
            state["compacted"] = state["rv"]
            history.clear()
        elif op == "fail":
            state["fail_n"] = int(cmd.get("n", 1))
            state["fail_status"] = int(cmd.get("status", 503))
        elif op == "expire_continue":
            state["expire_continue"] = True
        elif op == "stats":
            print("STATS " + json.dumps(state["stats"]), flush=True)
            return
        else:
            print("ERR unknown op %r" % op, flush=True)
            return
        lock.notify_all()
    print("OK " + op, flush=True)


def main():
    global token
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--token", required=True)
    args = ap.parse_args()
    token = args.token
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("LISTENING %d" % server.server_address[1], flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line:
            try:
                command(json.loads(line))
            except (ValueError, KeyError) as e:
                print("ERR %s" % e, flush=True)
    # stdin closed: the test is over.
    server.shutdown()


if __name__ == "__main__":
    main()
