#!/bin/sh
# The status-test-command: runs the CGI scripts as httpd would, in the built image, with no network.
set -eu
body=$(APP_ENV=test STATUS_MESSAGE='say "hi"' /srv/www/cgi-bin/status)
echo "$body" | grep -q '"status":"ok"' || { echo "status: no status ok in: $body"; exit 1; }
echo "$body" | grep -q '"message":"say \\"hi\\""' || { echo "status: message not escaped in: $body"; exit 1; }
STATUS_TOKEN=t HTTP_AUTHORIZATION='Bearer t' /srv/www/cgi-bin/private | grep -q '^Status: 200' || { echo 'private: refused the token'; exit 1; }
STATUS_TOKEN=t HTTP_AUTHORIZATION='Bearer x' /srv/www/cgi-bin/private | grep -q '^Status: 401' || { echo 'private: took a wrong token'; exit 1; }
STATUS_TOKEN= HTTP_AUTHORIZATION='Bearer ' /srv/www/cgi-bin/private | grep -q '^Status: 401' || { echo 'private: open without a token'; exit 1; }
echo 'status example: 5 checks passed'
