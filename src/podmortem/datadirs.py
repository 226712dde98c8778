"""Paths that may hold data: the data directories of databases, queues and search engines.

A remedy never mounts an emptyDir over one of these: an emptyDir starts empty and is deleted with the
pod, so the database (queue, index) would be lost on every reschedule and look empty after it. There
the fix is a PersistentVolumeClaim (volumeClaimTemplates for a StatefulSet) and, when the volume is
there but not writable, fsGroup or the directory's ownership.

Each entry is a directory its image declares as a VOLUME (the Dockerfile's own statement that the
path holds state) or that its documentation names as the data directory. Sources, as of 2024-2025:
  docker-library/postgres  */Dockerfile: `ENV PGDATA /var/lib/postgresql/data`, `VOLUME /var/lib/postgresql/data`
                           (18+: `VOLUME /var/lib/postgresql`)
  docker-library/mysql     */Dockerfile: `VOLUME /var/lib/mysql`; MariaDB/mariadb-docker the same
  docker-library/mongo     */Dockerfile: `VOLUME /data/db /data/configdb`
  docker-library/redis     */Dockerfile: `VOLUME /data`, `WORKDIR /data` (RDB/AOF files)
  docker-library/rabbitmq  */Dockerfile: `VOLUME /var/lib/rabbitmq`
  docker-library/cassandra */Dockerfile: `VOLUME /var/lib/cassandra`
  docker-library/couchdb   */Dockerfile: `VOLUME /opt/couchdb/data`
  docker-library/influxdb  */Dockerfile: `VOLUME /var/lib/influxdb` (1.x), `/var/lib/influxdb2` (2.x)
  docker-library/zookeeper */Dockerfile: `VOLUME /data /datalog /logs`
  docker-library/neo4j, solr: `VOLUME /data` (neo4j), `VOLUME /var/solr` (solr 8+)
  elastic "Install Elasticsearch with Docker": data in /usr/share/elasticsearch/data; OpenSearch's
                           image the same under /usr/share/opensearch/data
  confluentinc/kafka-images cp-kafka: `VOLUME ["/var/lib/kafka/data", "/etc/kafka/secrets"]`
  bitnami/containers       every stateful Bitnami chart and image persists under /bitnami/<app>
  clickhouse/clickhouse-server: `VOLUME /var/lib/clickhouse`; etcd (kubeadm and the etcd docs) /var/lib/etcd;
  prometheus/prometheus Dockerfile `VOLUME ["/prometheus"]`; grafana/grafana data in /var/lib/grafana;
  jenkins/jenkins `VOLUME $JENKINS_HOME` (/var/jenkins_home); sonatype/nexus3 `VOLUME /nexus-data`;
  minio/minio documentation: `server /data`.
"""

from __future__ import annotations

import posixpath

DATA_DIRS: dict[str, str] = {
    "/var/lib/postgresql/data": "PostgreSQL's data directory (PGDATA)",
    "/var/lib/postgresql": "PostgreSQL's data directory (PGDATA)",
    "/var/lib/pgsql": "PostgreSQL's data directory",
    "/var/lib/mysql": "the MySQL/MariaDB data directory",
    "/data/db": "MongoDB's data directory",
    "/data/configdb": "MongoDB's config-server data",
    "/var/lib/rabbitmq": "RabbitMQ's data directory (its Mnesia database and queues)",
    "/var/lib/cassandra": "Cassandra's data directory",
    "/opt/couchdb/data": "CouchDB's data directory",
    "/var/lib/influxdb": "InfluxDB's data directory",
    "/var/lib/influxdb2": "InfluxDB's data directory",
    "/datalog": "ZooKeeper's transaction log",
    "/var/lib/zookeeper": "ZooKeeper's data directory",
    "/var/solr": "Solr's data directory",
    "/usr/share/elasticsearch/data": "Elasticsearch's data directory (its indices)",
    "/usr/share/opensearch/data": "OpenSearch's data directory (its indices)",
    "/var/lib/kafka": "Kafka's log directory (its topics)",
    "/var/lib/kafka/data": "Kafka's log directory (its topics)",
    "/kafka": "Kafka's log directory (its topics)",
    "/bitnami": "a Bitnami image's persisted data",
    "/var/lib/clickhouse": "ClickHouse's data directory",
    "/var/lib/etcd": "etcd's data directory",
    "/etcd-data": "etcd's data directory",
    "/prometheus": "Prometheus's time-series database",
    "/var/lib/grafana": "Grafana's database and plugins",
    "/var/jenkins_home": "Jenkins's home (jobs and their history)",
    "/nexus-data": "Nexus's repository storage",
    "/var/lib/redis": "Redis's data directory",
    "/var/lib/mongodb": "MongoDB's data directory",
    "/var/lib/neo4j/data": "Neo4j's data directory",
}
# Directories that are data only for the images that declare them: `/data` is Redis's, MongoDB's (as
# /data/db), Neo4j's, ZooKeeper's and MinIO's, but a generic app may use it for scratch too.
_AMBIGUOUS = {"/data": ("redis", "neo4j", "zookeeper", "minio", "mongo", "valkey", "keydb", "nats", "etcd", "qdrant",
                        "meilisearch", "typesense", "dragonfly")}


def data_dir(path: str, image: str | None = None) -> str | None:
    """What data `path` may hold (a sentence fragment), when it is or lies under a known data directory;
    None otherwise. `image` settles the directories that are data only for some images (`/data`)."""
    p = posixpath.normpath(path) if path else ""
    if not p.startswith("/"):
        return None
    for d, what in DATA_DIRS.items():
        if p == d or p.startswith(d + "/"):
            return what
    repo = (image or "").rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0].lower()
    for d, owners in _AMBIGUOUS.items():
        if (p == d or p.startswith(d + "/")) and any(repo == o or repo.startswith(o + "-") for o in owners):
            return f"{repo}'s data directory"
    return None


__all__ = ["DATA_DIRS", "data_dir"]
