"""The sales-linked incentive: one claim period's figure, computed step by step and replayable."""
