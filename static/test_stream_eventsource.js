/*
 * The EventSource transport of the stream test page: GET {server}/api/stream/chat-get?… with
 * the request in the query string. A resumable stream (events with `id:` lines) is resumed by
 * the browser itself, with Last-Event-ID; a stream without ids is closed at its first error (or
 * the browser would ask the model again). When no event came at all, the same GET is repeated
 * with fetch to show why (EventSource hides the HTTP status). window.StreamTestEventSource:
 *
 *   window.StreamTestEventSource.start(run, url);
 *
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var util = window.StreamTestUtil;
  var dom = window.StreamTestDom;
  var runs = window.StreamTestRun;
  var answer = window.StreamTestAnswer;

  function start(run, url) {
    var es;
    try {
      es = new EventSource(url.href);
    } catch (err) {
      runs.failRun(run, 'Could not open EventSource:', (err && err.message) || String(err));
      return;
    }
    run.eventSource = es;
    es.onopen = function () {
      if (run.finished) return;
      if (run.reconnecting) runs.markResumed(run);
      else if (run === runs.current && run.firstChunkAt == null) dom.setState('streaming');
    };
    es.onmessage = function (event) {
      answer.handleData(run, event.data, event.lastEventId);
    };
    es.onerror = function (event) {
      if (run.finished) {
        es.close();
        return;
      }
      // A server-sent "event: error" with data arrives here as a MessageEvent.
      if (event && typeof event.data === 'string' && event.data) {
        answer.handleData(run, event.data, event.lastEventId);
        if (!run.finished) return;
        es.close();
        return;
      }
      if (run.lastEventId) {
        // A resumable stream: the browser reconnects by itself with Last-Event-ID and gets the rest.
        if (es.readyState === EventSource.CONNECTING && run.reconnects < runs.MAX_RECONNECTS) {
          runs.markReconnecting(run);
          return;
        }
        es.close();
        runs.failResume(
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
        runs.failRun(run, 'Connection lost:', 'the stream ended before its final "done" event.');
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
        if (!res.ok) return answer.showHttpError(run, res);
        var type = res.headers.get('content-type') || '(none)';
        controller.abort(); // do not read (or pay for) a second answer
        runs.failRun(
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
        runs.failRun(
          run,
          'Connection failed:',
          util.networkHint(url) + (err && err.message ? ' (' + err.message + ')' : ''),
        );
      });
  }

  window.StreamTestEventSource = { start: start };
})();
