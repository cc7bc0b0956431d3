/*
 * LLM SSE Gateway – Stream test page: the wiring (form, buttons, keys, prefill from the query
 * string) and a run's start. Loaded last: the other parts are its siblings, loaded before it by
 * test_stream.html, each exposing one `window.StreamTest…` object.
 *
 *   test_stream_sse.js            the SSE parser (fetch transport)
 *   test_stream_conversation.js   earlier turns, sent as `messages`
 *   test_stream_util.js           small helpers (URLs, times, counting)
 *   test_stream_dom.js            the elements and what they show (state, stats, errors)
 *   test_stream_health.js         GET /health: defaults and the Server URL hint
 *   test_stream_run.js            a run's life: current run, finish/fail, log, reconnect lines
 *   test_stream_answer.js         the events' JSON and HTTP errors, shown as text
 *   test_stream_token.js          the access token (Bearer header or ?access_token=)
 *   test_stream_request.js        the request built from the form
 *   test_stream_eventsource.js    EventSource → GET {server}/api/stream/chat-get?user_input=…&provider=…
 *   test_stream_fetch.js          fetch stream → POST {server}/api/stream/chat (JSON body), resume
 *   test_stream_stop.js           Stop, and DELETE /api/streams/{id}
 *
 * Classic scripts (no modules, no build step, no external resources) so the page also works
 * opened from disk (file://) or served from another origin.
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

  var util = window.StreamTestUtil;
  var dom = window.StreamTestDom;
  var els = dom.els;
  var health = window.StreamTestHealth;
  var runs = window.StreamTestRun;
  var request = window.StreamTestRequest;
  var token = window.StreamTestToken;
  var stop = window.StreamTestStop.stop;

  function init() {
    dom.collect();

    // Prefill from the query string: ?server=…&provider=…&model=…&q=…&transport=fetch
    var params = new URLSearchParams(window.location.search);
    els['server-url'].value = params.get('server') || util.defaultServerUrl();
    var provider = params.get('provider');
    if (provider === 'gemini' || provider === 'openai') {
      els.provider.value = provider;
      health.providerChosen();
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
    runs.conversation = window.StreamTestConversation.create(els.conversation, els['conversation-count']);
    els['new-conversation-btn'].addEventListener('click', function () {
      if (runs.isRunning()) stop();
      runs.conversation.clear();
      els.question.focus();
    });
    els.question.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        start();
      }
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && runs.isRunning()) {
        event.preventDefault();
        stop();
      }
    });
    els.provider.addEventListener('change', function () {
      health.providerChosen();
      health.apply();
    });
    els['server-url'].addEventListener('input', health.checkSoon);
    els['server-url'].addEventListener('change', function () {
      health.check(); // also cancels a pending checkSoon()
    });

    dom.setState('idle');
    health.check();
  }

  function clearAll() {
    if (runs.isRunning()) stop();
    runs.current = null;
    dom.clearOutput();
    els['request-line'].textContent = '';
    dom.setState('idle');
  }

  function start() {
    if (runs.isRunning()) return;
    var transport = els['transport-fetch'].checked ? 'fetch' : 'eventsource';
    var run = runs.begin(transport, els.question.value);
    dom.clearOutput();

    var server = els['server-url'].value.trim();
    run.server = server;
    run.token = token.read();

    var url;
    try {
      url = request.endpoint(server, transport);
    } catch (err) {
      els['request-line'].textContent = '';
      run.finished = true;
      run.endedAt = util.now();
      dom.setState('error');
      dom.showError('Invalid Server URL:', (err && err.message) || String(err));
      return;
    }

    dom.setState('connecting');
    run.timer = setInterval(function () {
      if (run === runs.current && !run.finished) dom.updateStats(run);
    }, 100);

    // The same fields with both transports; for GET, numbers are text and `messages` is JSON.
    var input = request.fields(run.question, runs.conversation.messages());

    if (transport === 'fetch') {
      els['request-line'].textContent = 'POST ' + url.href;
      window.StreamTestFetch.start(run, url, input);
    } else {
      request.toQuery(url, input);
      els['request-line'].textContent = 'GET ' + url.href;
      // EventSource cannot send headers: the gateway also takes the token from the query string.
      token.addToQuery(url, run.token);
      window.StreamTestEventSource.start(run, url);
    }
  }

  // Exposed for tests and the console; not needed by the page itself.
  window.StreamTestPage = {
    createSSEParser: window.StreamTestSSE.createSSEParser,
    countChars: util.countChars,
    start: start,
    stop: stop,
    get state() {
      return els.state ? els.state.getAttribute('data-state') : 'loading';
    },
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
