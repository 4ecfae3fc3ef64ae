"""One package per API over the shared core (`gateway.core`); none imports another."""
