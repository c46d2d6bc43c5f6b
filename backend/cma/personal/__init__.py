"""What spans the contexts for one person: who am I, my data to take away, my erasure."""
