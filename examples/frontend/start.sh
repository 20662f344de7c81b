#!/bin/sh
# Renders env-config.js, the page's runtime configuration, from the container's environment (the manifest's
# frontend variables and APP_ENV, given by the deploy), then runs nginx. One image serves every environment.
set -eu
json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
printf 'window.GOLDEN_ENV = {"API_BASE_URL":"%s","ENVIRONMENT":"%s","VERSION":"%s"};\n' \
  "$(json "${API_BASE_URL:-}")" "$(json "${APP_ENV:-local}")" "$(json "$APP_VERSION")" > /tmp/nginx/env-config.js
exec nginx -c /etc/nginx/golden-frontend.conf
