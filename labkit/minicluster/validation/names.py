"""Name and label syntax, with upstream's exact messages (apimachinery pkg/util/validation).

Each ``is_*`` function returns a list of problems (empty when the value is fine), like Go's
``IsDNS1123Label``. The messages quote the regular expression a name must match, which is what
a student sees in ``metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must
consist of ...``.
"""
from __future__ import annotations

import re

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
ENV_VAR_NAME_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
CONFIG_MAP_KEY_FMT = "[-._a-zA-Z0-9]+"
PERCENT_FMT = "[0-9]+%"
HTTP_HEADER_NAME_FMT = "[-A-Za-z0-9]+"

_RE = {f: re.compile("^(?:" + f + ")$") for f in (
    DNS1123_LABEL_FMT, DNS1123_SUBDOMAIN_FMT, DNS1035_LABEL_FMT, QUALIFIED_NAME_FMT,
    LABEL_VALUE_FMT, ENV_VAR_NAME_FMT, CONFIG_MAP_KEY_FMT, PERCENT_FMT, HTTP_HEADER_NAME_FMT)}


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """validation.RegexError (note upstream's double space before ``or``)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    ex = "".join((" or " if i else "") + f"'{e}', " for i, e in enumerate(examples))
    return f"{msg} (e.g. {ex}regex used for validation is '{fmt}')"


def max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def _match(fmt: str, value: str) -> bool:
    return bool(_RE[fmt].match(value))


def _check(value: str, max_len: int, fmt: str, msg: str, *examples: str) -> list[str]:
    """The shape shared by the DNS name checks: a length limit, then the pattern."""
    errs = [max_len_error(max_len)] if len(value) > max_len else []
    if not _match(fmt, value):
        errs.append(regex_error(msg, fmt, *examples))
    return errs


def is_dns1123_label(value: str) -> list[str]:
    if not _match(DNS1123_LABEL_FMT, value) and _match(DNS1123_SUBDOMAIN_FMT, value):
        return ([max_len_error(63)] if len(value) > 63 else []) + ["must not contain dots"]
    return _check(value, 63, DNS1123_LABEL_FMT,
                  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                  "or '-', and must start and end with an alphanumeric character",
                  "my-name", "123-abc")


def is_dns1123_subdomain(value: str) -> list[str]:
    return _check(value, 253, DNS1123_SUBDOMAIN_FMT,
                  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                  "characters, '-' or '.', and must start and end with an alphanumeric character",
                  "example.com")


def is_dns1035_label(value: str) -> list[str]:
    return _check(value, 63, DNS1035_LABEL_FMT,
                  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                  "start with an alphabetic character, and end with an alphanumeric character",
                  "my-name", "abc-123")


_QUALIFIED_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                  "end with an alphanumeric character")


def is_qualified_name(value: str) -> list[str]:
    """A label key or annotation key: ``[prefix/]name``."""
    errs = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in is_dns1123_subdomain(prefix)]
    else:
        return [("a qualified name " + regex_error(_QUALIFIED_MSG, QUALIFIED_NAME_FMT, "MyName",
                                                   "my.name", "123-abc")
                 + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not _match(QUALIFIED_NAME_FMT, name):
        errs.append("name part " + regex_error(_QUALIFIED_MSG, QUALIFIED_NAME_FMT, "MyName",
                                                "my.name", "123-abc"))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _match(LABEL_VALUE_FMT, value):
        errs.append(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character",
            LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def is_valid_port_num(port) -> list[str]:
    return [] if isinstance(port, int) and 1 <= port <= 65535 else \
        ["must be between 1 and 65535, inclusive"]


def is_valid_port_name(port: str) -> list[str]:
    errs = []
    if len(port) > 15:
        errs.append(max_len_error(15))
    if not re.match(r"^[-a-z0-9]+$", port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def _chdir_prefix(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_env_var_name(value: str) -> list[str]:
    errs = []
    if not _match(ENV_VAR_NAME_FMT, value):
        errs.append(regex_error(
            "a valid environment variable name must consist of alphabetic characters, digits, "
            "'_', '-', or '.', and must not start with a digit", ENV_VAR_NAME_FMT,
            "my.env-name", "MY_ENV.NAME", "MyEnvName1"))
    return errs + _chdir_prefix(value)


def is_config_map_key(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _match(CONFIG_MAP_KEY_FMT, value):
        errs.append(regex_error("a valid config key must consist of alphanumeric characters, "
                                "'-', '_' or '.'", CONFIG_MAP_KEY_FMT, "key.name", "KEY_NAME",
                                "key-name"))
    return errs + _chdir_prefix(value)


def is_valid_percent(value: str) -> list[str]:
    if _match(PERCENT_FMT, value):
        return []
    return [regex_error("a valid percent string must be a numeric string followed by an "
                        "ending '%'", PERCENT_FMT, "1%", "93%")]


def is_http_header_name(value: str) -> list[str]:
    if _match(HTTP_HEADER_NAME_FMT, value):
        return []
    return [regex_error("a valid HTTP header must consist of alphanumeric characters or '-'",
                        HTTP_HEADER_NAME_FMT, "X-Header-Name")]


# -- name functions (apimachinery pkg/api/validation/generic.go) ------------------------------
def _mask(name: str, prefix: bool) -> str:
    """A generateName prefix may end in a dash: validate it as if it ended in a letter."""
    if prefix and len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns_subdomain(name: str, prefix: bool = False) -> list[str]:
    return is_dns1123_subdomain(_mask(name, prefix))


def name_is_dns_label(name: str, prefix: bool = False) -> list[str]:
    return is_dns1123_label(_mask(name, prefix))


def name_is_dns1035_label(name: str, prefix: bool = False) -> list[str]:
    return is_dns1035_label(_mask(name, prefix))


def name_is_path_segment(name: str, prefix: bool = False) -> list[str]:
    """RBAC objects: any name that can be a URL path segment (path.ValidatePathSegmentName)."""
    if prefix:
        return [f"may not contain '{c}'" for c in ("/", "%") if c in name]
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]
