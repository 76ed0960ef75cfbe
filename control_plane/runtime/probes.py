"""Readiness and health probes for the daemons of a stack.

Each probe is synchronous, bounded by a short timeout, and returns ``None`` when the
daemon answered or a one-line reason when it did not, so the supervisor and
``callcenter status`` can print why a node is unhealthy.
"""

from __future__ import annotations

import json
import secrets
import socket
import urllib.error
import urllib.request
from typing import Any

PROBE_TIMEOUT = 1.0


def sip_options(address: str, port: int, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Send one SIP OPTIONS over UDP to ``address:port``; healthy when a 200 comes back."""
    branch = "z9hG4bK-probe-" + secrets.token_hex(6)
    call_id = secrets.token_hex(10)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.bind(("127.0.0.1" if address.startswith("127.") else "", 0))
        local_ip, local_port = sock.getsockname()
        msg = (
            f"OPTIONS sip:{address}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local_ip}:{local_port};branch={branch};rport\r\n"
            "Max-Forwards: 5\r\n"
            f"From: <sip:probe@{local_ip}>;tag={secrets.token_hex(4)}\r\n"
            f"To: <sip:{address}:{port}>\r\n"
            f"Call-ID: {call_id}\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "User-Agent: callcenter-probe\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        try:
            sock.sendto(msg.encode(), (address, port))
            while True:
                data = sock.recv(65535)
                if call_id.encode() not in data:
                    continue
                status = data.split(b"\r\n", 1)[0].decode(errors="replace")
                parts = status.split(" ", 2)
                if len(parts) >= 2 and parts[1] == "200":
                    return None
                if len(parts) >= 2 and parts[1].startswith("1"):
                    continue
                return f"SIP OPTIONS answered {status!r}"
        except TimeoutError:
            return f"no answer to SIP OPTIONS on {address}:{port}/udp"
        except OSError as exc:
            return f"SIP OPTIONS to {address}:{port} failed: {exc}"


def kamailio_rpc(
    address: str, port: int, method: str, params: list[Any] | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> Any:
    """Call a Kamailio JSON-RPC method over its HTTP control listener; returns ``result``.

    Raises :class:`RpcError` with Kamailio's message when the call fails.
    """
    body = json.dumps(
        {"jsonrpc": "2.0", "method": method, "params": params or [], "id": 1}
    ).encode()
    req = urllib.request.Request(
        f"http://{address}:{port}/RPC", data=body,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            reply = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RpcError(f"JSON-RPC {method} on {address}:{port}: {exc}") from exc
    if "error" in reply:
        raise RpcError(f"JSON-RPC {method} on {address}:{port}: {reply['error']}")
    return reply.get("result")


class RpcError(RuntimeError):
    """A JSON-RPC call to Kamailio failed; the message says which call and why."""


def kamailio_rpc_ready(address: str, port: int) -> str | None:
    """Healthy when ``core.version`` answers over JSON-RPC."""
    try:
        kamailio_rpc(address, port, "core.version")
    except RpcError as exc:
        return str(exc)
    return None


def rtpengine_ng(address: str, port: int, command: dict[str, Any],
                 timeout: float = PROBE_TIMEOUT) -> dict[str, Any]:
    """One ng request (JSON flavour) and its reply; RpcError when none comes or it fails."""
    cookie = secrets.token_hex(6)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(f"{cookie} {json.dumps(command)}".encode(), (address, port))
            data = sock.recv(1 << 20)
        except OSError as exc:
            raise RpcError(f"ng {command.get('command')} to {address}:{port}: {exc}") from exc
    _, _, payload = data.decode(errors="replace").partition(" ")
    try:
        reply: dict[str, Any] = json.loads(payload)
    except ValueError as exc:
        raise RpcError(f"ng reply is not JSON: {payload[:80]!r}") from exc
    if reply.get("result") == "error":
        raise RpcError(f"ng {command.get('command')}: {reply.get('error-reason')}")
    return reply


def rtpengine_ping(address: str, port: int, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Send an ng ``ping`` (JSON flavour); healthy when ``pong`` comes back."""
    cookie = secrets.token_hex(6)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(f'{cookie} {{"command":"ping"}}'.encode(), (address, port))
            data = sock.recv(65535)
        except TimeoutError:
            return f"no ng pong from {address}:{port}/udp"
        except OSError as exc:
            return f"ng ping to {address}:{port} failed: {exc}"
    _, _, payload = data.decode(errors="replace").partition(" ")
    if '"pong"' in payload or "4:pong" in payload:
        return None
    return f"unexpected ng reply {payload[:80]!r}"


def http_ok(url: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Healthy when ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            if resp.status == 200:
                return None
            return f"{url} answered {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"{url} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"{url}: {getattr(exc, 'reason', exc)}"
