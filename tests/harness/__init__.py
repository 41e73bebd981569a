"""The offline harness: the Pulumi SDK mock runtime that runs the program (`runner`, `mocks`), the
stack-file reader that stands in for the CLI (`stackfile`) and the policy pack's gRPC driver
(`policy`). Test code, not product code; the offline tools in tools/ run the program through it.
"""
