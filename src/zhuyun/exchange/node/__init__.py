"""The department node (前置机): a small service beside a department's own databases that
answers the central platform's signed, already-decided queries (DESIGN.md §3).

`signing` is shared by both sides (the platform signs requests and grant tokens, the node
signs its answers); `server` is the node's HTTP app; `message_log` its hash-chained log.
"""
