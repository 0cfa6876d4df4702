"""A very small SQL engine for the MySQL image, storing tables as files in the data directory.

Enough for the documentation's tutorials: ``CREATE DATABASE``, ``CREATE TABLE``,
``INSERT INTO ... VALUES``, ``SELECT ... FROM ... [WHERE col = value]``, ``SELECT 1``,
``SELECT @@server_id``, ``SHOW DATABASES``/``TABLES``, ``DELETE``, ``DROP``. Each table is a JSON
file ``/var/lib/mysql/<db>/<table>.json``: the data is exactly as durable as the volume under it.
Errors carry MySQL's codes and messages (``ERROR 1146 (42S02): Table 'test.x' doesn't exist``).
"""
from __future__ import annotations

import json
import re

SYSTEM_DBS = ("information_schema", "mysql", "performance_schema", "sys")


class SqlError(Exception):
    def __init__(self, code: int, state: str, message: str):
        super().__init__(message)
        self.code, self.state, self.message = code, state, message


class Result:
    def __init__(self, columns=(), rows=()):
        self.columns, self.rows = list(columns), [list(r) for r in rows]


def _syntax(near: str) -> SqlError:
    return SqlError(1064, "42000", "You have an error in your SQL syntax; check the manual that "
                                   "corresponds to your MySQL server version for the right syntax "
                                   f"to use near '{near[:80]}' at line 1")


def _literal(tok: str):
    tok = tok.strip()
    if len(tok) >= 2 and tok[0] == tok[-1] and tok[0] in "'\"":
        return tok[1:-1].replace("\\'", "'").replace("''", "'")
    if re.fullmatch(r"-?\d+", tok):
        return int(tok)
    if re.fullmatch(r"-?\d+\.\d*", tok):
        return float(tok)
    if tok.upper() == "NULL":
        return None
    raise _syntax(tok)


def _split_values(text: str) -> list[str]:
    """Split ``a, 'b,c', 3`` on top-level commas."""
    out, cur, quote, depth = [], [], None, 0
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == "(":
            depth += 1
            cur.append(ch)
        elif ch == ")":
            depth -= 1
            cur.append(ch)
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


class SqlEngine:
    def __init__(self, fs, datadir: str, version: str = "5.7.44"):
        self.fs, self.datadir, self.version = fs, datadir.rstrip("/"), version
        self.server_id = 1

    # -- storage ------------------------------------------------------------------------------
    def initialize(self, database: str | None = None) -> None:
        fs = self.fs
        fs.mkdir(f"{self.datadir}/mysql", parents=True)
        fs.write(f"{self.datadir}/mysql/user.json", json.dumps({"columns": ["User", "Host"],
                                                                  "rows": [["root", "%"]]}))
        fs.write(f"{self.datadir}/ibdata1", "")
        fs.write(f"{self.datadir}/auto.cnf", "[auto]\nserver-uuid=00000000-0000-0000-0000-000000000001\n")
        if database:
            fs.mkdir(f"{self.datadir}/{database}", parents=True)

    def read_only(self) -> bool:
        try:
            conf = "\n".join(self.fs.read(f"/etc/mysql/conf.d/{n}") for n in self.fs.listdir("/etc/mysql/conf.d"))
        except OSError:
            return False
        m = re.search(r"server-id\s*=\s*(\d+)", conf)
        if m:
            self.server_id = int(m.group(1))
        return "super-read-only" in conf or "super_read_only" in conf

    def databases(self) -> list[str]:
        try:
            names = [n for n in self.fs.listdir(self.datadir) if self.fs.isdir(f"{self.datadir}/{n}")]
        except OSError:
            names = []
        return sorted(set(names) | set(SYSTEM_DBS) - {"lost+found"})

    def _table_path(self, name: str, db: str | None) -> tuple[str, str, str]:
        if "." in name:
            db, name = name.split(".", 1)
        if not db:
            raise SqlError(1046, "3D000", "No database selected")
        name = name.strip("`")
        return db.strip("`"), name, f"{self.datadir}/{db.strip('`')}/{name}.json"

    def _load(self, name, db):
        db, table, path = self._table_path(name, db)
        if not self.fs.isfile(path):
            raise SqlError(1146, "42S02", f"Table '{db}.{table}' doesn't exist")
        return path, json.loads(self.fs.read(path))

    # -- statements ---------------------------------------------------------------------------
    @staticmethod
    def split(sql: str) -> list[str]:
        parts, cur, quote = [], [], None
        for ch in sql:
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == ";":
                parts.append("".join(cur).strip())
                cur = []
                continue
            cur.append(ch)
        parts.append("".join(cur).strip())
        return [" ".join(p.split()) for p in parts if p.strip()]

    def execute(self, stmt: str, db: str | None = None):
        low = stmt.lower()
        if m := re.fullmatch(r"create (?:database|schema) (if not exists )?`?(\w+)`?", low):
            return self._create_db(m.group(2), bool(m.group(1)))
        if m := re.fullmatch(r"drop (?:database|schema) (if exists )?`?(\w+)`?", low):
            return self._drop_db(m.group(2), bool(m.group(1)))
        if low == "show databases":
            return Result(["Database"], [[d] for d in self.databases()])
        if m := re.fullmatch(r"show tables(?: (?:from|in) `?(\w+)`?)?", low):
            target = m.group(1) or db
            if not target:
                raise SqlError(1046, "3D000", "No database selected")
            names = [n[:-5] for n in self.fs.listdir(f"{self.datadir}/{target}") if n.endswith(".json")] \
                if self.fs.isdir(f"{self.datadir}/{target}") else []
            return Result([f"Tables_in_{target}"], [[n] for n in sorted(names)])
        if m := re.fullmatch(r"create table (if not exists )?([\w.`]+) \((.*)\)", stmt, re.I | re.S):
            return self._create_table(m.group(2), m.group(3), db, bool(m.group(1)))
        if m := re.fullmatch(r"drop table (if exists )?([\w.`]+)", stmt, re.I):
            d, t, path = self._table_path(m.group(2), db)
            if not self.fs.isfile(path):
                if m.group(1):
                    return None
                raise SqlError(1051, "42S02", f"Unknown table '{d}.{t}'")
            self.fs.remove(path)
            return None
        if m := re.fullmatch(r"insert into ([\w.`]+)\s*(?:\(([^)]*)\))?\s*values\s*(.*)", stmt, re.I | re.S):
            return self._insert(m.group(1), m.group(2), m.group(3), db)
        if m := re.fullmatch(r"delete from ([\w.`]+)(?: where (\w+)\s*=\s*(.+))?", stmt, re.I):
            path, data = self._load(m.group(1), db)
            if m.group(2):
                col = data["columns"].index(m.group(2)) if m.group(2) in data["columns"] else None
                val = _literal(m.group(3))
                data["rows"] = [r for r in data["rows"] if col is None or r[col] != val]
            else:
                data["rows"] = []
            self.fs.write(path, json.dumps(data))
            return None
        if low.startswith("select"):
            return self._select(stmt, db)
        if low.startswith(("set ", "use ", "flush", "grant", "create user", "reset ")):
            return None
        raise _syntax(stmt)

    def _create_db(self, name, if_not_exists):
        path = f"{self.datadir}/{name}"
        if self.fs.isdir(path) or name in SYSTEM_DBS:
            if if_not_exists:
                return None
            raise SqlError(1007, "HY000", f"Can't create database '{name}'; database exists")
        self.fs.mkdir(path, parents=True)
        return None

    def _drop_db(self, name, if_exists):
        path = f"{self.datadir}/{name}"
        if not self.fs.isdir(path):
            if if_exists:
                return None
            raise SqlError(1008, "HY000", f"Can't drop database '{name}'; database doesn't exist")
        self.fs.remove(path, recursive=True)
        return None

    def _create_table(self, name, cols, db, if_not_exists):
        d, t, path = self._table_path(name, db)
        if not self.fs.isdir(f"{self.datadir}/{d}"):
            raise SqlError(1049, "42000", f"Unknown database '{d}'")
        if self.fs.isfile(path):
            if if_not_exists:
                return None
            raise SqlError(1050, "42S01", f"Table '{t}' already exists")
        columns = [c.split()[0].strip("`") for c in _split_values(cols)
                   if c.split() and c.split()[0].upper() not in ("PRIMARY", "KEY", "INDEX", "UNIQUE")]
        self.fs.write(path, json.dumps({"columns": columns, "rows": []}))
        return None

    def _insert(self, name, cols, values, db):
        path, data = self._load(name, db)
        names = [c.strip().strip("`") for c in cols.split(",")] if cols else data["columns"]
        tuples = re.findall(r"\(((?:[^()'\"]|'[^']*'|\"[^\"]*\")*)\)", values)
        if not tuples:
            raise _syntax(values)
        for tup in tuples:
            vals = [_literal(v) for v in _split_values(tup)]
            if len(vals) != len(names):
                raise SqlError(1136, "21S01", "Column count doesn't match value count at row 1")
            row = [None] * len(data["columns"])
            for n, v in zip(names, vals):
                if n not in data["columns"]:
                    raise SqlError(1054, "42S22", f"Unknown column '{n}' in 'field list'")
                row[data["columns"].index(n)] = v
            data["rows"].append(row)
        self.fs.write(path, json.dumps(data))
        return None

    def _select(self, stmt, db):
        m = re.fullmatch(r"select (.+?) from ([\w.`]+)(?: where (\w+)\s*=\s*(.+?))?(?: limit (\d+))?",
                         stmt, re.I)
        if not m:
            exprs = _split_values(stmt[6:].strip())
            return Result(exprs, [[self._scalar(e) for e in exprs]])
        what, table, wcol, wval, limit = m.groups()
        path, data = self._load(table, db)
        rows = data["rows"]
        if wcol:
            if wcol not in data["columns"]:
                raise SqlError(1054, "42S22", f"Unknown column '{wcol}' in 'where clause'")
            k, v = data["columns"].index(wcol), _literal(wval)
            rows = [r for r in rows if r[k] == v]
        if what.strip() == "*":
            cols = data["columns"]
            out = rows
        elif what.strip().lower() == "count(*)":
            return Result(["count(*)"], [[len(rows)]])
        else:
            cols = [c.strip().strip("`") for c in what.split(",")]
            for c in cols:
                if c not in data["columns"]:
                    raise SqlError(1054, "42S22", f"Unknown column '{c}' in 'field list'")
            out = [[r[data["columns"].index(c)] for c in cols] for r in rows]
        if limit:
            out = out[:int(limit)]
        return Result(cols, out)

    def _scalar(self, expr: str):
        e = expr.strip()
        low = e.lower()
        if low in ("@@server_id", "@@global.server_id"):
            self.read_only()
            return self.server_id
        if low in ("@@version", "version()"):
            return self.version
        if low in ("now()", "current_timestamp"):
            return "2025-01-01 00:00:00"
        if low == "database()":
            return None
        m = re.fullmatch(r"(-?\d+)\s*([-+*])\s*(-?\d+)", e)
        if m:
            a, op, b = int(m.group(1)), m.group(2), int(m.group(3))
            return a + b if op == "+" else a - b if op == "-" else a * b
        return _literal(e)


def format_result(result, table: bool = True) -> str:
    """How the ``mysql`` client prints a result: a boxed table (``-e``), or tab-separated."""
    if result is None:
        return ""
    cols = result.columns
    rows = [["NULL" if v is None else str(v) for v in r] for r in result.rows]
    if not table:
        return "".join("\t".join(r) + "\n" for r in [cols] + rows)
    if not rows:
        return ""
    widths = [max(len(str(c)), *(len(r[k]) for r in rows)) for k, c in enumerate(cols)]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+\n"

    def line(vals):
        return "|" + "|".join(f" {v:<{w}} " for v, w in zip(vals, widths)) + "|\n"

    return sep + line([str(c) for c in cols]) + sep + "".join(line(r) for r in rows) + sep
