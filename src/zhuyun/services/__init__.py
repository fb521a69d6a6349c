"""一网通办: one-stop online services — service items, workflows, cases, materials auto-filled
from the exchange, electronic certificates, time limits in working days, ratings."""
