"""Stateful images: Redis and MySQL/MariaDB. Their data lives on the container's volumes.

The point these models make in the course: a database keeps its data in a *directory*
(``/data`` for Redis, ``/var/lib/mysql`` for MySQL). If that directory is the container's own
writable layer, the data dies with the container; on an ``emptyDir`` it survives container
restarts but not the pod; on a PersistentVolume it survives the pod too (StatefulSets).

- Redis keeps its keys in memory and writes ``dump.rdb`` on a clean shutdown (SIGTERM); it
  loads that file when it starts.
- MySQL initializes an empty data directory on first start (which takes a while and needs
  ``MYSQL_ROOT_PASSWORD``, ``MYSQL_ALLOW_EMPTY_PASSWORD`` or ``MYSQL_RANDOM_ROOT_PASSWORD``);
  every write goes straight to files under ``/var/lib/mysql``. The SQL understood is a small
  subset (see :mod:`.sql`). A server told ``CHANGE MASTER TO MASTER_HOST=...; START SLAVE``
  answers reads from its source, like a replica that has caught up.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from .process import NetError
from .server import ServerProcess
from .sql import SqlError, SqlEngine, format_result

MiB = 1 << 20


# -- Redis ------------------------------------------------------------------------------------------
def _redis_time(t: float) -> str:
    d = datetime.fromtimestamp(t, tz=timezone.utc)
    return d.strftime("%d %b %Y %H:%M:%S.") + f"{int((t % 1) * 1000):03d}"


class Redis(ServerProcess):
    PORTS = (6379,)
    RSS = 3 * MiB
    STOP_SECONDS = 0.05
    DATA = "/data/dump.rdb"

    def startup(self, now):
        self.keys: dict[str, str] = {}
        self.replicaof = None
        if "--replicaof" in self.argv or "--slaveof" in self.argv:
            k = self.argv.index("--replicaof" if "--replicaof" in self.argv else "--slaveof")
            self.replicaof = (self.argv[k + 1], int(self.argv[k + 2])) if k + 2 < len(self.argv) else None
        elif self.env.get("GET_HOSTS_FROM") and "follower" in self.image.ref.path:
            self.replicaof = ("redis-leader", 6379)
        v, t = self.image.app_version, _redis_time(now)
        self.say(now, f"1:C {t} # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
                 f"1:C {t} # Redis version={v}, bits=64, commit=00000000, modified=0, pid=1, just started",
                 f"1:C {t} # Warning: no config file specified, using the default config. In order to "
                 "specify a config file use redis-server /path/to/redis.conf",
                 f"1:M {t} * monotonic clock: POSIX clock_gettime",
                 f"1:M {t} * Running mode=standalone, port=6379.",
                 f"1:M {t} * Server initialized")
        if self.fs.isfile(self.DATA):
            try:
                self.keys = json.loads(self.fs.read(self.DATA))
            except ValueError:
                self.keys = {}
            self.say(now, f"1:M {t} * Loading RDB produced by version {v}",
                     f"1:M {t} * DB loaded from disk: 0.000 seconds")
        if self.replicaof:
            self.say(now, f"1:S {t} * Connecting to MASTER {self.replicaof[0]}:{self.replicaof[1]}")
        self.say(now, f"1:M {t} * Ready to accept connections tcp")

    def shutdown(self, now):
        t = _redis_time(now)
        self.say(now, f"1:signal-handler ({int(now)}) Received SIGTERM scheduling shutdown...",
                 f"1:M {t} # User requested shutdown...",
                 f"1:M {t} * Saving the final RDB snapshot before exiting.")
        if self._save(now):
            self.say(now, f"1:M {t} * DB saved on disk", f"1:M {t} # Redis is now ready to exit, bye bye...")

    def _save(self, now) -> bool:
        try:
            self.fs.write(self.DATA, json.dumps(self.keys, sort_keys=True))
            return True
        except OSError as e:
            self.say(now, f"1:M {_redis_time(now)} # Failed opening the temp RDB file temp-1.rdb "
                          f"(in server root dir /data) for saving: {e}")
            return False

    def command(self, args: list[str], now: float) -> str:
        """Run one command; returns the reply as ``redis-cli`` prints it without a TTY."""
        if not args:
            return ""
        cmd = args[0].upper()
        if self.replicaof and cmd in ("GET", "KEYS", "EXISTS", "DBSIZE", "LRANGE"):
            try:
                leader = self.sb.net.open_tcp(self.replicaof[0], self.replicaof[1], now)
                return leader.command(args, now)
            except (NetError, AttributeError):
                pass
        if self.replicaof and cmd in ("SET", "DEL", "INCR", "LPUSH", "RPUSH", "FLUSHALL"):
            return "READONLY You can't write against a read only replica."
        k = self.keys
        if cmd == "PING":
            return "PONG" if len(args) == 1 else args[1]
        if cmd == "SET" and len(args) >= 3:
            k[args[1]] = args[2]
            return "OK"
        if cmd == "GET" and len(args) == 2:
            v = k.get(args[1])
            return "" if v is None else (v if isinstance(v, str) else "WRONGTYPE Operation against a key holding the wrong kind of value")
        if cmd == "DEL":
            n = sum(1 for a in args[1:] if k.pop(a, None) is not None)
            return str(n)
        if cmd == "EXISTS":
            return str(sum(1 for a in args[1:] if a in k))
        if cmd == "INCR" and len(args) == 2:
            try:
                k[args[1]] = str(int(k.get(args[1], "0")) + 1)
            except ValueError:
                return "ERR value is not an integer or out of range"
            return k[args[1]]
        if cmd in ("LPUSH", "RPUSH") and len(args) >= 3:
            lst = k.setdefault(args[1], [])
            for v in args[2:]:
                lst.insert(0, v) if cmd == "LPUSH" else lst.append(v)
            return str(len(lst))
        if cmd == "LRANGE" and len(args) == 4:
            lst = k.get(args[1], [])
            a, b = int(args[2]), int(args[3])
            return "\n".join(lst[a:(b + 1) if b != -1 else None])
        if cmd == "KEYS":
            import fnmatch
            return "\n".join(sorted(x for x in k if fnmatch.fnmatchcase(x, args[1] if len(args) > 1 else "*")))
        if cmd == "DBSIZE":
            return str(len(k))
        if cmd == "FLUSHALL":
            k.clear()
            return "OK"
        if cmd == "SAVE":
            return "OK" if self._save(now) else "ERR"
        if cmd == "INFO":
            role = "slave" if self.replicaof else "master"
            return f"# Server\r\nredis_version:{self.image.app_version}\r\n# Replication\r\nrole:{role}"
        return f"ERR unknown command '{args[0]}', with args beginning with: " + \
            " ".join(f"'{a}'" for a in args[1:])


def redis_cli(sh, argv, io):
    args, host, port = argv[1:], "127.0.0.1", 6379
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag == "-h" and args:
            host = args.pop(0)
        elif flag == "-p" and args:
            port = int(args.pop(0))
    yield from sh.pay(0.002)
    try:
        server = sh.proc.sb.net.open_tcp(host, port, sh.now)
    except NetError:
        io.err.write(f"Could not connect to Redis at {host}:{port}: "
                     f"{'Name or service not known' if sh.proc.sb.net.resolve(host, sh.now) is None else 'Connection refused'}\n")
        return 1
    if not hasattr(server, "command"):
        io.err.write(f"Error: Server closed the connection\n")
        return 1
    lines = [args] if args else [l.split() for l in io.stdin.splitlines() if l.strip()]
    for cmd in lines:
        io.out.write(server.command(cmd, sh.now) + "\n")
    return 0


# -- MySQL ---------------------------------------------------------------------------------------
def _mysql_time(t: float) -> str:
    d = datetime.fromtimestamp(t, tz=timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int((t % 1) * 1e6):06d}Z"


def _entry_time(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00:00")


class MySQL(ServerProcess):
    PORTS = (3306,)
    RSS = 190 * MiB
    STOP_SECONDS = 1.5
    INIT_SECONDS = 12.0
    START_SECONDS = 2.0
    DATADIR = "/var/lib/mysql"

    def startup(self, now):
        v, e = self.image.app_version, _entry_time(now)
        flavor = "MariaDB" if "mariadb" in self.image.ref.path else "MySQL"
        self.engine = SqlEngine(self.fs, self.DATADIR, version=v)
        self.source = None
        self.say(now, f"{e} [Note] [Entrypoint]: Entrypoint script for {flavor} Server {v}-1.el7 started.",
                 f"{e} [Note] [Entrypoint]: Switching to dedicated user 'mysql'",
                 f"{e} [Note] [Entrypoint]: Entrypoint script for {flavor} Server {v}-1.el7 started.")
        initialized = self.fs.isdir(f"{self.DATADIR}/mysql")
        env = self.env
        if not initialized:
            if not any(env.get(k) for k in ("MYSQL_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD",
                                             "MYSQL_RANDOM_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD",
                                             "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD")):
                self.say(now, f"{e} [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified",
                         "    You need to specify one of the following as an environment variable:",
                         "    - MYSQL_ROOT_PASSWORD", "    - MYSQL_ALLOW_EMPTY_PASSWORD",
                         "    - MYSQL_RANDOM_ROOT_PASSWORD", stream="stderr")
                self._pending_exit = 1
                self._due = now + 0.2
                self.ready_at = float("inf")
                return
            self.say(now, f"{e} [Note] [Entrypoint]: Initializing database files")
            try:
                self.engine.initialize(env.get("MYSQL_DATABASE"))
            except OSError as err:
                self.say(now, f"{_mysql_time(now)} 0 [ERROR] --initialize specified but the data directory "
                              f"could not be created: {err}", stream="stderr")
                self._pending_exit = 1
                self._due = now + 0.5
                self.ready_at = float("inf")
                return
            delay = self.INIT_SECONDS
            self.say(now, f"{e} [Note] [Entrypoint]: Database files initialized")
        else:
            delay = self.START_SECONDS
            self.say(now, f"{e} [Note] [Entrypoint]: Database already initialized, skipping initialization" if False else
                     f"{_mysql_time(now)} 0 [Note] mysqld (mysqld {v}) starting as process 1 ...")
        self._pending_exit = None
        self.ready_at = now + delay
        self._ready_logged = False

    def listening(self, now):
        ports = super().listening(now)
        if ports and not self._ready_logged:
            self._ready_logged = True
            t = self.ready_at
            self.say(t, f"{_mysql_time(t)} 0 [Note] mysqld: ready for connections.",
                     f"Version: '{self.image.app_version}'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  "
                     "MySQL Community Server (GPL)", stream="stderr")
        return ports

    def _step(self, t):
        if self._pending_exit is not None and not self.stopping:
            self._exit(self._pending_exit, None, t)
            return
        super()._step(t)

    def shutdown(self, now):
        t = _mysql_time(now)
        self.say(now, f"{t} 0 [Note] Giving 0 client threads a chance to die gracefully",
                 f"{t} 0 [Note] Shutting down slave threads", f"{t} 0 [Note] mysqld: Shutdown complete",
                 stream="stderr")

    def cpu_millicores(self, now):
        if self.exit_code is None and now < self.ready_at < float("inf"):
            return self._cpu_capped(400)
        return super().cpu_millicores(now)

    def query(self, sql: str, now: float, database: str | None = None):
        """Run SQL; returns a list of results (see :mod:`.sql`) or raises :class:`SqlError`."""
        results = []
        for stmt in self.engine.split(sql):
            low = stmt.lower()
            if low.startswith("change master to"):
                import re
                m = re.search(r"master_host\s*=\s*'([^']+)'", stmt, re.I)
                self.source = m.group(1) if m else self.source
                results.append(None)
                continue
            if low in ("start slave", "start replica", "stop slave", "stop replica"):
                results.append(None)
                continue
            if self.source and low.startswith(("select", "show")) and "from" in low \
                    and "information_schema" not in low:
                try:
                    peer = self.sb.net.open_tcp(self.source, 3306, now)
                    results.extend(peer.query(stmt, now, database))
                    continue
                except (NetError, AttributeError):
                    pass
            if self.engine.read_only() and low.split(" ", 1)[0] in ("insert", "create", "drop",
                                                                     "delete", "update"):
                raise SqlError(1290, "HY000", "The MySQL server is running with the --super-read-only "
                                              "option so it cannot execute this statement")
            results.append(self.engine.execute(stmt, database))
        return results


def mysql_cli(sh, argv, io):
    """The ``mysql`` client: ``mysql -h host -e "SQL"`` or SQL on stdin."""
    args, host, sql, db, batch = argv[1:], "localhost", None, None, False
    k = 0
    while k < len(args):
        a = args[k]
        if a in ("-h", "--host") and k + 1 < len(args):
            host = args[k + 1]
            k += 2
            continue
        if a.startswith("-h") and len(a) > 2:
            host = a[2:]
        elif a.startswith("--host="):
            host = a.split("=", 1)[1]
        elif a in ("-e", "--execute") and k + 1 < len(args):
            sql = args[k + 1]
            k += 2
            continue
        elif a in ("-u", "-P", "--port") and k + 1 < len(args):
            k += 2
            continue
        elif a in ("-B", "--batch", "-N", "-s"):
            batch = True
        elif not a.startswith("-"):
            db = a
        k += 1
    yield from sh.pay(0.003)
    net = sh.proc.sb.net
    try:
        server = net.open_tcp("127.0.0.1" if host == "localhost" else host, 3306, sh.now)
    except NetError:
        if net.resolve(host, sh.now) is None:
            io.err.write(f"ERROR 2005 (HY000): Unknown MySQL server host '{host}' (-2)\n")
        elif host == "localhost":
            io.err.write("ERROR 2002 (HY000): Can't connect to local MySQL server through socket "
                         "'/var/run/mysqld/mysqld.sock' (2)\n")
        else:
            io.err.write(f"ERROR 2003 (HY000): Can't connect to MySQL server on '{host}' (111)\n")
        return 1
    try:
        results = server.query(sql if sql is not None else io.stdin, sh.now, db)
    except SqlError as e:
        io.err.write(f"ERROR {e.code} ({e.state}) at line 1: {e.message}\n" if sql is None
                     else f"ERROR {e.code} ({e.state}): {e.message}\n")
        return 1
    for r in results:
        io.out.write(format_result(r, table=not batch and sql is not None))
    return 0


def mysqladmin(sh, argv, io):
    yield from sh.pay(0.002)
    try:
        server = sh.proc.sb.net.open_tcp("127.0.0.1", 3306, sh.now)
    except NetError:
        io.err.write("mysqladmin: connect to server at 'localhost' failed\nerror: 'Can't connect to "
                     "local MySQL server through socket '/var/run/mysqld/mysqld.sock' (2)'\nCheck that "
                     "mysqld is running and that the socket: '/var/run/mysqld/mysqld.sock' exists!\n")
        return 1
    if "ping" in argv:
        io.out.write("mysqld is alive\n")
    elif "version" in argv:
        io.out.write(f"mysqladmin  Ver 8.42 Distrib {server.image.app_version}, for Linux on x86_64\n")
    return 0


# -- xtrabackup (the MySQL StatefulSet tutorial's sidecar) ------------------------------------
class BackupListener(ServerProcess):
    """``ncat --listen ... 3307 -c "xtrabackup --backup ..."``: streams a copy of
    /var/lib/mysql to whoever connects (a new replica cloning its data)."""

    PORTS = (3307,)
    RSS = 2 * MiB

    def tcp_exchange(self, data: str, now: float) -> str:
        files = {p: self.fs.read(p) for p in self.fs.walk_files(MySQL.DATADIR)}
        files[f"{MySQL.DATADIR}/xtrabackup_binlog_info"] = "mysql-bin.000001\t154\n"
        base = MySQL.DATADIR + "/"
        return json.dumps({p[len(base):]: text for p, text in files.items()}, sort_keys=True)


def ncat_cmd(sh, argv, io):
    from .shell.nettools import t_nc
    from .shell.runtime import Takeover
    if ("--listen" in argv or "-l" in argv) and any("xtrabackup" in a for a in argv):
        raise Takeover(lambda image, av, sb, now: BackupListener(image, av, sb, now), argv)
    if "--recv-only" in argv:
        argv = [a for a in argv if not a.startswith("--")]
    return (yield from t_nc(sh, argv, io))


def xbstream_cmd(sh, argv, io):
    """``xbstream -x -C DIR``: unpack what BackupListener sent."""
    target = argv[argv.index("-C") + 1] if "-C" in argv else sh.fs.cwd
    try:
        files = json.loads(io.stdin) if io.stdin.strip() else {}
    except ValueError:
        io.err.write("xbstream: wrong chunk magic\n")
        return 1
    for rel, text in files.items():
        path = f"{target.rstrip('/')}/{rel}"
        sh.fs.mkdir(path.rsplit("/", 1)[0], parents=True)
        sh.fs.write(path, text)
    return 0


def xtrabackup_cmd(sh, argv, io):
    if "--prepare" in argv:
        yield from sh.sleep(1.0)
        io.err.write("xtrabackup: This target seems to be already prepared.\ncompleted OK!\n")
    return 0
