// The Cog playground: a form built from the model's OpenAPI schema, run against the same origin.
// Plain JavaScript, no build step, no network access beyond the page's own server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const STORE_KEY = "cog-playground:inputs:" + location.host;
  const WEBHOOK_EVENTS = ["start", "output", "logs", "completed"];
  const TERMINAL = ["succeeded", "failed", "canceled"];
  const state = { doc: null, fields: [], config: {}, runs: [], selected: null, output: {}, streaming: false };

  // -- schema ---------------------------------------------------------------------------------
  function deref(s) {
    let seen = 0;
    while (s && seen++ < 10) {
      if (s.$ref) {
        const name = s.$ref.split("/").pop();
        const target = ((state.doc.components || {}).schemas || {})[name] || {};
        s = Object.assign({}, target, without(s, "$ref"));
      } else if (Array.isArray(s.allOf) && s.allOf.length === 1) {
        s = Object.assign({}, deref(s.allOf[0]), without(s, "allOf"));
      } else if (Array.isArray(s.anyOf) && s.anyOf.length) {
        const first = s.anyOf.find((x) => x.type !== "null") || s.anyOf[0];
        s = Object.assign({}, deref(first), without(s, "anyOf"));
      } else break;
    }
    return s || {};
  }
  function without(o, key) { const c = Object.assign({}, o); delete c[key]; return c; }

  function kindOf(p) {
    if (Array.isArray(p.enum)) return "select";
    if (p.format === "password" || p["x-cog-secret"]) return "secret";
    if (p.type === "string" && p.format === "uri") return "file";
    if (p.type === "array") {
      const items = deref(p.items || {});
      return items.type === "string" && items.format === "uri" ? "files" : "list";
    }
    if (p.type === "integer" || p.type === "number") return p.type;
    if (p.type === "boolean") return "boolean";
    if (p.type === "string" || !p.type) return "string";
    return "json";
  }

  // -- form -----------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === undefined || v === null) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function buildForm() {
    const input = deref(((state.doc.components || {}).schemas || {}).Input || {});
    const props = input.properties || {};
    const required = new Set(input.required || []);
    const names = Object.keys(props).sort((a, b) => (props[a]["x-order"] ?? 1e9) - (props[b]["x-order"] ?? 1e9));
    const saved = loadSaved();
    const box = $("fields");
    box.textContent = "";
    state.fields = names.map((name) => makeField(name, deref(props[name]), required.has(name), saved[name]));
    for (const f of state.fields) box.append(f.node);
    if (!names.length) box.append(el("p", { class: "muted", text: "This model takes no inputs." }));
  }

  function typeLabel(f) {
    const p = f.prop;
    const bits = [];
    if (f.kind === "file") bits.push("file");
    else if (f.kind === "files") bits.push("list of files");
    else if (f.kind === "secret") bits.push("secret");
    else if (f.kind === "list") bits.push("list of " + (deref(p.items || {}).type || "values") + ", one per line");
    else if (f.kind === "select") bits.push("one of " + p.enum.length);
    else bits.push(p.type || "any");
    if (p.minimum !== undefined) bits.push("\u2265 " + p.minimum);
    if (p.maximum !== undefined) bits.push("\u2264 " + p.maximum);
    if (p.default !== undefined && f.kind !== "secret") bits.push("default " + JSON.stringify(p.default));
    bits.push(f.required ? "required" : "optional");
    return "(" + bits.join(", ") + ")";
  }

  function makeField(name, prop, required, saved) {
    const f = { name, prop, required, kind: kindOf(prop), files: [] };
    const id = "in-" + name;
    const descId = id + "-desc";
    const errId = id + "-error";
    const described = (prop.description ? descId + " " : "") + errId;
    const title = prop.title || name.replace(/_/g, " ").replace(/\b\w/g, (c) => c.toUpperCase());
    const common = { id, name, "aria-describedby": described, "aria-required": required ? "true" : false };
    const def = prop.default;
    const restore = saved !== undefined ? saved : def;
    let control;
    switch (f.kind) {
      case "select":
        control = el("select", common);
        if (!required && def === undefined) control.append(el("option", { value: "", text: "(not set)" }));
        prop.enum.forEach((v, i) => control.append(el("option", { value: String(i), text: String(v), selected: v === restore })));
        break;
      case "boolean":
        control = el("input", Object.assign({ type: "checkbox", checked: restore === true }, common));
        break;
      case "integer":
      case "number":
        control = el("input", Object.assign({ type: "number", inputmode: f.kind === "integer" ? "numeric" : "decimal",
          step: f.kind === "integer" ? "1" : "any", min: prop.minimum, max: prop.maximum,
          value: restore !== undefined && restore !== null ? String(restore) : false }, common));
        break;
      case "secret":
        control = el("input", Object.assign({ type: "password", autocomplete: "off" }, common));
        break;
      case "file":
      case "files":
        control = fileControl(f, common);
        break;
      case "list":
        control = el("textarea", Object.assign({ rows: 3 }, common));
        if (Array.isArray(restore)) control.value = restore.join("\n");
        break;
      case "json":
        control = el("textarea", Object.assign({ rows: 3 }, common));
        if (restore !== undefined) control.value = JSON.stringify(restore, null, 2);
        break;
      default:
        control = el("input", Object.assign({ type: "text" }, common));
        if (typeof restore === "string") control.value = restore;
    }
    f.control = control;
    f.error = el("div", { id: errId, class: "error", role: "alert" });
    const label = el("label", { for: f.kind === "file" || f.kind === "files" ? id : id },
      title + " ", el("span", { class: "type", text: typeLabel(f) }));
    const desc = prop.description ? el("p", { id: descId, class: "desc", text: prop.description }) : null;
    if (f.kind === "boolean") {
      f.node = el("div", { class: "field", "data-field": name }, el("label", { for: id }, control, " " + title + " ",
        el("span", { class: "type", text: typeLabel(f) })), desc, f.error);
    } else {
      f.node = el("div", { class: "field", "data-field": name }, label, desc, control, f.error);
    }
    return f;
  }

  function fileControl(f, common) {
    const multiple = f.kind === "files";
    const picker = el("input", Object.assign({ type: "file", multiple, accept: f.prop["x-cog-accept"] || false }, common));
    const preview = el("div", { class: "preview", "aria-live": "polite" });
    const zone = el("div", { class: "drop" }, picker,
      el("p", { class: "desc", text: "Choose " + (multiple ? "files" : "a file") + " or drop " + (multiple ? "them" : "it") + " here." }),
      preview);
    const take = (list) => {
      f.files = Array.from(list || []).slice(0, multiple ? undefined : 1);
      f.error.textContent = "";
      preview.textContent = "";
      for (const file of f.files) {
        const tooBig = encodedSize(file.size) > limit();
        if (tooBig) f.error.textContent = tooBigMessage(file);
        const item = el("div", { text: file.name + " (" + human(file.size) + ")" });
        if (file.type.startsWith("image/") && !tooBig) item.append(el("img", { src: URL.createObjectURL(file), alt: "Preview of " + file.name }));
        preview.append(item);
      }
    };
    picker.addEventListener("change", () => take(picker.files));
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); take(e.dataTransfer.files); });
    f.picker = picker;
    f.control = picker;
    return zone;
  }

  function limit() { return Number(state.config.max_request_bytes) || 104857600; }
  function encodedSize(n) { return Math.ceil(n / 3) * 4 + 100; }
  function human(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1).replace(/\.0$/, "") + " MB";
    if (n >= 1024) return (n / 1024).toFixed(1).replace(/\.0$/, "") + " KB";
    return n + " bytes";
  }
  function tooBigMessage(file) {
    return file.name + " is " + human(file.size) + " (" + human(encodedSize(file.size)) + " once encoded): the server accepts " +
      "requests up to " + human(limit()) + " (" + limit() + " bytes, COG_MAX_REQUEST_BYTES). Pass a URL instead, or raise the limit.";
  }

  function readDataURI(file) {
    return new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(r.result);
      r.onerror = () => reject(r.error);
      r.readAsDataURL(file);
    });
  }

  // Returns [input for the request, input for display (secrets and file contents left out)].
  async function collect() {
    const input = {};
    const shown = {};
    const errors = {};
    for (const f of state.fields) {
      const c = f.control;
      let value;
      let display;
      try {
        switch (f.kind) {
          case "select":
            if (c.value !== "") value = f.prop.enum[Number(c.value)];
            break;
          case "boolean":
            value = c.checked;
            break;
          case "integer":
          case "number":
            if (c.value.trim() !== "") {
              value = Number(c.value);
              if (Number.isNaN(value)) throw new Error("Enter a number.");
            }
            break;
          case "file":
          case "files": {
            for (const file of f.files) if (encodedSize(file.size) > limit()) throw new Error(tooBigMessage(file));
            if (f.files.length) {
              const uris = await Promise.all(f.files.map(readDataURI));
              value = f.kind === "file" ? uris[0] : uris;
              display = f.kind === "file" ? { file: f.files[0].name } : f.files.map((x) => ({ file: x.name }));
            }
            break;
          }
          case "list": {
            const itemType = deref(f.prop.items || {}).type;
            const lines = c.value.split("\n").map((s) => s.trim()).filter((s) => s !== "");
            if (lines.length || f.required) value = lines.map((s) => (itemType === "integer" || itemType === "number") ? Number(s) : s);
            break;
          }
          case "json":
            if (c.value.trim() !== "") {
              try { value = JSON.parse(c.value); } catch (e) { throw new Error("Not valid JSON: " + e.message); }
            }
            break;
          case "secret":
            if (c.value !== "") { value = c.value; display = { secret: true }; }
            break;
          default:
            if (c.value !== "" || (f.prop.default === "")) value = c.value;
        }
      } catch (e) {
        errors[f.name] = e.message;
        continue;
      }
      if (value !== undefined) {
        input[f.name] = value;
        shown[f.name] = display !== undefined ? display : value;
      }
    }
    return { input, shown, errors };
  }

  function saveInputs(shown) {
    const keep = {};
    for (const f of state.fields) {
      if (f.kind === "secret" || f.kind === "file" || f.kind === "files") continue;
      if (shown[f.name] !== undefined) keep[f.name] = shown[f.name];
    }
    try { localStorage.setItem(STORE_KEY, JSON.stringify(keep)); } catch (e) { /* storage off: fine */ }
  }
  function loadSaved() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY) || "{}") || {}; } catch (e) { return {}; }
  }

  function clearErrors() {
    $("form-error").textContent = "";
    for (const f of state.fields) f.error.textContent = "";
  }
  function fieldError(name, msg) {
    const f = state.fields.find((x) => x.name === name);
    if (!f) return false;
    f.error.textContent = (f.error.textContent ? f.error.textContent + " " : "") + msg;
    f.control.setAttribute("aria-invalid", "true");
    return true;
  }

  // -- running --------------------------------------------------------------------------------
  function newId() {
    if (window.crypto && crypto.randomUUID) return "pg-" + crypto.randomUUID().replace(/-/g, "").slice(0, 20);
    return "pg-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  async function onRun(event) {
    event.preventDefault();
    clearErrors();
    for (const f of state.fields) f.control.removeAttribute("aria-invalid");
    const { input, shown, errors } = await collect();
    const bad = Object.keys(errors);
    if (bad.length) {
      for (const name of bad) fieldError(name, errors[name]);
      $("form-error").textContent = "Fix the highlighted inputs and run again.";
      return;
    }
    const asyncMode = !$("async-option").hidden && $("async").checked;
    const body = { input };
    if (asyncMode) { body.webhook = state.config.webhook_url; body.webhook_events_filter = WEBHOOK_EVENTS; }
    const text = JSON.stringify(body);
    const size = new Blob([text]).size;
    if (size > limit()) {
      $("form-error").textContent = "The request is " + human(size) + ": the server accepts requests up to " + human(limit()) +
        " (" + limit() + " bytes, COG_MAX_REQUEST_BYTES).";
      return;
    }
    saveInputs(shown);
    const run = { id: newId(), status: "starting", shown, output: undefined, logs: "", metrics: {}, error: null,
      began: performance.now(), elapsed: null, mode: asyncMode ? "async" : state.streaming ? "stream" : "sync", webhooks: 0 };
    state.runs.unshift(run);
    select(run);
    try {
      if (run.mode === "stream") await runStream(run, text);
      else if (run.mode === "async") await runAsync(run, text);
      else await runSync(run, text);
    } catch (e) {
      if (!TERMINAL.includes(run.status)) finish(run, { status: run.cancelRequested ? "canceled" : "failed",
        error: run.cancelRequested ? null : "Request failed: " + e.message });
    }
  }

  function url(path) { return path; }

  async function runSync(run, text) {
    run.abort = new AbortController();
    run.status = "processing";
    update(run);
    const r = await fetch(url("/predictions/" + run.id), { method: "PUT", body: text, signal: run.abort.signal,
      headers: { "Content-Type": "application/json" } });
    await answer(run, r);
  }

  async function answer(run, r) {
    const type = r.headers.get("content-type") || "";
    const payload = type.includes("json") ? await r.json() : { error: (await r.text()) || r.statusText };
    if (r.status === 422 && Array.isArray(payload.detail)) {
      const general = [];
      for (const d of payload.detail) {
        const loc = d.loc || [];
        const name = loc[0] === "body" && loc[1] === "input" ? loc[2] : undefined;
        if (!(name !== undefined && fieldError(String(name), d.msg))) general.push((loc.join(".") || "input") + ": " + d.msg);
      }
      if (general.length) $("form-error").textContent = general.join("; ");
      finish(run, { status: "failed", error: "The inputs are not valid: see the messages next to the fields." });
      return;
    }
    if (r.status >= 400 && !payload.status) {
      finish(run, { status: "failed", error: "HTTP " + r.status + ": " + (payload.error || JSON.stringify(payload)) });
      return;
    }
    finish(run, payload);
  }

  async function runAsync(run, text) {
    const r = await fetch(url("/predictions/" + run.id), { method: "PUT", body: text,
      headers: { "Content-Type": "application/json", Prefer: "respond-async" } });
    if (r.status !== 202) { await answer(run, r); return; }
    if (!TERMINAL.includes(run.status)) { run.status = "starting"; update(run); }
  }

  async function runStream(run, text) {
    run.abort = new AbortController();
    const r = await fetch(url("/predictions/" + run.id), { method: "PUT", body: text, signal: run.abort.signal,
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" } });
    if (r.status === 406) { state.streaming = false; run.mode = "sync"; await runSync(run, text); return; }
    if (!(r.headers.get("content-type") || "").includes("text/event-stream")) { await answer(run, r); return; }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message";
        const data = [];
        for (const line of frame.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) onEvent(run, event, JSON.parse(data.join("\n")));
      }
    }
    if (!TERMINAL.includes(run.status)) finish(run, { status: run.cancelRequested ? "canceled" : "failed",
      error: run.cancelRequested ? null : "The event stream ended before the prediction completed." });
  }

  function onEvent(run, event, data) {
    if (event === "start") run.status = "processing";
    else if (event === "output") { run.output = Array.isArray(run.output) ? run.output : []; run.output.push(data.chunk); }
    else if (event === "log") run.logs += Array.isArray(data.data) ? data.data.join("") : String(data.data ?? "");
    else if (event === "metric") {
      if (data.mode === "incr") run.metrics[data.name] = (run.metrics[data.name] || 0) + data.value;
      else if (data.mode === "append") run.metrics[data.name] = (run.metrics[data.name] || []).concat([data.value]);
      else run.metrics[data.name] = data.value;
    } else if (event === "completed") { finish(run, data); return; }
    update(run);
  }

  function finish(run, snap) {
    if (TERMINAL.includes(run.status)) return;
    run.status = snap.status || "failed";
    if ("output" in snap) run.output = snap.output;
    if (typeof snap.logs === "string" && snap.logs) run.logs = snap.logs;
    if (snap.metrics) run.metrics = Object.assign({}, run.metrics, snap.metrics);
    run.error = snap.error || null;
    run.elapsed = (performance.now() - run.began) / 1000;
    run.abort = null;
    update(run);
  }

  async function cancel() {
    const run = state.selected;
    if (!run || TERMINAL.includes(run.status)) return;
    run.cancelRequested = true;
    $("cancel").disabled = true;
    try { await fetch(url("/predictions/" + run.id + "/cancel"), { method: "POST" }); } catch (e) { /* shown below */ }
  }

  // -- webhooks (cog playground only) -----------------------------------------------------------
  function listenWebhooks() {
    $("webhooks-panel").hidden = false;
    $("async-option").hidden = false;
    $("webhook-url").textContent = state.config.webhook_url;
    const source = new EventSource(state.config.webhook_events_url);
    source.onmessage = (e) => {
      const hook = JSON.parse(e.data);
      const snap = hook.body || {};
      const li = el("li", { "data-prediction": snap.id || "", "data-status": snap.status || "" },
        el("code", { text: new Date(hook.received_at * 1000).toLocaleTimeString() }), " ",
        el("strong", { text: snap.status || "?" }), " " + (snap.id || "(no id)") +
        (snap.output !== undefined && snap.output !== null ? " \u2014 output: " + short(JSON.stringify(snap.output), 80) : ""));
      $("webhooks").prepend(li);
      const run = state.runs.find((r) => r.id === snap.id);
      if (!run) return;
      run.webhooks += 1;
      if (TERMINAL.includes(snap.status)) finish(run, snap);
      else {
        if (TERMINAL.includes(run.status)) return;
        run.status = snap.status || run.status;
        if ("output" in snap) run.output = snap.output;
        if (snap.logs) run.logs = snap.logs;
        update(run);
      }
    };
  }

  // -- rendering ------------------------------------------------------------------------------
  function short(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }

  const EXT = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", svg: "image/svg+xml",
    bmp: "image/bmp", wav: "audio/wav", mp3: "audio/mpeg", ogg: "audio/ogg", flac: "audio/flac", m4a: "audio/mp4",
    mp4: "video/mp4", webm: "video/webm", mov: "video/quicktime" };
  function mimeOf(v) {
    if (v.startsWith("data:")) return v.slice(5, v.search(/[;,]/));
    const m = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(v);
    return m ? EXT[m[1].toLowerCase()] || "" : "";
  }
  function isFileValue(v, schema) {
    return v.startsWith("data:") || ((schema.format === "uri" || /^https?:\/\//.test(v)) && /^(https?:|blob:)/.test(v) && mimeOf(v) !== "");
  }

  function renderValue(value, schema, label) {
    schema = deref(schema || {});
    if (Array.isArray(value)) {
      if (schema["x-cog-array-display"] === "concatenate" || (state.streaming && value.every((x) => typeof x === "string") &&
          schema["x-cog-array-type"] === "iterator")) {
        return el("pre", { class: "text-output", tabindex: "0", text: value.join("") });
      }
      const ul = el("ul", { class: "list-output" });
      value.forEach((item, i) => ul.append(el("li", {}, renderValue(item, schema.items, (label || "Output") + " " + (i + 1)))));
      return ul;
    }
    if (value !== null && typeof value === "object") {
      const props = schema.properties || {};
      const dl = el("dl", { class: "object-output" });
      for (const [k, v] of Object.entries(value)) {
        const title = (deref(props[k] || {}).title) || k;
        dl.append(el("dt", { text: title }), el("dd", {}, renderValue(v, props[k], title)));
      }
      return dl;
    }
    if (typeof value === "string") {
      if (isFileValue(value, schema)) {
        const mime = mimeOf(value);
        const name = label || "Output";
        const link = el("a", { href: value, download: value.startsWith("data:") ? "output" + extFor(mime) : false,
          text: "Download " + (mime || "file") });
        let media = null;
        if (mime.startsWith("image/")) media = el("img", { src: value, alt: name + " image" });
        else if (mime.startsWith("audio/")) media = el("audio", { src: value, controls: true, "aria-label": name + " audio" });
        else if (mime.startsWith("video/")) media = el("video", { src: value, controls: true, "aria-label": name + " video" });
        return el("figure", { class: "file-output" }, media, el("figcaption", {}, link));
      }
      return el("pre", { class: "text-output", tabindex: "0", text: value });
    }
    return el("pre", { class: "json-output", tabindex: "0", text: JSON.stringify(value, null, 2) });
  }
  function extFor(mime) {
    for (const [ext, m] of Object.entries(EXT)) if (m === mime) return "." + ext;
    return "";
  }

  function select(run) {
    state.selected = run;
    update(run);
  }

  function update(run) {
    renderHistory();
    if (run !== state.selected) return;
    const status = $("status");
    status.dataset.status = run.status;
    status.dataset.prediction = run.id;
    const words = { starting: "Starting", processing: "Running", succeeded: "Succeeded", failed: "Failed", canceled: "Canceled" };
    let text = (words[run.status] || run.status) + " \u2014 " + run.id;
    if (run.elapsed !== null) text += " \u2014 " + run.elapsed.toFixed(2) + " s";
    if (run.metrics && typeof run.metrics.predict_time === "number") text += " (predict_time " + run.metrics.predict_time.toFixed(3) + " s)";
    if (run.mode === "async") text += " \u2014 " + run.webhooks + " webhook(s)";
    status.textContent = text;
    const out = $("output");
    out.textContent = "";
    if (run.error) out.append(el("p", { class: "error", role: "alert", text: run.error }));
    if (run.output !== undefined && run.output !== null) {
      const schema = run.status === "succeeded" || !Array.isArray(run.output) ? state.output : Object.assign({}, state.output);
      out.append(renderValue(run.output, schema));
    }
    $("logs").textContent = run.logs || "";
    const tbody = $("metrics").tBodies[0];
    tbody.textContent = "";
    for (const [k, v] of Object.entries(run.metrics || {})) tbody.append(el("tr", {}, el("th", { scope: "row", text: k }),
      el("td", { text: typeof v === "number" ? String(+v.toFixed(6)) : JSON.stringify(v) })));
    $("cancel").disabled = TERMINAL.includes(run.status) || !!run.cancelRequested;
    renderSnippets(run);
  }

  function renderHistory() {
    const ol = $("history");
    ol.textContent = "";
    for (const run of state.runs) {
      const summary = Object.entries(run.shown).map(([k, v]) => k + "=" + short(displayValue(v), 40)).join(", ");
      const b = el("button", { type: "button", class: run === state.selected ? "selected" : false,
        "aria-pressed": run === state.selected ? "true" : "false", onclick: () => select(run) },
        run.status + " \u2014 " + run.id + (run.elapsed !== null ? " \u2014 " + run.elapsed.toFixed(2) + " s" : ""));
      ol.append(el("li", { "data-prediction": run.id, "data-status": run.status }, b, " ", el("span", { class: "muted", text: summary })));
    }
  }

  function displayValue(v) {
    if (v && typeof v === "object" && v.secret) return "<secret>";
    if (v && typeof v === "object" && v.file) return v.file;
    if (Array.isArray(v)) return "[" + v.map(displayValue).join(", ") + "]";
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  // Snippets never carry a secret's value or a file's bytes: placeholders stand in for them.
  function renderSnippets(run) {
    const base = location.origin;
    const files = [];
    const secrets = [];
    const jsonInput = {};
    const pyInput = [];
    for (const [k, v] of Object.entries(run.shown)) {
      if (v && v.secret) { secrets.push(k); jsonInput[k] = "$" + k.toUpperCase(); pyInput.push(`        ${JSON.stringify(k)}: os.environ[${JSON.stringify(k.toUpperCase())}],`); }
      else if (v && v.file) { files.push(v.file); jsonInput[k] = "data:...;base64,... (" + v.file + ")"; pyInput.push(`        ${JSON.stringify(k)}: data_uri(${JSON.stringify(v.file)}),`); }
      else if (Array.isArray(v) && v.length && v[0] && v[0].file) {
        jsonInput[k] = v.map((x) => "data:...;base64,... (" + x.file + ")");
        pyInput.push(`        ${JSON.stringify(k)}: [${v.map((x) => "data_uri(" + JSON.stringify(x.file) + ")").join(", ")}],`);
      } else { jsonInput[k] = v; pyInput.push(`        ${JSON.stringify(k)}: ${pyLiteral(v)},`); }
    }
    const body = { input: jsonInput };
    const headers = ['-H "Content-Type: application/json"'];
    if (run.mode === "stream") headers.push('-H "Accept: text/event-stream"');
    if (run.mode === "async") { headers.push('-H "Prefer: respond-async"'); body.webhook = "https://example.com/webhook"; }
    let data = JSON.stringify(body, null, 2).replace(/'/g, "'\\''");
    for (const k of secrets) data = data.replace(JSON.stringify("$" + k.toUpperCase()), "\"'\"$" + k.toUpperCase() + "\"'\"");
    const curl = (secrets.length ? "# export " + secrets.map((s) => s.toUpperCase() + "=...").join(" ") + " first\n" : "") +
      (files.length ? "# file inputs: put each file's data URI (or an https URL) in place of the placeholder\n" : "") +
      `curl -s -X POST ${base}/predictions \\\n  ${headers.join(" \\\n  ")} \\\n  -d '${data}'`;
    const py = ["import " + (secrets.length ? "os, " : "") + (files.length ? "base64, mimetypes, " : "") + "json",
      "import urllib.request", ""];
    if (files.length) py.push("def data_uri(path):", "    mime = mimetypes.guess_type(path)[0] or \"application/octet-stream\"",
      "    with open(path, \"rb\") as f:", "        return f\"data:{mime};base64,\" + base64.b64encode(f.read()).decode()", "");
    py.push("body = {", "    \"input\": {", ...pyInput, "    },", "}");
    const pyHeaders = { "Content-Type": "application/json" };
    if (run.mode === "async") { py.push("body[\"webhook\"] = \"https://example.com/webhook\""); pyHeaders.Prefer = "respond-async"; }
    py.push(`request = urllib.request.Request(${JSON.stringify(base + "/predictions")}, data=json.dumps(body).encode(),`,
      `                                 headers=${JSON.stringify(pyHeaders)}, method="POST")`,
      "with urllib.request.urlopen(request) as response:",
      run.mode === "stream" ? "    for line in response:\n        print(line.decode(), end=\"\")" : "    print(json.load(response))");
    $("snippet-curl").textContent = curl;
    $("snippet-python").textContent = py.join("\n");
  }
  function pyLiteral(v) {
    if (v === true) return "True";
    if (v === false) return "False";
    if (v === null) return "None";
    if (Array.isArray(v)) return "[" + v.map(pyLiteral).join(", ") + "]";
    if (typeof v === "object") return "{" + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ": " + pyLiteral(x)).join(", ") + "}";
    return JSON.stringify(v);
  }

  // -- start ----------------------------------------------------------------------------------
  async function start() {
    try {
      const c = await fetch(url("/playground/config.json"));
      if (c.ok) state.config = await c.json();
    } catch (e) { /* defaults */ }
    const r = await fetch(url("/openapi.json"));
    if (!r.ok) throw new Error("GET /openapi.json answered " + r.status + ": is setup still running?");
    state.doc = await r.json();
    const post = ((state.doc.paths || {})["/predictions"] || {}).post || {};
    state.output = deref(((state.doc.components || {}).schemas || {}).Output || {});
    state.streaming = !!post["x-cog-streaming"] || (state.output["x-cog-array-type"] === "iterator");
    $("model-title").textContent = (state.doc.info && state.doc.info.title ? "\u2014 " + state.doc.info.title : "");
    $("connection").textContent = (state.config.target ? "Proxying to " + state.config.target + ". " : "") +
      "Requests up to " + human(limit()) + "." + (state.streaming ? " Output streams as it is produced." : "");
    buildForm();
    $("form").addEventListener("submit", onRun);
    $("cancel").addEventListener("click", cancel);
    $("reset").addEventListener("click", () => {
      try { localStorage.removeItem(STORE_KEY); } catch (e) { /* ignore */ }
      buildForm();
    });
    if (state.config.webhook_url) listenWebhooks();
    document.body.dataset.ready = "true";
  }

  start().catch((e) => {
    $("connection").textContent = "Could not load the model: " + e.message;
    document.body.dataset.ready = "error";
  });
})();
