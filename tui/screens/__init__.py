"""The chat app's screens: chat, source viewer, sessions, help, dialogs."""
