"""`kubewhy alerts`: Alertmanager webhooks start investigations whose answers land in Slack threads."""
