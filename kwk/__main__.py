import sys

from kwk.cli import main

sys.exit(main())
