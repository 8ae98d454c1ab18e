# The builder image the official `rust:1.95-bookworm` stands for, made from this machine's own
# Rust toolchain (no registry can serve the official one here). Laid out like the official
# image: toolchain on PATH, CARGO_HOME=/usr/local/cargo, gcc/g++ and git present. The build
# context is the toolchain folder (docs left out).
ARG BASE=ppi-local/debian:bookworm
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y gcc g++ libc6-dev make git curl pkg-config binutils \
 && rm -rf /var/lib/apt/lists/*
COPY . /usr/local/rust/
ENV CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo/bin && cargo --version && rustc --version
