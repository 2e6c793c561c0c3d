"""The command line, homework sheets and their build cache."""
