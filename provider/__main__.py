"""The atlas-platform component provider, as `pulumi package add` runs it (PulumiPlugin.yaml)."""

from atlas_platform.provider import main

main()
