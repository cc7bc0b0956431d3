/*
 * The fetch streaming transport of the stream test page: POST {server}/api/stream/chat with a
 * JSON body, the response body read with a streaming TextDecoder and parsed by the SSE parser
 * (test_stream_sse.js). After a drop, a resumable stream (events with `id:` lines) is asked
 * again: the same POST with a Last-Event-ID header, after the stream's `retry:` delay, at most
 * MAX_RECONNECTS times; a 204 answer means the gateway cannot resume it. window.StreamTestFetch:
 *
 *   window.StreamTestFetch.start(run, url, body);
 *
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var createSSEParser = window.StreamTestSSE.createSSEParser;
  var util = window.StreamTestUtil;
  var dom = window.StreamTestDom;
  var runs = window.StreamTestRun;
  var answer = window.StreamTestAnswer;
  var token = window.StreamTestToken;

  function start(run, url, body) {
    var controller = new AbortController();
    run.controller = controller;
    var headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
    if (run.lastEventId) headers['Last-Event-ID'] = run.lastEventId; // a resume: the rest of the same stream
    token.addHeader(headers, run.token);
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
          runs.failResume(run, 'the gateway could not resume it (finished, expired or unknown).');
          return;
        }
        if (!res.ok) return answer.showHttpError(run, res);
        var type = res.headers.get('content-type') || '';
        if (type.indexOf('text/event-stream') === -1) {
          return res.text().then(function (text) {
            runs.failRun(
              run,
              'Unexpected response:',
              'content-type ' + (type || '(none)') + ', expected text/event-stream. ' + util.truncate(text, 200),
            );
          });
        }
        if (!res.body || !res.body.getReader) {
          runs.failRun(
            run,
            'Unsupported browser:',
            'this browser cannot read a fetch response as a stream; use EventSource.',
          );
          return;
        }
        run.streamId = res.headers.get('X-Stream-Id') || run.streamId;
        if (run.reconnecting) runs.markResumed(run);
        else if (run.firstChunkAt == null) dom.setState('streaming');
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
          runs.failRun(
            run,
            'Connection failed:',
            util.networkHint(url) + (err.message ? ' (' + err.message + ')' : ''),
          );
        } else {
          runs.failRun(run, 'Connection lost:', (err && err.message) || String(err));
        }
      });
  }

  /** Reads one response's events; resolves 'dropped' when it ends before the closing event. */
  function readStream(run, reader) {
    var decoder = new TextDecoder('utf-8');
    var parser = createSSEParser(
      function (event) {
        answer.handleData(run, event.data, event.lastEventId);
      },
      function (discarded) {
        runs.logEvent(run, '(discarded incomplete event at end of stream: ' + util.truncate(discarded, 200) + ')');
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
      runs.failRun(run, 'Connection lost:', 'the stream ended before its final "done" event.');
      return;
    }
    if (run.reconnects >= runs.MAX_RECONNECTS) {
      runs.failResume(
        run,
        'it did not come back after ' +
          run.reconnects +
          ' reconnects' +
          (err && err.message ? ' (' + err.message + ').' : '.'),
      );
      return;
    }
    runs.markReconnecting(run);
    run.retryTimer = setTimeout(function () {
      if (!run.finished) start(run, url, body);
    }, run.retryMs);
  }

  window.StreamTestFetch = { start: start };
})();
