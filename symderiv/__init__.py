"""symderiv: step-by-step, machine-checked derivations of the calculus behind backpropagation."""

__version__ = "0.1.0"
