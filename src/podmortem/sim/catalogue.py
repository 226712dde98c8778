"""Well-known images as data: what their entrypoint does, which shell and files they have, what they print.

Each entry cites the Dockerfile and entrypoint script it was read from (the docker-library
repositories behind Docker Hub's official images). Tags are those published as of 2025; a tag
outside the pattern answers "not found" from the simulated registry (registry.py). Messages are
quoted formats, with `{{gots}}` / `{{iso}}` where the program prints the time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BUSYBOX_APPLETS = (
    "sh", "ash", "busybox", "echo", "cat", "sleep", "ls", "env", "printenv", "nc", "wget", "true", "false",
    "date", "printf", "test", "[", "id", "hostname", "nslookup", "ping", "tail", "head", "grep", "sed", "awk",
    "ps", "kill", "mkdir", "rm", "touch", "chmod", "chown", "cp", "mv", "ln", "df", "du", "free", "uname",
    "whoami", "tee", "tr", "cut", "sort", "uniq", "wc", "xargs", "find", "seq", "yes", "timeout", "watch",
    "base64", "md5sum", "sha256sum", "dd", "mount", "su", "dmesg", "ifconfig", "ip", "netstat", "telnet",
    "traceroute", "httpd", "tar", "gzip", "gunzip", "unzip", "which", "expr", "basename", "dirname", "readlink",
    "realpath", "sync", "stat", "pwd", "top", "vi", "nohup", "mktemp", "sh", "logger", "time",
)
COREUTILS = (
    "cat", "echo", "sleep", "ls", "env", "printenv", "true", "false", "date", "printf", "test", "[", "id",
    "hostname", "tail", "head", "mkdir", "rm", "touch", "chmod", "chown", "cp", "mv", "ln", "df", "du", "uname",
    "whoami", "tee", "tr", "cut", "sort", "uniq", "wc", "xargs", "seq", "yes", "timeout", "base64", "md5sum",
    "sha256sum", "dd", "basename", "dirname", "readlink", "realpath", "sync", "stat", "pwd", "nohup", "mktemp",
    "grep", "sed", "find", "tar", "gzip", "kill", "ps", "mount", "su", "sh", "dash", "bash",
)


@dataclass(frozen=True)
class Image:
    """One repository of the simulated registry and what its images do."""

    repo: str  # normalised: docker.io/library/nginx
    tags: str  # an anchored regular expression of the tags that exist
    source: str  # where the facts come from
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    user: int | str = 0
    shell: str | None = "busybox"  # busybox | dash | bash | None (no /bin/sh in the image)
    programs: tuple[str, ...] = ()  # executables on $PATH besides the shell's tools
    runtime: str = "generic"  # whose error texts the server program prints (profile.py RUNTIMES)
    ports: tuple[int, ...] = ()
    arch: str = "amd64"  # an image built for one architecture only; multi-arch images are "amd64" here
    writes: tuple[str, ...] = ()  # paths the server creates at start
    start_logs: tuple[str, ...] = ()
    server: tuple[str, ...] = ()  # argv[0] names that start the long-running server
    private: bool = False
    requires: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = field(default=())
    # ((env names of which one must be set, ...), the lines printed and exit 1 when none is)

    def tag_exists(self, tag: str) -> bool:
        return re.fullmatch(self.tags, tag) is not None

    def files(self) -> tuple[str, ...]:
        tools = BUSYBOX_APPLETS if self.shell == "busybox" else COREUTILS if self.shell else ()
        names = [f"/bin/{t}" for t in tools] + [f"/usr/bin/{t}" for t in tools]
        names += [p if p.startswith("/") else f"/usr/local/bin/{p}" for p in self.programs]
        names += [p.rsplit("/", 1)[-1] for p in self.programs if p.startswith("/")]
        if self.shell:
            names += ["/bin/sh"]
        return tuple(dict.fromkeys(names))


_VARIANTS_NGINX = "(?:-(?:alpine|alpine-slim|alpine-perl|alpine-otel|perl|bookworm|bookworm-perl|bookworm-otel|otel))?"

NGINX_START = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
    "{{gots}} [notice] 1#1: using the \"epoll\" event method",
    "{{gots}} [notice] 1#1: start worker processes",
)

POSTGRES_NO_PASSWORD = (
    "Error: Database is uninitialized and superuser password is not specified.",
    "       You must specify POSTGRES_PASSWORD to a non-empty value for the",
    "       superuser. For example, \"-e POSTGRES_PASSWORD=password\" on \"docker run\".",
    "",
    "       You may also use \"POSTGRES_HOST_AUTH_METHOD=trust\" to allow all",
    "       connections without a password. This is *not* recommended.",
    "",
    "       See PostgreSQL documentation about \"trust\":",
    "       https://www.postgresql.org/docs/current/auth-trust.html",
)

MYSQL_NO_PASSWORD = (
    "{{mysqlts}} [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified",
    "    You need to specify one of the following as an environment variable:",
    "    - MYSQL_ROOT_PASSWORD",
    "    - MYSQL_ALLOW_EMPTY_PASSWORD",
    "    - MYSQL_RANDOM_ROOT_PASSWORD",
)

IMAGES: tuple[Image, ...] = (
    Image("docker.io/library/busybox",
          r"latest|stable|unstable|musl|glibc|uclibc|1|1\.3[0-7](?:\.[0-4])?(?:-(?:musl|glibc|uclibc))?",
          "docker-library/busybox: Dockerfile `CMD [\"sh\"]`, no ENTRYPOINT", cmd=("sh",)),
    Image("docker.io/library/alpine", r"latest|edge|3|3\.1[5-9](?:\.\d{1,2})?|3\.2[0-2](?:\.\d{1,2})?",
          "alpinelinux/docker-alpine: `CMD [\"/bin/sh\"]`", cmd=("/bin/sh",)),
    Image("docker.io/library/ubuntu",
          r"latest|rolling|devel|focal|jammy|noble|oracular|plucky|20\.04|22\.04|24\.04|24\.10|25\.04",
          "docker-library/official-images library/ubuntu: `CMD [\"/bin/bash\"]`; /bin/sh is dash",
          cmd=("/bin/bash",), shell="dash"),
    Image("docker.io/library/debian",
          r"latest|stable|testing|bullseye|bookworm|trixie|11|12|13(?:\.\d{1,2})?|"
          r"(?:bullseye|bookworm|trixie|stable)-slim",
          "debuerreotype/docker-debian-artifacts: `CMD [\"bash\"]`; /bin/sh is dash", cmd=("bash",), shell="dash"),
    Image("docker.io/library/nginx", r"(?:latest|mainline|stable|1|1\.2[5-9]|1\.2[5-9]\.[0-5])" + _VARIANTS_NGINX
          + "|alpine|alpine-slim|alpine-perl|perl|bookworm|otel",
          "nginxinc/docker-nginx mainline/debian/Dockerfile: ENTRYPOINT [\"/docker-entrypoint.sh\"], CMD [\"nginx\", "
          "\"-g\", \"daemon off;\"], EXPOSE 80, STOPSIGNAL SIGQUIT; docker-entrypoint.sh and docker-entrypoint.d/ "
          "scripts print the start lines; nginx creates /var/cache/nginx/client_temp (src/core/ngx_file.c "
          "ngx_create_paths: mkdir() \"%s\" failed)",
          entrypoint=("/docker-entrypoint.sh",), cmd=("nginx", "-g", "daemon off;"), shell="dash",
          programs=("/usr/sbin/nginx", "/docker-entrypoint.sh", "envsubst"), runtime="nginx", ports=(80,),
          writes=("/var/cache/nginx/client_temp",), start_logs=NGINX_START, server=("nginx", "/docker-entrypoint.sh")),
    Image("docker.io/library/postgres",
          r"latest|alpine|bookworm|1[2-7]|1[2-7]\.\d{1,2}|(?:1[2-7](?:\.\d{1,2})?-)?(?:alpine|alpine3\.2[01]|bookworm|"
          r"bullseye)",
          "docker-library/postgres 16/bookworm/Dockerfile: ENTRYPOINT [\"docker-entrypoint.sh\"], CMD [\"postgres\"], "
          "EXPOSE 5432; docker-entrypoint.sh docker_verify_minimum_env prints the POSTGRES_PASSWORD error and exits 1",
          entrypoint=("docker-entrypoint.sh",), cmd=("postgres",), shell="dash",
          programs=("docker-entrypoint.sh", "/usr/lib/postgresql/16/bin/postgres", "postgres", "pg_isready", "psql",
                    "initdb", "gosu"),
          ports=(5432,), server=("docker-entrypoint.sh", "postgres"),
          start_logs=("PostgreSQL Database directory appears to contain a database; Skipping initialization", "",
                      "{{pgts}} [1] LOG:  starting PostgreSQL 16.4 (Debian 16.4-1.pgdg120+2) on x86_64-pc-linux-gnu",
                      "{{pgts}} [1] LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
                      "{{pgts}} [1] LOG:  database system is ready to accept connections"),
          requires=((("POSTGRES_PASSWORD", "POSTGRES_HOST_AUTH_METHOD"), POSTGRES_NO_PASSWORD),)),
    Image("docker.io/library/mysql", r"latest|lts|innovation|[5-9](?:\.\d{1,2}){0,2}(?:-(?:oracle|debian))?|oracle",
          "docker-library/mysql 8.4/Dockerfile.oracle: ENTRYPOINT [\"docker-entrypoint.sh\"], CMD [\"mysqld\"]; "
          "docker-entrypoint.sh docker_verify_minimum_env",
          entrypoint=("docker-entrypoint.sh",), cmd=("mysqld",), shell="bash",
          programs=("docker-entrypoint.sh", "mysqld", "mysql", "mysqladmin"), ports=(3306,),
          server=("docker-entrypoint.sh", "mysqld"),
          requires=((("MYSQL_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD"),
                     MYSQL_NO_PASSWORD),)),
    Image("docker.io/library/redis", r"latest|alpine|bookworm|[67](?:\.\d{1,2}){0,2}(?:-(?:alpine|bookworm))?",
          "docker-library/redis 7.4/debian/Dockerfile: ENTRYPOINT [\"docker-entrypoint.sh\"], CMD [\"redis-server\"], "
          "EXPOSE 6379; server.c prints the start banner",
          entrypoint=("docker-entrypoint.sh",), cmd=("redis-server",), shell="dash",
          programs=("docker-entrypoint.sh", "redis-server", "redis-cli", "gosu"), ports=(6379,),
          server=("docker-entrypoint.sh", "redis-server"),
          start_logs=("1:C {{redis}} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
                      "1:M {{redis}} * Server initialized", "1:M {{redis}} * Ready to accept connections tcp")),
    Image("docker.io/library/python", r"latest|3|3\.(?:[89]|1[0-4])(?:\.\d{1,2})?(?:-(?:slim|alpine|bookworm|slim-"
          r"bookworm|bullseye))?|slim|alpine",
          "docker-library/python 3.12/bookworm/Dockerfile: CMD [\"python3\"] (no terminal: the REPL reads end of "
          "input and exits 0)", cmd=("python3",), shell="dash", programs=("python", "python3", "pip")),
    Image("docker.io/library/node", r"latest|lts|current|alpine|slim|(?:1[89]|2[0-4])(?:\.\d{1,2}){0,2}"
          r"(?:-(?:alpine|slim|bookworm|bookworm-slim|bullseye))?",
          "nodejs/docker-node 22/bookworm/Dockerfile: ENTRYPOINT [\"docker-entrypoint.sh\"], CMD [\"node\"] (the REPL "
          "exits 0 at end of input)", entrypoint=("docker-entrypoint.sh",), cmd=("node",), shell="dash",
          programs=("docker-entrypoint.sh", "node", "npm", "npx")),
    Image("docker.io/library/httpd", r"latest|alpine|2|2\.4(?:\.\d{1,2})?(?:-alpine)?",
          "docker-library/httpd 2.4/Dockerfile: CMD [\"httpd-foreground\"], EXPOSE 80",
          cmd=("httpd-foreground",), shell="dash", programs=("httpd-foreground", "httpd", "apachectl"), ports=(80,),
          server=("httpd-foreground", "httpd"),
          start_logs=("AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using "
                      "{{podIP}}. Set the 'ServerName' directive globally to suppress this message",)),
    # Docker Hub's arm64v8 namespace: the official images built for arm64 only.
    Image("docker.io/arm64v8/busybox", r"latest|1\.3[0-7](?:\.[0-4])?", "Docker Hub arm64v8/busybox: arm64 builds "
          "of the official image (docker-library/official-images, Architectures: arm64v8)", cmd=("sh",), arch="arm64"),
    Image("docker.io/arm64v8/nginx", r"(?:latest|mainline|stable|1\.2[5-9](?:\.[0-5])?)" + _VARIANTS_NGINX,
          "Docker Hub arm64v8/nginx: arm64 builds of the official image", entrypoint=("/docker-entrypoint.sh",),
          cmd=("nginx", "-g", "daemon off;"), shell="dash", programs=("/usr/sbin/nginx", "/docker-entrypoint.sh"),
          runtime="nginx", ports=(80,), arch="arm64", server=("nginx", "/docker-entrypoint.sh")),
)

# Official images on Docker Hub (docker-library/official-images, library/): a docker.io/library
# repository that is neither here nor in IMAGES does not exist, and Docker Hub answers a pull of it
# as it answers one of a private repository ("pull access denied ... may require authorization").
OFFICIAL = frozenset({
    "adminer", "aerospike", "almalinux", "alpine", "amazoncorretto", "amazonlinux", "arangodb", "archlinux",
    "bash", "bonita", "buildpack-deps", "busybox", "caddy", "cassandra", "centos", "chronograf", "clearlinux",
    "clojure", "composer", "couchbase", "couchdb", "crate", "dart", "debian", "docker", "drupal",
    "eclipse-mosquitto", "eclipse-temurin", "eggdrop", "elasticsearch", "elixir", "emqx", "erlang", "fedora",
    "flink", "fluentd", "gcc", "geonetwork", "ghost", "golang", "gradle", "groovy", "haproxy", "haskell",
    "hello-world", "httpd", "hylang", "ibm-semeru-runtimes", "influxdb", "irssi", "jetty", "joomla", "julia",
    "kapacitor", "kibana", "kong", "liquibase", "logstash", "mariadb", "matomo", "maven", "mediawiki", "memcached",
    "mongo", "mongo-express", "mysql", "nats", "neo4j", "neurodebian", "nextcloud", "nginx", "node", "odoo",
    "open-liberty", "openjdk", "oraclelinux", "orientdb", "percona", "perl", "photon", "php", "phpmyadmin",
    "postfixadmin", "postgres", "pypy", "python", "r-base", "rabbitmq", "rakudo-star", "redis", "redmine",
    "registry", "rethinkdb", "rockylinux", "ruby", "rust", "sapmachine", "solr", "sonarqube", "spark", "spiped",
    "storm", "swift", "telegraf", "tomcat", "tomee", "traefik", "ubuntu", "unit", "varnish", "websphere-liberty",
    "wordpress", "xwiki", "yourls", "znc", "zookeeper",
})

BY_REPO: dict[str, Image] = {i.repo: i for i in IMAGES}
