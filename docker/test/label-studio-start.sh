#!/bin/sh
# Starts Label Studio as the official image does: the user and its legacy token come from
# LABEL_STUDIO_USERNAME / LABEL_STUDIO_PASSWORD / LABEL_STUDIO_USER_TOKEN at the first start.
set -e
exec label-studio start --no-browser --port 8080 --internal-host 0.0.0.0 \
  --username "$LABEL_STUDIO_USERNAME" --password "$LABEL_STUDIO_PASSWORD" \
  --user-token "$LABEL_STUDIO_USER_TOKEN" --enable-legacy-api-token
