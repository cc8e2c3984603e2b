"""Strategy: figures composed for the strategy's questions (S-4, D-1, …) from indicators."""
