"""`python -m symderiv` runs the command line."""
from .cli import main

main(prog_name="symderiv")
