"""Parsing shell scripts (the subset of POSIX sh and bash that container commands use).

``command: ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]``
is a tiny program. This module turns such text into a tree the interpreter (:mod:`.runtime`)
walks. Supported: simple commands with assignments and redirections (``>``, ``>>``, ``<``,
``2>&1``, here-documents), pipelines ``|``, lists ``;`` ``&&`` ``||`` ``&``, ``if``/``elif``/
``else``, ``while``/``until``, ``for``, ``case``, ``{ }`` and ``( )`` groups, functions, bash's
``[[ ]]`` tests and ``(( ))`` arithmetic, arrays ``a=(x y)``.

Nodes are tuples whose first item names the kind, e.g. ``("simple", assigns, words, redirs)``.
Words stay as raw text (quotes included); they are expanded when the command runs, because
their value depends on variables at that moment.
"""
from __future__ import annotations

import re
from functools import lru_cache

_OPS = ("&&", "||", ";;", ">>", "<<-", "<<", ">&", "<&", "&>", ">|", ";", "&", "|", "(", ")",
        "<", ">")
_DELIMS = set(" \t\n;&|()<>")
_RESERVED = {"if", "then", "elif", "else", "fi", "do", "done", "while", "until", "for", "in",
             "case", "esac", "{", "}", "!", "function"}
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?(\+?)=")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ShellSyntaxError(Exception):
    """``sh: syntax error: unexpected "fi"``."""


# -- lexer -------------------------------------------------------------------------------------
def _match_close(s: str, i: int, open_: str, close: str) -> int:
    """Index just past the ``close`` matching the ``open_`` at ``s[i-1]`` (quotes respected)."""
    depth, n = 1, len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and open_ != "{":
            j = s.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if c == '"':
            i = _skip_dquote(s, i + 1)
            continue
        if c == "`":
            j = s.find("`", i + 1)
            i = n if j < 0 else j + 1
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ShellSyntaxError(f"unterminated {open_}")


def _skip_dquote(s: str, i: int) -> int:
    """Index just past the closing ``"`` (``i`` is just after the opening one)."""
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif c == "$" and s.startswith("$(", i):
            i = _match_close(s, i + 2, "(", ")")
        elif c == "`":
            j = s.find("`", i + 1)
            i = n if j < 0 else j + 1
        else:
            i += 1
    raise ShellSyntaxError('unterminated quoted string')


def _scan_word(s: str, i: int, cond: bool = False) -> int:
    """End index of the word starting at ``i``. In ``[[ ]]`` (``cond``), only blanks end it."""
    n = len(s)
    while i < n:
        c = s[i]
        if c in " \t\n" or (c in _DELIMS if not cond else c == ";"):
            break
        if c == "\\":
            i += 2
        elif c == "'":
            j = s.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("unterminated quoted string")
            i = j + 1
        elif c == '"':
            i = _skip_dquote(s, i + 1)
        elif c == "`":
            j = s.find("`", i + 1)
            if j < 0:
                raise ShellSyntaxError("unterminated backquote")
            i = j + 1
        elif c == "$" and i + 1 < n and s[i + 1] in "({":
            if s.startswith("$((", i):
                i = _match_close(s, i + 3, "(", ")") + 1
            elif s[i + 1] == "(":
                i = _match_close(s, i + 2, "(", ")")
            else:
                i = _match_close(s, i + 2, "{", "}")
        else:
            i += 1
    return min(i, n)


def tokenize(s: str) -> list[tuple]:
    """Tokens: ``("W", raw)``, ``("OP", op)``, ``("NL",)``, ``("IO", fd)``, ``("ARITH", text)``,
    ``("HEREDOC", body)`` (after its ``<<`` redirection), ``("EOF",)``."""
    toks: list = []
    heredocs: list = []  # [token index of the delimiter word, strip tabs]
    i, n = 0, len(s)
    cond = False
    while i < n:
        c = s[i]
        if c in " \t":
            i += 1
        elif c == "\\" and s.startswith("\\\n", i):
            i += 2
        elif c == "#":  # at the start of a token: a comment to the end of the line
            while i < n and s[i] != "\n":
                i += 1
        elif c == "\n":
            toks.append(("NL",))
            i += 1
            for idx, strip in heredocs:
                i = _read_heredoc(s, i, toks, idx, strip)
            heredocs = []
        elif not cond and s.startswith("((", i) and (not toks or toks[-1][0] in ("NL", "OP")
                                                      or toks[-1] in (("W", "do"), ("W", "then"))):
            j = _match_close(s, i + 2, "(", ")")
            if j >= n or s[j] != ")":
                raise ShellSyntaxError("missing ))")
            toks.append(("ARITH", s[i + 2:j - 1]))
            i = j + 1
        elif c in _DELIMS and (not cond or c == ";"):
            op = next(o for o in _OPS if s.startswith(o, i))
            toks.append(("OP", op))
            i += len(op)
            if op in ("<<", "<<-"):
                heredocs.append([len(toks), op == "<<-"])
        else:
            j = max(_scan_word(s, i, cond), i + 1)  # always make progress
            raw = s[i:j]
            if cond and raw in ("&&", "||"):
                toks.append(("W", raw))
            elif raw.isdigit() and j < n and s[j] in "<>" and not cond:
                toks.append(("IO", int(raw)))
            else:
                toks.append(("W", raw))
            if raw == "[[":
                cond = True
            elif raw == "]]":
                cond = False
            i = j
    for idx, strip in heredocs:
        _read_heredoc(s, n, toks, idx, strip)
    toks.append(("EOF",))
    return toks


def _read_heredoc(s, i, toks, idx, strip):
    word = toks[idx][1] if idx < len(toks) and toks[idx][0] == "W" else ""
    delim = word.strip("'\"")
    quoted = delim != word
    lines, n = [], len(s)
    while i < n:
        j = s.find("\n", i)
        j = n if j < 0 else j
        line = s[i:j]
        i = j + 1
        if (line.lstrip("\t") if strip else line) == delim:
            break
        lines.append(line.lstrip("\t") if strip else line)
    body = "\n".join(lines) + ("\n" if lines else "")
    toks[idx] = ("HEREDOC", body, quoted)
    return min(i, n)


# -- parser ------------------------------------------------------------------------------------
class Parser:
    def __init__(self, text: str):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k: int = 0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self):
        t = self.peek()
        self.i += 1
        return t

    def is_word(self, *words) -> bool:
        t = self.peek()
        return t[0] == "W" and t[1] in words

    def is_op(self, *ops) -> bool:
        t = self.peek()
        return t[0] == "OP" and t[1] in ops

    def expect_word(self, word):
        if not self.is_word(word):
            raise self.unexpected()
        self.next()

    def unexpected(self):
        t = self.peek()
        text = {"EOF": "end of file", "NL": "newline"}.get(t[0]) or str(t[1])
        return ShellSyntaxError(f'syntax error: unexpected "{text}"' if t[0] != "EOF"
                                else "syntax error: unexpected end of file")

    def skip_newlines(self):
        while self.peek()[0] == "NL":
            self.next()

    # program := list EOF
    def program(self):
        node = self.list_(())
        if self.peek()[0] != "EOF":
            raise self.unexpected()
        return node

    def list_(self, stops):
        items = []
        self.skip_newlines()
        while True:
            t = self.peek()
            if t[0] == "EOF" or (t[0] == "W" and t[1] in stops) or (t[0] == "OP" and t[1] in stops):
                break
            node = self.and_or()
            bg = False
            if self.is_op("&"):
                self.next()
                bg = True
            elif self.is_op(";"):
                self.next()
            elif self.peek()[0] == "NL":
                pass
            elif not (self.peek()[0] == "EOF" or self.is_word(*stops) or self.is_op(*stops)):
                raise self.unexpected()
            items.append((node, bg))
            self.skip_newlines()
        return ("list", items)

    def and_or(self):
        first = self.pipeline()
        rest = []
        while self.is_op("&&", "||"):
            op = self.next()[1]
            self.skip_newlines()
            rest.append((op, self.pipeline()))
        return ("andor", first, rest) if rest else first

    def pipeline(self):
        negate = False
        if self.is_word("!"):
            self.next()
            negate = True
        cmds = [self.command()]
        while self.is_op("|"):
            self.next()
            self.skip_newlines()
            cmds.append(self.command())
        return ("pipe", cmds, negate) if negate or len(cmds) > 1 else cmds[0]

    def command(self):
        t = self.peek()
        if t[0] == "ARITH":
            self.next()
            return self._redirected(("arith", t[1]))
        if t[0] == "OP" and t[1] == "(":
            self.next()
            body = self.list_((")",))
            self._expect_op(")")
            return self._redirected(("subshell", body))
        if t[0] == "W":
            kw = t[1]
            handler = {"if": self.if_, "while": self.while_, "until": self.while_,
                       "for": self.for_, "case": self.case_, "{": self.brace,
                       "[[": self.cond, "function": self.function}.get(kw)
            if handler:
                return self._redirected(handler())
            if _NAME.match(kw) and self.peek(1) == ("OP", "(") and self.peek(2) == ("OP", ")"):
                self.i += 3
                self.skip_newlines()
                return ("func", kw, self.command())
        if t[0] not in ("W", "IO", "OP") or (t[0] == "OP" and t[1] not in ("<", ">", ">>", ">&",
                                                                         "<&", "&>", "<<", "<<-", ">|")):
            raise self.unexpected()
        return self.simple()

    def _expect_op(self, op):
        if not self.is_op(op):
            raise self.unexpected()
        self.next()

    def _redirected(self, node):
        redirs = []
        while self._at_redirect():
            redirs.append(self.redirect())
        return ("redir", node, redirs) if redirs else node

    def _at_redirect(self) -> bool:
        t = self.peek()
        return t[0] == "IO" or (t[0] == "OP" and t[1] in ("<", ">", ">>", ">&", "<&", "&>", "<<",
                                                          "<<-", ">|"))

    def redirect(self):
        fd = None
        if self.peek()[0] == "IO":
            fd = self.next()[1]
        op = self.next()[1]
        tgt = self.next()
        if tgt[0] == "HEREDOC":
            return (0 if fd is None else fd, "<<", tgt[1], tgt[2])
        if tgt[0] != "W":
            raise self.unexpected()
        if fd is None:
            fd = 0 if op in ("<", "<&") else 1
        return (fd, op, tgt[1], False)

    def simple(self):
        assigns, words, redirs = [], [], []
        while True:
            t = self.peek()
            if self._at_redirect():
                redirs.append(self.redirect())
            elif t[0] == "W" and not words and _ASSIGN.match(t[1]):
                self.next()
                if t[1].endswith("=") and self.is_op("("):
                    self.next()
                    items = []
                    while not self.is_op(")"):
                        if self.peek()[0] == "NL":
                            self.next()
                            continue
                        if self.peek()[0] != "W":
                            raise self.unexpected()
                        items.append(self.next()[1])
                    self.next()
                    assigns.append((t[1][:-1], ("array", items)))
                else:
                    name, value = t[1].split("=", 1)
                    assigns.append((name, value))
            elif t[0] == "W" and (words or t[1] not in ("}", "then", "do", "done", "fi", "esac",
                                                       "else", "elif")):
                words.append(self.next()[1])
            else:
                break
        if not (assigns or words or redirs):
            raise self.unexpected()
        return ("simple", assigns, words, redirs)

    def if_(self):
        self.next()
        clauses = []
        cond = self.list_(("then",))
        self.expect_word("then")
        body = self.list_(("elif", "else", "fi"))
        clauses.append((cond, body))
        else_body = None
        while True:
            if self.is_word("elif"):
                self.next()
                cond = self.list_(("then",))
                self.expect_word("then")
                clauses.append((cond, self.list_(("elif", "else", "fi"))))
            elif self.is_word("else"):
                self.next()
                else_body = self.list_(("fi",))
            else:
                self.expect_word("fi")
                return ("if", clauses, else_body)

    def while_(self):
        until = self.next()[1] == "until"
        cond = self.list_(("do",))
        self.expect_word("do")
        body = self.list_(("done",))
        self.expect_word("done")
        return ("while", cond, body, until)

    def for_(self):
        self.next()
        var = self.next()
        if var[0] != "W" or not _NAME.match(var[1]):
            raise ShellSyntaxError(f'syntax error: bad for loop variable')
        words = None
        self.skip_newlines()
        if self.is_word("in"):
            self.next()
            words = []
            while self.peek()[0] == "W":
                words.append(self.next()[1])
        if self.is_op(";"):
            self.next()
        self.skip_newlines()
        self.expect_word("do")
        body = self.list_(("done",))
        self.expect_word("done")
        return ("for", var[1], words, body)

    def case_(self):
        self.next()
        word = self.next()[1]
        self.skip_newlines()
        self.expect_word("in")
        self.skip_newlines()
        items = []
        while not self.is_word("esac"):
            if self.is_op("("):
                self.next()
            pats = [self.next()[1]]
            while self.is_op("|"):
                self.next()
                pats.append(self.next()[1])
            self._expect_op(")")
            body = self.list_((";;", "esac"))
            items.append((pats, body))
            if self.is_op(";;"):
                self.next()
            self.skip_newlines()
        self.next()
        return ("case", word, items)

    def brace(self):
        self.next()
        body = self.list_(("}",))
        self.expect_word("}")
        return ("group", body)

    def cond(self):
        self.next()
        words = []
        while not self.is_word("]]"):
            t = self.next()
            if t[0] == "EOF":
                raise ShellSyntaxError("syntax error: unexpected end of file")
            if t[0] == "W":
                words.append(t[1])
        self.next()
        return ("cond", words)

    def function(self):
        self.next()
        name = self.next()[1]
        if self.is_op("("):
            self.next()
            self._expect_op(")")
        self.skip_newlines()
        return ("func", name, self.command())


@lru_cache(maxsize=512)
def parse(text: str):
    """Parse a script into a node tree (cached: the same script in 1,000 pods parses once)."""
    try:
        return Parser(text).program()
    except (IndexError, TypeError):  # a keyword cut off by the end of the text
        raise ShellSyntaxError("syntax error: unexpected end of file") from None
