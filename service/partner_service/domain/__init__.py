"""Plain classes and rules of the partner platform. Imports nothing of ours outside domain."""
