"""xAPI documents (state, activity profiles, agent profiles): values, rules and use cases."""
