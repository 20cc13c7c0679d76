"""The playground: a page built from the model's OpenAPI schema, to try a model in a browser.

`static/` holds the page (plain HTML, CSS and JavaScript written by us, no build step, no CDN),
shipped in the wheel. Two servers serve it:

- the model's own server, at `GET /playground` (assets.handle, called by the server's plain-ASGI
  router; the files are read on first request, nothing is imported at boot; `COG_PLAYGROUND=0`
  turns it off);
- `cog playground` (proxy.py): a local server that serves the page, forwards everything else to
  a running model so the browser sees one origin, and hosts a webhook sink whose deliveries the
  page receives live over Server-Sent Events.

Standard library only.
"""
