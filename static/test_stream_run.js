/*
 * A run of the stream test page (one question streamed, from Stream to done, error or Stop) and
 * its life: the run in progress, ending it once, the raw event log, and the reconnect/resume
 * lines. window.StreamTestRun:
 *
 *   var run = window.StreamTestRun.begin('fetch', 'Hi'); // becomes StreamTestRun.current
 *   window.StreamTestRun.finishRun(run, 'done');
 *
 * `current` is the run in progress, or the last one (null after Clear); `conversation` is the
 * page's conversation (test_stream_conversation.js), set once the page starts.
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var util = window.StreamTestUtil;
  var dom = window.StreamTestDom;
  var els = dom.els;

  var MAX_LOG_LINES = 2000;
  var MAX_RECONNECTS = 5;

  var self = {
    current: null,
    conversation: null,
    MAX_RECONNECTS: MAX_RECONNECTS,
    begin: begin,
    isRunning: isRunning,
    finishRun: finishRun,
    failRun: failRun,
    logEvent: logEvent,
    markReconnecting: markReconnecting,
    markResumed: markResumed,
    failResume: failResume,
  };

  /** A new run, now the current one. */
  function begin(transport, question) {
    var run = {
      transport: transport,
      startedAt: util.now(),
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
      question: question,
      server: '',
      lastEventId: '', // the last `id:` seen: what a reconnect resumes after
      streamId: null, // X-Stream-Id (fetch) or a `stream_id` field: what Stop deletes
      retryMs: 1000, // the stream's `retry:` hint (fetch transport)
      reconnects: 0,
      reconnecting: false,
      eventsAtDrop: 0,
      retryTimer: 0,
    };
    self.current = run;
    return run;
  }

  function isRunning() {
    return !!self.current && !self.current.finished;
  }

  /** Ends a run once: closes the connection, stops the timer, sets the final state. */
  function finishRun(run, state) {
    if (run.finished) return false;
    run.finished = true;
    run.endedAt = util.now();
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
    if (run === self.current) {
      dom.updateStats(run);
      dom.setState(state);
    }
    return true;
  }

  function failRun(run, title, message, issues) {
    if (run.finished || run !== self.current) {
      if (!run.finished) finishRun(run, 'error');
      return;
    }
    finishRun(run, 'error');
    dom.showError(title, message, issues);
  }

  function logEvent(run, text) {
    if (run !== self.current) return;
    run.logLines++;
    if (run.logLines <= MAX_LOG_LINES) {
      els.events.appendChild(document.createTextNode(text + '\n'));
    } else if (run.logLines === MAX_LOG_LINES + 1) {
      els.events.appendChild(document.createTextNode('… (log truncated)\n'));
    }
    els['events-count'].textContent = '(' + run.events + ')';
  }

  /** The connection dropped mid-stream: wait for (EventSource) or make (fetch) a resume request. */
  function markReconnecting(run) {
    if (!run.reconnecting) run.eventsAtDrop = run.events;
    run.reconnecting = true;
    run.reconnects++;
    if (run !== self.current) return;
    dom.setState('reconnecting');
    dom.setResumeStatus(
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
    if (run !== self.current || run.finished) return;
    dom.setState(run.firstChunkAt == null ? 'connecting' : 'streaming');
    dom.setResumeStatus(
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

  window.StreamTestRun = self;
})();
