"""The data model: the store's tables (DESIGN.md "The store") and the
reference tables shipped with the package. Imports no engine."""
