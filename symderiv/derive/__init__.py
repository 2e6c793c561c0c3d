"""The planner and its rules: from a question to a derivation in which every step names its rule."""
