"""Reusable ComponentResources. Each takes typed args and never reads `pulumi.Config`."""
