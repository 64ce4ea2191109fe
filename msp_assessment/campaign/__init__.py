"""Client lists, email drafts, SMTP sending with a journal, status and reminders."""
