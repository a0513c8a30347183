"""Sub-commands of ``python -m kwk`` that live in their own module.

Each module ``kwk/commands/<name>.py`` defines ``add(sub)``: it adds its parser to the
argparse sub-parsers ``sub`` (use ``parser_class`` defaults; errors follow the CLI's contract:
raise ``KwkError`` for a user error, which prints one ``error:`` line and exits 2) and sets
``fn`` to a function ``(args) -> int``. Import TensorFlow and other heavy libraries inside
``fn``, never at the module's top: every command's parser is built on each call.
"""
