/*
 * What the gateway answers, for both transports of the stream test page: each event's JSON
 * ({"chunk":"…","done":false} pieces, then {"chunk":"","done":true,…} or {"error":"…","done":true})
 * becomes answer text (a Text node, never HTML), stats and the final meta line; a non-2xx answer
 * becomes the error box. window.StreamTestAnswer:
 *
 *   window.StreamTestAnswer.handleData(run, event.data, event.lastEventId);
 *   window.StreamTestAnswer.showHttpError(run, response); // a promise
 *
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var util = window.StreamTestUtil;
  var dom = window.StreamTestDom;
  var els = dom.els;
  var runs = window.StreamTestRun;

  function appendChunk(run, text) {
    if (!text) return;
    if (run.firstChunkAt == null) {
      run.firstChunkAt = util.now();
      dom.setState('streaming');
    }
    run.chunks++;
    run.chars += util.countChars(text);
    if (!run.textNode) {
      run.textNode = document.createTextNode('');
      els.answer.appendChild(run.textNode);
    }
    run.textNode.appendData(text); // text only, never HTML
    dom.updateStats(run);
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
    if (run.finished || run !== runs.current) return;
    if (id) {
      run.lastEventId = id;
      // Event ids are `<stream id>:<n>`: EventSource cannot read X-Stream-Id, so Stop takes it from here.
      var colon = id.lastIndexOf(':');
      if (!run.streamId && colon > 0) run.streamId = id.slice(0, colon);
    }
    run.events++;
    runs.logEvent(run, data);
    var msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      runs.failRun(run, 'Malformed event:', 'the server sent data that is not JSON: ' + util.truncate(data, 200));
      return;
    }
    if (!msg || typeof msg !== 'object') {
      runs.failRun(run, 'Malformed event:', 'expected a JSON object, got ' + util.truncate(data, 200));
      return;
    }
    if (msg.error != null && msg.error !== false && msg.error !== '') {
      var text = typeof msg.error === 'string' ? msg.error : msg.error.message || JSON.stringify(msg.error);
      runs.failRun(run, 'Stream error:', text);
      return;
    }
    if (typeof msg.stream_id === 'string' && msg.stream_id) run.streamId = msg.stream_id;
    if (typeof msg.chunk === 'string') appendChunk(run, msg.chunk);
    if (msg.done === true) {
      runs.finishRun(run, 'done');
      runs.conversation.add(run.question, run.textNode ? run.textNode.data : '');
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
          runs.failRun(run, title, message != null ? String(message) : util.truncate(text, 300), issues);
        } else {
          runs.failRun(run, title, util.truncate(text, 300) || '(empty body)');
        }
      },
      function () {
        runs.failRun(run, 'Request rejected (HTTP ' + res.status + ').', '');
      },
    );
  }

  window.StreamTestAnswer = { handleData: handleData, showHttpError: showHttpError };
})();
