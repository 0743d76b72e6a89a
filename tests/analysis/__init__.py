"""Pure flow-diagnosis tests."""
