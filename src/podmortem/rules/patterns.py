"""Log-pattern tables for the application-family rules (rules/app.py and its app_* modules).

Each table lists the wording with which runtimes, libraries and servers report one family of
start-up failure. The wording is what those programs print (their own message formats), not the
text of any one log; each table's comment says where it comes from. A pattern carries cheap
lower-case needles: a line is only handed to the regex when it contains one of them, which keeps a
5,000-line log fast to scan.

Messages that belong to other families (permission and read-only filesystem errors, a missing or
unrunnable entrypoint, memory exhaustion) are recognised by `FOREIGN` so that the app rules leave
those lines to the rules that own them.
"""

from __future__ import annotations

import re

from podmortem.kube.typedjson import msgspec
from podmortem.lazyre import lazy
from podmortem.logline.fold import other_sentence_case

MISSING_ENV = "app.missing-env"
DEPENDENCY = "app.dependency-unreachable"
PORT_IN_USE = "app.port-in-use"
CONFIG_INVALID = "app.config-invalid"
FILE_MISSING = "app.file-missing"
MISSING_MODULE = "app.missing-module"
CRASH = "app.crash"


class LogPattern(msgspec.Struct, frozen=True):
    """One message form: the cause it proves, a finer name, and how sure a match makes us."""

    cause: str
    detail: str
    needles: tuple[str, ...]  # lower-case literals; one must occur in the line before the regex runs
    regex: re.Pattern[str]
    confidence: float
    unless: re.Pattern[str] | None = None  # a line that also matches this is not evidence

    def search(self, line: str, lowered: str) -> re.Match[str] | None:
        if not any(n in lowered for n in self.needles):
            return None
        m = self.regex.search(line)
        if m is None or (self.unless is not None and self.unless.search(line)):
            return None
        return m


def _p(cause: str, detail: str, needles: str | tuple[str, ...], pattern: str, confidence: float,
       unless: str | None = None, flags: int = 0) -> LogPattern:
    # Compiled on first use (podmortem.lazyre): a run needs only the patterns whose needles occur.
    return LogPattern(
        cause, detail, (needles,) if isinstance(needles, str) else needles,
        lazy(pattern, flags), confidence, lazy(unless, re.I) if unless else None,
    )


_ENV_WORD = r"(?i:env(?:ironment)?[ _-]?var(?:iable)?s?|environment)"
_UNSET = (r"(?i:not\s+(?:been\s+)?(?:set|defined|provided|specified|found|present|configured)|unset|undefined"
          r"|missing|required|empty|blank|must\s+be\s+(?:set|defined|provided|specified|non-?empty)"
          r"|should\s+not\s+be\s+empty|cannot\s+be\s+(?:empty|blank)|can't\s+be\s+(?:empty|blank))")
# Words with which parsers reject a value (a port, a number, a duration).
_BAD_VALUE = (r"(?i:not\s+a\s+valid|invalid|pars(?:e|ing)|malformed|illegal|bad\s+port|unknown\s+port|expected"
              r"|NumberFormatException|ValueError|strconv|must\s+be\s+(?:a|an)\s+(?:number|integer))")
# A variable name, not one of the words that follow "environment variable" in a sentence.
_VAR = (r"(?<![A-Za-z0-9_])"
        r"(?!(?i:is|was|has|are|were|not|must|should|cannot|can|could|for|that|which|var|vars|variables?)\b)"
        r"(?P<var>[A-Za-z_][A-Za-z0-9_]*)")
# Starts where a name starts: a run that could restart inside itself makes long lines quadratic.
_UPPER_VAR = r"(?<![A-Z0-9_])(?P<var>[A-Z][A-Z0-9_]{2,})"

# Missing or wrong environment variables. Wording of: kelseyhightower/envconfig ("required key X
# missing value"), caarlos0/env ('required environment variable "X" is not set', 'should not be
# empty'), Elixir System.fetch_env! ("could not fetch environment variable "X" because it is not
# set"), Spring's PropertyPlaceholderHelper ("Could not resolve placeholder 'X' in value"), Ruby
# ENV.fetch ('key not found: "X" (KeyError)'), bash `set -u` ("X: unbound variable") and
# ${X:?} ("parameter null or not set"), the postgres/mysql/mariadb image entrypoints ("You must
# specify POSTGRES_PASSWORD", "You need to specify one of the following as an environment
# variable"), envalid ("Missing environment variables:"), t3-env/zod ("Invalid environment
# variables"), Laravel ("No application encryption key has been specified"), Rails ("Missing
# `secret_key_base`"), Django/django-environ ("Set the X environment variable", "The SECRET_KEY
# setting must not be empty"), Kafka's ConfigDef ("Missing required configuration "x" which has
# no default value"), Spring Boot's DataSource auto-configuration ("'url' attribute is not
# specified"), .NET configuration binding (ConnectionString not initialised, options
# validation), and the free wording apps use for the same thing ("X is required", "Please set X").
MISSING_ENV_PATTERNS: tuple[LogPattern, ...] = (
    # A variable that is set but holds a value the app rejects ("absent, empty or wrong"): flag-from-env
    # shims ("Invalid value for env var named %s", "cannot set flag %s from env var named %s"),
    # caarlos0/env error.go ('parse error on field "%s" of type "%s": %v', v6-v11) and
    # kelseyhightower/envconfig ("envconfig.Process: assigning %s to %s: converting '%s' to type %s").
    _p(MISSING_ENV, "env-value-rejected", ("env var named", "environment variable named", "from env{"),
       r"(?i:invalid\s+value\b[^\n]{0,80}?\bfor\s+env(?:ironment)?\s*var(?:iable)?(?:\s+named)?"
       r"|cannot\s+set\s+flag\s+\S+\s+from\s+env(?:ironment)?(?:\s*var(?:iable)?\s+named\s+|\{))"
       r"\s*[\"'`]?(?P<var>[A-Za-z_][A-Za-z0-9_]*)", 0.82),
    _p(MISSING_ENV, "env-value-rejected", "parse error on field",
       r"\benv: parse error on field \"(?P<var>\w+)\" of type \"[^\"]+\"", 0.8),
    _p(MISSING_ENV, "env-value-rejected", "envconfig",
       r"envconfig\.Process: assigning (?P<var>[A-Za-z_][A-Za-z0-9_]*) to \w+: converting", 0.82),
    _p(MISSING_ENV, "service-link-env-collision", "tcp://",
       r"tcp://\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}\b[^\n]*?" + _BAD_VALUE + r"|" + _BAD_VALUE
       + r"[^\n]*?tcp://\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}\b", 0.86),
    _p(MISSING_ENV, "envconfig-required-key", "required key",
       r"required key " + _VAR + r" missing value", 0.88),
    _p(MISSING_ENV, "env-var-unset", ("env", "environment"),
       _ENV_WORD + r"\s*[:=]?\s*[\"'`]?\$?\{?" + _VAR + r"\}?[\"'`]?\s+(?:because\s+it\s+)?"
       r"(?:(?i:is|was|has|are)\s+)?(?:(?i:still)\s+)?" + _UNSET, 0.86),
    _p(MISSING_ENV, "env-var-unset", ("env", "environment"),
       r"[\"'`$]?" + _UPPER_VAR + r"[\"'`]?\s+" + _ENV_WORD + r"\s+(?:(?i:is|was|has)\s+)?" + _UNSET, 0.86),
    _p(MISSING_ENV, "env-var-required", "required",
       r"[\"'`$]?" + _UPPER_VAR + r"[\"'`]?\s+(?i:is\s+a\s+required\s+(?:variable|env(?:ironment)?\s+var(?:iable)?"
       r"|environment\s+variable|setting|parameter|value|config(?:uration)?(?:\s+(?:value|variable|key|option))?))",
       0.86),
    _p(MISSING_ENV, "env-var-unset", ("not set", "unset", "undefined", "not defined", "must be", "required",
                                      "missing", "empty", "not provided", "not specified", "blank"),
       r"(?:^|[\s\"'`$({\[=:])\$?\{?(?P<var>[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])\}?[\"'`]?\s+"
       r"(?:(?i:is|was|has|are)\s+)?(?:(?i:not\s+(?:been\s+)?(?:set|defined|provided|specified|configured)|unset"
       r"|undefined|must\s+be\s+(?:set|defined|provided|specified)|is\s+required|required|missing|empty"
       r"|cannot\s+be\s+empty|blank))\b", 0.8,
       unless=r"\bdefault(?:ing)?\b|\bignor|\bskipp|\bdisabl|\boptional"),
    _p(MISSING_ENV, "env-var-missing", "missing",
       r"(?i:missing\s+(?:required\s+)?(?:env(?:ironment)?[ _-]?var(?:iable)?s?|environment|env"
       r"|config(?:uration)?\s+(?:value|key|variable|option|setting|parameter)s?))\b[\s:'\"`=(-]*"
       r"(?P<var>[A-Za-z_][A-Za-z0-9_.]*)?", 0.84),
    _p(MISSING_ENV, "env-var-missing", "required",
       r"(?i:required\s+(?:env(?:ironment)?[ _-]?var(?:iable)?s?|config(?:uration)?\s+(?:value|key|variable|option"
       r"|setting)s?)\s+(?:is\s+|are\s+|was\s+|were\s+)?(?:not\s+set|missing|unset|not\s+provided|not\s+found|empty))"
       r"[\s:'\"`=(-]*(?P<var>[A-Za-z_][A-Za-z0-9_.]*)?", 0.85),
    _p(MISSING_ENV, "env-var-please-set", ("please", "you must", "you need", "set the"),
       r"(?i:please\s+(?:set|provide|define|specify|export)|you\s+(?:must|need\s+to|should)\s+(?:set|specify|define"
       r"|provide|export)|\bset\s+the)\s+(?:(?i:the|a|an)\s+)?(?:(?i:env(?:ironment)?\s+var(?:iable)?)\s+)?"
       r"[\"'`$]?" + _UPPER_VAR + r"\b", 0.84),
    _p(MISSING_ENV, "env-var-one-of", "you need to specify one of",
       r"(?i:you\s+need\s+to\s+specify\s+one\s+of)(?:\s+(?:the\s+following)?[^A-Z]*" + _UPPER_VAR + r")?", 0.86),
    _p(MISSING_ENV, "password-not-specified", "is not specified",
       r"(?i:(?:superuser\s+)?password(?:\s+option)?\s+is\s+not\s+specified)", 0.8),
    _p(MISSING_ENV, "spring-placeholder-unresolved", "could not resolve placeholder",
       r"Could not resolve placeholder '(?P<var>[^':]+)(?::[^']*)?'", 0.84),
    _p(MISSING_ENV, "ruby-env-fetch", "key not found",
       r"key not found: [\"'](?P<var>[A-Z][A-Z0-9_]*)[\"']", 0.84),
    _p(MISSING_ENV, "shell-unbound-variable", ("unbound variable", "parameter not set", "parameter null or not set"),
       r"(?:^|[\s:])(?P<var>[A-Za-z_][A-Za-z0-9_]*): (?:unbound variable|parameter (?:null or )?not set)", 0.84),
    _p(MISSING_ENV, "node-process-env", "process.env.",
       r"process\.env\.(?P<var>\w+)\s+(?:(?i:is|was)\s+)?(?i:undefined|not\s+set|not\s+defined|missing|required"
       r"|empty)", 0.84),
    _p(MISSING_ENV, "env-validation-failed", ("missing environment variables", "invalid environment variables",
                                             "invalid env", "missing env"),
       r"(?i:(?:missing|invalid)\s+env(?:ironment)?(?:\s+var(?:iable)?s?)?\b)[\s:'\"`{\[-]*"
       r"(?P<var>[A-Z][A-Z0-9_]{2,})?", 0.82),
    _p(MISSING_ENV, "laravel-app-key", "no application encryption key",
       r"No application encryption key has been specified", 0.86),
    _p(MISSING_ENV, "rails-secret-key-base", "secret_key_base",
       r"Missing [`']?secret_key_base[`']?", 0.84),
    _p(MISSING_ENV, "django-setting-empty", "setting must not be empty",
       r"The (?P<var>[A-Z][A-Z0-9_]+) setting must not be empty", 0.8),
    _p(MISSING_ENV, "required-config-missing", "missing required configuration",
       r"Missing required configuration [\"'](?P<var>[\w.]+)[\"']", 0.76),
    _p(MISSING_ENV, "microprofile-config-missing", "could not be found in any config source",
       r"The config property (?P<var>[\w.\-\"]+) is required but it could not be found in any config source", 0.8),
    _p(MISSING_ENV, "spring-datasource-url-missing", "'url' attribute is not specified",
       r"Failed to configure a DataSource: 'url' attribute is not specified", 0.78),
    _p(MISSING_ENV, "rails-database-not-configured", "database is not configured",
       r"'\w+' database is not configured", 0.72),
    _p(MISSING_ENV, "dotnet-connection-string-missing", ("connectionstring", "connection string"),
       r"(?i:ConnectionString property has not been initialized|Value cannot be null\.?\s*\(?Parameter "
       r"'(?P<var>connectionString)'\)?|connection string '(?P<name>[^']+)' (?:was )?not found)", 0.7),
    _p(MISSING_ENV, "dotnet-options-required", "field is required",
       r"DataAnnotation validation failed for '[^']+' members: '(?P<var>[^']+)'", 0.72),
    # The client sent no password at all (the variable or Secret key meant to hold it is absent or
    # empty): MySQL/MariaDB say "(using password: NO)", libpq "fe_sendauth: no password supplied".
    # A password that was sent and rejected is "credentials-rejected" (app.config-invalid).
    _p(MISSING_ENV, "db-password-not-sent", ("using password: no", "no password supplied"),
       r"Access denied for user '[^']*'@'[^']*' \(using password: NO\)|fe_sendauth: no password supplied", 0.8),
)

_ADDR = r"(?P<addr>\[[0-9A-Fa-f:.]+\]:\d{1,5}|[A-Za-z0-9_][A-Za-z0-9_.-]*:\d{1,5})"
_NOT_PROXYING = r"while connecting to upstream|upstream timed out|from upstream|probe failed|\bclient: \d"
# A server that answered and refused the login is reachable: that is a credentials problem.
_AUTH_REJECTED = (r"password authentication failed|Access denied for user|no pg_hba\.conf entry|authentication failed"
                  r"|SASL auth|NOAUTH|WRONGPASS|Login failed for user|ACCESS_REFUSED|x509: |tls: |handshake failed")

# Dependencies that refuse, time out or do not resolve. Wording of: Go's net package ("dial tcp
# ADDR: connect: connection refused", "lookup HOST on DNS:53: no such host", "i/o timeout"), libc
# resolver strings as surfaced by Python/Ruby/PHP ("Name or service not known", "Temporary failure
# in name resolution", musl "Name does not resolve"), Node's libuv codes (ECONNREFUSED, ENOTFOUND,
# EAI_AGAIN, ETIMEDOUT, EHOSTUNREACH), Java (ConnectException, UnknownHostException,
# NoRouteToHostException, SocketTimeoutException), libpq ("could not connect to server",
# 'connection to server at "h" (ip), port 5432 failed', "could not translate host name"),
# MySQL clients ("Can't connect to MySQL server on", "Unknown MySQL server host", Connector/J
# "Communications link failure"), Redis clients (redis-py "Error 111 connecting to", node_redis,
# Lettuce, Jedis, StackExchange.Redis, redis-rb CannotConnectError), MongoDB drivers
# (MongoNetworkError, ServerSelectionTimeoutError, "server selection error"), Kafka clients
# ("Connection to node -1 ... could not be established", KafkaJS, sarama), RabbitMQ clients
# (AMQPConnectionError, BrokerUnreachableException), SQL Server ("A network-related or
# instance-specific error"), Prisma P1001, Elasticsearch clients, nginx ("host not found in
# upstream"), HAProxy ("could not resolve address"), curl, busybox wget/nc/nslookup and
# wait-for-it.sh. Reverse-proxy errors about a request (nginx "while connecting to upstream")
# are not start-up failures and are left out.
DEPENDENCY_PATTERNS: tuple[LogPattern, ...] = (
    # A dependency whose TLS certificate the app does not trust (an internal CA the image lacks, a
    # self-signed or expired certificate, a name the certificate does not cover): the handshake fails
    # and the dependency is as unusable as one that refuses. Wording of Go crypto/x509 and crypto/tls,
    # Java JSSE ("PKIX path building failed"), OpenSSL as surfaced by Python, Ruby and PHP
    # ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed"), Node's error codes, .NET ("The remote
    # certificate is invalid") and curl ("SSL certificate problem"). First in the table, so that a
    # client's connection wording around it (libpq 'connection to server ... failed: SSL error') does
    # not read as a refusal. A server logging a client's failed handshake ("http: TLS handshake error
    # from") is serving, not starting, and is left out.
    _p(DEPENDENCY, "tls", ("x509: ", "pkix", "certification path", "certificate", "cert_", "self_signed",
                           "unable_to_"),
       r"x509: (?:certificate signed by unknown authority|certificate is valid for|certificate has expired"
       r"|certificate is not valid|cannot validate certificate|certificate relies on legacy Common Name"
       r"|failed to load system roots)|tls: failed to verify certificate"
       r"|PKIX path (?:building|validation) failed|unable to find valid certification path"
       r"|CERTIFICATE_VERIFY_FAILED|certificate verify failed|self[- ]signed certificate"
       r"|unable to verify the first certificate|unable to get local issuer certificate"
       r"|\b(?:SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE"
       r"|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)\b"
       r"|The remote certificate is invalid|SSL certificate problem: ", 0.84,
       unless=r"TLS handshake error from|handshake error from \S+:\d+"),
    _p(DEPENDENCY, "dns", "host not found in upstream",
       r"host not found in upstream \"?(?P<host>[^\"\s:]+)(?::(?P<port>\d+))?", 0.88),
    _p(DEPENDENCY, "dns", "lookup ",
       r"lookup (?P<host>[^\s:]+)(?: on [^\s:]+(?::\d+)?)?: (?:no such host|server misbehaving|i/o timeout"
       r"|Temporary failure in name resolution|no such host|device or resource busy)", 0.87),
    _p(DEPENDENCY, "dns", ("can't find", "can't resolve"),
       r"can't find (?P<host>[^\s:]+): (?:NXDOMAIN|SERVFAIL|No answer)|can't resolve '?(?P<host2>[^'\s:]+)", 0.86),
    _p(DEPENDENCY, "refused", "connection refused",
       r"dial (?:tcp[46]?|udp|unix) " + _ADDR + r": connect: connection refused", 0.88, unless=_NOT_PROXYING),
    _p(DEPENDENCY, "timeout", "dial ",
       r"dial (?:tcp[46]?|udp) " + _ADDR + r": (?:i/o timeout|connect: (?:connection timed out|no route to host"
       r"|network is unreachable|host is unreachable))", 0.86, unless=_NOT_PROXYING),
    _p(DEPENDENCY, "refused", "connection to",
       r"Connection to " + _ADDR + r" refused", 0.88),
    _p(DEPENDENCY, "refused", "connection to server",
       r"connection to server (?:at \"(?P<host>[^\"]+)\"(?: \([^)]*\))?, port (?P<port>\d+)|on socket "
       r"\"(?P<path>[^\"]+)\") failed", 0.88, unless=_AUTH_REJECTED),
    _p(DEPENDENCY, "refused", "could not connect to server",
       r"could not connect to server", 0.87, unless=_AUTH_REJECTED),
    _p(DEPENDENCY, "dns", "could not translate host name",
       r"could not translate host name \"(?P<host>[^\"]+)\"", 0.88),
    _p(DEPENDENCY, "refused", "mysql server",
       r"Can't connect to (?:local )?MySQL server (?:on|through socket) ['\"`]?(?P<host>[^'\"`\s]+)", 0.88),
    _p(DEPENDENCY, "dns", "unknown mysql server host",
       r"Unknown MySQL server host ['\"`](?P<host>[^'\"`]+)", 0.88),
    _p(DEPENDENCY, "refused", "communications link failure",
       r"Communications link failure", 0.85),
    _p(DEPENDENCY, "refused", "connecting to",
       r"Error -?\d+ connecting to (?P<host>[A-Za-z0-9_.-]+):(?P<port>\d+)", 0.88),
    _p(DEPENDENCY, "refused", "redis",
       r"(?i:(?:error|could\s+not|couldn't|unable\s+to|failed\s+to)\s+connect(?:ing)?\s+to\s+redis"
       r"(?:\s+(?:on|at))?)\s*(?P<addr2>[A-Za-z0-9_.-]+:\d+)?"
       r"|Redis connection to (?P<addr>\S+?:\d+) failed"
       r"|RedisConnectionException: Unable to connect to (?P<host>[^\s/:]+)(?:/[^\s:]*)?:(?P<port>\d+)"
       r"|It was not possible to connect to the redis server"
       r"|Redis::CannotConnectError|JedisConnectionException", 0.85),
    _p(DEPENDENCY, "unavailable", ("mongo", "serverselection", "server selection", "no suitable servers"),
       r"Mongo(?:ose)?(?:Network|ServerSelection|Timeout|SocketOpen)(?:Error|Exception)|ServerSelectionTimeoutError"
       r"|server selection (?:error|timeout)|No suitable servers found|MongoServerSelectionError", 0.85),
    _p(DEPENDENCY, "unavailable", ("could not be established", "broker may not be available", "kafkajs",
                                   "run out of available brokers", "all brokers are down"),
       r"Connection to node (?P<node>-?\d+)(?: \((?:[^/)]*/)?(?P<addr>[^)]+)\))? could not be established"
       r"|Broker may not be available|KafkaJSConnectionError|KafkaJSBrokerNotFound"
       r"|client has run out of available brokers|[Aa]ll brokers are down", 0.85),
    _p(DEPENDENCY, "unavailable", ("amqpconnectionerror", "brokerunreachable", "none of the specified endpoints"),
       r"AMQPConnectionError|BrokerUnreachableException|None of the specified endpoints were reachable", 0.85),
    _p(DEPENDENCY, "unavailable", "network-related or instance-specific",
       r"A network-related or instance-specific error occurred while establishing a connection", 0.86),
    _p(DEPENDENCY, "unavailable", "can't reach database server",
       r"Can't reach database server at [`'\"]?(?P<host>[^`'\"\s:]+)[`'\"]?:[`'\"]?(?P<port>\d+)", 0.88),
    _p(DEPENDENCY, "unavailable", ("nonodeavailable", "no living connections", "nonodesavailable"),
       r"NoNodeAvailableException|NoNodesAvailable|No living connections", 0.8),
    _p(DEPENDENCY, "timeout", "timeout occurred after waiting",
       r"timeout occurred after waiting \d+ seconds for " + _ADDR, 0.86),
    _p(DEPENDENCY, "refused", ("refused", "connectexception", "econnrefused"),
       r"(?i:connection\s+refused|\bECONNREFUSED\b|ConnectionRefusedError|java\.net\.ConnectException"
       r"|refused\s+to\s+connect)", 0.86, unless=_NOT_PROXYING),
    _p(DEPENDENCY, "dns", ("not known", "name resolution", "servname", "no such host", "enotfound", "eai_again",
                           "unknownhost", "could not resolve", "name does not resolve", "bad address",
                           "nxdomain", "can't resolve", "getaddrinfo", "resolve host", "host is known",
                           "unknown host"),
       r"(?i:Name or service not known|Temporary failure in name resolution|nodename nor servname provided"
       r"|no such host|\bENOTFOUND\b|\bEAI_AGAIN\b|\bEAI_NONAME\b|UnknownHostException|Could not resolve host"
       r"|could not resolve address|Name does not resolve|bad address|NXDOMAIN|can't resolve"
       r"|getaddrinfo (?:for \S+ )?failed|No such host is known|unknown host)", 0.86, unless=_NOT_PROXYING),
    _p(DEPENDENCY, "unreachable", ("no route to host", "network is unreachable", "hostunreach", "netunreach",
                                   "noroutetohost", "host is unreachable"),
       r"(?i:no route to host|network is unreachable|\bEHOSTUNREACH\b|\bENETUNREACH\b|NoRouteToHostException"
       r"|host is unreachable)", 0.85, unless=_NOT_PROXYING),
    _p(DEPENDENCY, "timeout", ("timed out", "timeout", "etimedout"),
       r"(?i:connection\s+timed\s+out|connect\s+timed\s+out|(?:error|exception|failed|fatal)\b[^\n]{0,40}"
       r"connect(?:ion)?\s+timeout|\bETIMEDOUT\b"
       r"|timed\s+out\s+(?:while\s+)?(?:connecting|trying\s+to\s+connect|waiting\s+to\s+connect|waiting\s+for\s+"
       r"(?:a\s+)?(?:connection|server))|SocketTimeoutException|ConnectTimeoutError|ConnectTimeoutException"
       r"|ConnectionTimeoutError)", 0.82, unless=_NOT_PROXYING),
    _p(DEPENDENCY, "timeout", "context deadline exceeded",
       r"(?i:(?:dial(?:ing)?|connect(?:ing|ion)?|reach|handshake)\b[^\n]{0,160}context deadline exceeded)", 0.8,
       unless=_NOT_PROXYING),
    _p(DEPENDENCY, "unavailable", ("connection",),
       r"(?i:(?:could\s+not|couldn't|unable\s+to|failed\s+to|cannot)\s+(?:create|open|obtain|get|acquire|establish)"
       r"\s+(?:a\s+|the\s+|any\s+)?(?:new\s+)?(?:JDBC\s+|database\s+|db\s+)?connection)", 0.74,
       unless=_NOT_PROXYING + "|" + _AUTH_REJECTED),
    _p(DEPENDENCY, "unavailable", ("connect", "reach", "establish"),
       r"(?i:(?:failed|unable|could\s+not|couldn't|can't|cannot)\s+(?:to\s+)?(?:connect|reach|establish\s+(?:a\s+)?"
       r"connection)(?:ing)?\s+(?:to\s+|with\s+)?(?:the\s+)?(?P<target>[^\s,;:]+(?::\d{1,5})?)?)", 0.7,
       unless=_NOT_PROXYING + "|" + _AUTH_REJECTED + r"|\bretrying\b.*\bsucce"),
)

# The listen port is taken. Wording of: Go's net package ("listen tcp :8080: bind: address
# already in use"), glibc strerror(EADDRINUSE) ("Address already in use", errno 98) as printed by
# Python, nginx ("bind() to 0.0.0.0:80 failed (98: Address already in use)"), Apache, Redis,
# PostgreSQL and Ruby; musl's shorter "Address in use"; Node/libuv and Erlang (EADDRINUSE); Java
# (java.net.BindException); Spring Boot ("Port 8080 was already in use"); gunicorn ("Connection
# in use", then "Can't connect to ('0.0.0.0', 8000)" when it gives up binding); mysqld ("Do you
# already have another mysqld server running on port"); Windows
# (WSAEADDRINUSE); and an address that is not the pod's to bind ("cannot assign requested address",
# EADDRNOTAVAIL). "bind: permission denied" is a privileged port, not a busy one.
PORT_PATTERNS: tuple[LogPattern, ...] = (
    _p(PORT_IN_USE, "address-in-use", ("address already in use", "address in use"),
       r"(?i:address already in use|\baddress in use\b)", 0.9),
    _p(PORT_IN_USE, "address-in-use", "eaddrinuse", r"(?i:\bEADDRINUSE\b)", 0.9),
    _p(PORT_IN_USE, "address-not-available", ("cannot assign requested address", "eaddrnotavail"),
       r"(?i:bind(?:\(\))?[^\n]{0,80}cannot assign requested address|\bEADDRNOTAVAIL\b)", 0.8),
    _p(PORT_IN_USE, "address-in-use", ("bindexception", "only one usage of each socket"),
       r"java\.net\.BindException|Only one usage of each socket address|WSAEADDRINUSE", 0.88),
    _p(PORT_IN_USE, "spring-port-in-use", "already in use",
       r"[Pp]ort (?P<port>\d+) (?:was|is) already in use", 0.9),
    _p(PORT_IN_USE, "gunicorn-connection-in-use", "connection in use",
       r"Connection in use: \('(?P<host>[^']*)', (?P<port>\d+)\)", 0.9),
    _p(PORT_IN_USE, "gunicorn-connection-in-use", "can't connect to ('",
       r"Can't connect to \('(?P<host>[^']*)', (?P<port>\d+)\)", 0.88),
    _p(PORT_IN_USE, "mysqld-port-in-use", "another mysqld server running",
       r"another mysqld server running on port:? (?P<port>\d+)", 0.88),
)

# A database server's own log about one client session ("[57] FATAL:" from a PostgreSQL backend
# that is not the postmaster, PID 1 in a container; "[MY-010926]" notes from mysqld): the server
# is fine; the client that logs in is not.
_SERVER_SIDE = r"\[(?!1\])\d+\] (?:FATAL|ERROR|LOG|DETAIL):|\[MY-\d+\]"

# The app rejects its configuration: flags, values, file syntax, credentials. Wording of: Go's
# flag package ("flag provided but not defined", 'invalid value "x" for flag -f'), spf13/pflag
# and cobra ("unknown flag", "unknown shorthand flag", 'invalid argument "x" for "--f" flag',
# 'required flag(s) "x" not set', 'unknown command "x"'), Python argparse ("unrecognized
# arguments", "invalid int value", "the following arguments are required"), click ("No such
# option", "Invalid value for", "Missing option"), GNU getopt ("unrecognized option", "invalid
# option --"), the JVM launcher ("Unrecognized option", "Unrecognized VM option", "Could not find
# or load main class", "Invalid maximum heap size"), Node ("bad option", ERR_SOCKET_BAD_PORT),
# Go strconv/time parse errors, YAML parsers (go-yaml "yaml: line N:", "yaml: unmarshal errors",
# PyYAML/libyaml/SnakeYAML scanner messages, js-yaml YAMLException, Ruby Psych), JSON decoders
# (encoding/json "invalid character", "cannot unmarshal", Python JSONDecodeError, V8 "in JSON at
# position", Jackson, System.Text.Json, Newtonsoft), TOML (BurntSushi "toml: line", tomllib,
# Rust "TOML parse error"), configparser, Spring Boot binding ("Failed to bind properties
# under"), nginx "[emerg]" directives, Apache "Syntax error on line", HAProxy "[ALERT] parsing",
# PostgreSQL ('invalid value for parameter', 'configuration file "x" contains errors'), mysqld
# ("unknown variable"), Redis ("FATAL CONFIG FILE ERROR", "Bad directive or wrong number of
# arguments"), Elasticsearch ("unknown setting"), Kafka ConfigException, MongoDB ("Error parsing
# YAML config file"), and database servers rejecting credentials or a database name.
CONFIG_PATTERNS: tuple[LogPattern, ...] = (
    # Flag parsers, in any case: gflags src/gflags.cc ("unknown command line flag '%s'", 2.x) and abseil
    # absl/flags/parse.cc ("Unknown command line flag '%s'"), kingpin v2 parser ("unknown long flag '%s'",
    # "unknown short flag '%s'"), clap 4 ("unexpected argument '%s' found") and clap 2/3 ("Found argument
    # '%s' which wasn't expected"), picocli ("Unknown option: '%s'", "Unmatched argument at index %d: '%s'"),
    # JCommander ("Was passed main parameter '%s' but no main parameter was defined"), nginx.c ('invalid
    # option: "%s"').
    _p(CONFIG_INVALID, "unknown-flag", "unknown command line flag",
       r"(?i:unknown\s+command[\s-]line\s+flag)\s*[:'\"`‘]*\s*(?P<flag>-{0,2}[\w.-]+)", 0.9),
    _p(CONFIG_INVALID, "unknown-flag", ("unknown long flag", "unknown short flag"),
       r"(?i:unknown\s+(?:long|short)\s+flag)\s+['\"`]?(?P<flag>-{1,2}[\w.-]+)", 0.9),
    _p(CONFIG_INVALID, "unknown-flag", ("unexpected argument", "which wasn't expected"),
       r"(?i:unexpected\s+argument\s+'(?P<flag>[^']+)'\s+found|Found\s+argument\s+'(?P<flag2>[^']+)'\s+which\s+"
       r"wasn't\s+expected)", 0.88),
    _p(CONFIG_INVALID, "unknown-flag", ("unmatched argument", "was passed main parameter"),
       r"(?i:Unmatched\s+arguments?\s+(?:at\s+index\s+\d+\s*)?:\s*'(?P<flag>[^']+)'"
       r"|Was\s+passed\s+main\s+parameter\s+'(?P<flag2>[^']+)'\s+but\s+no\s+main\s+parameter)", 0.86),
    _p(CONFIG_INVALID, "unknown-flag", "unknown option",
       r"(?i:unknown\s+option)\s*:?\s*['\"`‘]?(?P<flag>-{1,2}[\w.=-]+)", 0.86),
    _p(CONFIG_INVALID, "unknown-flag", "invalid option",
       r"(?i:invalid\s+option):\s*['\"](?P<flag>[^'\"]+)['\"]", 0.84),
    _p(CONFIG_INVALID, "unknown-flag", "unknown",
       r"unknown (?:shorthand )?flag:? (?P<flag>'[^']+'(?: in -\S+)?|-{1,2}[\w.-]+)", 0.88),
    _p(CONFIG_INVALID, "unknown-flag", "flag provided but not defined",
       r"flag provided but not defined: (?P<flag>-{1,2}[\w.-]+)", 0.88),
    _p(CONFIG_INVALID, "unknown-flag", "unrecognized argument",
       r"unrecognized arguments?: (?P<flag>.+)", 0.88),
    _p(CONFIG_INVALID, "jvm-option", "unrecognized vm option",
       r"Unrecognized VM option '(?P<flag>[^']+)'", 0.88),
    _p(CONFIG_INVALID, "unknown-flag", ("unrecognized option", "unrecognised option"),
       r"(?i:unrecogni[sz]ed\s+option)[:\s]+['\"`‘]?(?P<flag>-{0,2}[\w.=:+/-]+)", 0.86),
    _p(CONFIG_INVALID, "unknown-flag", "invalid option",
       r"invalid option(?: -- ?['‘]?(?P<flag>\w)['’]?|: (?P<flag2>-{1,2}[\w-]+))", 0.85),
    _p(CONFIG_INVALID, "unknown-flag", ("no such option", "bad option", "unrecognized command"),
       r"(?i:No such option):? (?P<flag>-{1,2}[\w-]+)|bad option: (?P<flag2>\S+)"
       r"|Unrecognized command or argument '(?P<flag3>[^']+)'", 0.85),
    _p(CONFIG_INVALID, "unknown-option", ("unknown option", "unknown variable", "unknown command", "unknown argument"),
       r"unknown (?:option|variable|command|argument) ['\"`]?(?P<flag>[^'\"`\s]+)", 0.82),
    _p(CONFIG_INVALID, "required-flag", ("required flag", "arguments are required", "missing option",
                                         "missing argument"),
       r"required flag\(s\) (?P<flag>.+?) not set|the following arguments are required: (?P<flag2>.+)"
       r"|Missing (?:option|argument) ['\"]?(?P<flag3>[^'\"\s.]+)", 0.85),
    _p(CONFIG_INVALID, "invalid-flag-value", "invalid",
       r"invalid (?:value|argument) \"(?P<value>[^\"]*)\" for (?:flag )?\"?(?P<flag>-{0,2}[\w, -]+?)\"?"
       r"(?: flag)?:", 0.88),
    _p(CONFIG_INVALID, "invalid-flag-value", "invalid",
       r"argument (?P<flag>[-\w/]+): invalid (?:\w+ value|choice): ['\"]?(?P<value>[^'\"]*)", 0.88),
    _p(CONFIG_INVALID, "invalid-flag-value", "invalid value for",
       r"Invalid value for ['\"](?P<flag>[^'\"]+)['\"]", 0.85),
    _p(CONFIG_INVALID, "invalid-port", ("valid port", "invalid port", "err_socket_bad_port"),
       r"(?i:is\s+not\s+a\s+valid\s+port(?:\s+number)?|invalid\s+port(?:\s+number)?\b|ERR_SOCKET_BAD_PORT)", 0.8),
    _p(CONFIG_INVALID, "java-main-class", "could not find or load main class",
       r"Could not find or load main class (?P<flag>.*)", 0.82),
    _p(CONFIG_INVALID, "jvm-option", ("heap size", "improperly specified vm option", "could not create the java"),
       r"Invalid (?:maximum|initial) heap size: (?P<value>\S+)|Improperly specified VM option '(?P<flag>[^']+)'"
       r"|Could not create the Java Virtual Machine", 0.8),
    _p(CONFIG_INVALID, "value-parse-error", ("strconv.", "time: "),
       r"strconv\.Parse\w*: parsing \"(?P<value>[^\"]*)\": (?:invalid syntax|value out of range)"
       r"|strconv\.Atoi: parsing \"(?P<value2>[^\"]*)\""
       r"|time: (?:invalid duration|missing unit in duration|unknown unit)", 0.75),
    _p(CONFIG_INVALID, "url-invalid", ("parse", "net/url"),
       r"(?i:(?:could\s+not|couldn't|unable\s+to|failed\s+to|cannot|can't)\s+parse\s+(?:\w+\s+)?(?:URL|URI|DSN"
       r"|connection\s+string|database\s+url|address|endpoint))|net/url: invalid"
       r"|parse \"[^\"]*\": (?:invalid|missing protocol scheme|first path segment)", 0.74),
    _p(CONFIG_INVALID, "postgres-config", ("invalid value for parameter", "configuration parameter",
                                          "contains errors", "syntax error in file"),
       r"invalid value for parameter \"(?P<param>[^\"]+)\"|unrecognized configuration parameter \"(?P<param2>[^\"]+)\""
       r"|configuration file \"(?P<path>[^\"]+)\" contains errors|syntax error in file \"(?P<path2>[^\"]+)\"", 0.88),
    _p(CONFIG_INVALID, "redis-config", ("fatal config file error", "bad directive"),
       r"FATAL CONFIG FILE ERROR|Bad directive or wrong number of arguments", 0.88),
    _p(CONFIG_INVALID, "nginx-directive", "[emerg]",
       r"\[emerg\][^\n]*?(?:unknown directive|invalid (?:number of arguments|parameter|value|port|host)"
       r"|unexpected (?:\"|end of file|\})|directive is (?:not allowed here|duplicate)|is not terminated"
       r"|no \"\w+\" is defined|unknown \"\w+\" variable)", 0.88),
    _p(CONFIG_INVALID, "nginx-config", "test failed",
       r"configuration file (?P<path>\S+) test failed", 0.82),
    _p(CONFIG_INVALID, "apache-config", ("syntax error on line", "invalid command"),
       r"Syntax error on line \d+ of (?P<path>[^:\s]+)|Invalid command '(?P<flag>[^']+)'", 0.88),
    _p(CONFIG_INVALID, "haproxy-config", ("[alert]", "fatal errors found in configuration",
                                          "found in configuration file"),
       r"\[ALERT\][^\n]*parsing \[(?P<path>[^:\]]+):\d+\]|Fatal errors found in configuration"
       r"|Error\(s\) found in configuration file", 0.85),
    _p(CONFIG_INVALID, "elasticsearch-setting", "unknown setting",
       r"unknown setting \[(?P<param>[^\]]+)\]", 0.86),
    _p(CONFIG_INVALID, "elasticsearch-bootstrap-check", ("discovery settings are unsuitable", "bootstrap check"),
       r"the default discovery settings are unsuitable for production use|\[\d+\] bootstrap checks? failed"
       r"|bootstrap check failure \[\d+\] of \[\d+\]", 0.74),
    _p(CONFIG_INVALID, "kafka-config", "requirement failed",
       r"IllegalArgumentException: requirement failed: (?P<param>[\w.]+)", 0.74),
    _p(CONFIG_INVALID, "kafka-config", "configexception",
       r"ConfigException: Invalid value (?P<value>\S+) for configuration (?P<param>\S+)", 0.86),
    _p(CONFIG_INVALID, "yaml-syntax", "yaml",
       r"\byaml: (?:line \d+|unmarshal errors|did not find|mapping values|found character|could not find)"
       r"|error converting YAML to JSON|yaml\.(?:scanner\.ScannerError|parser\.ParserError|composer\.ComposerError"
       r"|constructor\.ConstructorError|YAMLError)|ruamel\.yaml\.\w+\.\w+Error|org\.yaml\.snakeyaml\.\w+\.\w+Exception"
       r"|YAMLException:|Psych::SyntaxError|Error parsing YAML config file|YamlDotNet\.Core\.\w+Exception", 0.86),
    _p(CONFIG_INVALID, "yaml-syntax", ("mapping values", "simple key", "expected key", "expected ':'",
                                       "cannot start any token", "undefined alias", "<block end>",
                                       "bad indentation"),
       r"mapping values are not allowed|while scanning a simple key|did not find expected key"
       r"|could not find expected ':'|found character that cannot start any token|found undefined alias"
       r"|expected <block end>, but found|bad indentation of a (?:mapping|sequence) entry", 0.82),
    _p(CONFIG_INVALID, "json-syntax", ("json", "invalid character", "cannot unmarshal", "expecting"),
       r"invalid character '.{1,4}' (?:looking for beginning of (?:object key string|value)|after (?:object key"
       r"(?::value pair)?|array element|top-level value)|in string literal)"
       r"|json: cannot unmarshal \w+ into Go (?:struct field|value of type) (?P<param>\S+)"
       r"|JSONDecodeError|Expecting (?:value|property name enclosed in double quotes|',' delimiter|':' delimiter)"
       r": line \d+ column \d+|SyntaxError: (?:Unexpected token .{1,20} in JSON at position \d+|Unexpected end of"
       r" JSON input|.* is not valid JSON|Expected .{1,40} in JSON at position \d+)"
       r"|com\.fasterxml\.jackson\.(?:core\.JsonParseException|databind\.exc\.(?:UnrecognizedPropertyException"
       r"|InvalidFormatException|MismatchedInputException))|System\.Text\.Json\.JsonException"
       r"|Newtonsoft\.Json\.JsonReaderException|JSON::ParserError|Could not parse the JSON file", 0.8),
    _p(CONFIG_INVALID, "toml-syntax", "toml",
       r"\btoml: line \d+|TomlDecodeError|TOMLDecodeError|TOML parse error|toml::de::Error", 0.86),
    _p(CONFIG_INVALID, "ini-syntax", "configparser",
       r"configparser\.(?:ParsingError|MissingSectionHeaderError|DuplicateSectionError|DuplicateOptionError)", 0.85),
    _p(CONFIG_INVALID, "xml-syntax", ("saxparseexception", "parseerror"),
       r"SAXParseException|xml\.etree\.ElementTree\.ParseError|lxml\.etree\.XMLSyntaxError", 0.72),
    _p(CONFIG_INVALID, "spring-binding", ("failed to bind properties", "bindexception", "binding to target"),
       r"Failed to bind properties under '(?P<param>[^']+)'|context\.properties\.bind\.BindException"
       r"|Binding to target (?:\[)?(?P<param2>[^\s\]]+)", 0.88),
    _p(CONFIG_INVALID, "pem-invalid", ("pem", "x509: "),
       r"tls: failed to find any PEM data|failed to find \"[A-Z ]+\" PEM block|(?:unable|failed) to (?:parse|decode) "
       r"(?:bytes as )?PEM|x509: (?:malformed|failed to parse)", 0.76),
    _p(CONFIG_INVALID, "spring-conversion", "failed to convert",
       r"[Ff]ailed to convert (?:property value of type |value of type )?'?(?:java\.lang\.)?\w+'? to (?:required type )?"
       r"'?[\w.]+", 0.8),
    _p(CONFIG_INVALID, "sqlalchemy-dialect", "can't load plugin",
       r"Can't load plugin: sqlalchemy\.dialects:(?P<value>\w+)", 0.82),
    _p(CONFIG_INVALID, "django-improperly-configured", "improperlyconfigured",
       r"ImproperlyConfigured: (?P<msg>.+)", 0.72),
    _p(CONFIG_INVALID, "unknown-field", "field not found, node",
       r"field not found, node: (?P<param>\S+)", 0.82),
    _p(CONFIG_INVALID, "config-file-rejected", ("pars", "load", "read", "decod"),
       r"(?i:(?:error|failed|unable|could\s+not|cannot)\s+(?:to\s+)?(?:pars(?:e|ing)|load(?:ing)?|read(?:ing)?"
       r"|decod(?:e|ing))\s+(?:config(?:uration)?\s+)?(?:file\s+)?)['\"]?(?P<path>/[\w./@+-]+\.(?:ya?ml|json|toml"
       r"|conf|cfg|ini|hcl|xml|properties))", 0.74),
    _p(CONFIG_INVALID, "dotnet-config", "failed to load configuration from file",
       r"Failed to load configuration from file '(?P<path>[^']+)'", 0.86),
    _p(CONFIG_INVALID, "envoy-config", ("unable to parse json as proto", "error initializing configuration"),
       r"Unable to parse JSON as proto|error initializing configuration '(?P<path>[^']+)'", 0.85),
    _p(CONFIG_INVALID, "credentials-rejected", ("authentication failed", "access denied for user", "noauth",
                                                "wrongpass", "invalid password", "login failed for user",
                                                "access_refused", "sasl authentication", "keystore was tampered"),
       r"password authentication failed for user \"?(?P<user>[^\"\s]+)|Access denied for user '(?P<user2>[^']+)'"
       r"|NOAUTH Authentication required|WRONGPASS|ERR invalid password|Login failed for user '(?P<user3>[^']+)'"
       r"|ACCESS_REFUSED - Login was refused|SASL authentication failed|MongoServerError: Authentication failed"
       r"|MongoError: Authentication failed|Authentication failed\.? \(?mechanism"
       r"|Keystore was tampered with, or password was incorrect", 0.78,
       unless=_SERVER_SIDE),
    _p(CONFIG_INVALID, "database-missing", ("does not exist", "unknown database"),
       r"\b(?:database|role) \"(?P<param>[^\"]+)\" does not exist|Unknown database '(?P<param2>[^']+)'",
       0.76, unless=_SERVER_SIDE),
    _p(CONFIG_INVALID, "gunicorn-app-not-found", ("failed to find attribute", "failed to find application object"),
       r"Failed to find (?:attribute|application object) '(?P<param>[^']+)' in '(?P<module>[^']+)'", 0.78),
    _p(CONFIG_INVALID, "nginx-config", "[emerg]",
       r"\[emerg\][^\n]* in (?P<path>/[^\s:]+):\d+", 0.7),
    _p(CONFIG_INVALID, "config-exception", ("configexception", "configerror", "configurationexception",
                                            "configurationerror"),
       r"(?<![\w.])(?P<exc>[\w.]*Config(?:uration)?(?:Exception|Error))\b", 0.7),
    _p(CONFIG_INVALID, "config-rejected", ("config", "settings", "options"),
       r"(?i:(?:invalid|malformed|bad|illegal|corrupt(?:ed)?)\s+(?:config(?:uration)?|settings|options)"
       r"(?:\s+(?:file|value|option|key|parameter))?\b"
       r"|(?:failed|unable|could\s+not|couldn't|cannot|can't|error)\s+(?:to\s+)?(?:load(?:ing)?|pars(?:e|ing)"
       r"|read(?:ing)?|decod(?:e|ing)|unmarshal(?:l?ing)?|validat(?:e|ing)|process(?:ing)?)\s+(?:the\s+)?"
       r"(?:config(?:uration)?|settings|options)(?:\s+file)?\b)", 0.62),
)

_ABS = r"(?<![\w.@+~%=,/-])(?P<path>/[\w.@+~%=,/-]*[\w.@+~%-])"

# A file or directory the app opens at start is absent. Wording of: glibc strerror(ENOENT)
# ("No such file or directory") as printed by Python (FileNotFoundError / IOError "[Errno 2]",
# "can't open file"), Go's os package ("open PATH: no such file or directory"), Ruby
# ("No such file or directory @ rb_sysopen - PATH (Errno::ENOENT)"), nginx ('open() "PATH" failed
# (2: No such file or directory)', "cannot load certificate"), coreutils/busybox (cat, cp "cannot
# stat", ls "cannot access", sed "can't read"), dash ("cannot open PATH"); Node ("ENOENT: no such
# file or directory, open 'PATH'"); Java (FileNotFoundException "(No such file or directory)",
# NoSuchFileException, "Unable to access jarfile", Spring "Config data location ... does not
# exist", "class path resource [x] cannot be opened because it does not exist"); .NET
# (FileNotFoundException "Could not find file", DirectoryNotFoundException, "The configuration
# file 'x' was not found and is not optional"); and apps' own "config file ... not found" wording.
# Running a path that does not exist (exec, a shell running a script) belongs to the image rules
# and is excluded by FOREIGN; a request for a missing file in a web server's access path is not a
# start-up failure.
FILE_PATTERNS: tuple[LogPattern, ...] = (
    _p(FILE_MISSING, "entry-script-missing", "can't open file",
       r"can't open file ['\"](?P<path>[^'\"]+)['\"]: \[Errno 2\]", 0.85),
    _p(FILE_MISSING, "jar-missing", "unable to access jarfile",
       r"Unable to access jarfile (?P<path>\S+)", 0.86),
    _p(FILE_MISSING, "python-file-not-found", "errno 2",
       r"\[Errno 2\] No such file or directory: ['\"](?P<path>[^'\"]+)['\"]", 0.86),
    # A path that is empty: Go's os.PathError with Path "" ("open : no such file or directory") or an
    # error wrapped around an empty path ("error reading X: : no such file or directory"). The variable
    # or flag meant to hold the path is unset.
    _p(FILE_MISSING, "empty-path", "no such file or directory",
       r"(?i:(?:\b(?:open|stat|lstat|read|readlink|load)|:)\s+:\s+no\s+such\s+file\s+or\s+directory)", 0.72),
    _p(FILE_MISSING, "go-no-such-file", "no such file or directory",
       r"(?:open|stat|lstat|read|readlink|chdir|mkdir|mkdirall|remove|rename|opendir|readdir|load|walk) "
       r"(?P<path>[^\s:'\"]+): no such file or directory", 0.85),
    _p(FILE_MISSING, "is-a-directory", "is a directory",
       r"(?:IsADirectoryError: \[Errno 21\] Is a directory: ['\"](?P<path>[^'\"]+)|(?:read|open) "
       r"(?P<path2>/[^\s:]+): is a directory|(?<!\S)(?P<path3>/\S+) \(Is a directory\)|EISDIR: illegal operation on a "
       r"directory, read)", 0.8),
    _p(FILE_MISSING, "not-a-directory", "not a directory",
       r"NotADirectoryError: \[Errno 20\] Not a directory: ['\"](?P<path>[^'\"]+)|ENOTDIR: not a directory, \w+ "
       r"'(?P<path2>[^']+)'", 0.75),
    _p(FILE_MISSING, "node-enoent", "enoent",
       r"ENOENT: no such file or directory, \w+ '(?P<path>[^']+)'", 0.86),
    _p(FILE_MISSING, "ruby-enoent", "no such file or directory @",
       r"No such file or directory @ \w+ - (?P<path>\S+)", 0.86),
    _p(FILE_MISSING, "java-file-not-found", ("filenotfoundexception", "nosuchfileexception"),
       r"java\.io\.FileNotFoundException: (?P<path>[^\s(]+)(?: \((?:No such file or directory|The system cannot find"
       r"[^)]*)\))?|java\.nio\.file\.NoSuchFileException: (?P<path2>\S+)", 0.86),
    _p(FILE_MISSING, "spring-config-location", ("does not exist", "configdatalocationnotfound"),
       r"Config data (?:location|resource) '(?P<path>[^']+)'[^\n]* does not exist|ConfigDataLocationNotFoundException"
       r"|(?:class path resource|URL|file) \[(?P<path2>[^\]]+)\] cannot be (?:opened|resolved)[^\n]*does not exist",
       0.85),
    _p(FILE_MISSING, "dotnet-file-not-found", ("could not find file", "could not find a part of the path",
                                               "was not found and is not optional"),
       r"Could not find file '(?P<path>[^']+)'|Could not find a part of the path '(?P<path2>[^']+)'"
       r"|The configuration file '(?P<path3>[^']+)' was not found and is not optional", 0.86),
    _p(FILE_MISSING, "nginx-open-failed", ("(2: no such file", "cannot load certificate"),
       r"open\(\) \"(?P<path>[^\"]+)\" failed \(2: No such file or directory\)"
       r"|cannot load certificate(?: key)? \"(?P<path2>[^\"]+)\"", 0.86,
       unless=r"\bclient: |\brequest: \""),
    _p(FILE_MISSING, "shell-tool-no-such-file", "no such file or directory",
       r"\b(?:cat|cp|mv|ls|chmod|chown|sed|head|tail|grep|stat|ln|source|tar|envsubst|jq|awk|sort|wc|cd|touch"
       r"|readlink|realpath|install|rsync|openssl|keytool|base64|diff|find|du|xargs|tee|dos2unix|gunzip|unzip"
       r"|test|\.):\s+(?:(?:cannot|can't)\s+(?:stat|access|open|read|create\s+regular\s+file)\s+)?['‘\"`]?"
       r"(?P<path>[^'’\"`:\s]+)['’\"`]?:\s+No such file or directory", 0.82),
    _p(FILE_MISSING, "viper-config-not-found", "not found in",
       r"Config File \"(?P<path>[^\"]+)\" Not Found in", 0.8),
    _p(FILE_MISSING, "config-file-unopenable", "open",
       r"(?i:(?:unable\s+to|cannot|can't|could\s+not|couldn't|failed\s+to)\s+open\s+(?:the\s+)?(?:config(?:uration)?\s+)?"
       r"file:?\s+)['\"]?(?P<path>/[\w./@+-]*[\w@+-])['\"]?\.?(?:\s|$)", 0.72),
    _p(FILE_MISSING, "shell-cannot-open", "cannot open",
       r"cannot open (?P<path>[^\s:]+)(?:: No such file|: No such file or directory)", 0.8),
    _p(FILE_MISSING, "php-fopen", "failed to open stream",
       r"(?:fopen|file_get_contents|parse_ini_file|file)\((?P<path>[^)]+)\): [Ff]ailed to open stream: No such file",
       0.82),
    _p(FILE_MISSING, "file-not-found", ("not found", "does not exist", "doesn't exist", "no such file", "missing",
                                        "cannot find", "could not find", "couldn't find", "unable to find"),
       r"(?i:(?:config(?:uration)?|settings|properties|certificate|cert|key|keystore|truststore|credentials?"
       r"|secret|license|file|directory|dir|template)(?:\s+(?:file|dir(?:ectory)?|path))?\s*(?::\s*)?['\"`]?)"
       + _ABS + r"['\"`]?:?\s+(?i:not\s+found|does\s+not\s+exist|doesn't\s+exist|is\s+missing|missing"
       r"|no\s+such\s+file)", 0.76),
    _p(FILE_MISSING, "file-not-found", ("not found", "no such file", "cannot find", "could not find",
                                        "couldn't find", "unable to find", "does not exist", "missing"),
       r"(?i:(?:no\s+such\s+file(?:\s+or\s+directory)?|file\s+not\s+found|(?:could\s+not|couldn't|cannot|can't"
       r"|unable\s+to)\s+find(?:\s+(?:the|any))?(?:\s+(?:config(?:uration)?|settings))?(?:\s+(?:file|directory"
       r"|path))?|missing\s+(?:config(?:uration)?\s+)?file|(?:file|directory|path)\s+does\s+not\s+exist)[:\s]+['\"`]?)"
       + _ABS, 0.76),
    _p(FILE_MISSING, "no-such-file", ("no such file", "enoent"),
       r"['\"`]?" + _ABS + r"['\"`]?[:,)]?\s*\(?(?:No such file or directory|ENOENT)", 0.72),
)

# The image lacks code the program imports. Wording of: CPython ("ModuleNotFoundError: No module
# named", "ImportError: cannot import name"), uvicorn ("Could not import module") and Flask
# ("Could not import"), Node ("Cannot find module", ERR_MODULE_NOT_FOUND "Cannot find package",
# NODE_MODULE_VERSION mismatch, "Could not locate the bindings file"), the JVM (NoClassDefFoundError,
# ClassNotFoundException, UnsatisfiedLinkError, NoSuchMethodError), the dynamic linkers (glibc
# "error while loading shared libraries: x: cannot open shared object file", "version
# `GLIBC_2.34' not found"; musl "Error loading shared library", "Error relocating"), .NET ("Could
# not load file or assembly", "The framework 'x', version 'y' was not found", DllNotFoundException,
# "It was not possible to find any compatible framework version"), Ruby ("cannot load such file",
# Bundler::GemNotFound, "Could not find gem"), PHP ('Class "X" not found', "Failed opening
# required", "Unable to load dynamic library"), Perl ("Can't locate X.pm in @INC"), Lua ("module
# 'x' not found") and Go's plugin package.
MODULE_PATTERNS: tuple[LogPattern, ...] = (
    _p(MISSING_MODULE, "python-module-not-found", "no module named",
       r"No module named ['\"]?(?P<module>[\w.]+)['\"]?", 0.9),
    _p(MISSING_MODULE, "python-import-name", "cannot import name",
       r"ImportError: cannot import name ['\"](?P<name>[^'\"]+)['\"](?: from ['\"](?P<module>[^'\"]+)['\"])?", 0.76),
    _p(MISSING_MODULE, "python-app-import", ("could not import module", "could not import '", "error loading "),
       r"Could not import module \"(?P<module>[^\"]+)\"|Error: Could not import '(?P<module2>[^']+)'"
       r"|Error loading (?P<module3>[\w.]+)(?: or [\w.]+)? module", 0.8),
    _p(MISSING_MODULE, "node-module-not-found", ("cannot find module", "cannot find package",
                                                 "err_module_not_found"),
       r"(?:ERR_MODULE_NOT_FOUND\]?:?\s*)?Cannot find (?:module|package) ['\"](?P<module>[^'\"]+)['\"]"
       r"|ERR_MODULE_NOT_FOUND", 0.9),
    _p(MISSING_MODULE, "node-native-abi", ("node_module_version", "could not locate the bindings file"),
       r"compiled against a different Node\.js version|Could not locate the bindings file", 0.8),
    _p(MISSING_MODULE, "java-class-not-found", ("noclassdeffounderror", "classnotfoundexception"),
       r"NoClassDefFoundError:? (?P<module>[\w/$.]+)?|ClassNotFoundException:? (?P<module2>[\w.$]+)?", 0.88),
    _p(MISSING_MODULE, "java-native-library", "unsatisfiedlinkerror",
       r"java\.lang\.UnsatisfiedLinkError:? (?P<module>[^\n]*)", 0.82),
    _p(MISSING_MODULE, "java-dependency-conflict", "nosuchmethoderror",
       r"java\.lang\.NoSuchMethodError:? (?P<module>\S+)?", 0.62),
    _p(MISSING_MODULE, "shared-library-missing", ("shared librar", "shared object file", "error relocating"),
       r"error while loading shared libraries: (?P<module>[^\s:]+)|Error loading shared library (?P<module2>[^\s:]+)"
       r"|(?<![\w.+-])(?P<module3>[\w.+-]+\.so[.\d]*): cannot open shared object file|Error relocating (?P<module4>[^\s:]+): "
       r"\S+: symbol not found", 0.9),
    _p(MISSING_MODULE, "glibc-version", "not found (required by",
       r"version [`'](?P<module>GLIBC(?:XX)?_[\d.]+)' not found \(required by", 0.88),
    _p(MISSING_MODULE, "dotnet-assembly", ("could not load file or assembly", "was not found", "compatible framework",
                                           "install or update .net",
                                           "required to execute the application", "dllnotfoundexception"),
       r"Could not load file or assembly '(?P<module>[^',]+)|The framework '(?P<module2>[^']+)', version"
       r"|It was not possible to find any compatible framework version"
       r"|You must install or update \.NET to run this application"
       r"|The library '(?P<module3>[^']+)' required to execute the application was not found"
       r"|DllNotFoundException: Unable to load (?:shared library|DLL) '(?P<module4>[^']+)'", 0.88),
    _p(MISSING_MODULE, "ruby-load-error", ("cannot load such file", "gemnotfound", "could not find"),
       r"cannot load such file -- (?P<module>\S+)|Bundler::GemNotFound|Could not find gem '(?P<module2>[^']+)'"
       r"|Could not find (?P<module3>[\w.-]+)(?:, [\w.-]+)* in (?:any of the sources|locally installed gems)", 0.88),
    _p(MISSING_MODULE, "php-missing", ("not found", "failed opening required", "failed to open stream",
                                       "unable to load dynamic library"),
       r"Class [\"'](?P<module>[^\"']+)[\"'] not found|Failed opening required '(?P<module2>[^']+)'"
       r"|(?:require|include)(?:_once)?\((?P<module3>[^)]+)\): [Ff]ailed to open stream"
       r"|Unable to load dynamic library '(?P<module4>[^']+)'", 0.86),
    _p(MISSING_MODULE, "php-extension-missing", "call to undefined function",
       r"Call to undefined function (?P<module>(?:mysqli?|pg|mb|gd|imagick|curl|json|xml|zip|intl|bc|gmp|sodium"
       r"|ldap|redis|mongodb|sqlite|openssl|iconv|exif|soap|pcntl|posix|ctype|apcu|memcached?)\w*)\(", 0.75),
    _p(MISSING_MODULE, "perl-module-missing", "in @inc",
       r"Can't locate (?P<module>\S+\.pm) in @INC", 0.9),
    _p(MISSING_MODULE, "lua-module-missing", "module '",
       r"module '(?P<module>[^']+)' not found", 0.82),
    _p(MISSING_MODULE, "go-plugin", ("plugin.open", "plugin was built with a different version"),
       r"plugin\.Open\(\"(?P<module>[^\"]+)\"\)|plugin was built with a different version of package (?P<module2>\S+)",
       0.85),
)

# Unhandled failures of the app's own code, as each runtime reports them when the process dies:
# Go ("panic:", "fatal error:", "[signal SIGSEGV"), Rust ("thread 'main' panicked at"), the JVM
# ('Exception in thread "main"', hs_err "A fatal error has been detected by the Java Runtime
# Environment"), .NET ("Unhandled exception."), Ruby ("...: message (NoMethodError)"), PHP ("PHP
# Fatal error:  Uncaught"), Elixir ("** (RuntimeError)"), C/C++ runtimes (glibc "Assertion `x'
# failed", "terminate called after throwing an instance of", "*** stack smashing detected ***",
# "double free or corruption"), the shell's report of a signal ("Segmentation fault (core
# dumped)", "Aborted", "Illegal instruction", "Bus error", "Floating point exception"), and
# fatal-level log records (logrus/zap "level=fatal", klog "F0102", "[FATAL]"). Python tracebacks,
# Java "Caused by:" chains and Node stack traces are read in context by rules/app_analysis.py.
CRASH_PATTERNS: tuple[LogPattern, ...] = (
    _p(CRASH, "go-panic", "panic: ", r"^\s*panic: (?P<msg>.+)", 0.6),
    _p(CRASH, "go-fatal-error", "fatal error: ", r"^fatal error: (?P<msg>.+)", 0.6),
    _p(CRASH, "rust-panic", "panicked at", r"thread '(?P<thread>[^']+)' panicked at", 0.6),
    _p(CRASH, "java-exception", "exception in thread",
       r"Exception in thread \"(?P<thread>[^\"]+)\" (?P<exc>[\w.$]+)(?::\s*(?P<msg>.*))?", 0.6),
    _p(CRASH, "jvm-crash", "fatal error has been detected by the java runtime",
       r"A fatal error has been detected by the Java Runtime Environment", 0.6),
    _p(CRASH, "dotnet-unhandled", "unhandled exception",
       r"Unhandled [Ee]xception\.?:? (?P<exc>[\w.`]+(?:Exception|Error))(?::\s*(?P<msg>.*))?", 0.6),
    _p(CRASH, "ruby-exception", ":in ",
       r":in [`'][^']+': (?P<msg>.*) \((?P<exc>[A-Z]\w*(?:::[A-Z]\w*)*)\)\s*$", 0.6),
    _p(CRASH, "php-fatal", "php fatal error",
       r"PHP Fatal error:\s+(?:Uncaught (?P<exc>[\w\\]+)(?::\s*(?P<msg>.*))?|(?P<msg2>.+))", 0.58),
    _p(CRASH, "elixir-exception", "** (",
       r"^\*\* \((?P<exc>[\w.]+)\) (?P<msg>.*)", 0.58),
    _p(CRASH, "assertion", ("assertion", "assert"),
       r"Assertion [`'\"](?P<msg>.+)['\"] failed|\bassertion failed\b", 0.6),
    _p(CRASH, "cpp-terminate", "terminate called",
       r"terminate called (?:after throwing an instance of '(?P<exc>[^']+)'|without an active exception)", 0.6),
    _p(CRASH, "memory-corruption", ("stack smashing", "double free", "free(): ", "malloc(): ", "corrupted"),
       r"\*\*\* stack smashing detected|double free or corruption|free\(\): invalid|malloc\(\): \w+"
       r"|corrupted (?:size|double-linked list)", 0.6),
    _p(CRASH, "segfault", ("segmentation fault", "sigsegv", "segfault", "segmentation violation"),
       r"(?i:segmentation fault|\bSIGSEGV\b|\bsegfault\b|segmentation violation)", 0.58),
    _p(CRASH, "sigill", "illegal instruction", r"Illegal instruction", 0.58),
    _p(CRASH, "abort", ("aborted", "sigabrt", "core dumped", "bus error", "floating point exception"),
       r"(?:^|\s)Aborted(?: \(core dumped\))?\s*$|\bSIGABRT\b|core dumped|Bus error|Floating point exception", 0.55),
    # klog's HandleCrash (k8s.io/apimachinery util/runtime/runtime.go logPanic: "Observed a panic: %#v (%v)",
    # v0.27+ structured `"Observed a panic" panic="..."`), the Go runtime's goroutine dump when the panic
    # line itself was cut off, Node's unhandled promise rejection (node:internal/process/promises,
    # Node 15+), the Erlang VM's "Kernel pid terminated (application_controller) (...)", and a .NET
    # exception line under a Serilog/NLog/Microsoft.Extensions.Logging fatal record.
    _p(CRASH, "go-panic", "observed a panic",
       r"Observed a panic:?\s*(?:panic=)?(?P<msg>.*)", 0.6),
    _p(CRASH, "node-unhandled-rejection", ("unhandledpromiserejection", "err_unhandled_rejection"),
       r"\[UnhandledPromiseRejection: (?P<msg>[^\]]+)|code: 'ERR_UNHANDLED_REJECTION'", 0.6),
    _p(CRASH, "erlang-kernel-terminated", "kernel pid terminated",
       r"Kernel pid terminated \((?P<exc>[^)]+)\) \((?P<msg>.*)", 0.58),
    _p(CRASH, "dotnet-exception", ("exception: ", "exception ("),
       r"^\s*(?P<exc>(?:System|Microsoft)\.[\w.`]+Exception)(?::\s*(?P<msg>.*)|\s*\(.*)$", 0.52),
    _p(CRASH, "goroutine-dump", "goroutine ",
       r"^goroutine \d+ \[running\]:", 0.5),
    # Fatal-level records: logrus/zap/slog `level=fatal`, klog `F0102`, Serilog's `[09:00:01 FTL]`,
    # log4j/NLog/Python logging `FATAL`/`CRITICAL`, Microsoft.Extensions.Logging's console `crit:`.
    _p(CRASH, "fatal-log-line", ("fatal", "panic", "critical", "crit", "f0", "f1", "ftl"),
       r"(?i:\blevel[\"']?\s*[=:]\s*[\"']?(?:fatal|panic|crit(?:ical)?)\b)"
       r"|\[(?:[\d:.,TZ+-]+\s+)?(?:FATAL|CRITICAL|PANIC|FTL|CRT)\]|\bFATAL\b"
       r"|\bCRITICAL\b|^F\d{4} \d\d:\d\d:\d\d|^crit: \S", 0.5, unless=_SERVER_SIDE),
    _p(CRASH, "error-exit", "error: ", r"^Error: (?P<msg>.+)", 0.45),
)

# Lines that prove a cause owned by other rule families: security (permission and read-only
# filesystem errors, strerror EACCES/EPERM/EROFS, Java AccessDeniedException, .NET
# UnauthorizedAccessException; but not a database's "permission denied for table", a grant),
# image (runc/containerd "exec format error", "exec user process caused", "executable file not
# found in $PATH", a shell failing to run a path: dash "sh: 1: x: not found", bash "line 3: x: No
# such file or directory", "exec: x: not found", "command not found") and resources (runtime heap
# exhaustion). The app rules skip such lines so that, for example, "bind: permission denied" is
# never read as a port problem.
FOREIGN = lazy(
    r"(?i:permission denied(?! for (?:table|relation|schema|database|sequence|function|view|tablespace))"
    r"|\bEACCES\b|operation not permitted|\bEPERM\b|read-only file system|\bEROFS\b"
    r"|AccessDeniedException|UnauthorizedAccessException|Access to the path [^\n]* is denied"
    r"|exec format error|exec user process caused|executable file not found|command not found"
    r"|fork/exec|\bexec(?:ve)?\b:? [^\n]*(?:not found|no such file or directory)|\benv: can't execute '"
    r"|OutOfMemoryError|out of memory|heap out of memory|\bMemoryError\b|Allowed memory size"
    r"|Cannot allocate memory)"
    r"|(?:^|\s)(?:[\w./-]+: )?line \d+: [^:\s]+: (?:No such file or directory|not found)"
    r"|\bsh: \d+: [^:\s]+: not found"
)
FOREIGN_NEEDLES: tuple[str, ...] = (
    "permission denied", "eacces", "not permitted", "eperm", "read-only", "erofs", "accessdenied",
    "unauthorizedaccess", "is denied", "exec", "command not found", "memory", "line ", "sh: ",
)

# Every table in the order a line is tried: the first table that matches owns the line. Port and
# dependency messages are the most specific; the loose "not found"/"invalid config" forms last.
ORDERED_TABLES: tuple[tuple[LogPattern, ...], ...] = (
    PORT_PATTERNS, MISSING_ENV_PATTERNS, DEPENDENCY_PATTERNS, MODULE_PATTERNS,
    FILE_PATTERNS, CONFIG_PATTERNS, CRASH_PATTERNS,
)

# --- context patterns: read by app_analysis.py around a matched line -------------------------------------

# Where a log line of a stack trace or continuation starts (not a new log record): indented
# frames (Python, Java "\tat", Node "    at", Ruby "\tfrom"), Java "... 12 more", Go goroutine
# headers and function lines, and blank lines.
STACK_LINE = lazy(
    r"^(?:\s|$|\.\.\. \d+ (?:more|common frames omitted)|at \S+ ?\(|File \"|from \S+:\d+:in |"
    r"goroutine \d+ \[|created by |[\w./*()\[\]{},$-]+\([^)]*\)$|\[signal |"
    r"exit status \d+$|Caused by:|Traceback|During handling|The above exception|Require stack:)"
)  # use with .match()
# Log records at warning or lower severity: the app said it would go on.
_SOFT_LEVEL = lazy(
    r"(?i:\blevel[\"']?\s*[=:]\s*[\"']?(?:warn(?:ing)?|info|debug)\b|\[(?:warn(?:ing)?|info|debug)\]"
    r"|\b(?:WARN(?:ING)?|INFO|DEBUG)\b)|^[WI]\d{4} \d\d:\d\d:\d\d|\bretrying\b|\bwill retry\b|\bretry in\b"
    r"|\bwaiting for\b"
)
_SOFT_NEEDLES = ("warn", "info", "debug", "retry", "retrying", "waiting for")


def soft_level(line: str) -> bool:
    """True for a record at warning level or below, or one that says the app will retry."""
    low = line.lower()
    if not (line[:1] in "WI" or any(n in low for n in _SOFT_NEEDLES)):
        return False
    return _SOFT_LEVEL.search(line) is not None


# kubectl --prefix / --timestamps decorations (and an app's own leading timestamp) before the
# record itself; one separator only, so that the indentation of stack frames survives.
LINE_PREFIX = lazy(
    r"^(?:\[pod/[a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*\] )?"
    r"(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?[ \t])?"
)

PY_TRACEBACK = lazy(r"[Tt]raceback \(most recent call last\):")
# The exception line that ends a Python traceback: "pkg.mod.SomeError: message" or a bare name.
PY_EXCEPTION = lazy(r"^(?P<exc>[A-Za-z_][\w.]*)(?::\s?(?P<msg>.*))?$")
PY_KEYWORDS = frozenset({"raise", "pass", "return", "break", "continue", "yield", "await", "else", "try", "finally"})
# A frame of os.environ.__getitem__ (or code indexing os.environ) before a KeyError.
PY_ENVIRON = lazy(r"os\.environ\s*\[|\benviron\s*\[|<frozen os>|/os\.py\", line \d+, in __getitem__"
                        r"|raise KeyError\(key\) from None")
PY_KEYERROR = lazy(r"^KeyError: ['\"](?P<var>[^'\"]+)['\"]")
# What environment variable names look like: upper case with at least one underscore (DATABASE_URL).
ENV_NAME = lazy(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]")
# pydantic(-settings) validation errors: "1 validation error for Settings", then
# "FIELD\n  Field required [type=missing" (v2) or "field required (type=value_error.missing)" (v1).
PYDANTIC_HEADER = lazy(r"(?<!\d)(?P<count>\d+) validation errors? for (?P<model>\w+)")
PYDANTIC_MISSING = lazy(r"^\s+(?:Field required \[type=missing|field required \(type=value_error\.missing\))")
JAVA_CAUSED_BY = lazy(r"^Caused by: (?P<exc>[\w.$]+)(?::\s*(?P<msg>.*))?")
NODE_STACK_FRAME = lazy(r"^\s+at \S")
NODE_ERROR = lazy(r"^(?:Uncaught )?(?P<exc>(?:[A-Z][A-Za-z]*)?Error)(?: \[\w+\])?: (?P<msg>.+)")
NODE_REQUIRE_STACK = lazy(r"^Require stack:|requireStack: \[\s*'")
JAVA_MAIN_CLASS = lazy(r"Could not find or load main class")
# Continuation lines that name variables: "  - MYSQL_ROOT_PASSWORD", "    API_KEY: ...",
# "{ DATABASE_URL: [ 'Required' ] }".
BULLET_VAR = lazy(r"^\s*(?:[-*•]\s*|\{\s*)?['\"]?(?P<var>[A-Z][A-Z0-9_]{2,})['\"]?(?:\s*:|\s*$|\s+-)")

# host:port in a free-form line, when no pattern named it: after the words clients put before an
# address, then any host:port with a letter or a dotted IP in the host part.
# Node/libuv put the address right after the code: "ECONNREFUSED ::1:5432", "ETIMEDOUT 10.0.0.5:443".
ERRNO_ENDPOINT = lazy(
    r"\b(?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)\s+(?P<host>[0-9A-Za-z_.:-]+):(?P<port>\d{1,5})"
    r"(?![\d:])"
)
# A Unix socket the client tried ("on socket "/var/run/postgresql/.s.PGSQL.5432"", "through socket").
SOCKET_PATH = lazy(r"socket\s+['\"](?P<path>/[^'\"\s]+)['\"]")
ENDPOINT_HINT = lazy(
    r"(?:\b(?:dial tcp|connect(?:ing)? to|connection to|reach|on|at|to|for|server|ECONNREFUSED|ETIMEDOUT"
    r"|EHOSTUNREACH)\s+|\bhost[=:]\s?)['\"`(\[]?(?P<host>[A-Za-z0-9_][A-Za-z0-9_.-]*|\d{1,3}(?:\.\d{1,3}){3})['\"`)\]]?"
    r"(?::|\s+port\s+|['\"`]?,\s*port[=\s]+)(?P<port>\d{1,5})\b"
)
ANY_ENDPOINT = lazy(
    r"(?<![\w.:/-])(?P<host>\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-fA-F:]+\]|[A-Za-z][A-Za-z0-9_-]*"
    r"(?:\.[A-Za-z0-9_-]+)*)(?::|\s+port\s+)(?P<port>\d{2,5})\b(?![.:\d])"
)
HOST_HINT = lazy(
    r"(?:host(?:\s+name)?[=:]?\s+|host=|lookup\s+|getaddrinfo\s+(?:ENOTFOUND|EAI_AGAIN|for)\s+"
    r"|resolve\s+(?:host:?\s+)?|UnknownHostException:\s+|upstream\s+|bad address\s+|server\s+(?:at|on)\s+)['\"`]?"
    r"(?P<host>[A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9])"
)
# Source-file names in stack frames look like host:port ("Main.java:12"); they are not endpoints.
NOT_A_HOST = lazy(r"\.(?:java|kt|scala|groovy|go|py|js|mjs|cjs|ts|rb|php|cs|c|cc|cpp|h|rs|ex|exs|erl|lua|pl"
                        r"|conf|cfg|yaml|yml|json|toml|ini|xml|properties|sh)$", re.I)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0", "ip6-localhost"})


# The cheap gate in front of every table: a line that contains none of these substrings and none
# of these words cannot match any pattern above (every pattern needs one of them; the tests of
# rules/test_patterns.py check it for each message form). Most lines of a long log stop here.
_GATE_SUBSTRINGS = (
    "err", "exception", "fail", "fatal", "panic", "refused", "fault", "found", "denied", "abort", "tcp://",
    "unreachable", "timeout", "crit", "not set", "set the ", "in use", "such", "exist", "certif", "x509", "self_signed",
    "unable_to_", "pid terminated", "unhandledpromiserejection", "err_unhandled_rejection",
)
_GATE_WORDS = frozenset({
    "invalid", "unknown", "unrecognized", "unrecognised", "missing", "required", "cannot", "can", "could",
    "couldn", "unable", "timed", "deadline", "resolve", "resolution", "known", "enoent", "econnrefused",
    "enotfound", "eai_again", "eai_noname", "eaddrinuse", "etimedout", "ehostunreach", "enetunreach", "enotdir",
    "unset", "undefined", "unbound", "must", "please", "specify", "specified", "provided", "empty", "blank",
    "placeholder", "bad", "malformed", "valid", "allowed", "defined", "module", "living", "suitable", "broker",
    "emerg", "alert", "sigsegv", "sigabrt", "sigill", "segmentation", "illegal", "assert", "assertion",
    "terminate", "corrupt", "corrupted", "smashing", "core", "traceback", "exec", "memory", "usage",
    "misbehaving", "nxdomain", "caused", "unhandled", "uncaught", "instruction", "floating", "validation",
    "permitted", "eacces", "eperm", "erofs", "only", "line", "sh", "yaml", "json", "toml", "parse", "parsing",
    "syntax", "expected", "expecting", "unexpected", "scanning", "indentation", "bind", "binding", "route",
    "address", "already", "wrongpass", "initialized", "directory", "compiled", "plugin", "malloc", "double",
    "key", "configured", "incorrect", "pem", "assign", "unmatched", "goroutine", "ftl", "observed",
})
_WORD = lazy(r"[a-z_]+")


def worth_reading(lowered: str) -> bool:
    """False for a (lower-cased) line that no pattern of this module can match."""
    for s in _GATE_SUBSTRINGS:
        if s in lowered:
            return True
    if lowered[:1] == "f" and lowered[1:5].isdigit():  # klog's fatal records: "F0102 15:04:05.000000 ..."
        return True
    return not _GATE_WORDS.isdisjoint(_WORD.findall(lowered))


_ALL_PATTERNS: tuple[LogPattern, ...] = tuple(p for table in ORDERED_TABLES for p in table)
# Repeated records (retry loops, request logs) differ in numbers and ids only: remember which
# pattern, if any, a line of that shape matched. Bounded; cleared when full.
_SHAPE = lazy(r"[0-9a-f]{8,}|\d+")
_SHAPES: dict[str, int] = {}
_SHAPES_MAX = 4096


def classify(line: str) -> tuple[LogPattern, re.Match[str]] | None:
    """The first pattern, table by table, that proves an app cause on this line; None for others' lines."""
    lowered = line.lower()
    if not worth_reading(lowered):
        return None
    # Keyed on the line as written: patterns are case-sensitive, so "Unhandled" and "unhandled" may differ.
    shape = _SHAPE.sub("#", line)
    known = _SHAPES.get(shape)
    if known is not None:
        if known < 0:
            return None
        pattern = _ALL_PATTERNS[known]
        m = pattern.search(line, lowered)
        if m is None and (other := other_sentence_case(line)) is not None:
            m = pattern.search(other, lowered)
        if m is not None:
            return pattern, m
    found = _classify(line, lowered)
    if found is None:
        other = other_sentence_case(line)  # "unhandled exception." as well as "Unhandled exception."
        if other is not None:
            found = _classify(other, lowered)
    if len(_SHAPES) >= _SHAPES_MAX:
        _SHAPES.clear()
    _SHAPES[shape] = -1 if found is None else found[0]
    return None if found is None else (_ALL_PATTERNS[found[0]], found[1])


def is_foreign(line: str, lowered: str | None = None) -> bool:
    """True for a line that proves a cause of another family (permissions, entrypoint, memory)."""
    low = line.lower() if lowered is None else lowered
    for n in FOREIGN_NEEDLES:
        if n in low:
            return FOREIGN.search(line) is not None
    return False


# (needle, pattern index) pairs in pattern order: one flat comprehension finds the patterns worth
# running on a line, far cheaper than a loop per pattern.
_NEEDLE_INDEX: tuple[tuple[str, int], ...] = tuple(
    (needle, i) for i, p in enumerate(_ALL_PATTERNS) for needle in p.needles
)


def _classify(line: str, lowered: str) -> tuple[int, re.Match[str]] | None:
    if is_foreign(line, lowered):
        return None
    tried = -1
    for i in [i for needle, i in _NEEDLE_INDEX if needle in lowered]:
        if i == tried:
            continue
        tried = i
        pattern = _ALL_PATTERNS[i]
        m = pattern.regex.search(line)
        if m is not None and (pattern.unless is None or not pattern.unless.search(line)):
            return i, m
    return None


def first_group(m: re.Match[str], *names: str) -> str | None:
    """The first non-empty named group among `names` and their numbered variants (path, path2...)."""
    groups = m.groupdict()
    for name in names:
        for key in (name, *(f"{name}{i}" for i in range(2, 5))):
            value = groups.get(key)
            if value:
                return value.strip()
    return None
