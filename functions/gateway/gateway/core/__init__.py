"""The shared core: everything the API packages stand on; it imports none of them."""
