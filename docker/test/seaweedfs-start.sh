#!/bin/sh
# `weed mini` (master, volume, filer and S3 in one process); S3 on 0.0.0.0:9000, the rest on
# loopback inside the container. The S3 identity comes from MinIO's variables.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}"
cat > /tmp/s3.json <<JSON
{"identities":[{"name":"ppi","credentials":[{"accessKey":"$MINIO_ROOT_USER","secretKey":"$MINIO_ROOT_PASSWORD"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
exec weed mini -dir=/data -ip=127.0.0.1 -ip.bind=0.0.0.0 -s3.port=9000 -admin.ui=false \
  -webdav=false -s3.config=/tmp/s3.json
