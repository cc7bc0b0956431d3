/*
 * LLM SSE Gateway – Stream test page.
 *
 * A classic script (no modules, no build step, no external resources) so the page
 * also works opened from disk (file://) or served from another origin.
 *
 * Two transports:
 *   - EventSource  → GET  {server}/api/stream/chat-get?user_input=…&provider=…&model=…
 *   - fetch stream → POST {server}/api/stream/chat  (JSON body), body read with a
 *                    streaming TextDecoder and parsed by the SSE parser below.
 *
 * Every event is one `data:` line of JSON: {"chunk":"…","done":false} pieces, then
 * {"chunk":"","done":true,…} or {"error":"…","done":true}. Model output is only ever
 * inserted as text (a Text node), never as HTML.
 *
 * Both transports send model, system, temperature, max_tokens and the conversation so far
 * (`messages`: a JSON array in the query string for EventSource). Resumable streams (events
 * with `id:` lines): after a drop, EventSource reconnects by itself with Last-Event-ID and the
 * fetch transport repeats its POST with a Last-Event-ID header; the page shows "reconnecting…"
 * and "Resumed after event N". Stop sends DELETE /api/streams/{id} when the stream id is known
 * (the X-Stream-Id header, the `<stream id>:<n>` event ids, or a `stream_id` field of an event).
 */
(function () {
  'use strict';

  var createSSEParser = window.StreamTestSSE.createSSEParser;

  // ---------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------
  function $(id) {
    return document.getElementById(id);
  }

  function formatMs(ms) {
    if (ms == null || !isFinite(ms)) return '–';
    if (ms < 1000) return Math.round(ms) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }

  function countChars(text) {
    // Code points, so an emoji or a CJK character counts once: skip the second half of surrogate pairs.
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff) n++;
    }
    return n;
  }

  function truncate(text, max) {
    text = String(text);
    return text.length > max ? text.slice(0, max) + '…' : text;
  }

  function defaultServerUrl() {
    var protocol = window.location.protocol;
    if (protocol === 'http:' || protocol === 'https:') return window.location.origin;
    return 'http://localhost:8000';
  }

  /** Joins the server URL (which may carry a path prefix) with an API path. */
  function apiUrl(server, path) {
    var base = new URL(server);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new Error('Server URL must start with http:// or https://');
    }
    base.search = '';
    base.hash = '';
    if (base.pathname.charAt(base.pathname.length - 1) !== '/') base.pathname += '/';
    return new URL(path.replace(/^\/+/, ''), base);
  }

  function now() {
    return performance.now();
  }

  // ---------------------------------------------------------------------------
  // Page
  // ---------------------------------------------------------------------------
  var els = {};
  var current = null; // the run in progress, or the last one
  var health = null; // last /health answer (optional)
  var providerTouched = false;
  var healthTimer = 0;
  var healthController = null;
  var MAX_LOG_LINES = 2000;
  var MAX_RECONNECTS = 5;
  var conversation = null; // finished turns, sent as `messages`

  function init() {
    [
      'stream-form',
      'server-url',
      'health-status',
      'provider',
      'model',
      'question',
      'system',
      'temperature',
      'max-tokens',
      'stream-btn',
      'stop-btn',
      'clear-btn',
      'state',
      'request-line',
      'stat-ttfc',
      'stat-chunks',
      'stat-chars',
      'stat-elapsed',
      'stat-rate',
      'meta',
      'error',
      'answer',
      'events',
      'events-count',
      'transport-eventsource',
      'transport-fetch',
      'resume-status',
      'conversation',
      'conversation-count',
      'new-conversation-btn',
      'access-token',
    ].forEach(function (id) {
      els[id] = $(id);
    });

    // Prefill from the query string: ?server=…&provider=…&model=…&q=…&transport=fetch
    var params = new URLSearchParams(window.location.search);
    els['server-url'].value = params.get('server') || defaultServerUrl();
    var provider = params.get('provider');
    if (provider === 'gemini' || provider === 'openai') {
      els.provider.value = provider;
      providerTouched = true;
    }
    if (params.get('model')) els.model.value = params.get('model');
    if (params.has('q')) els.question.value = params.get('q');
    if (params.get('transport') === 'fetch') els['transport-fetch'].checked = true;
    if (params.get('transport') === 'eventsource') els['transport-eventsource'].checked = true;

    els['stream-form'].addEventListener('submit', function (event) {
      event.preventDefault();
      start();
    });
    els['stop-btn'].addEventListener('click', function () {
      stop();
    });
    els['clear-btn'].addEventListener('click', clearAll);
    conversation = window.StreamTestConversation.create(els.conversation, els['conversation-count']);
    els['new-conversation-btn'].addEventListener('click', function () {
      if (isRunning()) stop();
      conversation.clear();
      els.question.focus();
    });
    els.question.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        start();
      }
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && isRunning()) {
        event.preventDefault();
        stop();
      }
    });
    els.provider.addEventListener('change', function () {
      providerTouched = true;
      applyHealth();
    });
    els['server-url'].addEventListener('input', function () {
      clearTimeout(healthTimer);
      healthTimer = setTimeout(checkHealth, 500);
    });
    els['server-url'].addEventListener('change', function () {
      clearTimeout(healthTimer);
      checkHealth();
    });

    setState('idle');
    checkHealth();
  }

  // --- /health (optional: only used for defaults and a hint) ----------------

  function checkHealth() {
    if (healthController) healthController.abort();
    var controller = new AbortController();
    healthController = controller;
    var timeout = setTimeout(function () {
      controller.abort();
    }, 5000);
    var url;
    try {
      url = apiUrl(els['server-url'].value.trim(), '/health');
    } catch (err) {
      clearTimeout(timeout);
      health = null;
      els['health-status'].textContent = 'Enter the gateway URL, e.g. http://localhost:8000.';
      return;
    }
    els['health-status'].textContent = 'Checking ' + url.href + '…';
    fetch(url, { signal: controller.signal, cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) {
        return res.json().then(function (body) {
          return { ok: res.ok, status: res.status, body: body };
        });
      })
      .then(function (result) {
        if (controller !== healthController) return;
        health = result.body && typeof result.body === 'object' ? result.body : null;
        var status = health && health.status ? String(health.status) : 'HTTP ' + result.status;
        var parts = ['Gateway: ' + status];
        if (health && health.default_provider) parts.push('default provider: ' + health.default_provider);
        els['health-status'].textContent = parts.join(' · ');
        applyHealth();
      })
      .catch(function (err) {
        if (controller !== healthController) return;
        health = null;
        els['health-status'].textContent =
          'Could not read ' +
          url.href +
          ' (' +
          (err && err.name === 'AbortError' ? 'timed out' : 'unreachable') +
          '). You can still try streaming.';
        applyHealth();
      })
      .finally(function () {
        clearTimeout(timeout);
      });
  }

  function providerInfo(name) {
    var providers = health && health.providers;
    var info = providers && typeof providers === 'object' ? providers[name] : null;
    return info && typeof info === 'object' ? info : null;
  }

  function applyHealth() {
    var labels = { gemini: 'Gemini', openai: 'OpenAI' };
    Array.prototype.forEach.call(els.provider.options, function (option) {
      var info = providerInfo(option.value);
      var label = labels[option.value] || option.value;
      option.textContent = info && info.configured === false ? label + ' (not configured)' : label;
    });
    if (!providerTouched && health && (health.default_provider === 'gemini' || health.default_provider === 'openai')) {
      els.provider.value = health.default_provider;
    }
    var info = providerInfo(els.provider.value);
    els.model.placeholder = info && info.model ? 'default: ' + info.model : 'server default';
  }

  // --- state and stats --------------------------------------------------------

  function isRunning() {
    return !!current && !current.finished;
  }

  function setState(state) {
    els.state.textContent = state === 'reconnecting' ? 'reconnecting…' : state;
    els.state.setAttribute('data-state', state);
    document.body.setAttribute('data-state', state);
    var running = state === 'connecting' || state === 'streaming' || state === 'reconnecting';
    els['stream-btn'].disabled = running;
    els['stop-btn'].disabled = !running;
    els.answer.setAttribute('aria-busy', running ? 'true' : 'false');
  }

  function resetStats() {
    els['stat-ttfc'].textContent = '–';
    els['stat-chunks'].textContent = '0';
    els['stat-chars'].textContent = '0';
    els['stat-elapsed'].textContent = '–';
    els['stat-rate'].textContent = '–';
  }

  function updateStats(run) {
    var end = run.endedAt != null ? run.endedAt : now();
    var elapsed = end - run.startedAt;
    els['stat-ttfc'].textContent = run.firstChunkAt != null ? formatMs(run.firstChunkAt - run.startedAt) : '–';
    els['stat-chunks'].textContent = String(run.chunks);
    els['stat-chars'].textContent = String(run.chars);
    els['stat-elapsed'].textContent = formatMs(elapsed);
    els['stat-rate'].textContent = elapsed > 0 && run.chars > 0 ? (run.chars / (elapsed / 1000)).toFixed(1) : '–';
  }

  function clearError() {
    els.error.hidden = true;
    els.error.textContent = '';
  }

  /** Shows an error built from text nodes only. */
  function showError(title, message, issues) {
    els.error.textContent = '';
    var lines = (issues || []).map(function (issue) {
      if (issue && typeof issue === 'object') {
        var field = issue.field != null ? issue.field : Array.isArray(issue.path) ? issue.path.join('.') : '';
        return (field ? field + ': ' : '') + (issue.message != null ? issue.message : JSON.stringify(issue));
      }
      return String(issue);
    });
    // The gateway's "error" is usually the issues joined with "; ": then the list says it all.
    if (lines.length && message === lines.join('; ')) message = '';
    var p = document.createElement('p');
    var strong = document.createElement('strong');
    strong.textContent = title;
    p.appendChild(strong);
    if (message) p.appendChild(document.createTextNode(' ' + message));
    els.error.appendChild(p);
    if (lines.length) {
      var ul = document.createElement('ul');
      lines.forEach(function (line) {
        var li = document.createElement('li');
        li.setAttribute('data-testid', 'error-issue');
        li.textContent = line;
        ul.appendChild(li);
      });
      els.error.appendChild(ul);
    }
    els.error.hidden = false;
  }

  function logEvent(run, text) {
    if (run !== current) return;
    run.logLines++;
    if (run.logLines <= MAX_LOG_LINES) {
      els.events.appendChild(document.createTextNode(text + '\n'));
    } else if (run.logLines === MAX_LOG_LINES + 1) {
      els.events.appendChild(document.createTextNode('… (log truncated)\n'));
    }
    els['events-count'].textContent = '(' + run.events + ')';
  }

  function clearAll() {
    if (isRunning()) stop();
    current = null;
    els.answer.textContent = '';
    els.events.textContent = '';
    els['events-count'].textContent = '(0)';
    els['request-line'].textContent = '';
    els.meta.hidden = true;
    els.meta.textContent = '';
    setResumeStatus('');
    clearError();
    resetStats();
    setState('idle');
  }

  function setResumeStatus(text) {
    els['resume-status'].textContent = text;
    els['resume-status'].hidden = !text;
  }

  // --- a run ------------------------------------------------------------------

  function start() {
    if (isRunning()) return;
    var transport = els['transport-fetch'].checked ? 'fetch' : 'eventsource';
    var run = {
      transport: transport,
      startedAt: now(),
      firstChunkAt: null,
      endedAt: null,
      chunks: 0,
      chars: 0,
      events: 0,
      logLines: 0,
      finished: false,
      textNode: null,
      eventSource: null,
      controller: null,
      timer: 0,
      question: els.question.value,
      server: '',
      lastEventId: '', // the last `id:` seen: what a reconnect resumes after
      streamId: null, // X-Stream-Id (fetch) or a `stream_id` field: what Stop deletes
      retryMs: 1000, // the stream's `retry:` hint (fetch transport)
      reconnects: 0,
      reconnecting: false,
      eventsAtDrop: 0,
      retryTimer: 0,
    };
    current = run;

    els.answer.textContent = '';
    els.events.textContent = '';
    els['events-count'].textContent = '(0)';
    els.meta.hidden = true;
    els.meta.textContent = '';
    setResumeStatus('');
    clearError();
    resetStats();

    var server = els['server-url'].value.trim();
    var provider = els.provider.value;
    var model = els.model.value.trim();
    var question = run.question;
    run.server = server;
    run.token = els['access-token'].value.trim();

    var url;
    try {
      url = apiUrl(server, transport === 'fetch' ? '/api/stream/chat' : '/api/stream/chat-get');
    } catch (err) {
      els['request-line'].textContent = '';
      run.finished = true;
      run.endedAt = now();
      setState('error');
      showError('Invalid Server URL:', (err && err.message) || String(err));
      return;
    }

    setState('connecting');
    run.timer = setInterval(function () {
      if (run === current && !run.finished) updateStats(run);
    }, 100);

    // The same fields with both transports; for GET, numbers are text and `messages` is JSON.
    var input = { user_input: question, provider: provider };
    if (model) input.model = model;
    var system = els.system.value;
    if (system.trim()) input.system = system;
    var temperature = els.temperature.value.trim();
    if (temperature !== '') input.temperature = Number(temperature);
    var maxTokens = els['max-tokens'].value.trim();
    if (maxTokens !== '') input.max_tokens = Number(maxTokens);
    var messages = conversation.messages();
    if (messages.length) input.messages = messages;

    if (transport === 'fetch') {
      els['request-line'].textContent = 'POST ' + url.href;
      startFetch(run, url, input);
    } else {
      Object.keys(input).forEach(function (key) {
        var value = input[key];
        url.searchParams.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
      });
      els['request-line'].textContent = 'GET ' + url.href;
      // EventSource cannot send headers: the gateway also takes the token from the query string.
      if (run.token) url.searchParams.set('access_token', run.token);
      startEventSource(run, url);
    }
  }

  function stop() {
    var run = current;
    if (!run || run.finished) return;
    finishRun(run, 'stopped');
    els.meta.hidden = false;
    els.meta.textContent = 'Stopped by you after ' + run.chunks + ' chunk' + (run.chunks === 1 ? '' : 's') + '.';
    if (run.streamId) deleteStream(run);
  }

  /** Stops the generation on the gateway too (resumable streams keep running for a grace period otherwise). */
  function deleteStream(run) {
    var url;
    try {
      url = apiUrl(run.server, '/api/streams/' + encodeURIComponent(run.streamId));
    } catch (e) {
      return;
    }
    els.meta.textContent += ' DELETE ' + url.pathname + ' sent.';
    var headers = run.token ? { Authorization: 'Bearer ' + run.token } : {};
    fetch(url.href, { method: 'DELETE', headers: headers, keepalive: true, cache: 'no-store' }).catch(function () {
      /* the stream still ends by itself after the gateway's grace period */
    });
  }

  /** The connection dropped mid-stream: wait for (EventSource) or make (fetch) a resume request. */
  function markReconnecting(run) {
    if (!run.reconnecting) run.eventsAtDrop = run.events;
    run.reconnecting = true;
    run.reconnects++;
    if (run !== current) return;
    setState('reconnecting');
    setResumeStatus(
      'Connection lost after event ' +
        run.eventsAtDrop +
        ': reconnecting… (attempt ' +
        run.reconnects +
        ' of ' +
        MAX_RECONNECTS +
        ')',
    );
  }

  function markResumed(run) {
    if (!run.reconnecting) return;
    run.reconnecting = false;
    if (run !== current || run.finished) return;
    setState(run.firstChunkAt == null ? 'connecting' : 'streaming');
    setResumeStatus(
      'Resumed after event ' +
        run.eventsAtDrop +
        ' (' +
        run.reconnects +
        ' reconnect' +
        (run.reconnects === 1 ? '' : 's') +
        ').',
    );
    logEvent(run, '(resumed after event ' + run.eventsAtDrop + ', Last-Event-ID: ' + run.lastEventId + ')');
  }

  /** A dropped stream that cannot be resumed any more. */
  function failResume(run, why) {
    failRun(run, 'Connection lost:', 'the stream ended before its final "done" event and ' + why);
  }

  /** Ends a run once: closes the connection, stops the timer, sets the final state. */
  function finishRun(run, state) {
    if (run.finished) return false;
    run.finished = true;
    run.endedAt = now();
    clearInterval(run.timer);
    clearTimeout(run.retryTimer);
    if (run.eventSource) {
      run.eventSource.close();
    }
    if (run.controller) {
      try {
        run.controller.abort();
      } catch (e) {
        /* ignore */
      }
    }
    if (run === current) {
      updateStats(run);
      setState(state);
    }
    return true;
  }

  function failRun(run, title, message, issues) {
    if (run.finished || run !== current) {
      if (!run.finished) finishRun(run, 'error');
      return;
    }
    finishRun(run, 'error');
    showError(title, message, issues);
  }

  function appendChunk(run, text) {
    if (!text) return;
    if (run.firstChunkAt == null) {
      run.firstChunkAt = now();
      setState('streaming');
    }
    run.chunks++;
    run.chars += countChars(text);
    if (!run.textNode) {
      run.textNode = document.createTextNode('');
      els.answer.appendChild(run.textNode);
    }
    run.textNode.appendData(text); // text only, never HTML
    updateStats(run);
  }

  function describeFinal(msg) {
    var parts = [];
    if (msg.provider) parts.push('provider: ' + msg.provider);
    if (msg.model) parts.push('model: ' + msg.model);
    if (msg.finish_reason) parts.push('finish: ' + msg.finish_reason);
    if (msg.usage && typeof msg.usage === 'object') {
      var usage = Object.keys(msg.usage)
        .filter(function (key) {
          var v = msg.usage[key];
          return v != null && typeof v !== 'object';
        })
        .map(function (key) {
          return key + '=' + msg.usage[key];
        });
      if (usage.length) parts.push('usage: ' + usage.join(', '));
    }
    return parts.join(' · ');
  }

  /** Handles one SSE event's data (both transports); `id` is its `id:` (lastEventId), if any. */
  function handleData(run, data, id) {
    if (run.finished || run !== current) return;
    if (id) {
      run.lastEventId = id;
      // Event ids are `<stream id>:<n>`: EventSource cannot read X-Stream-Id, so Stop takes it from here.
      var colon = id.lastIndexOf(':');
      if (!run.streamId && colon > 0) run.streamId = id.slice(0, colon);
    }
    run.events++;
    logEvent(run, data);
    var msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      failRun(run, 'Malformed event:', 'the server sent data that is not JSON: ' + truncate(data, 200));
      return;
    }
    if (!msg || typeof msg !== 'object') {
      failRun(run, 'Malformed event:', 'expected a JSON object, got ' + truncate(data, 200));
      return;
    }
    if (msg.error != null && msg.error !== false && msg.error !== '') {
      var text = typeof msg.error === 'string' ? msg.error : msg.error.message || JSON.stringify(msg.error);
      failRun(run, 'Stream error:', text);
      return;
    }
    if (typeof msg.stream_id === 'string' && msg.stream_id) run.streamId = msg.stream_id;
    if (typeof msg.chunk === 'string') appendChunk(run, msg.chunk);
    if (msg.done === true) {
      finishRun(run, 'done');
      conversation.add(run.question, run.textNode ? run.textNode.data : '');
      var meta = describeFinal(msg);
      if (meta) {
        els.meta.textContent = meta;
        els.meta.hidden = false;
      }
    }
  }

  /** Reads a non-2xx answer and shows its JSON error (with field issues) or its text. */
  function showHttpError(run, res) {
    return res.text().then(
      function (text) {
        var title = 'Request rejected (HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '') + '):';
        var body = null;
        try {
          body = JSON.parse(text);
        } catch (e) {
          /* not JSON */
        }
        if (body && typeof body === 'object') {
          var message =
            body.error != null
              ? typeof body.error === 'string'
                ? body.error
                : JSON.stringify(body.error)
              : body.message;
          var issues = Array.isArray(body.issues) ? body.issues : null;
          failRun(run, title, message != null ? String(message) : truncate(text, 300), issues);
        } else {
          failRun(run, title, truncate(text, 300) || '(empty body)');
        }
      },
      function () {
        failRun(run, 'Request rejected (HTTP ' + res.status + ').', '');
      },
    );
  }

  function networkHint(url) {
    return (
      'Could not connect to ' +
      url.origin +
      ". Is the gateway running there, and does it allow this page's origin (CORS)?"
    );
  }

  // --- EventSource transport ------------------------------------------------

  function startEventSource(run, url) {
    var es;
    try {
      es = new EventSource(url.href);
    } catch (err) {
      failRun(run, 'Could not open EventSource:', (err && err.message) || String(err));
      return;
    }
    run.eventSource = es;
    es.onopen = function () {
      if (run.finished) return;
      if (run.reconnecting) markResumed(run);
      else if (run === current && run.firstChunkAt == null) setState('streaming');
    };
    es.onmessage = function (event) {
      handleData(run, event.data, event.lastEventId);
    };
    es.onerror = function (event) {
      if (run.finished) {
        es.close();
        return;
      }
      // A server-sent "event: error" with data arrives here as a MessageEvent.
      if (event && typeof event.data === 'string' && event.data) {
        handleData(run, event.data, event.lastEventId);
        if (!run.finished) return;
        es.close();
        return;
      }
      if (run.lastEventId) {
        // A resumable stream: the browser reconnects by itself with Last-Event-ID and gets the rest.
        if (es.readyState === EventSource.CONNECTING && run.reconnects < MAX_RECONNECTS) {
          markReconnecting(run);
          return;
        }
        es.close();
        failResume(
          run,
          es.readyState === EventSource.CLOSED
            ? 'the gateway could not resume it (finished, expired or unknown).'
            : 'it did not come back after ' + run.reconnects + ' reconnects.',
        );
        return;
      }
      // Events without ids cannot be resumed: close at once, or the browser reconnects
      // (and would ask the model again).
      es.close();
      if (run.events > 0) {
        failRun(run, 'Connection lost:', 'the stream ended before its final "done" event.');
        return;
      }
      // No event at all: EventSource hides the HTTP status. Ask again with fetch
      // to show the gateway's message (e.g. a 400 naming the field).
      diagnose(run, url);
    };
  }

  function diagnose(run, url) {
    var controller = new AbortController();
    run.controller = controller;
    fetch(url.href, { signal: controller.signal, cache: 'no-store', headers: { Accept: 'text/event-stream' } })
      .then(function (res) {
        if (run.finished) return;
        if (!res.ok) return showHttpError(run, res);
        var type = res.headers.get('content-type') || '(none)';
        controller.abort(); // do not read (or pay for) a second answer
        failRun(
          run,
          'EventSource failed:',
          'the server answered HTTP ' +
            res.status +
            ' with content-type ' +
            type +
            (type.indexOf('text/event-stream') === -1
              ? ' (expected text/event-stream).'
              : ', but the connection dropped.'),
        );
      })
      .catch(function (err) {
        if (run.finished) return;
        failRun(run, 'Connection failed:', networkHint(url) + (err && err.message ? ' (' + err.message + ')' : ''));
      });
  }

  // --- fetch streaming transport --------------------------------------------

  function startFetch(run, url, body) {
    var controller = new AbortController();
    run.controller = controller;
    var headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
    if (run.lastEventId) headers['Last-Event-ID'] = run.lastEventId; // a resume: the rest of the same stream
    if (run.token) headers.Authorization = 'Bearer ' + run.token;
    fetch(url.href, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(body),
      signal: controller.signal,
      cache: 'no-store',
    })
      .then(function (res) {
        if (run.finished) return;
        if (res.status === 204 && run.lastEventId) {
          failResume(run, 'the gateway could not resume it (finished, expired or unknown).');
          return;
        }
        if (!res.ok) return showHttpError(run, res);
        var type = res.headers.get('content-type') || '';
        if (type.indexOf('text/event-stream') === -1) {
          return res.text().then(function (text) {
            failRun(
              run,
              'Unexpected response:',
              'content-type ' + (type || '(none)') + ', expected text/event-stream. ' + truncate(text, 200),
            );
          });
        }
        if (!res.body || !res.body.getReader) {
          failRun(
            run,
            'Unsupported browser:',
            'this browser cannot read a fetch response as a stream; use EventSource.',
          );
          return;
        }
        run.streamId = res.headers.get('X-Stream-Id') || run.streamId;
        if (run.reconnecting) markResumed(run);
        else if (run.firstChunkAt == null) setState('streaming');
        return readStream(run, res.body.getReader());
      })
      .then(function (ended) {
        if (ended === 'dropped') resumeOrFail(run, url, body, null);
      })
      .catch(function (err) {
        if (run.finished) return; // stopped (AbortError) or already failed
        if (run.lastEventId) {
          resumeOrFail(run, url, body, err);
        } else if (err && err.name === 'TypeError' && run.events === 0) {
          failRun(run, 'Connection failed:', networkHint(url) + (err.message ? ' (' + err.message + ')' : ''));
        } else {
          failRun(run, 'Connection lost:', (err && err.message) || String(err));
        }
      });
  }

  /** Reads one response's events; resolves 'dropped' when it ends before the closing event. */
  function readStream(run, reader) {
    var decoder = new TextDecoder('utf-8');
    var parser = createSSEParser(
      function (event) {
        handleData(run, event.data, event.lastEventId);
      },
      function (discarded) {
        logEvent(run, '(discarded incomplete event at end of stream: ' + truncate(discarded, 200) + ')');
      },
      function (ms) {
        run.retryMs = ms;
      },
    );
    function pump() {
      return reader.read().then(function (step) {
        if (run.finished) {
          reader.cancel().catch(function () {});
          return 'finished';
        }
        if (step.done) {
          parser.push(decoder.decode());
          parser.end();
          return run.finished ? 'finished' : 'dropped';
        }
        parser.push(decoder.decode(step.value, { stream: true }));
        if (run.finished) {
          reader.cancel().catch(function () {});
          return 'finished';
        }
        return pump();
      });
    }
    return pump();
  }

  /** After a drop: repeat the POST with Last-Event-ID when the events had ids, else fail. */
  function resumeOrFail(run, url, body, err) {
    if (run.finished) return;
    if (!run.lastEventId) {
      failRun(run, 'Connection lost:', 'the stream ended before its final "done" event.');
      return;
    }
    if (run.reconnects >= MAX_RECONNECTS) {
      failResume(
        run,
        'it did not come back after ' +
          run.reconnects +
          ' reconnects' +
          (err && err.message ? ' (' + err.message + ').' : '.'),
      );
      return;
    }
    markReconnecting(run);
    run.retryTimer = setTimeout(function () {
      if (!run.finished) startFetch(run, url, body);
    }, run.retryMs);
  }

  // Exposed for tests and the console; not needed by the page itself.
  window.StreamTestPage = {
    createSSEParser: createSSEParser,
    countChars: countChars,
    start: start,
    stop: stop,
    get state() {
      return els.state ? els.state.getAttribute('data-state') : 'loading';
    },
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
