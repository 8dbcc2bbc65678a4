"""Backend-specific training steps (the only place framework imports are allowed)."""
