"""The fault-injection suite (issue 15): every fault a user can cause or meet."""
