"""The data model: steps and derivations, problems, named quantities, symbols, functions, errors."""
