/*
 * The elements of the stream test page and what they show: state, stats, errors, the resume line.
 * Text only, never HTML. window.StreamTestDom:
 *
 *   var els = window.StreamTestDom.els; // filled by collect(), keyed by element id
 *   window.StreamTestDom.collect(); window.StreamTestDom.setState('idle');
 *
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var util = window.StreamTestUtil;

  var IDS = [
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
  ];

  var els = {};

  /** Finds the page's elements (once the document is parsed). */
  function collect() {
    IDS.forEach(function (id) {
      els[id] = document.getElementById(id);
    });
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
    var end = run.endedAt != null ? run.endedAt : util.now();
    var elapsed = end - run.startedAt;
    els['stat-ttfc'].textContent = run.firstChunkAt != null ? util.formatMs(run.firstChunkAt - run.startedAt) : '–';
    els['stat-chunks'].textContent = String(run.chunks);
    els['stat-chars'].textContent = String(run.chars);
    els['stat-elapsed'].textContent = util.formatMs(elapsed);
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

  function setResumeStatus(text) {
    els['resume-status'].textContent = text;
    els['resume-status'].hidden = !text;
  }

  /** Empties the answer, the event log, the meta line, the resume line, the error and the stats. */
  function clearOutput() {
    els.answer.textContent = '';
    els.events.textContent = '';
    els['events-count'].textContent = '(0)';
    els.meta.hidden = true;
    els.meta.textContent = '';
    setResumeStatus('');
    clearError();
    resetStats();
  }

  window.StreamTestDom = {
    els: els,
    collect: collect,
    setState: setState,
    resetStats: resetStats,
    updateStats: updateStats,
    clearError: clearError,
    showError: showError,
    setResumeStatus: setResumeStatus,
    clearOutput: clearOutput,
  };
})();
