"""The exchange's operations: the only part of the exchange other modules call."""
