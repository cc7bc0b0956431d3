/*
 * Stop on the stream test page (the Stop button, Esc): ends the run in the page, then sends
 * DELETE {server}/api/streams/{id} when the stream id is known (the X-Stream-Id header, the
 * `<stream id>:<n>` event ids, or a `stream_id` field of an event), so the gateway stops the
 * generation too instead of keeping a resumable stream for its grace period.
 * window.StreamTestStop:
 *
 *   window.StreamTestStop.stop();
 *
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var util = window.StreamTestUtil;
  var els = window.StreamTestDom.els;
  var runs = window.StreamTestRun;
  var token = window.StreamTestToken;

  function stop() {
    var run = runs.current;
    if (!run || run.finished) return;
    runs.finishRun(run, 'stopped');
    els.meta.hidden = false;
    els.meta.textContent = 'Stopped by you after ' + run.chunks + ' chunk' + (run.chunks === 1 ? '' : 's') + '.';
    if (run.streamId) deleteStream(run);
  }

  /** Stops the generation on the gateway too (resumable streams keep running for a grace period otherwise). */
  function deleteStream(run) {
    var url;
    try {
      url = util.apiUrl(run.server, '/api/streams/' + encodeURIComponent(run.streamId));
    } catch (e) {
      return;
    }
    els.meta.textContent += ' DELETE ' + url.pathname + ' sent.';
    var headers = token.addHeader({}, run.token);
    fetch(url.href, { method: 'DELETE', headers: headers, keepalive: true, cache: 'no-store' }).catch(function () {
      /* the stream still ends by itself after the gateway's grace period */
    });
  }

  window.StreamTestStop = { stop: stop };
})();
