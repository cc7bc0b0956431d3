/*
 * The access token of the stream test page (optional: for a gateway with ACCESS_TOKENS or
 * TOKEN_SIGNING_SECRET). fetch sends it as `Authorization: Bearer …`; EventSource cannot send
 * headers, so it goes in the query string as `access_token`, which the gateway also reads.
 * window.StreamTestToken:
 *
 *   var token = window.StreamTestToken.read();               // '' when none
 *   window.StreamTestToken.addHeader(headers, token);        // fetch (the POST and Stop's DELETE)
 *   window.StreamTestToken.addToQuery(url, token);           // EventSource
 *
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var els = window.StreamTestDom.els;

  /** The token typed in the form, trimmed; '' for an open gateway. */
  function read() {
    return els['access-token'].value.trim();
  }

  /** Adds `Authorization: Bearer <token>` to a fetch headers object when there is a token; returns it. */
  function addHeader(headers, token) {
    if (token) headers.Authorization = 'Bearer ' + token;
    return headers;
  }

  /** Adds `?access_token=<token>` to an EventSource URL when there is a token. */
  function addToQuery(url, token) {
    if (token) url.searchParams.set('access_token', token);
  }

  window.StreamTestToken = { read: read, addHeader: addHeader, addToQuery: addToQuery };
})();
