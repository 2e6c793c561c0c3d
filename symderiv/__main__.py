"""`python -m symderiv` runs the command line."""
from symderiv.app.cli import main

main(prog_name="symderiv")
