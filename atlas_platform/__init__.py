"""atlas-platform: production MongoDB Atlas on AWS as reusable Pulumi components."""

# The one place the version is written: pyproject.toml reads it (hatch), the component provider reports it.
__version__ = "0.1.0"
