# PostgreSQL 15 from Debian's package, standing in for the official postgres:15-bookworm
# image: the same POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB contract, data in
# /var/lib/postgresql/data, pg_isready for health checks.
ARG BASE=ppi-local/debian:bookworm
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
CMD ["postgres-entrypoint"]
