"""Issue 12 item 5: the generated completion scripts work in the real shells.

Each test starts bash, zsh or fish on a pty (pexpect), loads the script
that `mino completions SHELL` prints, types a partial command line, presses
TAB and then Enter.  `mino` is a shell function there that prints the words
it was given, so what the line became after TAB is exactly what it prints.
The scripts ask the real `mino list -f plain` (through `command mino`, the
binary on PATH) for session names, so a live session of this test's own
minod must complete."""

import os
import shutil

import pexpect
import pytest

import minotest

SHELLS = ("bash", "zsh", "fish")

# (typed, what the line must become): subcommands, flags, option values,
# subcommands of a command, configuration keys.
CASES = [
    ("mino ru", "run"),
    ("mino confi", "config"),
    ("mino run --no-hom", "run --no-home"),
    ("mino stop --fo", "stop --force"),
    ("mino -c /x.toml ru", "-c /x.toml run"),
    ("mino run --network no", "run --network none"),
    ("mino list -f js", "list -f json"),
    ("mino config sh", "config show"),
    ("mino cache cl", "cache clear"),
    ("mino config set container.ima", "config set container.image"),
    ("mino config set session.default_pro", "config set session.default_project_dir"),
    ("mino completions fi", "completions fish"),
    ("mino help netw", "help network"),
]


class Shell:
    """An interactive shell on a pty with the completion script loaded."""

    def __init__(self, shell, script, env, cwd):
        env = dict(env, TERM="xterm")
        if shell == "bash":
            self.p = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=env, cwd=cwd,
                                   encoding="utf-8", timeout=30 * minotest.SLOW,
                                   dimensions=(40, 240))
            setup = ("PS1='PROMPT> '; source %s; mino() { printf 'ARGS:%%s\\n' \"$*\"; }; "
                     "echo READY$((6*7))" % script)
        elif shell == "zsh":
            self.p = pexpect.spawn("zsh", ["-f", "-i"], env=env, cwd=cwd, encoding="utf-8",
                                   timeout=30 * minotest.SLOW, dimensions=(40, 240))
            setup = ("PS1='PROMPT> '; autoload -Uz compinit && compinit -u -D; source %s; "
                     "mino() { printf 'ARGS:%%s\\n' \"$*\"; }; echo READY$((6*7))" % script)
        else:
            self.p = pexpect.spawn("fish", ["--no-config", "-i"], env=env, cwd=cwd,
                                   encoding="utf-8", timeout=30 * minotest.SLOW,
                                   dimensions=(40, 240))
            setup = ("function fish_prompt; echo -n 'PROMPT> '; end; source %s; "
                     "function mino; echo \"ARGS:$argv\"; end; echo READY(math 6 \\* 7)" % script)
        self.p.sendline(setup)
        self.p.expect(r"READY42\r?\n")

    def complete(self, typed):
        """What the line `typed` + TAB runs as: the arguments mino gets."""
        self.p.expect("PROMPT> ")
        # the shells read keys in order: TAB's completion (which may run
        # `mino list`) is done before Enter is read
        self.p.send(typed + "\t\r")
        self.p.expect(r"[\r\n]ARGS:([^\r\n]*)\r?\n")
        return self.p.match.group(1).strip()

    def close(self):
        self.p.sendline("exit")
        self.p.expect(pexpect.EOF)
        self.p.close()


def script_for(env, shell):
    p = env.mino("completions", shell)
    assert p.returncode == 0, p.stderr
    path = os.path.join(env.root, "mino." + shell)
    with open(path, "wb") as f:
        f.write(p.stdout)
    return path


@pytest.fixture(params=SHELLS)
def shell_name(request):
    if shutil.which(request.param) is None:
        pytest.fail("%s is not installed (images/debian-packages.txt [test] lists it)" % request.param)
    return request.param


def test_commands_flags_values_and_keys_complete(bare_env, shell_name):
    sh = Shell(shell_name, script_for(bare_env, shell_name), bare_env.env, bare_env.project)
    try:
        got = [(typed, sh.complete(typed)) for typed, _ in CASES]
    finally:
        sh.close()
    assert got == [(typed, want) for typed, want in CASES]


def test_live_session_names_complete(menv, shell_name):
    name = menv.name("live")
    p = menv.mino("run", "-d", "-n", name, "--", "sleep", "300")
    assert p.returncode == 0, p.stderr
    menv.wait_status(name, "running")
    sh = Shell(shell_name, script_for(menv, shell_name), menv.env, menv.project)
    try:
        attach = sh.complete("mino attach " + name[:-2])
        logs = sh.complete("mino logs -l 5 " + name[:-1])
    finally:
        sh.close()
    assert attach == "attach " + name
    assert logs == "logs -l 5 " + name
