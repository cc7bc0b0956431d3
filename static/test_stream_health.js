/*
 * GET {server}/health for the stream test page, optional: it only fills defaults (the default
 * provider unless one was chosen, model placeholders, "(not configured)") and the hint under
 * the Server URL. window.StreamTestHealth:
 *
 *   health.check();          // now (aborts the previous check)
 *   health.checkSoon();      // 500 ms after the last call (typing in the Server URL)
 *   health.providerChosen(); // the provider was picked: no longer follow the gateway's default
 *
 * A classic script, like the page's other files, so the page also works from file://.
 */
(function () {
  'use strict';

  var util = window.StreamTestUtil;
  var els = window.StreamTestDom.els;

  var health = null; // last /health answer (optional)
  var providerTouched = false;
  var healthTimer = 0;
  var healthController = null;

  function check() {
    clearTimeout(healthTimer);
    if (healthController) healthController.abort();
    var controller = new AbortController();
    healthController = controller;
    var timeout = setTimeout(function () {
      controller.abort();
    }, 5000);
    var url;
    try {
      url = util.apiUrl(els['server-url'].value.trim(), '/health');
    } catch (err) {
      clearTimeout(timeout);
      health = null;
      els['health-status'].textContent = 'Enter the gateway URL, e.g. http://localhost:8000.';
      return;
    }
    els['health-status'].textContent = 'Checking ' + url.href + '…';
    fetch(url, { signal: controller.signal, cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) {
        return res.json().then(function (body) {
          return { ok: res.ok, status: res.status, body: body };
        });
      })
      .then(function (result) {
        if (controller !== healthController) return;
        health = result.body && typeof result.body === 'object' ? result.body : null;
        var status = health && health.status ? String(health.status) : 'HTTP ' + result.status;
        var parts = ['Gateway: ' + status];
        if (health && health.default_provider) parts.push('default provider: ' + health.default_provider);
        els['health-status'].textContent = parts.join(' · ');
        apply();
      })
      .catch(function (err) {
        if (controller !== healthController) return;
        health = null;
        els['health-status'].textContent =
          'Could not read ' +
          url.href +
          ' (' +
          (err && err.name === 'AbortError' ? 'timed out' : 'unreachable') +
          '). You can still try streaming.';
        apply();
      })
      .finally(function () {
        clearTimeout(timeout);
      });
  }

  function checkSoon() {
    clearTimeout(healthTimer);
    healthTimer = setTimeout(check, 500);
  }

  function providerInfo(name) {
    var providers = health && health.providers;
    var info = providers && typeof providers === 'object' ? providers[name] : null;
    return info && typeof info === 'object' ? info : null;
  }

  function apply() {
    var labels = { gemini: 'Gemini', openai: 'OpenAI' };
    Array.prototype.forEach.call(els.provider.options, function (option) {
      var info = providerInfo(option.value);
      var label = labels[option.value] || option.value;
      option.textContent = info && info.configured === false ? label + ' (not configured)' : label;
    });
    if (!providerTouched && health && (health.default_provider === 'gemini' || health.default_provider === 'openai')) {
      els.provider.value = health.default_provider;
    }
    var info = providerInfo(els.provider.value);
    els.model.placeholder = info && info.model ? 'default: ' + info.model : 'server default';
  }

  /** The provider was set (from the query string or by hand): the gateway's default no longer applies. */
  function providerChosen() {
    providerTouched = true;
  }

  window.StreamTestHealth = { check: check, checkSoon: checkSoon, apply: apply, providerChosen: providerChosen };
})();
