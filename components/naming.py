"""How components derive child resource names from stable keys in the stack file."""


def slug(text: str) -> str:
    """A key as a resource-name part: lowercase, runs of other characters as hyphens (`10.0.0.1/32` -> `10-0-0-1-32`)."""
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
