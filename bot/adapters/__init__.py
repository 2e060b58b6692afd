"""Platform adapters. Each converts its platform's traffic into neutral events and
renders neutral replies back; none imports another, the core or a plugin."""
