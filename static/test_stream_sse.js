/*
 * SSE parser of the stream test page (WHATWG "event stream interpretation"), shared by the
 * fetch transport: window.StreamTestSSE.createSSEParser(onEvent, onDiscard, onRetry).
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------------------
  // SSE parser (WHATWG "event stream interpretation"): CRLF, LF and CR line ends,
  // comment lines (": ping") ignored, multi-line data joined with "\n", one
  // optional space after the colon removed, an event dispatched on a blank line.
  // ---------------------------------------------------------------------------
  function createSSEParser(onEvent, onDiscard, onRetry) {
    var buffer = '';
    var dataLines = [];
    var eventType = '';
    var lastEventId = '';

    function dispatch() {
      if (dataLines.length === 0) {
        eventType = '';
        return;
      }
      var event = { type: eventType || 'message', data: dataLines.join('\n'), lastEventId: lastEventId };
      dataLines = [];
      eventType = '';
      onEvent(event);
    }

    function processLine(line) {
      if (line === '') {
        dispatch();
        return;
      }
      if (line.charCodeAt(0) === 58 /* ':' */) return; // comment, e.g. ": ping"
      var colon = line.indexOf(':');
      var field = colon === -1 ? line : line.slice(0, colon);
      var value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
      if (field === 'data') dataLines.push(value);
      else if (field === 'event') eventType = value;
      else if (field === 'id' && value.indexOf('\u0000') === -1) lastEventId = value;
      else if (field === 'retry' && /^\d+$/.test(value) && onRetry) onRetry(Number(value));
      // Unknown fields are ignored.
    }

    var LINE_END = /\r\n|\r|\n/;

    return {
      /** Feeds decoded text; any split of the stream (even inside "\r\n") is fine. */
      push: function (text) {
        buffer += text;
        for (;;) {
          var match = LINE_END.exec(buffer);
          if (!match) break;
          // A lone "\r" at the very end may be the first half of a "\r\n": wait for more.
          if (match[0] === '\r' && match.index === buffer.length - 1) break;
          var line = buffer.slice(0, match.index);
          buffer = buffer.slice(match.index + match[0].length);
          processLine(line);
        }
      },
      /** End of stream: a trailing "\r" ends its line; an event without its blank line is discarded (as EventSource does). */
      end: function () {
        if (buffer.length && buffer.charAt(buffer.length - 1) === '\r') {
          processLine(buffer.slice(0, -1));
          buffer = '';
        }
        if ((buffer.length || dataLines.length) && onDiscard) {
          onDiscard(dataLines.concat(buffer ? [buffer] : []).join('\n'));
        }
        buffer = '';
        dataLines = [];
        eventType = '';
      },
    };
  }

  window.StreamTestSSE = { createSSEParser: createSSEParser };
})();
