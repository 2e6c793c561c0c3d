"""The checker: every link of a derivation decided by computer algebra (exact, index cases, sampling)."""
