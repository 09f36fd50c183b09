"""verify-tutorial: runs the console sessions of a project's docs and checks their output.

The layout, and which way the imports run, is drawn in docs/testing.md.
"""
