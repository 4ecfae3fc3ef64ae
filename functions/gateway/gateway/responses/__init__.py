"""The Responses API (`/v1/responses`) as a dialect over the shared generation core."""
