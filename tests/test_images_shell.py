"""The small sh/bash in simulated images: enough to run the documentation's scripts.

Behaviour follows POSIX sh (busybox ash) and bash: expansion order, field splitting, ``set -e``,
``[[ =~ ]]`` with BASH_REMATCH, arrays, here-documents.
"""
import pathlib

import pytest
import yaml

from labkit.minicluster.images import FileSystem, Mount, Volume, resolve

T0 = 1735689600.0


def run(script, image="busybox", env=None, shell="sh", hostname="pod", fs=None, until=60):
    img = resolve(image)
    p = img.start({"name": "c", "command": [shell, "-c", script]}, env=env or {}, files=fs,
                  now=T0, hostname=hostname)
    p.advance(T0 + until)
    return p.exited, "\n".join(text for _, _, text in p.log)


def test_quoting_and_field_splitting():
    code, out = run('A="x  y"; set -- $A; echo $#; echo "$A"; echo \'$A\'; echo ${B:-dflt}')
    assert code == (0, "Completed") and out == "2\nx  y\n$A\ndflt"


def test_parameter_expansion_forms():
    code, out = run('f=archive.tar.gz; echo ${f%.gz} ${f%%.*} ${f#*.} ${#f} ${f/tar/zip} ${f:0:7}')
    assert out == "archive.tar archive tar.gz 14 archive.zip.gz archive"


def test_arithmetic_and_conditionals():
    code, out = run("i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo $i; "
                    "if [ $i -eq 3 ] && [ -n \"$i\" ]; then echo yes; else echo no; fi; "
                    "echo $(( (2 + 3) * 4 % 7 ))")
    assert out == "3\nyes\n6"


def test_case_functions_and_command_substitution():
    code, out = run('greet() { echo "hello $1"; return 4; }; greet "$(echo world)"; echo $?; '
                    'case "web-2" in web-*) echo matched;; *) echo other;; esac')
    assert out == "hello world\n4\nmatched"


def test_pipes_redirections_and_heredoc():
    code, out = run("echo b > /tmp/f; echo a >> /tmp/f; sort /tmp/f | head -n 1; "
                    "cat <<EOF\nline $HOSTNAME\nEOF\n"
                    "ls /nope 2>/dev/null || echo missing")
    assert out == "a\nline pod\nmissing"


def test_set_e_stops_at_first_failure_and_set_x_traces():
    code, out = run("set -ex; echo one; false; echo never")
    assert code == (1, "Error")
    assert out == "+ echo one\none\n+ false"


def test_not_found_messages_per_shell():
    assert run("nosuch")[1] == "sh: nosuch: not found"
    code, out = run("nosuch", image="debian", shell="bash")
    assert code == (127, "Error") and out == "bash: line 1: nosuch: command not found"


def test_bash_arrays_and_regex_rematch():
    code, out = run('items=(foo bar baz); echo ${items[1]} ${#items[@]}; '
                    '[[ "mysql-2" =~ -([0-9]+)$ ]] && echo ordinal=${BASH_REMATCH[1]}',
                    image="debian", shell="bash")
    assert out == "bar 3\nordinal=2"


def test_indexed_job_init_script():
    """docs application/job/indexed-job.yaml: the bash init container writes items[index]."""
    doc = yaml.safe_load(pathlib.Path("/work/shared/k8s-examples/application/job/indexed-job.yaml").read_text())
    script = doc["spec"]["template"]["spec"]["initContainers"][0]["command"][2]
    vol = Volume()
    img = resolve("docker.io/library/bash")
    fs = FileSystem(img.files(), [Mount("/input", vol)])
    p = img.start({"name": "input", "command": ["bash", "-c", script]}, {"JOB_COMPLETION_INDEX": "2"}, fs, T0)
    p.advance(T0 + 5)
    assert p.exited == (0, "Completed") and vol.files["data.txt"] == "baz\n"
    worker = resolve("docker.io/library/busybox")
    q = worker.start({"name": "worker", "command": ["rev", "/input/data.txt"]}, {},
                     FileSystem(worker.files(), [Mount("/input", vol)]), T0 + 5)
    q.advance(T0 + 6)
    assert q.log[0][2] == "zab"


def test_mysql_statefulset_init_script_writes_server_id():
    """docs application/mysql/mysql-statefulset.yaml init-mysql: server-id = 100 + ordinal."""
    doc = yaml.safe_load(pathlib.Path("/work/shared/k8s-examples/application/mysql/mysql-statefulset.yaml").read_text())
    script = doc["spec"]["template"]["spec"]["initContainers"][0]["command"][2]
    conf, cm = Volume(), Volume({"primary.cnf": "[mysqld]\nlog-bin\n",
                                 "secondary.cnf": "[mysqld]\nsuper-read-only\n"}, read_only=True)
    img = resolve("mysql:5.7")
    fs = FileSystem(img.files(), [Mount("/mnt/conf.d", conf), Mount("/mnt/config-map", cm)])
    p = img.start({"name": "init-mysql", "command": ["bash", "-c", script]}, {}, fs, T0, hostname="mysql-1")
    p.advance(T0 + 5)
    assert p.exited == (0, "Completed")
    assert conf.files["server-id.cnf"] == "[mysqld]\nserver-id=101\n"
    assert conf.files["secondary.cnf"] == "[mysqld]\nsuper-read-only\n"


def test_exec_timeout_and_output():
    p = resolve("busybox").start({"name": "c", "command": ["sleep", "3600"]}, {}, None, T0)
    assert p.exec(["sh", "-c", "echo hi; sleep 5; echo late"], T0 + 1, timeout=1) == (None, "hi\n")
    assert p.exec(["sh", "-c", "echo $((6*7))"], T0 + 1) == (0, "42\n")


@pytest.mark.parametrize("script,expected", [
    ("echo -n a; echo b", "ab"),
    ("printf '%s-%03d\\n' x 7", "x-007"),
    ("echo one two | tr a-z A-Z", "ONE TWO"),
    ("seq 3 | wc -l", "3"),
    ("x=5; [ $x -gt 3 ] && echo big", "big"),
])
def test_small_tools(script, expected):
    assert run(script)[1] == expected


_TOKENS = list("ab $(){}[]'\"`;&|<>\\=#*?~!-+/0123\n") + [
    "echo ", "if ", "then ", "fi", "for ", "do ", "done", "while ", "case ", "esac", "$((", "${",
    "[[ ", " ]]", "sleep 1", "exit ", "x=", "<<E\n", " in ", "a)", ";;", "f() { f; }; f"]


def test_garbage_scripts_fail_like_a_shell_never_crash():
    """Any text given to sh -c ends as a shell error (exit 2, "sh: syntax error..."), never as
    an exception in the cluster."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    img = resolve("busybox")

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(st.sampled_from(_TOKENS), max_size=12).map("".join))
    def check(script):
        p = img.start({"name": "c", "command": ["sh", "-c", script]}, {}, None, T0)
        p.advance(T0 + 100)
        assert not any("Error: " in line for _, _, line in p.log), p.log
        p.exec(["sh", "-c", script], T0 + 100, timeout=5) if p.exited is None else None

    check()
