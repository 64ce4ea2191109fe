"""What goes back to each client: the one-page PDF report of their results."""
