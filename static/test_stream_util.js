/*
 * Small helpers of the stream test page (no DOM, no state): window.StreamTestUtil.
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

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

  function networkHint(url) {
    return (
      'Could not connect to ' +
      url.origin +
      ". Is the gateway running there, and does it allow this page's origin (CORS)?"
    );
  }

  window.StreamTestUtil = {
    formatMs: formatMs,
    countChars: countChars,
    truncate: truncate,
    defaultServerUrl: defaultServerUrl,
    apiUrl: apiUrl,
    now: now,
    networkHint: networkHint,
  };
})();
