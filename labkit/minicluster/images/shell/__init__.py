"""A small POSIX shell (with some bash) for container commands: parser, expansion,
interpreter, builtins and the usual tools. See :mod:`.runtime` for the execution model."""
