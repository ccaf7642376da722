"""A minimal Chrome DevTools Protocol client over a WebSocket, Python standard library only.

Enough for the browser tests: one connection to one page target, JSON commands answered by id,
events queued until someone waits for them (RFC 6455 framing: masked client frames, text and
continuation frames, pings answered, close honoured).
"""
import base64
import json
import os
import socket
import struct
import urllib.parse


class CDP:
    def __init__(self, ws_url, timeout=60):
        url = urllib.parse.urlparse(ws_url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {url.path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("the browser closed the WebSocket during its handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError("WebSocket handshake refused: " + head.split(b"\r\n")[0].decode(errors="replace"))
        self.next_id = 0
        self.events = []

    def _send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read_exactly(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the browser closed the WebSocket")
            data += chunk
        return data

    def _read_message(self):
        message = b""
        while True:
            first, second = self._read_exactly(2)
            opcode, n = first & 0x0F, second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read_exactly(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read_exactly(8))[0]
            mask = self._read_exactly(4) if second & 0x80 else None
            payload = self._read_exactly(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("the browser closed the WebSocket")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return json.loads(message.decode())

    def send(self, method, **params):
        """Sends a command and returns its result; raises on a protocol error."""
        self.next_id += 1
        my_id = self.next_id
        self._send_frame(0x1, json.dumps({"id": my_id, "method": method, "params": params}).encode())
        while True:
            message = self._read_message()
            if message.get("id") == my_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event):
        """Returns the first queued or arriving event named `event`."""
        for i, message in enumerate(self.events):
            if message.get("method") == event:
                return self.events.pop(i)
        while True:
            message = self._read_message()
            if message.get("method") == event:
                return message
            self.events.append(message)

    def evaluate(self, expression):
        """The value of a JavaScript expression (awaited if it is a promise)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails'].get('exception', {}).get('description', result['exceptionDetails'])}")
        return result["result"].get("value")

    def close(self):
        try:
            self._send_frame(0x8, b"")
        finally:
            self.sock.close()
