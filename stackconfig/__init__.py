"""The stack file's schema (pydantic) and its loader.

Data flows one way: stack file -> `load_stack_config` -> one `StackConfig` -> components.
"""

from .base import Secret
from .loader import ConfigError, Problem, load_stack_config
from .model import StackConfig

__all__ = ["ConfigError", "Problem", "Secret", "StackConfig", "load_stack_config"]
