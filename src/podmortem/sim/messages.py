"""What real runtimes print when a program fails to start, per failure family and language runtime.

The kubelet model picks the family from the profile and the cluster state (a missing env var, a
missing file, a refused connection...) and these functions render the lines the program would
write before exiting, with the exit code it would exit with. Texts follow the runtimes' own
messages (CPython, Go's net and os packages, Node.js/libuv, the JVM, nginx, busybox/dash, .NET).
`{{gots}}`-style placeholders are filled in with the instance's clock by kubelet/program.py.
"""

from __future__ import annotations

import configparser
import json
import tomllib

import yaml

from podmortem.errors import InputError
from podmortem.kube.yamldocs import YamlSyntaxError, compose_yaml

Lines = list[str]
DNS_SERVER = "10.96.0.10:53"
NODE_VERSION = "Node.js v20.11.1"


def _py_traceback(frames: list[tuple[str, int, str, str]], final: str) -> Lines:
    out = ["Traceback (most recent call last):"]
    for path, line, func, code in frames:
        out.append(f'  File "{path}", line {line}, in {func}')
        if code:
            out.append(f"    {code}")
    out.extend(final.split("\n"))
    return out


def _node_error(first: str, frames: list[str], props: list[str] | None = None) -> Lines:
    out = [first] + [f"    at {f}" for f in frames]
    if props:
        out[-1] += " {"
        out += [f"  {p}" for p in props] + ["}"]
    return [*out, "", NODE_VERSION]


def _java_exception(head: str, frames: list[str], caused: list[str] | None = None) -> Lines:
    out = [f'Exception in thread "main" {head}'] + [f"\tat {f}" for f in frames]
    if caused:
        out += caused
    return out


def _dotnet(head: str, frames: list[str]) -> Lines:
    return [f"Unhandled exception. {head}"] + [f"   at {f}" for f in frames]


# --- missing environment variable -----------------------------------------------------------------

def missing_env(runtime: str, name: str) -> tuple[Lines, int]:
    if runtime == "python":
        return _py_traceback([
            ("/app/main.py", 8, "<module>", "from app.settings import settings"),
            ("/app/app/settings.py", 11, "<module>", f'DATABASE_URL = os.environ["{name}"]'.replace("DATABASE_URL", name)),
            ("<frozen os>", 679, "__getitem__", ""),
        ], f"KeyError: '{name}'"), 1
    if runtime == "go":
        return [f"{{{{gots}}}} config: required key {name} missing value"], 1
    if runtime == "node":
        return ["/app/src/config.js:9",
                "    throw new Error(`Missing required environment variable: ${key}`);",
                "    ^", "",
                *_node_error(f"Error: Missing required environment variable: {name}",
                             ["requireEnv (/app/src/config.js:9:11)", "Object.<anonymous> (/app/src/config.js:14:14)",
                              "Module._compile (node:internal/modules/cjs/loader:1376:14)",
                              "Module._extensions..js (node:internal/modules/cjs/loader:1435:10)"])], 1
    if runtime == "java":
        return [
            "{{iso}} ERROR 1 --- [           main] o.s.boot.SpringApplication               : Application run failed",
            "",
            "org.springframework.beans.factory.BeanCreationException: Error creating bean with name 'dataSource': "
            f"Injection of autowired dependencies failed; nested exception is java.lang.IllegalArgumentException: "
            f"Could not resolve placeholder '{name}' in value \"${{{name}}}\"",
            "\tat org.springframework.beans.factory.annotation.AutowiredAnnotationBeanPostProcessor.postProcessProperties"
            "(AutowiredAnnotationBeanPostProcessor.java:405)",
        ], 1
    if runtime == "dotnet":
        return _dotnet(f"System.InvalidOperationException: The environment variable '{name}' is not set.",
                       ["Program.<Main>$(String[] args) in /src/Program.cs:line 12"]), 134
    if runtime == "ruby":
        return [f"/app/config/application.rb:14:in `fetch': key not found: \"{name}\" (KeyError)",
                "\tfrom /app/config/application.rb:14:in `<class:Application>'"], 1
    if runtime == "php":
        return [f"PHP Fatal error:  Uncaught RuntimeException: Environment variable {name} is not set "
                "in /var/www/html/bootstrap.php:11"], 255
    if runtime == "shell":
        return [f"/docker-entrypoint.sh: 4: {name}: parameter not set"], 2
    return [f"error: environment variable {name} is not set"], 1


# --- files ------------------------------------------------------------------------------------------

def file_missing(runtime: str, path: str) -> tuple[Lines, int]:
    if runtime == "python":
        return _py_traceback([
            ("/app/main.py", 31, "<module>", "main()"),
            ("/app/main.py", 24, "main", "config = load_config(CONFIG_PATH)"),
            ("/app/config.py", 12, "load_config", "with open(path) as fh:"),
        ], f"FileNotFoundError: [Errno 2] No such file or directory: '{path}'"), 1
    if runtime == "go":
        return [f"{{{{gots}}}} failed to load config: open {path}: no such file or directory"], 1
    if runtime == "node":
        return ["node:fs:453", "    return binding.readFileUtf8(path, stringToFlags(options.flag));",
                "                   ^", "",
                *_node_error(f"Error: ENOENT: no such file or directory, open '{path}'",
                             ["Object.readFileSync (node:fs:453:20)", "loadConfig (/app/src/config.js:7:22)",
                              "Object.<anonymous> (/app/src/index.js:4:16)"],
                             ["errno: -2,", "code: 'ENOENT',", "syscall: 'open',", f"path: '{path}'"])], 1
    if runtime == "java":
        return _java_exception(f"java.io.FileNotFoundException: {path} (No such file or directory)", [
            "java.base/java.io.FileInputStream.open0(Native Method)",
            "java.base/java.io.FileInputStream.open(FileInputStream.java:213)",
            "java.base/java.io.FileInputStream.<init>(FileInputStream.java:152)",
            "com.example.app.Config.load(Config.java:27)", "com.example.app.Main.main(Main.java:14)"]), 1
    if runtime == "nginx":
        return [f'{{{{gots}}}} [emerg] 1#1: open() "{path}" failed (2: No such file or directory)',
                f'nginx: [emerg] open() "{path}" failed (2: No such file or directory)'], 1
    if runtime == "dotnet":
        return [*_dotnet(f"System.IO.FileNotFoundException: Could not find file '{path}'.", ["Microsoft.Win32.SafeHandles.SafeFileHandle.Open(String fullPath, FileMode mode)", "Program.<Main>$(String[] args) in /src/Program.cs:line 9"]), f"File name: '{path}'"], 134
    if runtime == "ruby":
        return [f"/app/config/boot.rb:5:in `read': No such file or directory @ rb_sysopen - {path} (Errno::ENOENT)"], 1
    if runtime == "php":
        return [f"PHP Warning:  file_get_contents({path}): Failed to open stream: No such file or directory "
                "in /var/www/html/bootstrap.php on line 7"], 255
    return [f"cat: can't open '{path}': No such file or directory"], 1


def _errno_text(readonly: bool) -> tuple[int, str, str]:
    return (30, "Read-only file system", "EROFS") if readonly else (13, "Permission denied", "EACCES")


def write_failed(runtime: str, path: str, readonly: bool) -> tuple[Lines, int]:
    """Creating a file or directory under `path` failed: EROFS or EACCES."""
    errno, text, code = _errno_text(readonly)
    target = path.rstrip("/") + ("/client_temp" if runtime == "nginx" and not path.endswith("_temp") else "")
    if runtime == "python":
        return _py_traceback([
            ("/app/main.py", 19, "<module>", "os.makedirs(CACHE_DIR, exist_ok=True)"),
            ("<frozen os>", 225, "makedirs", ""),
        ], f"{'OSError' if readonly else 'PermissionError'}: [Errno {errno}] {text}: '{path}'"), 1
    if runtime == "go":
        return [f"{{{{gots}}}} mkdir {path}: {text.lower()}"], 1
    if runtime == "node":
        return _node_error(f"Error: {code}: {text.lower()}, mkdir '{path}'",
                           ["Object.mkdirSync (node:fs:1379:26)", "Object.<anonymous> (/app/src/index.js:11:4)"],
                           [f"errno: -{errno},", f"code: '{code}',", "syscall: 'mkdir',", f"path: '{path}'"]), 1
    if runtime == "java":
        return _java_exception(f"java.nio.file.{'ReadOnlyFileSystemException' if readonly else 'AccessDeniedException'}: {path}", [
            "java.base/sun.nio.fs.UnixException.translateToIOException(UnixException.java:90)",
            "java.base/java.nio.file.Files.createDirectory(Files.java:700)",
            "com.example.app.Main.main(Main.java:21)"]), 1
    if runtime == "nginx":
        return [f'{{{{gots}}}} [emerg] 1#1: mkdir() "{target}" failed ({errno}: {text})',
                f'nginx: [emerg] mkdir() "{target}" failed ({errno}: {text})'], 1
    if runtime == "dotnet":
        return _dotnet(f"System.UnauthorizedAccessException: Access to the path '{path}' is denied.",
                       ["System.IO.FileSystem.CreateDirectory(String fullPath)",
                        "Program.<Main>$(String[] args) in /src/Program.cs:line 15"]), 134
    if runtime == "ruby":
        return [f"/app/lib/cache.rb:8:in `mkdir': {text} @ dir_s_mkdir - {path} (Errno::{code})"], 1
    return [f"mkdir: can't create directory '{path}': {text}"], 1


# --- network ----------------------------------------------------------------------------------------

def _client_for(port: int) -> str:
    return {5432: "postgres", 3306: "mysql", 6379: "redis", 27017: "mongodb", 9092: "kafka",
            5672: "amqp", 11211: "memcached"}.get(port, "http")


def dependency_unreachable(runtime: str, host: str, port: int, ip: str | None, how: str) -> tuple[Lines, int]:
    """A connection at start-up failed: how is "dns" (no such service) or "refused" (no endpoints)."""
    client = _client_for(port)
    dns = how == "dns"
    addr = f"{ip}:{port}"
    if runtime == "go":
        err = (f"dial tcp: lookup {host} on {DNS_SERVER}: no such host" if dns
               else f"dial tcp {addr}: connect: connection refused")
        if client == "postgres":
            return [f"{{{{gots}}}} failed to connect to `host={host} user=app database=app`: "
                    + (f"hostname resolving error (lookup {host} on {DNS_SERVER}: no such host)" if dns
                       else f"dial error (dial tcp {addr}: connect: connection refused)")], 1
        return [f"{{{{gots}}}} failed to connect to {client} at {host}:{port}: {err}"], 1
    if runtime == "python":
        if client == "postgres":
            final = (f'psycopg2.OperationalError: could not translate host name "{host}" to address: '
                     "Name or service not known" if dns else
                     f'psycopg2.OperationalError: connection to server at "{host}" ({ip}), port {port} failed: '
                     "Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?")
            return _py_traceback([("/app/main.py", 12, "<module>", "conn = psycopg2.connect(DSN)"),
                                  ("/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py", 122, "connect",
                                   "conn = _connect(dsn, connection_factory=connection_factory, **kwasync)")], final), 1
        if client == "redis":
            final = (f"redis.exceptions.ConnectionError: Error -2 connecting to {host}:{port}. Name or service not known."
                     if dns else f"redis.exceptions.ConnectionError: Error 111 connecting to {host}:{port}. Connection refused.")
            return _py_traceback([("/app/worker.py", 9, "<module>", "cache.ping()")], final), 1
        cause = (f"NameResolutionError(\"<urllib3.connection.HTTPConnection object at 0x7f3a1c2b5d90>: "
                 f"Failed to resolve '{host}' ([Errno -2] Name or service not known)\")" if dns else
                 "NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a1c2b5d90>: "
                 "Failed to establish a new connection: [Errno 111] Connection refused')")
        return _py_traceback([("/app/main.py", 15, "<module>", "resp = requests.get(UPSTREAM, timeout=5)")],
                             f"requests.exceptions.ConnectionError: HTTPConnectionPool(host='{host}', port={port}): "
                             f"Max retries exceeded with url: / (Caused by {cause})"), 1
    if runtime == "node":
        if dns:
            return _node_error(f"Error: getaddrinfo ENOTFOUND {host}",
                               ["GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:118:26)"],
                               ["errno: -3008,", "code: 'ENOTFOUND',", "syscall: 'getaddrinfo',", f"hostname: '{host}'"]), 1
        return _node_error(f"Error: connect ECONNREFUSED {addr}",
                           ["TCPConnectWrap.afterConnect [as oncomplete] (node:net:1595:16)"],
                           ["errno: -111,", "code: 'ECONNREFUSED',", "syscall: 'connect',", f"address: '{ip}',",
                            f"port: {port}"]), 1
    if runtime == "java":
        if client == "postgres":
            head = ("org.postgresql.util.PSQLException: The connection attempt failed." if dns else
                    f"org.postgresql.util.PSQLException: Connection to {host}:{port} refused. Check that the hostname "
                    "and port are correct and that the postmaster is accepting TCP/IP connections.")
            caused = [f"Caused by: java.net.UnknownHostException: {host}"] if dns else \
                ["Caused by: java.net.ConnectException: Connection refused"]
            return _java_exception(head, ["org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl"
                                          "(ConnectionFactoryImpl.java:346)",
                                          "com.example.app.Main.main(Main.java:18)"], caused), 1
        head = f"java.net.UnknownHostException: {host}: Name or service not known" if dns else \
            "java.net.ConnectException: Connection refused"
        return _java_exception(head, ["java.base/sun.nio.ch.Net.connect0(Native Method)",
                                      "com.example.app.Main.main(Main.java:18)"]), 1
    if runtime == "dotnet":
        head = ("System.Net.Sockets.SocketException (00000005, 0xFFFDFFFF): Name or service not known" if dns
                else "System.Net.Sockets.SocketException (111): Connection refused")
        return _dotnet(head, ["System.Net.Sockets.Socket.Connect(EndPoint remoteEP)",
                              "Program.<Main>$(String[] args) in /src/Program.cs:line 21"]), 134
    if runtime == "ruby":
        return [("/usr/local/lib/ruby/3.3.0/socket.rb:227:in `getaddrinfo': getaddrinfo: Name or service not known "
                 "(SocketError)") if dns else
                f"/usr/local/lib/ruby/3.3.0/socket.rb:1217:in `__connect_nonblock': Connection refused - connect(2) "
                f"for {ip}:{port} (Errno::ECONNREFUSED)"], 1
    # shell tools: busybox nc / wget in init scripts
    return [f"nc: bad address '{host}'" if dns else f"nc: {host} ({addr}): Connection refused"], 1


def port_in_use(runtime: str, port: int) -> tuple[Lines, int]:
    if runtime == "go":
        return [f"{{{{gots}}}} listen tcp :{port}: bind: address already in use"], 1
    if runtime == "python":
        return _py_traceback([("/app/main.py", 44, "<module>", f"server = HTTPServer((\"0.0.0.0\", {port}), Handler)"),
                              ("/usr/local/lib/python3.12/socketserver.py", 473, "server_bind",
                               "self.socket.bind(self.server_address)")],
                             "OSError: [Errno 98] Address already in use"), 1
    if runtime == "node":
        return _node_error(f"Error: listen EADDRINUSE: address already in use :::{port}",
                           ["Server.setupListenHandle [as _listen2] (node:net:1872:16)",
                            "listenInCluster (node:net:1920:12)", "Server.listen (node:net:2008:7)"],
                           ["code: 'EADDRINUSE',", "errno: -98,", "syscall: 'listen',", "address: '::',",
                            f"port: {port}"]), 1
    if runtime == "java":
        return ["", "***************************", "APPLICATION FAILED TO START", "***************************", "",
                "Description:", "", f"Web server failed to start. Port {port} was already in use.", "",
                "Action:", "", f"Identify and stop the process that's listening on port {port} or configure this "
                "application to listen on another port.", ""], 1
    if runtime == "nginx":
        return [f"{{{{gots}}}} [emerg] 1#1: bind() to 0.0.0.0:{port} failed (98: Address already in use)",
                f"nginx: [emerg] bind() to 0.0.0.0:{port} failed (98: Address already in use)",
                "{{gots}} [emerg] 1#1: still could not bind()", "nginx: [emerg] still could not bind()"], 1
    if runtime == "dotnet":
        return ["crit: Microsoft.AspNetCore.Server.Kestrel[0]",
                "      Unable to start Kestrel.",
                f"      System.IO.IOException: Failed to bind to address http://[::]:{port}: address already in use."], 134
    return [f"error: listen tcp :{port}: bind: address already in use"], 1


def bind_denied(runtime: str, port: int) -> tuple[Lines, int]:
    """A non-root process binding a port below 1024 without NET_BIND_SERVICE."""
    if runtime == "go":
        return [f"{{{{gots}}}} listen tcp :{port}: bind: permission denied"], 1
    if runtime == "python":
        return _py_traceback([("/app/main.py", 44, "<module>", f"server = HTTPServer((\"0.0.0.0\", {port}), Handler)")],
                             "PermissionError: [Errno 13] Permission denied"), 1
    if runtime == "node":
        return _node_error(f"Error: listen EACCES: permission denied 0.0.0.0:{port}",
                           ["Server.setupListenHandle [as _listen2] (node:net:1855:21)"],
                           ["code: 'EACCES',", "errno: -13,", "syscall: 'listen',", "address: '0.0.0.0',",
                            f"port: {port}"]), 1
    if runtime == "java":
        return _java_exception("java.net.SocketException: Permission denied",
                               ["java.base/sun.nio.ch.Net.bind0(Native Method)",
                                "org.apache.tomcat.util.net.NioEndpoint.initServerSocket(NioEndpoint.java:275)"]), 1
    if runtime == "nginx":
        return [f"{{{{gots}}}} [emerg] 1#1: bind() to 0.0.0.0:{port} failed (13: Permission denied)",
                f"nginx: [emerg] bind() to 0.0.0.0:{port} failed (13: Permission denied)"], 1
    return [f"error: listen tcp :{port}: bind: permission denied"], 1


# --- memory -----------------------------------------------------------------------------------------

def runtime_oom(runtime: str, heap_mib: int) -> tuple[Lines, int]:
    if runtime == "java":
        return _java_exception("java.lang.OutOfMemoryError: Java heap space", [
            "java.base/java.util.Arrays.copyOf(Arrays.java:3537)",
            "java.base/java.util.ArrayList.grow(ArrayList.java:237)",
            "com.example.app.ReportBuilder.collect(ReportBuilder.java:88)",
            "com.example.app.Main.main(Main.java:31)"]), 1
    return ["", "<--- Last few GCs --->", "",
            f"[1:0x6b5e2c0]    61234 ms: Mark-Compact {heap_mib - 2}.6 ({heap_mib + 6}.8) -> {heap_mib - 3}.9 "
            f"({heap_mib + 7}.1) MB, 412.08 / 0.00 ms  (average mu = 0.118, current mu = 0.041) allocation failure; "
            "scavenge might not succeed", "", "", "<--- JS stacktrace --->", "",
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            " 1: 0xb8d0a0 node::Abort() [node]", " 2: 0xa9c7f8  [node]",
            " 3: 0xd6f430 v8::Utils::ReportOOMFailure(v8::internal::Isolate*, char const*, bool) [node]"], 134


def exec_format(path: str) -> tuple[Lines, int]:
    return [f"exec {path}: exec format error"], 1


# --- configuration files ----------------------------------------------------------------------------

_GO_YAML = {"mapping values are not allowed here": "mapping values are not allowed in this context",
            "could not find expected ':'": "could not find expected ':'",
            "found character that cannot start any token": "found character that cannot start any token"}


def config_error(fmt: str, text: str) -> tuple[str, int, str] | None:
    """Parse a config file as the app would: (exception type, line, problem) or None when it parses."""
    try:
        if fmt == "yaml":
            # The app's own loader gives the words it prints, for text that is not YAML and for YAML it
            # cannot construct (an unknown tag) alike; it runs only on text the kube composer found not
            # to be YAML or within go-yaml's alias budget and depth, so a scenario's alias bomb never
            # reaches a constructor (it counts as parsing, as it did).
            try:
                compose_yaml("config", text)
            except YamlSyntaxError:
                pass
            except InputError:
                return None
            yaml.safe_load(text)
        elif fmt == "json":
            json.loads(text)
        elif fmt == "toml":
            tomllib.loads(text)
        elif fmt == "ini":
            configparser.ConfigParser().read_string(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        return f"{type(exc).__module__}.{type(exc).__name__}", line, str(exc.problem or exc)
    except yaml.YAMLError as exc:
        return f"{type(exc).__module__}.{type(exc).__name__}", 1, str(exc)
    except json.JSONDecodeError as exc:
        return "json.decoder.JSONDecodeError", exc.lineno, str(exc)
    except tomllib.TOMLDecodeError as exc:
        return "tomllib.TOMLDecodeError", 1, str(exc)
    except configparser.Error as exc:
        return f"configparser.{type(exc).__name__}", getattr(exc, "lineno", 1) or 1, str(exc).splitlines()[0]
    return None


def config_invalid(runtime: str, path: str, fmt: str, text: str) -> tuple[Lines, int] | None:
    err = config_error(fmt, text)
    if err is None:
        return None
    etype, line, problem = err
    if runtime == "python":
        if fmt == "yaml":
            try:
                yaml.safe_load(text)
            except yaml.YAMLError as exc:
                detail = str(exc).replace('"<unicode string>"', f'"{path}"')
                final = f"{etype}: {detail}"
        else:
            final = f"{etype}: {problem}"
        return _py_traceback([("/app/main.py", 40, "<module>", f'settings = load_settings("{path}")'),
                              ("/app/settings.py", 17, "load_settings",
                               {"yaml": "return yaml.safe_load(fh)", "json": "return json.load(fh)",
                                "toml": "return tomllib.load(fh)"}.get(fmt, "parser.read_file(fh)"))], final), 1
    if runtime == "go":
        if fmt == "yaml":
            return [f"{{{{gots}}}} failed to parse {path}: yaml: line {line}: {_GO_YAML.get(problem, problem)}"], 1
        if fmt == "json":
            return [f"{{{{gots}}}} failed to parse {path}: invalid character looking for beginning of object key string"], 1
        return [f"{{{{gots}}}} failed to parse {path}: {problem}"], 1
    if runtime == "java" and fmt == "yaml":
        return [*_java_exception(f"org.yaml.snakeyaml.scanner.ScannerException: {problem}", ["org.yaml.snakeyaml.scanner.ScannerImpl.fetchValue(ScannerImpl.java:902)", "com.example.app.Main.main(Main.java:22)"]), f" in 'reader', line {line}, column 1:"], 1
    if runtime == "node":
        if fmt == "json":
            return _node_error(f"SyntaxError: {path}: Unexpected token in JSON at line {line}",
                               ["JSON.parse (<anonymous>)", "loadConfig (/app/src/config.js:8:15)"]), 1
        return _node_error(f"YAMLException: {problem} ({line}:1)", ["generateError (/app/node_modules/js-yaml/lib/loader.js:183:10)",
                                                                    "loadConfig (/app/src/config.js:8:15)"]), 1
    if runtime == "nginx":
        return [f'nginx: [emerg] unexpected "}}" in {path}:{line}'], 1
    return [f"error: invalid configuration in {path} (line {line}): {problem}"], 1
