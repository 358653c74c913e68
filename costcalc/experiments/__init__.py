"""The notes' design claims as experiments: zoo variants built and costed, one table per claim."""
