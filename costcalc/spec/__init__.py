"""Spec language: YAML source with positions, safe expressions, the document model, validation, the walker that feeds the GraphBuilder."""
