# The local Debian 12 base for machines without an image registry (scripts/deploy-test.sh):
# a `debootstrap --variant=minbase bookworm` tree imported as ppi-local/debian:minbase, plus CA
# roots (this machine's own extra roots, from /usr/local/share/ca-certificates, included, so
# that apt, pip and cargo work behind its TLS-inspecting proxy) and the security updates.
ARG MINBASE=ppi-local/debian:minbase
FROM ${MINBASE}
COPY ca/ /usr/local/share/ca-certificates/
RUN printf 'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' > /etc/apt/sources.list \
 && printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > /etc/apt/apt.conf.d/90ppi \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y ca-certificates \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
CMD ["bash"]
