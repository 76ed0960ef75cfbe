"""``/openapi.json`` and ``/docs``: the API describes itself from its own declarations.

The docs page is one self-contained HTML document (no CDN, no npm asset): a small script
fetches ``/openapi.json`` and lists every operation with its permission, parameters, body
and responses. The Content-Security-Policy allows that one script, by hash, and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from aiohttp import web

from control_plane.api.openapi import build_document
from control_plane.api.routes import PUBLIC, Api, RouteTable

DOCUMENT: web.AppKey[dict[str, Any]] = web.AppKey("openapi_document", dict)

ROUTES = RouteTable()

_SCRIPT = """
const ent = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'};
const esc = s => String(s).replace(/[&<>"]/g, c => ent[c]);
const pre = o => '<pre>' + esc(JSON.stringify(o, null, 2)) + '</pre>';
fetch('/openapi.json').then(r => r.json()).then(doc => {
  document.title = doc.info.title + ' ' + doc.info.version;
  const out = ['<h1>' + esc(doc.info.title) + ' <small>' + esc(doc.info.version) + '</small></h1>',
               '<p>' + esc(doc.info.description) + '</p>'];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      out.push('<details><summary><b class="m ' + method + '">' + method.toUpperCase() +
        '</b> <code>' + esc(path) + '</code> ' + esc(op.summary) +
        ' <span class="perm">' + esc(op['x-permission']) + '</span></summary>' +
        '<p>' + esc(op.description).replace(/\\n/g, '<br>') + '</p>' +
        (op.parameters ? '<h4>Parameters</h4>' + pre(op.parameters) : '') +
        (op.requestBody ? '<h4>Body</h4>' + pre(op.requestBody.content) : '') +
        '<h4>Responses</h4>' + pre(op.responses) + '</details>');
    }
  }
  out.push('<h2>Schemas</h2>' + pre(doc.components.schemas));
  document.getElementById('api').innerHTML = out.join('');
}).catch(e => { document.getElementById('api').textContent = 'cannot load /openapi.json: ' + e; });
"""

_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 2em auto; max-width: 70em; }
details { border: 1px solid #ccc; border-radius: 4px; margin: .4em 0; padding: .4em; }
.m { display: inline-block; width: 5em; } .get { color: #1565c0; } .post { color: #2e7d32; }
.put, .patch { color: #ef6c00; } .delete { color: #c62828; }
.perm { float: right; font-family: monospace; color: #555; }
pre { background: #f6f6f6; padding: .5em; overflow: auto; }
"""

_HTML = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>API</title>"
         f"<style>{_STYLE}</style></head><body><div id=api>loading /openapi.json…</div>"
         f"<script>{_SCRIPT}</script></body></html>")
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
_CSP = (f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; "
        "style-src 'unsafe-inline'; connect-src 'self'")


@ROUTES.get("/openapi.json", permission=PUBLIC, summary="This API's OpenAPI 3.1 document",
            tags=("meta",))
async def openapi_document(request: web.Request) -> web.Response:
    """The document every client, test and the docs page read the API from."""
    return web.json_response(request.app[DOCUMENT])


@ROUTES.get("/docs", permission=PUBLIC, summary="Human-readable API documentation",
            tags=("meta",), media_type="text/html")
async def docs_page(request: web.Request) -> web.Response:
    """A page listing every operation, its permission and schemas."""
    return web.Response(text=_HTML, content_type="text/html",
                        headers={"Content-Security-Policy": _CSP})


def publish(api: Api, app: web.Application) -> None:
    """Build the document of ``api`` once and keep it for ``/openapi.json``.

    Call after :meth:`Api.install`: mounted routes carry their prefix only from then on.
    """
    app[DOCUMENT] = build_document(api.routes, title=api.title, version=api.version,
                                   mounts=api.mounts)
