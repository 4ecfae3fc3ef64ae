"""One small router per endpoint group."""
