"""The log-pattern tables of rules/patterns.py, message form by message form.

Every entry is a line as the named runtime, library or server prints it, with the cause and the
finer detail the app rules must read from it, and the subject (variable, endpoint, module, path,
flag) they must name. Every pattern of every table must be exercised here (a meta-test checks),
and lines that belong to other families or to no failure at all must stay unclaimed.
"""

from __future__ import annotations

import pytest

from podmortem.rules import patterns as pt
from podmortem.rules.app_analysis import _Line as Line
from podmortem.rules.app_analysis import _scan, _subject
from podmortem.rules.app_dependency import _endpoint

ENV, DEP, PORT, CONF, FILE, MOD, CRASH = (
    pt.MISSING_ENV, pt.DEPENDENCY, pt.PORT_IN_USE, pt.CONFIG_INVALID, pt.FILE_MISSING, pt.MISSING_MODULE, pt.CRASH,
)

# (line, cause, detail, subject); subject None means "not checked".
EXAMPLES: list[tuple[str, str, str, str | None]] = [
    # --- a dependency's certificate the app does not trust
    ("failed to connect to vault: Get \"https://vault:8200/v1/sys/health\": tls: failed to verify certificate: x509: "
     "certificate signed by unknown authority", DEP, "tls", None),
    ("Post \"https://minio.storage:9000/bucket\": x509: certificate is valid for minio.local, not minio.storage",
     DEP, "tls", None),
    ("javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath."
     "SunCertPathBuilderException: unable to find valid certification path to requested target", DEP, "tls", None),
    ("requests.exceptions.SSLError: HTTPSConnectionPool(host='auth.internal', port=443): Max retries exceeded with "
     "url: /token (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
     "verify failed: unable to get local issuer certificate (_ssl.c:1006)')))", DEP, "tls", None),
    ("Error: unable to verify the first certificate", DEP, "tls", None),
    ("psycopg2.OperationalError: connection to server at \"db.internal\" (10.0.4.2), port 5432 failed: SSL error: "
     "certificate verify failed", DEP, "tls", None),
    ("System.Security.Authentication.AuthenticationException: The remote certificate is invalid because of errors in "
     "the certificate chain: UntrustedRoot", DEP, "tls", None),
    ("curl: (60) SSL certificate problem: self signed certificate in certificate chain", DEP, "tls", None),
    # --- port in use
    ("listen tcp :8080: bind: address already in use", PORT, "address-in-use", None),
    ("OSError: [Errno 98] Address already in use", PORT, "address-in-use", None),
    ("2024/03/02 10:00:01 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address in use)", PORT, "address-in-use", None),
    ("Error: listen EADDRINUSE: address already in use :::3000", PORT, "address-in-use", None),
    ("Address already in use - bind(2) for \"0.0.0.0\" port 3000 (Errno::EADDRINUSE)", PORT, "address-in-use", None),
    ("** (MatchError) no match of right hand side value: {:error, :eaddrinuse}", PORT, "address-in-use", None),
    ("Caused by: java.net.BindException: Address already in use (Bind failed)", PORT, "address-in-use", None),
    ("Caused by: java.net.BindException: Cannot assign requested address", PORT, "address-not-available", None),
    ("System.Net.Sockets.SocketException: Only one usage of each socket address is normally permitted",
     PORT, "address-in-use", None),
    ("listen tcp 10.12.0.7:8080: bind: cannot assign requested address", PORT, "address-not-available", "8080"),
    ("Web server failed to start. Port 8080 was already in use.", PORT, "spring-port-in-use", "8080"),
    ("F0611 08:00:01.000000       7 main.go:67] port 443 is already in use. Please check the flag --https-port",
     PORT, "spring-port-in-use", "443"),
    ("[2024-01-01 10:00:00 +0000] [1] [ERROR] Connection in use: ('0.0.0.0', 8000)",
     PORT, "gunicorn-connection-in-use", "8000"),
    ("[2024-01-01 10:00:05 +0000] [1] [ERROR] Can't connect to ('0.0.0.0', 8000)", PORT,
     "gunicorn-connection-in-use", "8000"),
    ("[ERROR] Do you already have another mysqld server running on port: 3306 ?", PORT, "mysqld-port-in-use", "3306"),
    # --- missing env
    ("Error: 'tcp://10.0.171.239:5000' is not a valid port number.", ENV, "service-link-env-collision", None),
    ("ValueError: invalid literal for int() with base 10: 'tcp://10.96.45.3:6379'",
     ENV, "service-link-env-collision", None),
    ("envconfig.Process: required key DATABASE_URL missing value", ENV, "envconfig-required-key", "DATABASE_URL"),
    ("env: required environment variable \"API_TOKEN\" is not set", ENV, "env-var-unset", "API_TOKEN"),
    ("** (System.EnvError) could not fetch environment variable \"SECRET_KEY_BASE\" because it is not set",
     ENV, "env-var-unset", "SECRET_KEY_BASE"),
    ("FATAL: environment variable REDIS_URL must be set", ENV, "env-var-unset", "REDIS_URL"),
    ("Error: Environment variable 'STRIPE_KEY' is required", ENV, "env-var-unset", "STRIPE_KEY"),
    ("panic: DATABASE_DSN environment variable is not set", ENV, "env-var-unset", "DATABASE_DSN"),
    ("The SENTRY_DSN env var is empty", ENV, "env-var-unset", "SENTRY_DSN"),
    ("level=error msg=\"SYNC_INTERVAL is a required variable.\"", ENV, "env-var-required", "SYNC_INTERVAL"),
    ("Fatal: JWT_SECRET is not set", ENV, "env-var-unset", "JWT_SECRET"),
    ("ERROR: OIDC_CLIENT_ID must be set when auth is enabled", ENV, "env-var-unset", "OIDC_CLIENT_ID"),
    ("Missing required environment variable: KAFKA_BROKERS", ENV, "env-var-missing", "KAFKA_BROKERS"),
    ("error: missing required config value smtp.host", ENV, "env-var-missing", "smtp.host"),
    ("Required environment variables are missing: AWS_REGION, S3_BUCKET", ENV, "env-var-missing", "AWS_REGION"),
    ("Please set the environment variable GITHUB_TOKEN", ENV, "env-var-please-set", "GITHUB_TOKEN"),
    ("       You must specify POSTGRES_PASSWORD to a non-empty value for the", ENV, "env-var-please-set",
     "POSTGRES_PASSWORD"),
    ("django.core.exceptions.ImproperlyConfigured: Set the DJANGO_SECRET_KEY environment variable",
     ENV, "env-var-please-set", "DJANGO_SECRET_KEY"),
    ("    You need to specify one of the following as an environment variable:", ENV, "env-var-one-of", None),
    ("error: database is uninitialized and password option is not specified", ENV, "password-not-specified", None),
    ("java.lang.IllegalArgumentException: Could not resolve placeholder 'JDBC_URL' in value \"${JDBC_URL}\"",
     ENV, "spring-placeholder-unresolved", "JDBC_URL"),
    ("\tjava.util.NoSuchElementException: SRCFG00014: The config property mp.jwt.verify.issuer is required but it "
     "could not be found in any config source", ENV, "microprofile-config-missing", "mp.jwt.verify.issuer"),
    ("/app/config/initializers/stripe.rb:1:in `fetch': key not found: \"STRIPE_API_KEY\" (KeyError)",
     ENV, "ruby-env-fetch", "STRIPE_API_KEY"),
    ("/docker-entrypoint.sh: line 14: DB_HOST: unbound variable", ENV, "shell-unbound-variable", "DB_HOST"),
    ("/entrypoint.sh: 7: ADMIN_EMAIL: parameter not set", ENV, "shell-unbound-variable", "ADMIN_EMAIL"),
    ("Error: process.env.MONGO_URI is undefined", ENV, "node-process-env", "MONGO_URI"),
    (" Missing environment variables:", ENV, "env-var-missing", None),
    ("❌ Invalid environment variables: { DATABASE_URL: [ 'Required' ] }", ENV, "env-validation-failed",
     "DATABASE_URL"),
    ("RuntimeException: No application encryption key has been specified.", ENV, "laravel-app-key", None),
    ("Missing `secret_key_base` for 'production' environment, set this string with `bin/rails credentials:edit`",
     ENV, "rails-secret-key-base", None),
    ("django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.",
     ENV, "django-setting-empty", "SECRET_KEY"),
    ("org.apache.kafka.common.config.ConfigException: Missing required configuration \"bootstrap.servers\" "
     "which has no default value.", ENV, "required-config-missing", "bootstrap.servers"),
    ("Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be "
     "configured.", ENV, "spring-datasource-url-missing", None),
    ("ActiveRecord::AdapterNotSpecified: 'production' database is not configured. Available: []", ENV,
     "rails-database-not-configured", None),
    ("System.InvalidOperationException: The ConnectionString property has not been initialized.",
     ENV, "dotnet-connection-string-missing", None),
    ("Microsoft.Extensions.Options.OptionsValidationException: DataAnnotation validation failed for 'MailOptions' "
     "members: 'Host' with the error: 'The Host field is required.'.", ENV, "dotnet-options-required", "Host"),
    ("MySQLdb.OperationalError: (1045, \"Access denied for user 'orders'@'10.244.1.17' (using password: NO)\")",
     ENV, "db-password-not-sent", None),
    ("psql: error: connection to server at \"pg\" (10.0.0.4), port 5432 failed: fe_sendauth: no password supplied",
     ENV, "db-password-not-sent", None),
    # --- dependency unreachable
    ("2018/02/26 20:08:22 [emerg] 1#1: host not found in upstream \"backend:8080\" in /etc/nginx/conf.d/app.conf:4",
     DEP, "dns", "backend:8080"),
    ("dial tcp: lookup postgres on 10.96.0.10:53: no such host", DEP, "dns", "postgres"),
    ("** server can't find orders-db.shop.svc.cluster.local: NXDOMAIN", DEP, "dns",
     "orders-db.shop.svc.cluster.local"),
    ("nslookup: can't resolve 'rabbitmq'", DEP, "dns", "rabbitmq"),
    ("failed to connect: dial tcp 10.0.12.7:5432: connect: connection refused", DEP, "refused", "10.0.12.7:5432"),
    ("rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp "
     "10.1.2.3:50051: i/o timeout\"", DEP, "timeout", "10.1.2.3:50051"),
    ("org.postgresql.util.PSQLException: Connection to localhost:5432 refused. Check that the hostname and port "
     "are correct", DEP, "refused", "localhost:5432"),
    ("psycopg2.OperationalError: connection to server at \"db\" (10.0.0.9), port 5432 failed: Connection refused",
     DEP, "refused", "db:5432"),
    ("sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not connect to server: Connection refused",
     DEP, "refused", None),
    ("psql: error: could not translate host name \"pg-main\" to address: Name or service not known",
     DEP, "dns", "pg-main"),
    ("MySQLdb.OperationalError: (2002, \"Can't connect to MySQL server on 'mysql' (115)\")", DEP, "refused", "mysql"),
    ("ERROR 2005 (HY000): Unknown MySQL server host 'mariadb' (-2)", DEP, "dns", "mariadb"),
    ("com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure", DEP, "refused", None),
    ("redis.exceptions.ConnectionError: Error 111 connecting to redis-master:6379. Connection refused.",
     DEP, "refused", "redis-master:6379"),
    ("io.lettuce.core.RedisConnectionException: Unable to connect to cache/<unresolved>:6379", DEP, "refused", None),
    ("Could not connect to Redis at 127.0.0.1:6379: Connection refused", DEP, "refused", "127.0.0.1:6379"),
    ("pymongo.errors.ServerSelectionTimeoutError: mongo:27017: [Errno -3] Temporary failure in name resolution",
     DEP, "unavailable", None),
    ("[Producer clientId=producer-1] Connection to node -1 (kafka/10.0.0.4:9092) could not be established. "
     "Broker may not be available.", DEP, "unavailable", "10.0.0.4:9092"),
    ("pika.exceptions.AMQPConnectionError", DEP, "unavailable", None),
    ("Microsoft.Data.SqlClient.SqlException (0x80131904): A network-related or instance-specific error occurred "
     "while establishing a connection to SQL Server.", DEP, "unavailable", None),
    ("Error: P1001: Can't reach database server at `postgres`:`5432`", DEP, "unavailable", "postgres:5432"),
    ("NoNodeAvailableException[None of the configured nodes are available]", DEP, "unavailable", None),
    ("wait-for-it.sh: timeout occurred after waiting 15 seconds for db:5432", DEP, "timeout", "db:5432"),
    ("Error: connect ECONNREFUSED 10.100.3.4:5672", DEP, "refused", None),
    ("ConnectionRefusedError: [Errno 111] Connection refused", DEP, "refused", None),
    ("Caused by: java.net.ConnectException: Connection refused (Connection refused)", DEP, "refused", None),
    ("Error: getaddrinfo ENOTFOUND auth-service", DEP, "dns", None),
    ("Caused by: java.net.UnknownHostException: config-server", DEP, "dns", None),
    ("wget: bad address 'api.internal'", DEP, "dns", None),
    ("Errno::EHOSTUNREACH: No route to host - connect(2) for 10.4.0.12:443", DEP, "unreachable", None),
    ("Error: connect ETIMEDOUT 10.0.0.50:3306", DEP, "timeout", None),
    ("failed to dial etcd: context deadline exceeded", DEP, "timeout", None),
    ("FATAL: failed to connect to the message broker", DEP, "unavailable", "message"),
    ("java.sql.SQLNonTransientConnectionException: Could not create connection to database server.", DEP,
     "unavailable", None),
    # --- missing module
    ("ModuleNotFoundError: No module named 'flask_cors'", MOD, "python-module-not-found", "flask_cors"),
    ("ImportError: No module named yaml", MOD, "python-module-not-found", "yaml"),
    ("ImportError: cannot import name 'soft_unicode' from 'markupsafe' (/usr/lib/python3/markupsafe/__init__.py)",
     MOD, "python-import-name", "markupsafe"),
    ("ERROR:    Error loading ASGI app. Could not import module \"main\".", MOD, "python-app-import", "main"),
    ("django.core.exceptions.ImproperlyConfigured: Error loading psycopg2 or psycopg module", MOD,
     "python-app-import", "psycopg2"),
    ("Error: Cannot find module 'express'", MOD, "node-module-not-found", "express"),
    ("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'dotenv' imported from /app/index.js",
     MOD, "node-module-not-found", "dotenv"),
    ("Error: The module '/app/node_modules/bcrypt/lib/binding/napi-v3/bcrypt_lib.node' was compiled against a "
     "different Node.js version using NODE_MODULE_VERSION 93.", MOD, "node-native-abi", None),
    ("Exception in thread \"main\" java.lang.NoClassDefFoundError: org/slf4j/LoggerFactory",
     MOD, "java-class-not-found", "org/slf4j/LoggerFactory"),
    ("Caused by: java.lang.ClassNotFoundException: org.postgresql.Driver", MOD, "java-class-not-found",
     "org.postgresql.Driver"),
    ("java.lang.UnsatisfiedLinkError: no netty_transport_native_epoll_x86_64 in java.library.path",
     MOD, "java-native-library", None),
    ("java.lang.NoSuchMethodError: 'void com.google.common.base.Preconditions.checkArgument(boolean, "
     "java.lang.String, java.lang.Object)'", MOD, "java-dependency-conflict", None),
    ("/app/server: error while loading shared libraries: libssl.so.1.1: cannot open shared object file: No such "
     "file or directory", MOD, "shared-library-missing", "libssl.so.1.1"),
    ("Error loading shared library libstdc++.so.6: No such file or directory (needed by /app/bin/worker)",
     MOD, "shared-library-missing", "libstdc++.so.6"),
    ("ImportError: libGL.so.1: cannot open shared object file: No such file or directory",
     MOD, "shared-library-missing", "libGL.so.1"),
    ("./api: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by ./api)",
     MOD, "glibc-version", "GLIBC_2.34"),
    ("System.IO.FileNotFoundException: Could not load file or assembly 'Newtonsoft.Json, Version=13.0.0.0, "
     "Culture=neutral'. The system cannot find the file specified.", MOD, "dotnet-assembly", "Newtonsoft.Json"),
    ("You must install or update .NET to run this application.", MOD, "dotnet-assembly", None),
    ("The framework 'Microsoft.AspNetCore.App', version '8.0.0' (x64) was not found.", MOD, "dotnet-assembly",
     "Microsoft.AspNetCore.App"),
    ("/usr/local/lib/ruby/3.2.0/bundled_gems.rb:74:in `require': cannot load such file -- pg (LoadError)",
     MOD, "ruby-load-error", "pg"),
    ("Bundler::GemNotFound: Could not find nokogiri-1.15.4 in locally installed gems", MOD, "ruby-load-error", None),
    ("PHP Fatal error:  Uncaught Error: Class \"Redis\" not found in /var/www/html/index.php:12",
     MOD, "php-missing", "Redis"),
    ("PHP Fatal error:  Uncaught Error: Failed opening required 'vendor/autoload.php' "
     "(include_path='.:/usr/local/lib/php')", MOD, "php-missing", "vendor/autoload.php"),
    ("PHP Fatal error:  Uncaught Error: Call to undefined function mysqli_connect() in /var/www/db.php:4",
     MOD, "php-extension-missing", "mysqli_connect"),
    ("Can't locate DBI.pm in @INC (you may need to install the DBI module)", MOD, "perl-module-missing", "DBI.pm"),
    ("lua: main.lua:1: module 'cjson' not found:", MOD, "lua-module-missing", "cjson"),
    ("plugin.Open(\"/plugins/auth.so\"): realpath failed", MOD, "go-plugin", "/plugins/auth.so"),
    # --- file missing
    ("python: can't open file '/app/manage.py': [Errno 2] No such file or directory",
     FILE, "entry-script-missing", "/app/manage.py"),
    ("Error: Unable to access jarfile /opt/app/app.jar", FILE, "jar-missing", "/opt/app/app.jar"),
    ("FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/config.yaml'",
     FILE, "python-file-not-found", "/etc/app/config.yaml"),
    ("level=fatal msg=\"cannot load config\" error=\"open /config/settings.json: no such file or directory\"",
     FILE, "go-no-such-file", "/config/settings.json"),
    ("IsADirectoryError: [Errno 21] Is a directory: '/etc/app/config.yaml'", FILE, "is-a-directory",
     "/etc/app/config.yaml"),
    ("NotADirectoryError: [Errno 20] Not a directory: '/data/cache/index'", FILE, "not-a-directory",
     "/data/cache/index"),
    ("Error: ENOENT: no such file or directory, open '/usr/src/app/config/production.json'",
     FILE, "node-enoent", "/usr/src/app/config/production.json"),
    ("/app/lib/settings.rb:3:in `read': No such file or directory @ rb_sysopen - /app/config/app.yml "
     "(Errno::ENOENT)", FILE, "ruby-enoent", "/app/config/app.yml"),
    ("java.io.FileNotFoundException: /opt/conf/application.properties (No such file or directory)",
     FILE, "java-file-not-found", "/opt/conf/application.properties"),
    ("Caused by: java.nio.file.NoSuchFileException: /var/lib/app/keystore.p12", FILE, "java-file-not-found",
     "/var/lib/app/keystore.p12"),
    ("Config data location 'file:/config/application.yml' does not exist", FILE, "spring-config-location",
     "file:/config/application.yml"),
    ("System.IO.FileNotFoundException: Could not find file '/app/secrets/token.txt'.", FILE, "dotnet-file-not-found",
     "/app/secrets/token.txt"),
    ("System.IO.FileNotFoundException: The configuration file 'appsettings.Production.json' was not found and is "
     "not optional.", FILE, "dotnet-file-not-found", "appsettings.Production.json"),
    ("nginx: [emerg] open() \"/etc/nginx/conf.d/upstreams.conf\" failed (2: No such file or directory) in "
     "/etc/nginx/nginx.conf:31", FILE, "nginx-open-failed", "/etc/nginx/conf.d/upstreams.conf"),
    ("nginx: [emerg] cannot load certificate \"/etc/tls/tls.crt\": BIO_new_file() failed", FILE, "nginx-open-failed",
     "/etc/tls/tls.crt"),
    ("cp: cannot stat '/config-src/app.ini': No such file or directory", FILE, "shell-tool-no-such-file",
     "/config-src/app.ini"),
    ("cat: /run/secrets/db_password: No such file or directory", FILE, "shell-tool-no-such-file",
     "/run/secrets/db_password"),
    ("/start.sh: 3: cannot open /etc/app/env: No such file", FILE, "shell-cannot-open", "/etc/app/env"),
    ("PHP Warning:  file_get_contents(/var/www/config.json): Failed to open stream: No such file or directory",
     FILE, "php-fopen", "/var/www/config.json"),
    ("ERROR config file /etc/exporter/config.yml not found", FILE, "file-not-found", "/etc/exporter/config.yml"),
    ("Error: Config File \"config\" Not Found in \"[/etc/app /root/.app]\"", FILE, "viper-config-not-found", "config"),
    ("1718100000: Error: Unable to open config file /mosquitto/config/mosquitto.conf.", FILE, "config-file-unopenable",
     "/mosquitto/config/mosquitto.conf"),
    ("Fatal: could not find config file: /opt/app/conf/app.toml", FILE, "file-not-found", "/opt/app/conf/app.toml"),
    ("error reading /srv/data/model.bin (No such file or directory)", FILE, "no-such-file", "/srv/data/model.bin"),
    # --- config invalid
    ("Error: unknown flag: --metrics-addr", CONF, "unknown-flag", "--metrics-addr"),
    ("Error: unknown shorthand flag: 'z' in -z", CONF, "unknown-flag", None),
    ("flag provided but not defined: -listen", CONF, "unknown-flag", "-listen"),
    ("app.py: error: unrecognized arguments: --workers 4", CONF, "unknown-flag", "--workers 4"),
    ("Unrecognized VM option 'UseCGroupMemoryLimitForHeap'", CONF, "jvm-option", "UseCGroupMemoryLimitForHeap"),
    ("Unrecognized option: --add-opens=java.base/java.lang=ALL-UNNAMED", CONF, "unknown-flag", None),
    ("/usr/sbin/sshd: invalid option -- 'x'", CONF, "unknown-flag", "x"),
    ("Error: No such option: --reload-dir", CONF, "unknown-flag", "--reload-dir"),
    ("[ERROR] [MY-000067] [Server] unknown variable 'innodb_large_prefix=1'.", CONF, "unknown-option",
     "innodb_large_prefix=1"),
    ("Error: required flag(s) \"config\" not set", CONF, "required-flag", "\"config\""),
    ("invalid argument \"abc\" for \"-p, --port\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax",
     CONF, "invalid-flag-value", None),
    ("serve: error: argument --port: invalid int value: '80a'", CONF, "invalid-flag-value", "--port"),
    ("Error: Invalid value for '--log-level': 'verbose' is not one of 'debug', 'info'.", CONF,
     "invalid-flag-value", "--log-level"),
    ("RangeError [ERR_SOCKET_BAD_PORT]: options.port should be >= 0 and < 65536. Received type number (70000).",
     CONF, "invalid-port", None),
    ("Error: Could not find or load main class com.example.Main", CONF, "java-main-class", "com.example.Main"),
    ("Invalid maximum heap size: -Xmx2gb", CONF, "jvm-option", "-Xmx2gb"),
    ("level=fatal msg=\"bad timeout\" error=\"time: missing unit in duration \\\"30\\\"\"", CONF,
     "value-parse-error", None),
    ("2024-01-02 10:00:00.000 UTC [1] LOG:  invalid value for parameter \"max_connections\": \"lots\"", CONF,
     "postgres-config", "max_connections"),
    ("*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***", CONF, "redis-config", None),
    ("nginx: [emerg] unknown directive \"proxy_passs\" in /etc/nginx/conf.d/default.conf:12", CONF,
     "nginx-directive", None),
    ("nginx: configuration file /etc/nginx/nginx.conf test failed", CONF, "nginx-config", "/etc/nginx/nginx.conf"),
    ("AH00526: Syntax error on line 21 of /usr/local/apache2/conf/httpd.conf:", CONF, "apache-config",
     "/usr/local/apache2/conf/httpd.conf"),
    ("[ALERT]    (1) : config : parsing [/usr/local/etc/haproxy/haproxy.cfg:14] : unknown keyword 'frontnd'",
     CONF, "haproxy-config", "/usr/local/etc/haproxy/haproxy.cfg"),
    ("java.lang.IllegalArgumentException: unknown setting [xpack.security.enabeld] please check that any required "
     "plugins are installed", CONF, "elasticsearch-setting", "xpack.security.enabeld"),
    ("org.apache.kafka.common.config.ConfigException: Invalid value -1 for configuration num.partitions",
     CONF, "kafka-config", None),
    ("level=fatal msg=\"parse config\" err=\"yaml: line 12: did not find expected key\"", CONF, "yaml-syntax", None),
    ("yaml.scanner.ScannerError: mapping values are not allowed here", CONF, "yaml-syntax", None),
    ("  in \"/etc/app/config.yaml\", line 4, column 12 mapping values are not allowed here", CONF, "yaml-syntax",
     None),
    ("json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 3 column 5 (char 27)",
     CONF, "json-syntax", None),
    ("SyntaxError: Unexpected token } in JSON at position 211", CONF, "json-syntax", None),
    ("error loading config: invalid character '}' looking for beginning of object key string", CONF, "json-syntax",
     None),
    ("toml: line 5 (last key \"server.port\"): expected value but found \"eighty\" instead", CONF, "toml-syntax",
     None),
    ("configparser.MissingSectionHeaderError: File contains no section headers.", CONF, "ini-syntax", None),
    ("org.xml.sax.SAXParseException; lineNumber: 7; columnNumber: 3; The element type \"bean\" must be terminated.",
     CONF, "xml-syntax", None),
    ("Failed to bind properties under 'server.port' to java.lang.Integer:", CONF, "spring-binding", "server.port"),
    ("System.IO.InvalidDataException: Failed to load configuration from file '/app/appsettings.json'.", CONF,
     "dotnet-config", "/app/appsettings.json"),
    ("[critical][main] error initializing configuration '/etc/envoy/envoy.yaml': Unable to parse JSON as proto",
     CONF, "envoy-config", None),
    ("FATAL:  password authentication failed for user \"app\"", CONF, "credentials-rejected", None),
    ("SQLSTATE[HY000] [1045] Access denied for user 'wordpress'@'10.1.0.4' (using password: YES)", CONF,
     "credentials-rejected", None),
    ("redis.exceptions.AuthenticationError: NOAUTH Authentication required.", CONF, "credentials-rejected", None),
    ("FATAL:  database \"orders\" does not exist", CONF, "database-missing", "orders"),
    ("Failed to find attribute 'app' in 'wsgi'.", CONF, "gunicorn-app-not-found", "app"),
    ("sqlalchemy.exc.ArgumentError: Could not parse SQLAlchemy URL from string 'postgres//db/app'", CONF,
     "url-invalid", None),
    ("** (Postgrex.Error) FATAL 3D000 (invalid_catalog_name) database \"app_prod\" does not exist", CONF,
     "database-missing", "app_prod"),
    ("nginx: [emerg] no port in upstream \"backend\" in /etc/nginx/conf.d/site.conf:3", CONF,
     "nginx-config", "/etc/nginx/conf.d/site.conf"),
    ("java.io.IOException: Keystore was tampered with, or password was incorrect", CONF, "credentials-rejected", None),
    ("ERROR: [1] bootstrap checks failed", CONF, "elasticsearch-bootstrap-check", None),
    ("[2]: the default discovery settings are unsuitable for production use; at least one of [discovery.seed_hosts,"
     " discovery.seed_providers, cluster.initial_master_nodes] must be configured", CONF,
     "elasticsearch-bootstrap-check", None),
    ("java.lang.IllegalArgumentException: requirement failed: inter.broker.listener.name must be a listener name "
     "defined in advertised.listeners", CONF, "kafka-config", "inter.broker.listener.name"),
    ("    Reason: failed to convert java.lang.String to int (caused by java.lang.NumberFormatException: For input "
     "string: \"eighty\")", CONF, "spring-conversion", None),
    ("sqlalchemy.exc.NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres", CONF, "sqlalchemy-dialect",
     "postgres"),
    ("django.core.exceptions.ImproperlyConfigured: settings.DATABASES is improperly configured. Please supply the "
     "ENGINE value.", CONF, "django-improperly-configured", None),
    ("command traefik error: field not found, node: entrypoint", CONF, "unknown-field", "entrypoint"),
    ("error: unable to load root certificates: unable to parse bytes as PEM block", CONF, "pem-invalid", None),
    ("airflow.exceptions.AirflowConfigException: error: cannot use SQLite with the CeleryExecutor", CONF,
     "config-exception", None),
    ("==> Error parsing /consul/config/server.json: invalid character '}' after object key", CONF, "json-syntax",
     None),
    ("Error: failed to read /etc/vector/vector.toml: expected an equals, found a newline at line 4", CONF,
     "config-file-rejected", "/etc/vector/vector.toml"),
    ("level=fatal msg=\"Invalid configuration. Please check the settings\"", CONF, "config-rejected", None),
    ("Error: failed to load configuration: section [auth] has no key issuer", CONF, "config-rejected", None),
    # --- crash
    ("panic: runtime error: index out of range [3] with length 3", CRASH, "go-panic", None),
    ("fatal error: concurrent map writes", CRASH, "go-fatal-error", None),
    ("thread 'main' panicked at src/main.rs:14:5:", CRASH, "rust-panic", None),
    ("Exception in thread \"main\" java.lang.IllegalStateException: queue already started", CRASH,
     "java-exception", "java.lang.IllegalStateException"),
    ("# A fatal error has been detected by the Java Runtime Environment:", CRASH, "jvm-crash", None),
    ("Unhandled exception. System.InvalidOperationException: Sequence contains no elements", CRASH,
     "dotnet-unhandled", "System.InvalidOperationException"),
    ("/app/worker.rb:22:in `process': undefined method `each' for nil:NilClass (NoMethodError)", CRASH,
     "ruby-exception", "NoMethodError"),
    ("PHP Fatal error:  Uncaught TypeError: array_merge(): Argument #1 must be of type array", CRASH, "php-fatal",
     "TypeError"),
    ("** (ArithmeticError) bad argument in arithmetic expression", CRASH, "elixir-exception", "ArithmeticError"),
    ("worker: src/queue.c:88: queue_pop: Assertion `q->len > 0' failed.", CRASH, "assertion", None),
    ("terminate called after throwing an instance of 'std::runtime_error'", CRASH, "cpp-terminate",
     "std::runtime_error"),
    ("*** stack smashing detected ***: terminated", CRASH, "memory-corruption", None),
    ("Segmentation fault (core dumped)", CRASH, "segfault", None),
    ("Illegal instruction (core dumped)", CRASH, "sigill", None),
    ("Aborted (core dumped)", CRASH, "abort", None),
    ("time=\"2024-02-01T10:00:00Z\" level=fatal msg=\"reconcile loop stopped\"", CRASH, "fatal-log-line", None),
    ("F0102 15:04:05.000000       1 controller.go:88] leader election lost", CRASH, "fatal-log-line", None),
    ("Error: stream ended before the handshake completed", CRASH, "error-exit", None),
    # --- values rejected from env vars, flag parsers beyond cobra/argparse, empty paths (issue 8)
    ("Invalid value for env var named EXPORTER_PORT", ENV, "env-value-rejected", "EXPORTER_PORT"),
    ("cannot set flag listen from env var named LISTEN_ADDR", ENV, "env-value-rejected", "LISTEN_ADDR"),
    ('env: parse error on field "Port" of type "int": strconv.ParseInt: parsing "x": invalid syntax', ENV,
     "env-value-rejected", "Port"),
    ("envconfig.Process: assigning APP_TIMEOUT to Timeout: converting '5 s' to type time.Duration", ENV,
     "env-value-rejected", "APP_TIMEOUT"),
    ("ERROR: unknown command line flag 'logtostder'", CONF, "unknown-flag", None),
    ("FATAL: Unknown command line flag 'enable_batching'. Did you mean: enable_batchin ?", CONF, "unknown-flag", None),
    ("alertmanager: error: unknown short flag '-x', try --help", CONF, "unknown-flag", None),
    ("error: Found argument '--foo' which wasn't expected, or isn't valid in this context", CONF, "unknown-flag",
     None),
    ("Unmatched argument at index 0: '--foo'", CONF, "unknown-flag", None),
    ("com.beust.jcommander.ParameterException: Unknown option: --foo", CONF, "unknown-flag", None),
    ('nginx: invalid option: "x"', CONF, "unknown-flag", None),
    ("error reading TLS cert: open : no such file or directory", FILE, "empty-path", None),
    # --- crash forms beyond `panic:` (issue 8)
    ('Observed a panic: "assignment to entry in nil map" (assignment to entry in nil map)', CRASH, "go-panic", None),
    ('E0301 09:00:00.000000 1 runtime.go:142] "Observed a panic" panic="runtime error: index out of range"', CRASH,
     "go-panic", None),
    ("[UnhandledPromiseRejection: This error originated either by throwing inside of an async function without a "
     "catch block.]", CRASH, "node-unhandled-rejection", None),
    ("Kernel pid terminated (application_controller) ({application_start_failure,app,{bad_return,x}})", CRASH,
     "erlang-kernel-terminated", None),
    ("System.InvalidOperationException: Unable to resolve service for type 'IFoo'", CRASH, "dotnet-exception", None),
    ("goroutine 1 [running]:", CRASH, "goroutine-dump", None),
    ("[09:00:01 FTL] Host terminated unexpectedly", CRASH, "fatal-log-line", None),
    ("crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]", CRASH, "fatal-log-line", None),
]

# Lines that are not an app failure, or belong to another family: no app pattern may claim them.
UNCLAIMED = [
    "2024/06/11 08:00:01 http: TLS handshake error from 10.244.1.7:53412: remote error: tls: bad certificate",
    "listen tcp 0.0.0.0:80: bind: permission denied",
    "nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)",
    "PermissionError: [Errno 13] Permission denied: '/data/db.sqlite'",
    "mkdir: cannot create directory '/var/cache/nginx/client_temp': Read-only file system",
    "exec /app/server: exec format error",
    "standard_init_linux.go:228: exec user process caused: no such file or directory",
    "/docker-entrypoint.sh: 9: exec: ./server: not found",
    "/start.sh: line 10: bin/rails: No such file or directory",
    "sh: 1: gunicorn: not found",
    "exec: \"uvicorn\": executable file not found in $PATH",
    "java.lang.OutOfMemoryError: Java heap space",
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    "java.io.FileNotFoundException: /data/app.log (Permission denied)",
    "2024/01/01 10:00:00 [error] 29#29: *3 open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No such file or "
    "directory), client: 10.0.0.1, server: localhost, request: \"GET /favicon.ico HTTP/1.1\"",
    "2024/01/01 10:00:00 [error] 29#29: *7 connect() failed (111: Connection refused) while connecting to upstream, "
    "client: 10.0.0.1",
    "INFO  Starting server on port 8080",
    "GET /healthz 200 1.2ms",
    "WARN REDIS_URL not set, defaulting to redis://localhost:6379",
    "DEBUG cache miss for key user:42",
    "2024-06-11 10:30:00.000 UTC [57] FATAL:  password authentication failed for user \"grafana\"",
    "2024-06-11 10:30:00.000 UTC [61] FATAL:  database \"metrics\" does not exist",
    "Readiness probe failed: Get \"http://10.0.0.5:8080/ready\": dial tcp 10.0.0.5:8080: connect: connection refused",
]


def _classified(line: str) -> tuple[pt.LogPattern, str | None]:
    found = pt.classify(line)
    assert found is not None, f"no pattern claims {line!r}"
    pattern, m = found
    return pattern, _subject(pattern.cause, m)


@pytest.mark.parametrize(("line", "cause", "detail", "subject"), EXAMPLES, ids=[e[0][:60] for e in EXAMPLES])
def test_message_form(line: str, cause: str, detail: str, subject: str | None) -> None:
    pattern, got = _classified(line)
    assert (pattern.cause, pattern.detail) == (cause, detail)
    if subject is not None:
        assert got == subject


@pytest.mark.parametrize("line", UNCLAIMED, ids=[u[:60] for u in UNCLAIMED])
def test_unclaimed(line: str) -> None:
    assert pt.classify(line) is None


def test_every_pattern_has_an_example() -> None:
    used = {id(_classified(line)[0]) for line, *_ in EXAMPLES}
    unused = [f"{p.cause} {p.detail} {p.regex.pattern[:60]}" for table in pt.ORDERED_TABLES for p in table
              if id(p) not in used]
    assert not unused, "\n".join(unused)


def test_every_example_passes_the_gate() -> None:
    # The gate must never hide a line a pattern would match; each needle must be lower-case to be found.
    for line, *_ in EXAMPLES:
        assert pt.worth_reading(line.lower()), line
    for table in pt.ORDERED_TABLES:
        for p in table:
            assert all(n == n.lower() for n in p.needles), p.detail


def test_shape_cache_keeps_each_line_its_own_match() -> None:
    a = pt.classify("dial tcp 10.0.0.1:5432: connect: connection refused")
    b = pt.classify("dial tcp 10.0.0.2:6379: connect: connection refused")
    assert a is not None and b is not None
    assert _subject(a[0].cause, a[1]) == "10.0.0.1:5432"
    assert _subject(b[0].cause, b[1]) == "10.0.0.2:6379"


@pytest.mark.parametrize(("line", "host", "port"), [
    ("Error: Get \"https://vault.vault.svc:8200/v1/sys/health\": x509: certificate signed by unknown authority",
     "vault.vault", "8200"),
    ("FetchError: request to https://config-api.platform.svc/v2/config failed, reason: self-signed certificate in "
     "certificate chain", "config-api.platform", "443"),
    ("Error: connect ECONNREFUSED 10.100.3.4:5672", "10.100.3.4", "5672"),
    ("Error: connect ECONNREFUSED ::1:5432", "::1", "5432"),
    ("psql: error: connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: No such file or directory",
     "/run/postgresql/.s.PGSQL.5432", None),
    ("Caused by: java.net.UnknownHostException: kafka-0.kafka-headless.streams.svc.cluster.local",
     "kafka-0.kafka-headless.streams", None),
    ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='auth', port=8443): Max retries exceeded with "
     "url: /token (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection "
     "refused'))", "auth", "8443"),
    ("SQLSTATE[HY000] [2002] php_network_getaddresses: getaddrinfo for mysql failed: Name or service not known",
     "mysql", None),
    ("ActiveRecord::ConnectionNotEstablished: could not connect to server: Is the server running locally", None,
     None),
    ("Errno::ECONNREFUSED: Connection refused - connect(2) for \"db\" port 5432", "db", "5432"),
    ("Caused by: java.net.UnknownHostException: config-server", "config-server", None),
    ("Error: getaddrinfo ENOTFOUND auth-service", "auth-service", None),
    ("at Main.run(Main.java:42) Connection refused", None, None),
])
def test_endpoint_extraction(line: str, host: str | None, port: str | None) -> None:
    found = pt.classify(line)
    assert found is not None
    pattern, m = found
    from podmortem.rules.app_analysis import Candidate

    cand = Candidate(pattern.cause, pattern.detail, pattern.confidence, 0, Line(line, 1, 0), m,
                      _subject(pattern.cause, m))
    assert _endpoint(cand) == (host, port)


def test_first_group_reads_numbered_alternatives() -> None:
    m = pt.MODULE_PATTERNS[8].regex.search("Error loading shared library libz.so.1: No such file or directory")
    assert m is not None
    assert pt.first_group(m, "module") == "libz.so.1"


def test_long_log_finds_the_last_line() -> None:
    """How fast is measured in benchmarks/bench_parsers.py; here only that the cause is found."""
    lines = [Line(f"2024-05-01T10:00:{i % 60:02d}Z INFO handled GET /api/items/{i} in {i % 50}ms user={i}", i + 1, 0)
             for i in range(5200)]
    lines[-1] = Line("ModuleNotFoundError: No module named 'requests'", 5200, 0)
    result = _scan(lines)
    assert [c.cause for c in result.candidates] == [pt.MISSING_MODULE]
