"""``python -m xiaozhen``: the same command line as the ``xiaozhen`` script."""

from xiaozhen.cli import main

if __name__ == "__main__":
    main()
