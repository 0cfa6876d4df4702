"""Command-line flags the way kubectl (cobra + spf13/pflag) reads them.

- ``--name=value`` or ``--name value``; booleans take no value (``--all``) or ``--all=false``;
- shorthands: ``-n dev``, ``-ndev``, ``-n=dev``; booleans combine (``-Aw``);
- flags may come before, between or after positional arguments;
- ``--`` ends the flags (``kubectl create job j --image=busybox -- echo hi``);
- an unknown flag is an error: ``error: unknown flag: --foo``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .backend import KubectlError

BOOL, STR, INT, LIST, ARRAY = "bool", "string", "int", "stringSlice", "stringArray"


@dataclass
class Flag:
    name: str
    kind: str = STR
    short: str = ""
    default: object = None


def spec(*flags: Flag) -> dict[str, Flag]:
    return {f.name: f for f in flags}


#: flags every command accepts (kubectl's global flags that matter here)
GLOBAL = spec(
    Flag("namespace", STR, "n"), Flag("as"), Flag("as-group", ARRAY),
    Flag("context"), Flag("kubeconfig"), Flag("cluster"), Flag("user"),
    Flag("request-timeout"), Flag("v", STR, "v"), Flag("server", STR, "s"), Flag("token"),
)


@dataclass
class Parsed:
    args: list[str] = field(default_factory=list)
    flags: dict = field(default_factory=dict)
    dash_args: list[str] | None = None  # the arguments after "--"
    explicit: set = field(default_factory=set)

    def get(self, name, default=None):
        value = self.flags.get(name)
        return default if value is None else value

    def has(self, name) -> bool:
        return name in self.explicit


def parse(tokens: list[str], flags: dict[str, Flag], command: str) -> Parsed:
    """Parse ``tokens`` against ``flags`` (plus :data:`GLOBAL`)."""
    table = {**GLOBAL, **flags}
    shorts = {f.short: f for f in table.values() if f.short}
    out = Parsed(flags={f.name: ([] if f.kind in (LIST, ARRAY) and f.default is None else f.default)
                        for f in table.values()})
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            out.dash_args = tokens[i:]
            out.args.extend(tokens[i:])
            break
        if tok.startswith("--") and len(tok) > 2:
            name, eq, value = tok[2:].partition("=")
            f = table.get(name)
            if f is None:
                raise _usage(f"unknown flag: --{name}", command)
            if not eq and f.kind != BOOL:
                if i >= len(tokens):
                    raise _usage(f"flag needs an argument: --{name}", command)
                value, i = tokens[i], i + 1
            _set(out, f, value if (eq or f.kind != BOOL) else "true", f"--{name}")
        elif tok.startswith("-") and len(tok) > 1 and not _is_number(tok):
            i = _shorthands(out, tok, tokens, i, shorts, command)
        else:
            out.args.append(tok)
    return out


def _shorthands(out: Parsed, tok: str, tokens: list[str], i: int, shorts, command) -> int:
    chars = tok[1:]
    j = 0
    while j < len(chars):
        c = chars[j]
        f = shorts.get(c)
        if f is None:
            raise _usage(f"unknown shorthand flag: '{c}' in {tok}", command)
        rest = chars[j + 1:]
        if f.kind == BOOL:
            if rest.startswith("="):
                _set(out, f, rest[1:], f"-{c}")
                return i
            _set(out, f, "true", f"-{c}")
            j += 1
            continue
        if rest:
            _set(out, f, rest[1:] if rest.startswith("=") else rest, f"-{c}")
        else:
            if i >= len(tokens):
                raise _usage(f"flag needs an argument: '{c}' in -{c}", command)
            _set(out, f, tokens[i], f"-{c}")
            i += 1
        return i
    return i


def _set(out: Parsed, f: Flag, value: str, spelled: str) -> None:
    out.explicit.add(f.name)
    if f.kind == BOOL:
        if value.lower() not in ("true", "false", "1", "0", "t", "f"):
            raise KubectlError(f'invalid argument "{value}" for "{spelled}" flag: '
                               f'strconv.ParseBool: parsing "{value}": invalid syntax')
        out.flags[f.name] = value.lower() in ("true", "1", "t")
    elif f.kind == INT:
        try:
            out.flags[f.name] = int(value)
        except ValueError:
            raise KubectlError(f'invalid argument "{value}" for "{spelled}" flag: '
                               f'strconv.ParseInt: parsing "{value}": invalid syntax') from None
    elif f.kind == LIST:
        out.flags[f.name] = list(out.flags.get(f.name) or []) + [v for v in value.split(",") if v]
    elif f.kind == ARRAY:
        out.flags[f.name] = list(out.flags.get(f.name) or []) + [value]
    else:
        out.flags[f.name] = value


def _is_number(tok: str) -> bool:
    try:
        float(tok)
        return True
    except ValueError:
        return False


def _usage(message: str, command: str) -> KubectlError:
    return KubectlError(f"{message}\nSee 'kubectl {command} --help' for usage.")
