/*
 * The request of the stream test page, built from the form: the endpoint of the transport and
 * the fields both transports send (user_input, provider, model, system, temperature, max_tokens,
 * and the conversation so far as `messages`). window.StreamTestRequest:
 *
 *   var url = window.StreamTestRequest.endpoint(server, 'fetch'); // throws on a bad Server URL
 *   var input = window.StreamTestRequest.fields(question, conversation.messages());
 *   window.StreamTestRequest.toQuery(url, input);                 // EventSource: the fields as GET parameters
 *
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var util = window.StreamTestUtil;
  var els = window.StreamTestDom.els;

  /** POST /api/stream/chat (fetch) or GET /api/stream/chat-get (EventSource) on the server. */
  function endpoint(server, transport) {
    return util.apiUrl(server, transport === 'fetch' ? '/api/stream/chat' : '/api/stream/chat-get');
  }

  /** The same fields with both transports: empty fields are left out (the gateway's defaults). */
  function fields(question, messages) {
    var input = { user_input: question, provider: els.provider.value };
    var model = els.model.value.trim();
    if (model) input.model = model;
    var system = els.system.value;
    if (system.trim()) input.system = system;
    var temperature = els.temperature.value.trim();
    if (temperature !== '') input.temperature = Number(temperature);
    var maxTokens = els['max-tokens'].value.trim();
    if (maxTokens !== '') input.max_tokens = Number(maxTokens);
    if (messages.length) input.messages = messages;
    return input;
  }

  /** For GET: the fields as query parameters, numbers as text and `messages` as JSON. */
  function toQuery(url, input) {
    Object.keys(input).forEach(function (key) {
      var value = input[key];
      url.searchParams.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
    });
  }

  window.StreamTestRequest = { endpoint: endpoint, fields: fields, toQuery: toQuery };
})();
