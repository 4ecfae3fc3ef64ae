"""A deterministic Workers AI emulator: the Workers AI REST protocol, fake models, fault injection.

It is to Cloudflare Workers AI what moto is to AWS. Every answer says it is emulated.
"""

from emulator.app import create_app

__all__ = ["create_app"]
