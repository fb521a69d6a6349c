"""The services module's operations: the only part of 一网通办 other modules call.

- `items`: the service item catalog; `workflows`: workflows declared as data;
- `cases`: submission (exactly once), access, queues; `engine`: the steps;
- `autofill`: materials fetched through the exchange; `uploads`: the applicant's files;
- `payments`: the (simulated) fee and late fetches; `ratings`: 好差评 and rectification;
- `stats`: the dashboard's figures; `results`: the issue-result step (e-certificates).
"""
