"""Evidence bundles: a financial year's sanctions, their inputs and working, packed to be checked offline."""
