// StoryForge web page: a form that makes a story, the stories with live progress, and a story's video, storyboard
// and files. It talks only to the REST API under v1/, relative to this page, so a host may mount page and API under
// a prefix. Every string from the API goes into the page through textContent or an attribute, never as markup.
"use strict";

(() => {
  /** Where the access token lives: this tab only, forgotten when it closes. */
  const TOKEN_KEY = "storyforge.token";
  /**
   * At most this many progress streams at once: a browser opens at most 6 HTTP/1.1 connections to one origin, and
   * an open stream holds one; two stay free for the page's other requests. Stories beyond it are polled.
   */
  const MAX_STREAMS = 4;
  /** How often a story without a stream of its own is asked for its status, in milliseconds. */
  const POLL_MS = 3000;
  /** The longest wait before a dropped stream reconnects, in milliseconds. */
  const MAX_RECONNECT_MS = 15000;
  /** Stories per page of the list. */
  const PAGE_SIZE = 20;
  /** The largest target length the form offers, in seconds (10 minutes; the server checks its own limit). */
  const MAX_SECONDS = 600;

  const $ = (id) => document.getElementById(id);

  // MARK: the API

  /** A failed API call: the HTTP status and the server's error code and message. */
  class APIError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /** `url` resolved against the page; an absolute URL of another origin is refused, so the token goes nowhere else. */
  function sameOrigin(url) {
    const resolved = new URL(url, document.baseURI);
    if (resolved.origin !== location.origin) {
      throw new APIError(0, "invalid_url", "The server named a URL of another origin; it is not followed.");
    }
    return resolved.href;
  }

  function authHeaders(extra) {
    const headers = new Headers(extra || {});
    const current = token();
    if (current) headers.set("Authorization", "Bearer " + current);
    return headers;
  }

  /** The error of a failed answer: the API's `{"error": {"code", "message"}}` when it sent one. */
  async function errorOf(response) {
    let detail = null;
    try {
      const body = await response.json();
      if (body && typeof body.error === "object" && body.error !== null) detail = body.error;
    } catch (_) {
      // Not JSON: the status says enough.
    }
    const code = detail && typeof detail.code === "string" ? detail.code : "http_" + response.status;
    const message =
      detail && typeof detail.message === "string" ? detail.message : "The server answered " + response.status + ".";
    return new APIError(response.status, code, message);
  }

  /** Calls the API and answers its JSON; a 401 asks the person for a token. */
  async function api(path, options) {
    const { method = "GET", body, signal, headers } = options || {};
    const requestHeaders = authHeaders(headers);
    requestHeaders.set("Accept", "application/json");
    const init = { method, headers: requestHeaders, signal, cache: "no-store", credentials: "same-origin" };
    if (body !== undefined) {
      requestHeaders.set("Content-Type", "application/json");
      init.body = JSON.stringify(body);
    }
    const response = await fetch(sameOrigin(path), init);
    if (response.status === 401) {
      const error = await errorOf(response);
      askForToken(token() ? "The server did not accept the access token: " + error.message : "");
      throw error;
    }
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return null;
    return response.json();
  }

  /** A file of the API as a URL a `<video>` or `<img>` can load. */
  async function mediaURL(file, view) {
    const url = sameOrigin(file.url);
    // Without a token the element loads the file itself, with Range requests, so a long video streams and seeks.
    if (!token()) return url;
    // An element cannot send an Authorization header: fetch the file with it and show it from a blob URL (one per
    // file and view, revoked when the view goes).
    const known = view.blobs.get(url);
    if (known) return known;
    const response = await fetch(url, { headers: authHeaders(), signal: view.signal, cache: "no-store" });
    if (response.status === 401) askForToken("The server did not accept the access token.");
    if (!response.ok) throw await errorOf(response);
    const blobURL = URL.createObjectURL(await response.blob());
    view.blobs.set(url, blobURL);
    return blobURL;
  }

  function storyPath(id) {
    return "v1/stories/" + encodeURIComponent(id);
  }

  function sleep(ms, signal) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }

  function isAbort(error) {
    return error && error.name === "AbortError";
  }

  // MARK: Server-Sent Events over fetch

  /**
   * Follows a story's event stream until its `done` event, calling `onStatus(status, kind)` for each event.
   * EventSource cannot send an Authorization header, so the stream is read with fetch() and parsed here (the
   * WHATWG event-stream format: `field: value` lines, an empty line ends an event). A dropped connection reconnects
   * with `Last-Event-ID`, so no event is missed or seen twice; `cursor.lastEventID` keeps the place across calls
   * (a retried story's stream continues after the events already shown).
   */
  async function followEvents(id, signal, onStatus, cursor) {
    const position = cursor || { lastEventID: null };
    let reconnectMs = 1000;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const headers = authHeaders({ Accept: "text/event-stream" });
        if (position.lastEventID !== null) headers.set("Last-Event-ID", position.lastEventID);
        const response = await fetch(sameOrigin(storyPath(id) + "/events"), { headers, signal, cache: "no-store" });
        if (response.status === 401) {
          askForToken("The server did not accept the access token.");
          return;
        }
        if (response.status === 404) return;
        if (!response.ok || !response.body) throw await errorOf(response);
        failures = 0;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        let data = [];
        let type = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          for (;;) {
            const end = buffer.search(/\r\n|\r|\n/);
            if (end < 0) break;
            // A "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
            if (buffer[end] === "\r" && end === buffer.length - 1) break;
            const line = buffer.slice(0, end);
            buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
            if (line === "") {
              if (data.length > 0) {
                const kind = type || "message";
                const status = JSON.parse(data.join("\n"));
                onStatus(status, kind);
                if (kind === "done") {
                  await reader.cancel();
                  return;
                }
              }
              data = [];
              type = "";
              continue;
            }
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            let text = colon < 0 ? "" : line.slice(colon + 1);
            if (text.startsWith(" ")) text = text.slice(1);
            if (field === "data") data.push(text);
            else if (field === "event") type = text;
            else if (field === "id" && !text.includes("\0")) position.lastEventID = text;
            else if (field === "retry" && /^\d+$/.test(text)) reconnectMs = Math.min(Number(text), MAX_RECONNECT_MS);
          }
        }
      } catch (error) {
        if (signal.aborted || isAbort(error)) return;
        failures += 1;
      }
      // The stream ended before its done event (the server restarted, a proxy timed out): continue after the last
      // event seen, waiting longer after each failure in a row.
      await sleep(Math.min(reconnectMs * 2 ** failures, MAX_RECONNECT_MS), signal);
    }
  }

  // MARK: presenting a status

  const STATE_NAMES = {
    queued: "Queued",
    running: "Running",
    succeeded: "Done",
    failed: "Failed",
    cancelled: "Cancelled",
  };

  function isFinal(status) {
    return status.status === "succeeded" || status.status === "failed" || status.status === "cancelled";
  }

  /** The fraction as a whole percentage 0…100 (a value that is not a finite number reads as 0). */
  function percent(status) {
    const fraction = typeof status.fraction === "number" && Number.isFinite(status.fraction) ? status.fraction : 0;
    if (status.status === "succeeded") return 100;
    return Math.round(Math.min(Math.max(fraction, 0), 1) * 100);
  }

  function stateText(status) {
    const name = STATE_NAMES[status.status] || String(status.status);
    if (status.status === "running") {
      const stage = typeof status.stage === "string" && status.stage ? ": " + status.stage : "";
      return name + stage + " (" + percent(status) + "%)";
    }
    return name;
  }

  function titleOf(status) {
    return (typeof status.title === "string" && status.title) || String(status.topic || status.id);
  }

  function bytesText(size) {
    if (typeof size !== "number" || !Number.isFinite(size) || size < 0) return "";
    const units = ["bytes", "KB", "MB", "GB"];
    let value = size;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    return (unit === 0 ? String(value) : value.toFixed(1)) + " " + units[unit];
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(target, error) {
    target.textContent = error ? error.message || String(error) : "";
    target.hidden = !error;
  }

  // MARK: views

  /** The view on screen: its abort signal ends its streams and timers; its blob URLs are revoked when it goes. */
  let current = null;
  let routedOnce = false;
  let tokenWanted = false;
  let tokenReason = "";

  function leaveView() {
    if (!current) return;
    current.controller.abort();
    // The player lets go of its file before a blob URL it plays is revoked.
    const player = $("player");
    if (player.hasAttribute("src")) {
      player.removeAttribute("src");
      player.removeAttribute("poster");
      player.load();
    }
    for (const url of current.blobs.values()) URL.revokeObjectURL(url);
    current = null;
  }

  function newView() {
    leaveView();
    const controller = new AbortController();
    current = { controller, signal: controller.signal, blobs: new Map() };
    return current;
  }

  function show(sectionID) {
    for (const id of ["token-view", "home-view", "story-view"]) $(id).hidden = id !== sectionID;
    $("forget-token").hidden = !token();
    showError($("page-error"), null);
  }

  /** Moves focus to the new view's heading after a navigation (not on the first load), as a screen reader expects. */
  function focusHeading(id) {
    if (routedOnce) $(id).focus();
    routedOnce = true;
  }

  function route() {
    if (tokenWanted) {
      showTokenView();
      return;
    }
    const match = /^#\/stories\/([^/?#]+)$/.exec(location.hash);
    if (match) {
      let id;
      try {
        id = decodeURIComponent(match[1]);
      } catch (_) {
        id = null;
      }
      if (id) {
        showStory(id);
        return;
      }
    }
    showHome();
  }

  function askForToken(reason) {
    if (tokenWanted) return;
    sessionStorage.removeItem(TOKEN_KEY);
    tokenWanted = true;
    tokenReason = reason || "";
    leaveView();
    showTokenView();
  }

  function showTokenView() {
    newView();
    show("token-view");
    $("token-error").textContent = tokenReason;
    $("token-input").value = "";
    $("token-input").focus();
    routedOnce = true;
  }

  async function submitToken(event) {
    event.preventDefault();
    const value = $("token-input").value.trim();
    if (!value) {
      $("token-error").textContent = "Enter the access token.";
      $("token-input").focus();
      return;
    }
    // Checked with one list call before it is kept, so a typo is told here and not on the next page.
    const response = await fetch(sameOrigin("v1/stories?limit=1"), {
      headers: { Authorization: "Bearer " + value, Accept: "application/json" },
      cache: "no-store",
    }).catch(() => null);
    if (!response) {
      $("token-error").textContent = "The server cannot be reached.";
      return;
    }
    if (!response.ok) {
      const error = await errorOf(response);
      $("token-error").textContent =
        response.status === 401 ? "The server did not accept this token." : error.message;
      $("token-input").focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    tokenWanted = false;
    tokenReason = "";
    route();
  }

  function forgetToken() {
    sessionStorage.removeItem(TOKEN_KEY);
    askForToken("");
  }

  // MARK: the home view: form and list

  /** The list's rows by story id, with the last status each shows and whether a stream follows it. */
  let rows = new Map();
  let streams = 0;
  let nextCursor = null;

  function showHome() {
    const view = newView();
    show("home-view");
    document.title = "StoryForge";
    focusHeading("home-heading");
    rows = new Map();
    streams = 0;
    nextCursor = null;
    $("story-list").replaceChildren();
    $("list-empty").hidden = true;
    $("load-more").hidden = true;
    loadList(view).catch((error) => pageError(error));
    pollUnfollowed(view);
  }

  function pageError(error) {
    if (isAbort(error) || (error instanceof APIError && error.status === 401)) return;
    showError($("page-error"), error);
  }

  async function loadList(view) {
    const query = "?limit=" + PAGE_SIZE + (nextCursor ? "&cursor=" + encodeURIComponent(nextCursor) : "");
    const page = await api("v1/stories" + query, { signal: view.signal });
    if (view.signal.aborted) return;
    const stories = Array.isArray(page.stories) ? page.stories : [];
    for (const status of stories) updateRow(status, view, false);
    nextCursor = typeof page.next_cursor === "string" && page.next_cursor ? page.next_cursor : null;
    $("load-more").hidden = nextCursor === null;
    $("list-empty").hidden = rows.size > 0;
    followMore(view);
  }

  /** Adds or updates the row of `status`; a new story goes first when `first`. */
  function updateRow(status, view, first) {
    if (typeof status !== "object" || status === null || typeof status.id !== "string") return;
    let row = rows.get(status.id);
    if (!row) {
      const item = element("li", { "data-story-id": status.id });
      const text = element("div");
      const link = element("a", { href: "#/stories/" + encodeURIComponent(status.id), class: "story-link" });
      const state = element("div", { class: "state" });
      const progress = element("progress", { max: "100", value: "0" });
      text.append(link, state);
      item.append(text, progress);
      const list = $("story-list");
      if (first) list.prepend(item);
      else list.append(item);
      row = { item, link, state, progress, status, following: false };
      rows.set(status.id, row);
      $("list-empty").hidden = true;
    }
    row.status = status;
    row.link.textContent = titleOf(status);
    row.state.textContent = stateText(status);
    row.progress.value = percent(status);
    row.progress.setAttribute("aria-label", "Progress of " + titleOf(status));
    row.item.dataset.state = String(status.status);
    return row;
  }

  /** Starts streams for unfinished stories while fewer than MAX_STREAMS are open; the rest are polled. */
  function followMore(view) {
    for (const row of rows.values()) {
      if (streams >= MAX_STREAMS) return;
      if (row.following || isFinal(row.status)) continue;
      row.following = true;
      streams += 1;
      followEvents(row.status.id, view.signal, (status) => updateRow(status, view, false))
        .catch((error) => pageError(error))
        .finally(() => {
          if (view.signal.aborted) return;
          row.following = false;
          streams -= 1;
          followMore(view);
        });
    }
  }

  async function pollUnfollowed(view) {
    while (!view.signal.aborted) {
      await sleep(POLL_MS, view.signal);
      for (const row of [...rows.values()]) {
        if (view.signal.aborted) return;
        if (row.following || isFinal(row.status)) continue;
        try {
          updateRow(await api(storyPath(row.status.id), { signal: view.signal }), view, false);
        } catch (error) {
          pageError(error);
        }
      }
      followMore(view);
    }
  }

  function randomKey() {
    // crypto.getRandomValues works outside secure contexts too (crypto.randomUUID does not).
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  /** The form's request, or an error naming the field to fix (and that field, to focus). */
  function readForm() {
    const fields = ["topic", "length", "seed", "config"];
    for (const id of fields) $(id).removeAttribute("aria-invalid");
    const invalid = (id, message) => ({ error: message, field: $(id) });
    const request = {};
    const topic = $("topic").value.trim();
    if (!topic) return invalid("topic", "Enter a topic.");
    request.topic = topic;
    const length = $("length").value.trim();
    if (length) {
      const seconds = Number(length);
      if (!Number.isFinite(seconds) || seconds < 5 || seconds > MAX_SECONDS) {
        return invalid("length", "The length is a number of seconds from 5 to " + MAX_SECONDS + ".");
      }
      request.target_seconds = seconds;
    }
    if ($("aspect").value) request.aspect = $("aspect").value;
    const voice = $("voice").value.trim();
    if (voice) request.voice = voice;
    const seed = $("seed").value.trim();
    if (seed) {
      const number = Number(seed);
      if (!Number.isSafeInteger(number) || number < 0) {
        return invalid("seed", "The seed is a whole number from 0 to " + Number.MAX_SAFE_INTEGER + ".");
      }
      request.seed = number;
    }
    const config = $("config").value.trim();
    if (config) {
      let parsed;
      try {
        parsed = JSON.parse(config);
      } catch (error) {
        $("config").closest("details").open = true;
        return invalid("config", "The configuration overrides are not JSON: " + error.message);
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        $("config").closest("details").open = true;
        return invalid("config", "The configuration overrides are a JSON object, e.g. {\"render\": {\"fps\": 24}}.");
      }
      request.config = parsed;
    }
    return { request };
  }

  let submitting = false;

  async function submitStory(event) {
    event.preventDefault();
    if (submitting) return;
    const view = current;
    const { request, error, field } = readForm();
    $("create-status").textContent = "";
    if (error) {
      $("create-error").textContent = error;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-errormessage", "create-error");
      field.focus();
      return;
    }
    $("create-error").textContent = "";
    submitting = true;
    $("create-button").setAttribute("aria-disabled", "true");
    try {
      // One key per submission: a request the network dropped and the person sends again makes one story.
      const created = await api("v1/stories", {
        method: "POST",
        body: request,
        headers: { "Idempotency-Key": randomKey() },
      });
      const status = await api(created.status_url || storyPath(created.id));
      $("topic").value = "";
      $("create-status").textContent = "Queued \u201c" + titleOf(status) + "\u201d; its progress is in the list below.";
      if (view && !view.signal.aborted && current === view) {
        updateRow(status, view, true);
        followMore(view);
      }
    } catch (failure) {
      if (failure instanceof APIError && failure.status === 401) return;
      $("create-error").textContent = failure.message || String(failure);
    } finally {
      submitting = false;
      $("create-button").removeAttribute("aria-disabled");
    }
  }

  // MARK: the story view

  let shown = null;

  function showStory(id) {
    const view = newView();
    show("story-view");
    shown = { id, status: null, resultFor: null, view, cursor: { lastEventID: null }, pending: false };
    $("story-title").textContent = "Story";
    $("story-topic").textContent = "";
    $("story-state").textContent = "Loading\u2026";
    $("story-progress").value = 0;
    $("cancel-button").hidden = true;
    $("retry-button").hidden = true;
    $("action-status").textContent = "";
    showError($("story-error"), null);
    clearResult();
    focusHeading("story-title");
    loadStory(view, id).catch((error) => {
      if (isAbort(error)) return;
      if (error instanceof APIError && error.status === 404) {
        $("story-title").textContent = "No such story";
        $("story-state").textContent = "";
        showError($("story-error"), new Error("There is no story " + id + " for this access token."));
        return;
      }
      pageError(error);
    });
  }

  async function loadStory(view, id) {
    const status = await api(storyPath(id), { signal: view.signal });
    if (view.signal.aborted) return;
    renderStory(status, view);
    if (!isFinal(status)) follow(view, id);
  }

  function follow(view, id) {
    followEvents(id, view.signal, (status) => renderStory(status, view), shown.cursor).catch((error) =>
      pageError(error),
    );
  }

  function renderStory(status, view) {
    if (!shown || shown.view !== view || status.id !== shown.id) return;
    shown.status = status;
    const title = titleOf(status);
    $("story-title").textContent = title;
    document.title = title + " \u2013 StoryForge";
    $("story-topic").textContent = status.title ? "Topic: " + String(status.topic) : "";
    $("story-progress").value = percent(status);
    $("story-state").textContent = stateText(status);
    const failure = status.error && typeof status.error === "object" ? status.error : null;
    showError(
      $("story-error"),
      failure ? new Error(String(failure.message) + (failure.code ? " (" + String(failure.code) + ")" : "")) : null,
    );
    const cancel = $("cancel-button");
    const retry = $("retry-button");
    const focused = document.activeElement;
    cancel.hidden = !(status.status === "queued" || status.status === "running");
    retry.hidden = !(status.status === "failed" || status.status === "cancelled");
    // A focused button that hides would drop focus to the start of the page: move it to the action that applies now.
    if ((focused === cancel && cancel.hidden) || (focused === retry && retry.hidden)) {
      (!retry.hidden ? retry : !cancel.hidden ? cancel : $("story-title")).focus();
    }
    if (shown.pending && isFinal(status)) {
      shown.pending = false;
      $("action-status").textContent = STATE_NAMES[status.status] + ".";
    }
    if (status.status === "succeeded") {
      if (shown.resultFor !== status.id) {
        shown.resultFor = status.id;
        renderResult(status, view).catch((error) => pageError(error));
      }
    } else if (shown.resultFor) {
      shown.resultFor = null;
      clearResult();
    }
  }

  function clearResult() {
    $("result").hidden = true;
    const player = $("player");
    player.removeAttribute("src");
    player.removeAttribute("poster");
    player.load();
    $("storyboard").replaceChildren();
    $("files").replaceChildren();
    $("storyboard-note").hidden = true;
  }

  async function renderResult(status, view) {
    const listed = Array.isArray(status.files) ? status.files : [];
    const files = listed.filter((file) => file && typeof file.name === "string" && typeof file.url === "string");
    const byName = new Map(files.map((file) => [file.name, file]));
    $("result").hidden = false;
    renderFiles(files, view);
    const video =
      byName.get("video.mp4") || files.find((file) => String(file.content_type || "").startsWith("video/"));
    if (video) {
      const player = $("player");
      player.setAttribute("aria-label", "Video of " + titleOf(status));
      // The first keyframe as the poster: the video's own first frame is often the black of its fade-in.
      const first = [...byName.keys()].filter((name) => /^keyframes\/\d+\.png$/.test(name)).sort()[0];
      if (first) player.poster = await mediaURL(byName.get(first), view);
      player.src = await mediaURL(video, view);
    }
    await renderStoryboard(byName, view);
  }

  /** One picture per shot, from storyboard.json when the export has it, else from the keyframe files. */
  async function renderStoryboard(byName, view) {
    const list = $("storyboard");
    const note = $("storyboard-note");
    let shots = null;
    const board = byName.get("storyboard.json");
    if (board) {
      try {
        const storyboard = await api(board.url, { signal: view.signal });
        if (storyboard && Array.isArray(storyboard.shots)) shots = storyboard.shots;
      } catch (error) {
        if (isAbort(error)) return;
        note.textContent = "The storyboard could not be read (" + error.message + "); showing the keyframes alone.";
        note.hidden = false;
      }
    }
    if (shots === null) {
      shots = [...byName.keys()]
        .filter((name) => /^keyframes\/\d+\.png$/.test(name))
        .sort()
        .map((name) => ({ media: name }));
      if (note.hidden) {
        note.textContent = "This export has no storyboard.json: the narration is in script.md.";
        note.hidden = shots.length === 0;
      }
    }
    const images = [];
    shots.forEach((shot, index) => {
      if (typeof shot !== "object" || shot === null) return;
      const item = element("li");
      const figure = element("figure");
      const file = typeof shot.media === "string" ? byName.get(shot.media) : undefined;
      const prompt = typeof shot.visual_prompt === "string" ? shot.visual_prompt : "";
      if (file) {
        const image = element("img", {
          alt: "Keyframe of shot " + (index + 1) + (prompt ? ": " + prompt : ""),
          decoding: "async",
        });
        figure.append(image);
        images.push([image, file]);
      }
      const caption = element("figcaption");
      caption.append(element("strong", {}, "Shot " + (index + 1)));
      if (typeof shot.narration === "string" && shot.narration) {
        caption.append(document.createTextNode(" \u2013 " + shot.narration));
      }
      figure.append(caption);
      item.append(figure);
      list.append(item);
    });
    for (const [image, file] of images) {
      if (view.signal.aborted) return;
      image.src = await mediaURL(file, view);
    }
  }

  function renderFiles(files, view) {
    const list = $("files");
    for (const file of files) {
      const item = element("li");
      let url;
      try {
        url = sameOrigin(file.url);
      } catch (_) {
        continue;
      }
      const link = element("a", { href: url, download: file.name.split("/").pop() }, file.name);
      if (token()) link.addEventListener("click", (event) => downloadWithToken(event, file, view));
      const meta = [bytesText(file.size), typeof file.content_type === "string" ? file.content_type : ""]
        .filter(Boolean)
        .join(", ");
      item.append(link);
      if (meta) item.append(element("span", { class: "meta" }, " (" + meta + ")"));
      list.append(item);
    }
  }

  /** A download link cannot send the token either: fetch the file with it and save it from a blob URL. */
  async function downloadWithToken(event, file, view) {
    event.preventDefault();
    try {
      const url = await mediaURL(file, view);
      const save = element("a", { href: url, download: file.name.split("/").pop() });
      document.body.append(save);
      save.click();
      save.remove();
    } catch (error) {
      pageError(error);
    }
  }

  async function act(kind) {
    if (!shown || !shown.status) return;
    const view = shown.view;
    const id = shown.id;
    const button = $(kind === "cancel" ? "cancel-button" : "retry-button");
    // aria-disabled, not disabled: a disabled button loses focus, and the person's place with it.
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    $("action-status").textContent = "";
    try {
      const status =
        kind === "cancel"
          ? await api(storyPath(id), { method: "DELETE", signal: view.signal })
          : await api(storyPath(id) + "/retry", { method: "POST", signal: view.signal });
      if (view.signal.aborted) return;
      // A running story stops at its next checkpoint: until its stream says cancelled, it is "Cancelling".
      shown.pending = kind === "cancel" && !(status && isFinal(status));
      $("action-status").textContent =
        kind === "cancel" ? (shown.pending ? "Cancelling\u2026" : "Cancelled.") : "Queued again.";
      if (status && typeof status === "object") renderStory(status, view);
      if (kind === "retry") follow(view, id);
    } catch (error) {
      if (!isAbort(error)) showError($("story-error"), error);
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }

  // MARK: start

  document.addEventListener("DOMContentLoaded", () => {
    $("token-form").addEventListener("submit", (event) => {
      submitToken(event).catch((error) => pageError(error));
    });
    $("forget-token").addEventListener("click", forgetToken);
    $("create-form").addEventListener("submit", (event) => {
      submitStory(event).catch((error) => pageError(error));
    });
    $("load-more").addEventListener("click", () => {
      if (current) loadList(current).catch((error) => pageError(error));
    });
    $("cancel-button").addEventListener("click", () => act("cancel"));
    $("retry-button").addEventListener("click", () => act("retry"));
    window.addEventListener("hashchange", route);
    start();
  });

  /** Asks for a token first when the server says its API needs one and this tab has none. */
  async function start() {
    try {
      const response = await fetch(sameOrigin("app/settings.json"), { cache: "no-store" });
      const settings = response.ok ? await response.json() : {};
      if (settings.requires_token === true && !token()) {
        askForToken("");
        return;
      }
    } catch (_) {
      // Without settings the page learns of a token from the API's first 401.
    }
    route();
  }
})();
