"""Training code for the models mmdemo trains itself (kept out of the serving import path)."""
