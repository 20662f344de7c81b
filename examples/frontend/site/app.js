// Shows the environment from env-config.js and the backend's health, read through the API base URL.
(function () {
  var env = window.GOLDEN_ENV || {};
  document.getElementById('environment').textContent = env.ENVIRONMENT || 'unknown';
  fetch((env.API_BASE_URL || '') + '/api/v1/health/')
    .then(function (response) { return response.json(); })
    .then(function (health) { document.getElementById('backend').textContent = health.status + ' (' + health.version + ')'; })
    .catch(function () { document.getElementById('backend').textContent = 'unreachable'; });
})();
