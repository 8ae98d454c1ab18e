# Label Studio 1.23.2 from PyPI on the local Debian base, standing in for the official
# heartexlabs/label-studio:1.23.2 image: same port (8080), data dir (/label-studio/data), user
# (uid 1001) and LABEL_STUDIO_* environment.
ARG BASE=ppi-local/debian:bookworm
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/label-studio \
 && /opt/label-studio/bin/pip install -q --no-cache-dir label-studio==1.23.2 \
 && useradd --uid 1001 --create-home --home-dir /label-studio label-studio \
 && mkdir -p /label-studio/data && chown -R 1001 /label-studio
COPY label-studio-start.sh /usr/local/bin/label-studio-start
USER 1001
WORKDIR /label-studio
ENV LABEL_STUDIO_BASE_DATA_DIR=/label-studio/data PATH=/opt/label-studio/bin:$PATH
# No Sentry, as in scripts/label-studio.sh: the stack is offline, and LS 1.23.2's Sentry call
# passes `send_default_pii`, which sentry-sdk 3 (what pip resolves since late 2026) refuses at
# start-up.
ENV LABEL_STUDIO_SENTRY_DSN= LABEL_STUDIO_FRONTEND_SENTRY_DSN=
EXPOSE 8080
VOLUME ["/label-studio/data"]
CMD ["label-studio-start"]
