"""What users type: expressions, answers and written derivations, read by the safe parser."""
